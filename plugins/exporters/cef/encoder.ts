/**
 * OCSF event -> CEF:0 text -> syslog message bytes. Pure: no I/O, no clock (the syslog timestamp is
 * the event's time), so the same event always gives the same bytes.
 *
 * The mapping, the severity tables, the escaping, the truncation and the framing are documented
 * in README.md; keep the two in step.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { OcsfEvent, PipelineRecord } from '../../../core/api.js';
import { PermanentError } from '../../../core/errors.js';
import { ACTIVITY_NAMES, CLASS_NAMES, STATUS_NAMES } from '../../processors/normalize/ocsf.js';
import type { SyslogFormat } from './config.js';

/** How messages are delimited on the wire; `none` is for UDP, one message per datagram. */
export type WireFraming = 'octet_counting' | 'lf' | 'none';

export interface CefEncoderOptions {
  readonly deviceVendor: string;
  readonly deviceProduct: string;
  readonly deviceVersion: string;
  readonly syslogFormat: SyslogFormat;
  readonly framing: WireFraming;
  /** 0–23. */
  readonly facility: number;
  readonly appName: string;
  readonly hostname: string;
  /** The largest syslog message (header + CEF), framing excluded. */
  readonly maxMessageBytes: number;
}

/** What marks a cut value: one character (U+2026), three bytes in UTF-8. */
export const MARKER = '\u2026';
const MARKER_BYTES = 3;

export const DETECTION_FINDING = 2004;

/** Maximum lengths from the ArcSight CEF extension dictionary (characters). */
export const MAX = {
  deviceEventClassId: 1023,
  name: 512,
  act: 63,
  outcome: 63,
  cat: 1023,
  externalId: 40,
  msg: 1023,
  reason: 1023,
  requestClientApplication: 1023,
  suser: 1023,
  suid: 1023,
  duser: 1023,
  duid: 1023,
  dntdom: 255,
  shost: 1023,
  dhost: 1023,
  dpriv: 1023,
  cs: 4000,
} as const;

/** OCSF severity_id -> CEF header severity (0–10). */
export const CEF_SEVERITY: Readonly<Record<number, number>> = { 0: 0, 1: 1, 2: 3, 3: 5, 4: 7, 5: 9, 6: 10, 99: 5 };
/** OCSF severity_id -> syslog severity (RFC 5424 numeric code, 0 emergency … 7 debug). */
export const SYSLOG_SEVERITY: Readonly<Record<number, number>> = { 0: 6, 1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1, 99: 5 };

export function cefSeverity(severityId: unknown): number {
  return (typeof severityId === 'number' ? CEF_SEVERITY[severityId] : undefined) ?? 0;
}

export function syslogSeverity(severityId: unknown): number {
  return (typeof severityId === 'number' ? SYSLOG_SEVERITY[severityId] : undefined) ?? 6;
}

const HEADER_SPECIAL = /[\\|\r\n]/;
const HEADER_SPECIAL_G = /[\\|\r\n]/g;
const EXT_SPECIAL = /[\\=\r\n]/;
const EXT_SPECIAL_G = /[\\=\r\n]/g;

function headerReplacer(c: string): string {
  return c === '\\' ? '\\\\' : c === '|' ? '\\|' : ' ';
}

function extensionReplacer(c: string): string {
  return c === '\\' ? '\\\\' : c === '=' ? '\\=' : c === '\r' ? '\\r' : '\\n';
}

/** A CEF header field: `\` -> `\\`, `|` -> `\|`; CR and LF (not allowed in the header) -> space. */
export function escapeHeaderValue(value: string): string {
  return HEADER_SPECIAL.test(value) ? value.replace(HEADER_SPECIAL_G, headerReplacer) : value;
}

/** A CEF extension value: `\` -> `\\`, `=` -> `\=`, CR -> `\r`, LF -> `\n`. */
export function escapeExtensionValue(value: string): string {
  return EXT_SPECIAL.test(value) ? value.replace(EXT_SPECIAL_G, extensionReplacer) : value;
}

