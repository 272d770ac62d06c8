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
/** Bytes reserved before a message for its octet count and space (`65000 ` at most). */
const PREFIX_ROOM = 8;

export const DETECTION_FINDING = 2004;

/** Maximum lengths from the ArcSight CEF extension dictionary (characters). */
export const MAX = {
  deviceEventClassId: 1023,
  name: 512,
  act: 63,
  outcome: 63,
  cat: 1023,
  externalId: 40,
  flexString: 1023,
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
  // A plain loop beats a regex test on the short values that make up most of an event.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5c || c === 0x3d || c === 0x0a || c === 0x0d) return value.replace(EXT_SPECIAL_G, extensionReplacer);
  }
  return value;
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

/** The CEF header's Signature ID: a finding's rule id, else the OCSF type_uid. */
function headerSignature(event: OcsfEvent): string {
  const signature = event.class_uid === DETECTION_FINDING ? str(obj(obj(event['finding_info'])?.['analytic'])?.['uid']) ?? str(event.metadata.event_code) : undefined;
  return signature ?? integer(event.type_uid) ?? String(event.class_uid * 100 + event.activity_id);
}

/** The CEF header's Name: a finding's title, else the OCSF type name. */
function headerName(event: OcsfEvent): string {
  const name = event.class_uid === DETECTION_FINDING ? str(obj(event['finding_info'])?.['title']) : undefined;
  return name ?? str(event['type_name']) ?? `${className(event)}: ${activityName(event)}`;
}

function className(event: OcsfEvent): string {
  return str(event['class_name']) ?? (event.class_uid === DETECTION_FINDING ? 'Detection Finding' : CLASS_NAME_OF[event.class_uid]) ?? `Class ${event.class_uid}`;
}