/**
 * At most `max` characters (Unicode code points, never splitting a surrogate pair): a longer value
 * keeps its first `max - 1` characters and ends in MARKER. Applied before escaping, since the
 * dictionary's lengths are of the value, not of its escaped form.
 */
export function truncateChars(value: string, max: number): string {
  // UTF-16 length >= code points, so this covers almost every value without counting.
  if (value.length <= max) return value;
  const n = value.length;
  let count = 0;
  let cutAt = 0;
  let i = 0;
  while (i < n) {
    if (count === max - 1) cutAt = i;
    const c = value.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < n && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    count++;
    if (count > max) return value.slice(0, cutAt) + MARKER;
  }
  return value;
}

/**
 * The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that splits neither a
 * character nor (with `escapes`) a backslash escape pair.
 */
export function cutBytes(text: string, maxBytes: number, escapes: boolean): string {
  let bytes = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    let units = 1;
    let size: number;
    if (c < 0x80) {
      size = 1;
      if (escapes && c === 0x5c && i + 1 < n) {
        units = 2;
        size = 2; // escapes are ASCII pairs
      }
    } else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      units = 2;
      size = 4;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return text.slice(0, i);
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function integer(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.trunc(value)) : undefined;
}

/** Joins the strings (or `name`/`uid` of objects) of an array; undefined when none. */
function joinList(value: unknown, field: string | undefined, separator: string): string | undefined {
  if (!Array.isArray(value)) return undefined;
  let out = '';
  for (const item of value) {
    const text = field === undefined ? str(item) : str(obj(item)?.[field]);
    if (text === undefined) continue;
    out = out === '' ? text : out + separator + text;
  }
  return out === '' ? undefined : out;
}

const CLASS_NAME_OF = CLASS_NAMES as Readonly<Record<number, string>>;
const ACTIVITY_NAMES_OF = ACTIVITY_NAMES as Readonly<Record<number, Readonly<Record<number, string>>>>;

function className(event: OcsfEvent): string {
  return str(event['class_name']) ?? (event.class_uid === DETECTION_FINDING ? 'Detection Finding' : CLASS_NAME_OF[event.class_uid]) ?? `Class ${event.class_uid}`;
}

function activityName(event: OcsfEvent): string {
  return str(event['activity_name']) ?? (event.class_uid === DETECTION_FINDING && event.activity_id === 1 ? 'Create' : ACTIVITY_NAMES_OF[event.class_uid]?.[event.activity_id]) ?? `Activity ${event.activity_id}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** 9999-12-31T23:59:59.999Z: RFC 5424 has four-digit years. */
const MAX_TIME = 253_402_300_799_999;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** True for the records the encoder can encode: OCSF events (a numeric class_uid), not raw records. */
export function isOcsfEvent(record: unknown): record is OcsfEvent {
  return typeof record === 'object' && record !== null && typeof (record as { class_uid?: unknown }).class_uid === 'number';
}

export class CefEncoder {
  readonly options: CefEncoderOptions;
  /** `CEF:0|vendor|product|version|`, escaped once. */
  private readonly cefPrefix: string;
  /** Per syslog severity 0–7: `<PRI>1 ` (RFC 5424) or `<PRI>` (RFC 3164). */
  private readonly priPrefix: string[];
  /** What follows the timestamp: ` host app - - - ` (RFC 5424) or ` host app: ` (RFC 3164). */
  private readonly afterTimestamp: string;
  private readonly rfc5424: boolean;
  // One-second memo of the formatted timestamp: events arrive roughly in time order.
  private cachedSecond = Number.NaN;
  private cachedStamp = '';
  // Extension pairs of the event being encoded; reused, never shared across calls.
  private readonly keys: string[] = [];
  private readonly values: string[] = [];
  private count = 0;

  constructor(options: CefEncoderOptions) {
    this.options = options;
    this.cefPrefix = `CEF:0|${escapeHeaderValue(truncateChars(options.deviceVendor, 63))}|${escapeHeaderValue(truncateChars(options.deviceProduct, 63))}|${escapeHeaderValue(truncateChars(options.deviceVersion, 31))}|`;
    this.rfc5424 = options.syslogFormat === 'rfc5424';
    this.priPrefix = [];
    for (let severity = 0; severity < 8; severity++) this.priPrefix.push(`<${options.facility * 8 + severity}>${this.rfc5424 ? '1 ' : ''}`);
    this.afterTimestamp = this.rfc5424 ? ` ${options.hostname} ${options.appName} - - - ` : ` ${options.hostname} ${options.appName}: `;
  }

  /** Encodes one record into the bytes to write (framing included). Throws PermanentError. */
  encode(record: PipelineRecord): Buffer {
    if (!isOcsfEvent(record)) throw new PermanentError('not_ocsf', 'cef exporter: only OCSF events can be encoded (run the normalize processor first)');
    const time = eventTime(record);
    const header = this.syslogHeader(record.severity_id, time) + this.cefHeader(record);
    this.collect(record, time);
    let text = header + this.joinExtension();
    let bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.options.maxMessageBytes) {
      text = header + this.cutExtension(this.options.maxMessageBytes - Buffer.byteLength(header, 'utf8'));
      bytes = Buffer.byteLength(text, 'utf8');
    }
    return this.framed(text, bytes);
  }

  /** The CEF text of an event (no syslog header, no size cap). */
  cef(event: OcsfEvent): string {
    const time = eventTime(event);
    const header = this.cefHeader(event);
    this.collect(event, time);
    return header + this.joinExtension();
  }

  /**
   * Frames any message text: the syslog header for this severity and time, the cap (the tail cut
   * visibly at a character boundary), then octet counting, LF or nothing.
   */
  frame(message: string, severityId: number, time: number): Buffer {
    const header = this.syslogHeader(severityId, validTime(time));
    let text = header + message;
    let bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.options.maxMessageBytes) {
      const room = this.options.maxMessageBytes - Buffer.byteLength(header, 'utf8') - MARKER_BYTES;
      if (room < 0) throw new PermanentError('record_too_large', 'cef exporter: the syslog header alone exceeds max_message_bytes');
      text = header + cutBytes(message, room, true) + MARKER;
      bytes = Buffer.byteLength(text, 'utf8');
    }
    return this.framed(text, bytes);
  }

  /** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - ` or `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: `. */
  syslogHeader(severityId: unknown, time: number): string {
    return this.priPrefix[syslogSeverity(severityId)]! + this.timestamp(time) + this.afterTimestamp;
  }

  private timestamp(time: number): string {
    const second = Math.floor(time / 1000);
    if (second !== this.cachedSecond) {
      const d = new Date(second * 1000);
      this.cachedStamp = this.rfc5424
        ? d.toISOString().slice(0, 19)
        : `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate() < 10 ? ' ' : ''}${d.getUTCDate()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
      this.cachedSecond = second;
    }
    if (!this.rfc5424) return this.cachedStamp;
    const ms = time - second * 1000;
    return `${this.cachedStamp}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }

  private cefHeader(event: OcsfEvent): string {
    let signature: string | undefined;
    let name: string | undefined;
    if (event.class_uid === DETECTION_FINDING) {
      const info = obj(event['finding_info']);
      signature = str(obj(info?.['analytic'])?.['uid']) ?? str(event.metadata.event_code);
      name = str(info?.['title']);
    }
    signature ??= integer(event.type_uid) ?? String(event.class_uid * 100 + event.activity_id);
    name ??= str(event['type_name']) ?? `${className(event)}: ${activityName(event)}`;
    return `${this.cefPrefix}${escapeHeaderValue(truncateChars(signature, MAX.deviceEventClassId))}|${escapeHeaderValue(truncateChars(name, MAX.name))}|${cefSeverity(event.severity_id)}|`;
  }

  private add(key: string, value: string | undefined, max: number): void {
    if (value === undefined) return;
    this.keys[this.count] = key;
    this.values[this.count++] = escapeExtensionValue(truncateChars(value, max));
  }

  /** A value that needs neither escaping nor truncation (numbers, constant labels). */
  private addPlain(key: string, value: string | undefined): void {
    if (value === undefined) return;
    this.keys[this.count] = key;
    this.values[this.count++] = value;
  }

  private addIp(v4Key: string, v6Key: string, v6Label: string, ip: string | undefined): void {
    if (ip === undefined) return;
    if (isIPv4(ip)) this.addPlain(v4Key, ip);
    else if (isIPv6(ip)) {
      this.addPlain(`${v6Key}Label`, v6Label);
      this.addPlain(v6Key, ip);
    }
  }

  private addCustom(n: string, label: string, value: string | undefined): void {
    if (value === undefined) return;
    this.addPlain(`cs${n}Label`, label);
    this.add(`cs${n}`, value, MAX.cs);
  }

  private addNumber(n: string, label: string, value: string | undefined): void {
    if (value === undefined) return;
    this.addPlain(`cn${n}Label`, label);
    this.addPlain(`cn${n}`, value);
  }

  /** The extension pairs, in README order: short identifying fields first, free text last. */
  private collect(event: OcsfEvent, time: number): void {
    this.count = 0;
    const finding = event.class_uid === DETECTION_FINDING;
    const info = finding ? obj(event['finding_info']) : undefined;
    const metadata = event.metadata;
    const actorUser = obj(obj(event['actor'])?.['user']);
    const user = obj(event['user']);
    const src = obj(event['src_endpoint']);
    const dst = obj(event['dst_endpoint']);

    this.addPlain('rt', String(time));
    this.add('externalId', str(metadata.uid), MAX.externalId);
    this.add('cat', className(event), MAX.cat);
    this.add('act', activityName(event), MAX.act);
    if (!finding) this.add('outcome', str(event['status']) ?? (typeof event['status_id'] === 'number' ? STATUS_NAMES[event['status_id']] : undefined), MAX.outcome);
    if (finding) {
      this.addPlain('start', integer(info?.['first_seen_time']));
      this.addPlain('end', integer(info?.['last_seen_time']));
    }
    this.add('suser', str(actorUser?.['name']), MAX.suser);
    this.add('suid', str(actorUser?.['uid']), MAX.suid);
    this.add('duser', str(user?.['name']), MAX.duser);
    this.add('duid', str(user?.['uid']), MAX.duid);
    this.add('dntdom', str(user?.['domain']), MAX.dntdom);
    this.addIp('src', 'c6a2', 'Source IPv6 Address', str(src?.['ip']));
    this.add('shost', str(src?.['hostname']), MAX.shost);
    this.addIp('dst', 'c6a3', 'Destination IPv6 Address', str(dst?.['ip']));
    this.add('dhost', str(dst?.['hostname']), MAX.dhost);
    this.add('dpriv', joinList(event['privileges'], undefined, ', '), MAX.dpriv);

    this.addNumber('1', 'ocsfTypeUid', integer(event.type_uid));
    this.addNumber('2', 'ocsfSeverityId', integer(event.severity_id));
    if (finding) this.addNumber('3', 'eventCount', integer(obj(event['unmapped'])?.['count']) ?? integer(info?.['related_events_count']));
    else this.addNumber('3', 'riskScore', integer(user?.['risk_score']));

    this.addCustom('1', 'product', str(metadata.product?.name));
    this.addCustom('2', 'eventCode', str(metadata.event_code));
    if (finding) this.addCustom('3', 'attackTechniques', attackIds(info?.['attacks']));
    else this.addCustom('3', 'statusCode', str(event['status_code']));
    this.addCustom('4', 'tenant', str(metadata.tenant_uid));
    if (finding) this.addCustom('5', 'findingUid', str(info?.['uid']));
    else {
      const factors = joinList(event['auth_factors'], 'factor_type', ', ');
      if (factors !== undefined) this.addCustom('5', 'authFactors', factors);
      else this.addCustom('5', 'group', str(obj(event['group'])?.['name']));
    }
    if (finding) this.addCustom('6', 'relatedEvents', joinList(info?.['related_events'], 'uid', ','));
    else this.addCustom('6', 'sessionId', str(obj(event['session'])?.['uid']) ?? str(obj(obj(event['actor'])?.['session'])?.['uid']));

    this.add('requestClientApplication', str(obj(event['http_request'])?.['user_agent']), MAX.requestClientApplication);
    this.add('reason', finding ? str(info?.['desc']) : str(event['status_detail']), MAX.reason);
    this.add('msg', str(event['message']), MAX.msg);
  }

  private joinExtension(): string {
    const { keys, values, count } = this;
    if (count === 0) return '';
    let out = `${keys[0]}=${values[0]}`;
    for (let i = 1; i < count; i++) out += ` ${keys[i]}=${values[i]}`;
    return out;
  }

  /**
   * The extension in at most `budget` bytes: the pairs that fit whole, then the next one's value
   * cut (at a character and escape boundary) and ended with MARKER. If that pair's key does not
   * fit, the previous value is cut instead, so the marker always ends a value.
   */
  private cutExtension(budget: number): string {
    const { keys, values, count } = this;
    const before: number[] = [];
    let used = 0;
    let i = 0;
    for (; i < count; i++) {
      before.push(used);
      const size = (i > 0 ? 1 : 0) + keys[i]!.length + 1 + Buffer.byteLength(values[i]!, 'utf8');
      if (used + size > budget) break;
      used += size;
    }
    if (i === count) return this.joinExtension();
    for (let j = i; j >= 0; j--) {
      const room = budget - before[j]! - ((j > 0 ? 1 : 0) + keys[j]!.length + 1) - MARKER_BYTES;
      if (room < 0) continue;
      let out = '';
      for (let k = 0; k < j; k++) out += `${k > 0 ? ' ' : ''}${keys[k]}=${values[k]}`;
      return `${out}${j > 0 ? ' ' : ''}${keys[j]}=${cutBytes(values[j]!, room, true)}${MARKER}`;
    }
    throw new PermanentError('record_too_large', `cef exporter: the syslog and CEF headers alone exceed max_message_bytes (${this.options.maxMessageBytes})`);
  }

  private framed(text: string, bytes: number): Buffer {
    const framing = this.options.framing;
    if (framing === 'octet_counting') {
      const prefix = `${bytes} `;
      const out = Buffer.allocUnsafe(prefix.length + bytes);
      out.write(prefix, 0, 'latin1');
      out.write(text, prefix.length, 'utf8');
      return out;
    }
    if (framing === 'lf') {
      const out = Buffer.allocUnsafe(bytes + 1);
      out.write(text, 0, 'utf8');
      out[bytes] = 0x0a;
      return out;
    }
    return Buffer.from(text, 'utf8');
  }
}

function attackIds(attacks: unknown): string | undefined {
  if (!Array.isArray(attacks)) return undefined;
  let out = '';
  for (const attack of attacks) {
    const a = obj(attack);
    const id = str(obj(a?.['sub_technique'])?.['uid']) ?? str(obj(a?.['technique'])?.['uid']);
    if (id !== undefined) out = out === '' ? id : `${out},${id}`;
  }
  return out === '' ? undefined : out;
}

function validTime(time: unknown): number {
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0 || time > MAX_TIME) {
    throw new PermanentError('unencodable_record', `cef exporter: time must be epoch milliseconds between 1970 and 9999, got ${String(time)}`);
  }
  return Math.floor(time);
}

function eventTime(event: OcsfEvent): number {
  return validTime(event.time);
}