function activityName(event: OcsfEvent): string {
  return str(event['activity_name']) ?? (event.class_uid === DETECTION_FINDING && event.activity_id === 1 ? 'Create' : ACTIVITY_NAMES_OF[event.class_uid]?.[event.activity_id]) ?? `Activity ${event.activity_id}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** 9999-12-31T23:59:59.999Z: RFC 5424 has four-digit years. */
const MAX_TIME = 253_402_300_799_999;

/** `000`…`999`: the millisecond part of rt and of the RFC 5424 timestamp. */
const MS3: readonly string[] = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
/** `.000Z`…`.999Z`. */
const MS_Z: readonly string[] = MS3.map((ms) => `.${ms}Z`);

/** `00`…`59`. */
const PAD2: readonly string[] = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

const ESCAPE = 1;
const ESCAPE_LF = 2;
const ESCAPE_CR = 3;
const SPACE = 4;
function escapeTable(entries: [string, number][]): Uint8Array {
  const table = new Uint8Array(128);
  for (const [c, action] of entries) table[c.charCodeAt(0)] = action;
  return table;
}
/** What the byte writer does with each ASCII character: 0 copies it. */
const RAW = new Uint8Array(128);
const HEADER = escapeTable([['\\', ESCAPE], ['|', ESCAPE], ['\n', SPACE], ['\r', SPACE]]);
const EXTENSION = escapeTable([['\\', ESCAPE], ['=', ESCAPE], ['\n', ESCAPE_LF], ['\r', ESCAPE_CR]]);
/** `|severity|` per CEF severity 0–10. */
const CEF_SEVERITY_FIELD: readonly string[] = Array.from({ length: 11 }, (_, n) => `|${n}|`);

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
  /** The cached second as epoch seconds text: rt is it and the milliseconds. */
  private cachedSecondText = '';
  private cachedDay = Number.NaN;
  private cachedDayText = '';
  /**
   * The message is written straight into this buffer as UTF-8, escaping on the way: building it
   * as a string first and encoding that costs more than everything else together. The first
   * PREFIX_ROOM bytes are kept for the octet count. Grows when an event needs more.
   */
  private buf: Buffer;
  private off = PREFIX_ROOM;
  // Where each extension pair starts (its leading space) and where its value starts, in `buf`.
  private readonly starts: number[] = [];
  private readonly valueStarts: number[] = [];
  private count = 0;
  // The last CEF header (see cefHeaderText).
  private lastSignature = '';
  private lastName = '';
  private lastSeverity = '';
  private lastHeader = '';

  constructor(options: CefEncoderOptions) {
    this.options = options;
    this.buf = Buffer.allocUnsafe(Math.max(16_384, PREFIX_ROOM + options.maxMessageBytes * 2));
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
    const message = this.syslogHeader(record.severity_id, time) + this.cefHeaderText(record) + this.extensionText(record, time);
    const max = this.options.maxMessageBytes;
    // A UTF-16 code unit is at most 3 UTF-8 bytes, so a short message cannot exceed the cap and
    // is not measured; a long one is, and one over the cap is cut by the byte writer.
    if (message.length * 3 > max) {
      const bytes = Buffer.byteLength(message, 'utf8');
      if (bytes > max) return this.encodeCut(record, time);
      this.ensureFrom(PREFIX_ROOM, bytes);
    }
    return this.framedFromBuffer(this.buf.write(message, PREFIX_ROOM, 'utf8'));
  }

  /** The byte writer: the whole message into `buf`, then the cap cuts it at a value. */
  private encodeCut(record: OcsfEvent, time: number): Buffer {
    this.off = PREFIX_ROOM;
    this.text(this.syslogHeader(record.severity_id, time), RAW);
    this.writeCefHeader(record);
    this.collect(record, time);
    if (this.off - PREFIX_ROOM > this.options.maxMessageBytes) this.cut(PREFIX_ROOM + this.options.maxMessageBytes);
    return this.framedFromBuffer(this.off - PREFIX_ROOM);
  }

  /** The CEF text of an event (no syslog header, no size cap). */
  cef(event: OcsfEvent): string {
    const text = this.cefHeaderText(event) + this.extensionText(event, eventTime(event));
    // As on the wire: a lone surrogate is sent as U+FFFD.
    return LONE_SURROGATE.test(text) ? Buffer.from(text, 'utf8').toString('utf8') : text;
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
    this.ensure(bytes + 2);
    this.buf.write(text, PREFIX_ROOM, 'utf8');
    return this.framedFromBuffer(bytes);
  }

  /** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - ` or `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: `. */
  syslogHeader(severityId: unknown, time: number): string {
    return this.priPrefix[syslogSeverity(severityId)]! + this.timestamp(time) + this.afterTimestamp;
  }

  private timestamp(time: number): string {
    const second = Math.floor(time / 1000);
    if (second !== this.cachedSecond) this.cacheSecond(second);
    return this.rfc5424 ? this.cachedStamp + MS_Z[time - second * 1000]! : this.cachedStamp;
  }

  private cacheSecond(second: number): void {
    const day = Math.floor(second / 86_400);
    if (day !== this.cachedDay) {
      const d = new Date(day * 86_400_000);
      // `YYYY-MM-DDT` or `Mmm dd `.
      this.cachedDayText = this.rfc5424 ? d.toISOString().slice(0, 11) : `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate() < 10 ? ' ' : ''}${d.getUTCDate()} `;
      this.cachedDay = day;
    }
    const s = second - day * 86_400;
    const minutes = Math.floor(s / 60);
    this.cachedStamp = this.cachedDayText + PAD2[Math.floor(minutes / 60)]! + ':' + PAD2[minutes % 60]! + ':' + PAD2[s % 60]!;
    this.cachedSecondText = String(second);
    this.cachedSecond = second;
  }

  /** `time` (whole epoch milliseconds) as text. */
  private rtText(time: number): string {
    const second = Math.floor(time / 1000);
    if (second === 0) return String(time);
    if (second !== this.cachedSecond) this.cacheSecond(second);
    return this.cachedSecondText + MS3[time - second * 1000]!;
  }

  /**
   * `CEF:0|vendor|product|version|signature|name|severity|`, escaped. Signature, name and severity
   * repeat from event to event (they are per event type), so the last header is reused when all
   * three are the same.
   */
  private cefHeaderText(event: OcsfEvent): string {
    const signature = headerSignature(event);
    const name = headerName(event);
    const severity = CEF_SEVERITY_FIELD[cefSeverity(event.severity_id)]!;
    if (signature === this.lastSignature && name === this.lastName && severity === this.lastSeverity) return this.lastHeader;
    this.lastSignature = signature;
    this.lastName = name;
    this.lastSeverity = severity;
    this.lastHeader =
      this.cefPrefix +
      escapeHeaderValue(signature.length > MAX.deviceEventClassId ? truncateChars(signature, MAX.deviceEventClassId) : signature) +
      '|' +
      escapeHeaderValue(name.length > MAX.name ? truncateChars(name, MAX.name) : name) +
      severity;
    return this.lastHeader;
  }

  /** The extension as text, exactly what `collect` writes as bytes (keep the two in step). */
  private extensionText(event: OcsfEvent, time: number): string {
    const finding = event.class_uid === DETECTION_FINDING;
    const info = finding ? obj(event['finding_info']) : undefined;
    const metadata = event.metadata;
    const actor = obj(event['actor']);
    const actorUser = obj(actor?.['user']);
    const user = obj(event['user']);
    const src = obj(event['src_endpoint']);
    const dst = obj(event['dst_endpoint']);

    let out = 'rt=' + this.rtText(time);
    const uid = str(metadata.uid);
    out += pair(' externalId=', uid, MAX.externalId);
    if (cutByExternalId(uid)) out += pair(FLEX_UID, uid, MAX.flexString);
    out += pair(' cat=', className(event), MAX.cat);
    out += pair(' act=', activityName(event), MAX.act);
    if (finding) {
      const first = integer(info?.['first_seen_time']);
      if (first !== undefined) out += ' start=' + first;
      const last = integer(info?.['last_seen_time']);
      if (last !== undefined) out += ' end=' + last;
    } else out += pair(' outcome=', str(event['status']) ?? (typeof event['status_id'] === 'number' ? STATUS_NAMES[event['status_id']] : undefined), MAX.outcome);
    if (actorUser !== undefined) {
      out += pair(' suser=', str(actorUser['name']), MAX.suser);
      out += pair(' suid=', str(actorUser['uid']), MAX.suid);
    }
    if (user !== undefined) {
      out += pair(' duser=', str(user['name']), MAX.duser);
      out += pair(' duid=', str(user['uid']), MAX.duid);
      out += pair(' dntdom=', str(user['domain']), MAX.dntdom);
    }
    if (src !== undefined) {
      out += ipPair(' src=', ' c6a2Label=Source IPv6 Address c6a2=', str(src['ip']));
      out += pair(' shost=', str(src['hostname']), MAX.shost);
    }
    if (dst !== undefined) {
      out += ipPair(' dst=', ' c6a3Label=Destination IPv6 Address c6a3=', str(dst['ip']));
      out += pair(' dhost=', str(dst['hostname']), MAX.dhost);
    }
    if (event['privileges'] !== undefined) out += pair(' dpriv=', joinList(event['privileges'], undefined, ', '), MAX.dpriv);

    out += plainPair(' cn1Label=ocsfTypeUid cn1=', integer(event.type_uid));
    out += plainPair(' cn2Label=ocsfSeverityId cn2=', integer(event.severity_id));
    if (finding) out += plainPair(' cn3Label=eventCount cn3=', integer(obj(event['unmapped'])?.['count']) ?? integer(info?.['related_events_count']));
    else out += plainPair(' cn3Label=riskScore cn3=', integer(user?.['risk_score']));

    out += pair(' cs1Label=product cs1=', str(metadata.product?.name), MAX.cs);
    out += pair(' cs2Label=eventCode cs2=', str(metadata.event_code), MAX.cs);
    if (finding) out += pair(' cs3Label=attackTechniques cs3=', attackIds(info?.['attacks']), MAX.cs);
    else out += pair(' cs3Label=statusCode cs3=', str(event['status_code']), MAX.cs);
    out += pair(' cs4Label=tenant cs4=', str(metadata.tenant_uid), MAX.cs);
    if (finding) out += pair(' cs5Label=findingUid cs5=', str(info?.['uid']), MAX.cs);
    else {
      const factors = event['auth_factors'] === undefined ? undefined : joinList(event['auth_factors'], 'factor_type', ', ');
      if (factors !== undefined) out += pair(' cs5Label=authFactors cs5=', factors, MAX.cs);
      else if (event['group'] !== undefined) out += pair(' cs5Label=group cs5=', str(obj(event['group'])?.['name']), MAX.cs);
    }
    if (finding) out += pair(' cs6Label=relatedEvents cs6=', joinList(info?.['related_events'], 'uid', ','), MAX.cs);
    else out += pair(' cs6Label=sessionId cs6=', str(obj(event['session'])?.['uid']) ?? str(obj(actor?.['session'])?.['uid']), MAX.cs);

    if (event['http_request'] !== undefined) out += pair(' requestClientApplication=', str(obj(event['http_request'])?.['user_agent']), MAX.requestClientApplication);
    out += pair(' reason=', finding ? str(info?.['desc']) : str(event['status_detail']), MAX.reason);
    out += pair(' msg=', str(event['message']), MAX.msg);
    return out;
  }

  private writeCefHeader(event: OcsfEvent): void {
    const signature = headerSignature(event);
    const name = headerName(event);
    this.text(this.cefPrefix, RAW);
    this.text(signature.length > MAX.deviceEventClassId ? truncateChars(signature, MAX.deviceEventClassId) : signature, HEADER);
    this.ascii('|');
    this.text(name.length > MAX.name ? truncateChars(name, MAX.name) : name, HEADER);
    this.ascii(CEF_SEVERITY_FIELD[cefSeverity(event.severity_id)]!);
  }

  private ensure(bytes: number): void {
    if (this.off + bytes + 2 <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + bytes + 1024));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  private ensureFrom(offset: number, bytes: number): void {
    this.off = offset;
    this.ensure(bytes);
  }

  /** Writes ASCII text as is. */
  private ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let o = this.off;
    for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
    this.off = o;
  }

  /** Writes `s` as UTF-8 (lone surrogates as U+FFFD, as Buffer does), applying `table`'s escapes. */
  private text(s: string, table: Uint8Array): void {
    const n = s.length;
    this.ensure(n * 3);
    const b = this.buf;
    let o = this.off;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        const action = table[c]!;
        if (action === 0) b[o++] = c;
        else if (action === ESCAPE) {
          b[o++] = 0x5c;
          b[o++] = c;
        } else if (action === ESCAPE_LF) {
          b[o++] = 0x5c;
          b[o++] = 0x6e;
        } else if (action === ESCAPE_CR) {
          b[o++] = 0x5c;
          b[o++] = 0x72;
        } else b[o++] = 0x20;
      } else if (c < 0x800) {
        b[o++] = 0xc0 | (c >> 6);
        b[o++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          b[o++] = 0xf0 | (cp >> 18);
          b[o++] = 0x80 | ((cp >> 12) & 0x3f);
          b[o++] = 0x80 | ((cp >> 6) & 0x3f);
          b[o++] = 0x80 | (cp & 0x3f);
          i++;
        } else {
          b[o++] = 0xef;
          b[o++] = 0xbf;
          b[o++] = 0xbd;
        }
      } else {
        b[o++] = 0xe0 | (c >> 12);
        b[o++] = 0x80 | ((c >> 6) & 0x3f);
        b[o++] = 0x80 | (c & 0x3f);
      }
    }
    this.off = o;
  }

  /** Appends `keyEq` (the constant ` key=`; the first pair, `rt=`, has no space) and a value needing no escaping. */
  private putPlain(keyEq: string, value: string): void {
    this.starts[this.count] = this.off;
    this.ascii(keyEq);
    this.valueStarts[this.count++] = this.off;
    this.ascii(value);
  }

  private add(keyEq: string, value: string | undefined, max: number): void {
    if (value === undefined) return;
    this.starts[this.count] = this.off;
    this.ascii(keyEq);
    this.valueStarts[this.count++] = this.off;
    this.text(value.length > max ? truncateChars(value, max) : value, EXTENSION);
  }

  private addIp(v4KeyEq: string, v6LabelAndKey: string, ip: string | undefined): void {
    if (ip === undefined) return;
    if (isIPv4(ip)) this.putPlain(v4KeyEq, ip);
    else if (isIPv6(ip)) this.putPlain(v6LabelAndKey, ip);
  }

  /** `labelAndKey` is the constant ` csNLabel=label csN=`: one pair for cutting, so a label never loses its value. */
  private addCustom(labelAndKey: string, value: string | undefined): void {
    if (value !== undefined) this.add(labelAndKey, value, MAX.cs);
  }

  private addNumber(labelAndKey: string, value: string | undefined): void {
    if (value !== undefined) this.putPlain(labelAndKey, value);
  }

  /** The extension, in README order: short identifying fields first, free text last. */
  private collect(event: OcsfEvent, time: number): void {
    this.count = 0;
    const finding = event.class_uid === DETECTION_FINDING;
    const info = finding ? obj(event['finding_info']) : undefined;
    const metadata = event.metadata;
    const actor = obj(event['actor']);
    const actorUser = obj(actor?.['user']);
    const user = obj(event['user']);
    const src = obj(event['src_endpoint']);
    const dst = obj(event['dst_endpoint']);

    this.putPlain('rt=', String(time));
    const uid = str(metadata.uid);
    this.add(' externalId=', uid, MAX.externalId);
    if (cutByExternalId(uid)) this.add(FLEX_UID, uid, MAX.flexString);
    this.add(' cat=', className(event), MAX.cat);
    this.add(' act=', activityName(event), MAX.act);
    if (finding) {
      const first = integer(info?.['first_seen_time']);
      if (first !== undefined) this.putPlain(' start=', first);
      const last = integer(info?.['last_seen_time']);
      if (last !== undefined) this.putPlain(' end=', last);
    } else this.add(' outcome=', str(event['status']) ?? (typeof event['status_id'] === 'number' ? STATUS_NAMES[event['status_id']] : undefined), MAX.outcome);
    if (actorUser !== undefined) {
      this.add(' suser=', str(actorUser['name']), MAX.suser);
      this.add(' suid=', str(actorUser['uid']), MAX.suid);
    }
    if (user !== undefined) {
      this.add(' duser=', str(user['name']), MAX.duser);
      this.add(' duid=', str(user['uid']), MAX.duid);
      this.add(' dntdom=', str(user['domain']), MAX.dntdom);
    }
    if (src !== undefined) {
      this.addIp(' src=', ' c6a2Label=Source IPv6 Address c6a2=', str(src['ip']));
      this.add(' shost=', str(src['hostname']), MAX.shost);
    }
    if (dst !== undefined) {
      this.addIp(' dst=', ' c6a3Label=Destination IPv6 Address c6a3=', str(dst['ip']));
      this.add(' dhost=', str(dst['hostname']), MAX.dhost);
    }
    if (event['privileges'] !== undefined) this.add(' dpriv=', joinList(event['privileges'], undefined, ', '), MAX.dpriv);

    this.addNumber(' cn1Label=ocsfTypeUid cn1=', integer(event.type_uid));
    this.addNumber(' cn2Label=ocsfSeverityId cn2=', integer(event.severity_id));
    if (finding) this.addNumber(' cn3Label=eventCount cn3=', integer(obj(event['unmapped'])?.['count']) ?? integer(info?.['related_events_count']));
    else this.addNumber(' cn3Label=riskScore cn3=', integer(user?.['risk_score']));

    this.addCustom(' cs1Label=product cs1=', str(metadata.product?.name));
    this.addCustom(' cs2Label=eventCode cs2=', str(metadata.event_code));
    if (finding) this.addCustom(' cs3Label=attackTechniques cs3=', attackIds(info?.['attacks']));
    else this.addCustom(' cs3Label=statusCode cs3=', str(event['status_code']));
    this.addCustom(' cs4Label=tenant cs4=', str(metadata.tenant_uid));
    if (finding) this.addCustom(' cs5Label=findingUid cs5=', str(info?.['uid']));
    else {
      const factors = event['auth_factors'] === undefined ? undefined : joinList(event['auth_factors'], 'factor_type', ', ');
      if (factors !== undefined) this.addCustom(' cs5Label=authFactors cs5=', factors);
      else if (event['group'] !== undefined) this.addCustom(' cs5Label=group cs5=', str(obj(event['group'])?.['name']));
    }
    if (finding) this.addCustom(' cs6Label=relatedEvents cs6=', joinList(info?.['related_events'], 'uid', ','));
    else this.addCustom(' cs6Label=sessionId cs6=', str(obj(event['session'])?.['uid']) ?? str(obj(actor?.['session'])?.['uid']));

    if (event['http_request'] !== undefined) this.add(' requestClientApplication=', str(obj(event['http_request'])?.['user_agent']), MAX.requestClientApplication);
    this.add(' reason=', finding ? str(info?.['desc']) : str(event['status_detail']), MAX.reason);
    this.add(' msg=', str(event['message']), MAX.msg);
  }

  /**
   * Cuts the message in `buf` to end by `limit`: the last value that starts early enough is cut
   * (at a character and escape boundary) and ends in MARKER; the pairs after it are dropped. A
   * custom field's label is written with its key, so no label is left without its value.
   */
  private cut(limit: number): void {
    const b = this.buf;
    const room = limit - MARKER_BYTES;
    for (let j = this.count - 1; j >= 0; j--) {
      const valueStart = this.valueStarts[j]!;
      const valueEnd = j + 1 < this.count ? this.starts[j + 1]! : this.off;
      if (valueStart === valueEnd || valueStart > room) continue;
      let i = valueStart;
      while (i < valueEnd) {
        const lead = b[i]!;
        // Inside an escaped value every backslash starts a two-byte escape.
        const size = lead === 0x5c ? 2 : lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        if (i + size > room) break;
        i += size;
      }
      this.off = i;
      this.text(MARKER, RAW);
      return;
    }
    throw new PermanentError('record_too_large', `cef exporter: the syslog and CEF headers alone exceed max_message_bytes (${this.options.maxMessageBytes})`);
  }

  /** The `bytes` message bytes at PREFIX_ROOM in `buf`, framed, copied into a buffer of their own. */
  private framedFromBuffer(bytes: number): Buffer {
    const b = this.buf;
    const framing = this.options.framing;
    let start = PREFIX_ROOM;
    let end = PREFIX_ROOM + bytes;
    if (framing === 'octet_counting') {
      const prefix = `${bytes} `;
      start -= prefix.length;
      for (let i = 0; i < prefix.length; i++) b[start + i] = prefix.charCodeAt(i);
    } else if (framing === 'lf') b[end++] = 0x0a;
    const out = Buffer.allocUnsafe(end - start);
    b.copy(out, 0, start, end);
    return out;
  }
}

const EXTENSION_SPECIAL = /[\\=\r\n]/;
/** The whole event id, when externalId had to cut it. */
const FLEX_UID = ' flexString1Label=eventUid flexString1=';

/** Whether externalId (40 characters) cuts this event id, which then also goes whole in flexString1 (Auth0's ids have 56). */
function cutByExternalId(uid: string | undefined): uid is string {
  return uid !== undefined && uid.length > MAX.externalId && truncateChars(uid, MAX.externalId) !== uid;
}
const LONE_SURROGATE = /[\ud800-\udfff]/;

/** ` key=value`, the value cut to `max` characters and escaped; '' when there is no value. */
function pair(keyEq: string, value: string | undefined, max: number): string {
  if (value === undefined) return '';
  if (value.length > max) value = truncateChars(value, max);
  return EXTENSION_SPECIAL.test(value) ? keyEq + value.replace(EXT_SPECIAL_G, extensionReplacer) : keyEq + value;
}

/** ` key=value` for a value that needs no escaping (a number); '' when there is none. */
function plainPair(keyEq: string, value: string | undefined): string {
  return value === undefined ? '' : keyEq + value;
}

/** `src=`/`dst=` for IPv4, the labelled custom IPv6 field for IPv6, nothing for anything else. */
function ipPair(v4KeyEq: string, v6LabelAndKey: string, ip: string | undefined): string {
  if (ip === undefined) return '';
  if (isIPv4(ip)) return v4KeyEq + ip;
  if (isIPv6(ip)) return v6LabelAndKey + ip;
  return '';
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
