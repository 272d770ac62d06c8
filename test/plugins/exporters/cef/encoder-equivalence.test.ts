/**
 * The string fast path of CefEncoder against the byte writer it replaced (kept below, verbatim
 * but for the class name, as the reference): identical bytes for every framing, syslog format
 * and cap, over the real normalizer's output for every golden input, Detection Findings, and
 * thousands of generated events full of characters that need escaping, non-ASCII text, lone
 * surrogates, over-long values, values of unexpected types and messages over the cap.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import type { OcsfEvent, PipelineRecord } from '../../../../core/api.js';
import { PermanentError } from '../../../../core/errors.js';
import { CefEncoder } from '../../../../plugins/exporters/cef/encoder.js';
import type { CefEncoderOptions } from '../../../../plugins/exporters/cef/encoder.js';
import type { SyslogFormat } from '../../../../plugins/exporters/cef/config.js';
import { ACTIVITY_NAMES, CLASS_NAMES, STATUS_NAMES, createEvent } from '../../../../plugins/processors/normalize/ocsf.js';
import { mulberry32 } from '../../../helpers.js';
import { builtinFindings, normalizedGoldens } from '../normalized.js';
import { authEvent, detectionEvent } from '../testrecords.js';



const random = mulberry32;

const PIECES = ['a', 'Z', '0', ' ', '=', '|', '\\', '"', '\r', '\n', '\r\n', '\t', '\u0000', '\u001f', '\u007f', 'é', 'ü', '日本', '\u2028', '😀', '\ud800', '\udfff', '\udc00x', '…', 'user@example.com', '203.0.113.7', '2001:db8::1'];

function generator(seed: number): { text(maxPieces?: number): string; value(): unknown; pick<T>(items: readonly T[]): T; chance(p: number): boolean } {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number): boolean => next() < p;
  const text = (maxPieces = 12): string => {
    if (chance(0.03)) return pick(['x', '😀', 'é', '=', '\\']).repeat(200 + Math.floor(next() * 5000)); // over the dictionary maximum, or the cap
    let out = '';
    const n = Math.floor(next() * maxPieces);
    for (let i = 0; i < n; i++) out += chance(0.6) ? pick(['user', 'Okta', 'Logon', 'x', 'admin', '42']) : pick(PIECES);
    return out;
  };
  const value = (): unknown => {
    const r = next();
    if (r < 0.55) return text();
    if (r < 0.65) return pick([0, -0, 1, 42, 1.5, -7, 1e21, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, 1714591202000]);
    if (r < 0.7) return pick([true, false, null, undefined, '']);
    if (r < 0.8) return [text(), { name: text(), uid: text(), factor_type: text() }, 3];
    return { name: text(), uid: text() };
  };
  return { text, value, pick, chance };
}

function generatedEvents(seed: number, count: number): OcsfEvent[] {
  const g = generator(seed);
  const maybe = <T>(make: () => T, p = 0.7): T | undefined => (g.chance(p) ? make() : undefined);
  const events: OcsfEvent[] = [];
  for (let i = 0; i < count; i++) {
    const finding = g.chance(0.2);
    const classUid = finding ? 2004 : g.pick([3001, 3002, 3005, 3006] as const);
    const event = createEvent({
      classUid: classUid === 2004 ? 3002 : classUid, activityId: g.pick([0, 1, 2, 3, 4, 7, 99, 42]), time: g.pick([0, 999, 1714591201123, 1714540802007, 253402300799999]) + i,
      statusId: g.pick([0, 1, 2, 99, 5]), severityId: g.pick([0, 1, 2, 3, 4, 5, 6, 99, 7]), product: { name: g.text(), vendor_name: g.text() }, uid: g.text(),
      eventCode: g.text(), originalTime: g.text(), format: g.text(), tenant: g.text(), observedTime: 1714591201123,
    }) as unknown as Record<string, unknown>;
    if (finding) event['class_uid'] = 2004;
    for (const key of ['class_name', 'activity_name', 'type_name', 'status', 'status_code', 'status_detail', 'message', 'severity_id', 'type_uid', 'status_id']) if (g.chance(0.3)) event[key] = g.value();
    event['actor'] = maybe(() => ({ user: maybe(() => ({ name: g.value(), uid: g.value() })), session: maybe(() => ({ uid: g.value() })) }));
    event['user'] = maybe(() => ({ name: g.value(), uid: g.value(), domain: g.value(), risk_score: g.pick([12, 3.7, -1, Number.NaN, '9', undefined]) }));
    event['src_endpoint'] = maybe(() => ({ ip: g.pick(['203.0.113.7', '2001:db8::7', '::ffff:1.2.3.4', 'not-an-ip', '', 7, '1.2.3.256']), hostname: g.value() }));
    event['dst_endpoint'] = maybe(() => ({ ip: g.pick(['198.51.100.1', 'fe80::1%eth0', 'x']), hostname: g.value() }), 0.3);
    event['privileges'] = maybe(() => [g.value(), g.value(), g.text()], 0.2);
    event['auth_factors'] = maybe(() => (g.chance(0.2) ? [] : [{ factor_type: g.value() }, { factor_type: g.text() }]), 0.3);
    event['group'] = maybe(() => (g.chance(0.1) ? g.value() : { name: g.value() }), 0.2);
    event['session'] = maybe(() => ({ uid: g.value() }), 0.4);
    event['http_request'] = maybe(() => ({ user_agent: g.value() }), 0.5);
    const metadata = event['metadata'] as Record<string, unknown>;
    if (g.chance(0.1)) metadata['product'] = g.chance(0.5) ? undefined : { name: g.value() };
    if (finding) {
      event['finding_info'] = maybe(() => ({
        uid: g.value(), title: g.value(), desc: g.value(), analytic: maybe(() => ({ uid: g.value() })),
        attacks: maybe(() => [{ technique: { uid: g.text() }, sub_technique: maybe(() => ({ uid: g.text() }), 0.5) }, g.value()]),
        first_seen_time: g.pick([1714591000000, 1.5, Number.NaN, '1', undefined]), last_seen_time: g.pick([1714591203000, -3.7, undefined]),
        related_events: maybe(() => [{ uid: g.value() }, { uid: g.text() }, g.value()]), related_events_count: g.pick([2, 2.5, undefined]),
      }), 0.9);
      event['unmapped'] = maybe(() => ({ count: g.pick([12, 7.9, '3', undefined]) }), 0.5);
    }
    events.push(event as unknown as OcsfEvent);
  }
  return events;
}

function outcome(fn: () => Buffer | string): string {
  try {
    const out = fn();
    return typeof out === 'string' ? `text:${out}` : `bytes:${out.toString('hex')}`;
  } catch (error) {
    const e = error as { code?: string; message: string };
    return `error:${e.code ?? 'none'}:${e.message}`;
  }
}

const SETUPS: CefEncoderOptions[] = [];
for (const syslogFormat of ['rfc5424', 'rfc3164'] as const) {
  for (const framing of ['octet_counting', 'lf', 'none'] as const) {
    for (const maxMessageBytes of [1024, 2000, 8192, 65000]) {
      SETUPS.push({ deviceVendor: 'auth|wire\\', deviceProduct: 'authwire', deviceVersion: '0.1.0', syslogFormat, framing, facility: 20, appName: 'authwire', hostname: 'collector-1', maxMessageBytes });
    }
  }
}

function assertSameAsReference(events: readonly OcsfEvent[], what: string): void {
  for (const options of SETUPS) {
    const encoder = new CefEncoder(options);
    const reference = new ReferenceCefEncoder(options);
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const label = `${what} #${i} (${options.syslogFormat}, ${options.framing}, ${options.maxMessageBytes})`;
      assert.equal(outcome(() => encoder.encode(event)), outcome(() => reference.encode(event)), label);
      assert.equal(outcome(() => encoder.cef(event)), outcome(() => reference.cef(event)), label);
    }
  }
}

test('same bytes as the byte writer: the real normalizer over every golden input, and the built-in findings', () => {
  const events = [...normalizedGoldens(), ...builtinFindings(), authEvent, detectionEvent];
  assert.ok(events.length > 200);
  assertSameAsReference(events, 'golden');
});

test('same bytes as the byte writer: 3000 generated events (escapes, non-ASCII, lone surrogates, long values, odd types, over the cap)', () => {
  assertSameAsReference(generatedEvents(1, 3000), 'generated');
});

test('same bytes for messages just under, at and over the cap, and for the same encoder reused across sizes', () => {
  const options = SETUPS.find((o) => o.maxMessageBytes === 1024 && o.framing === 'octet_counting')!;
  const encoder = new CefEncoder(options);
  const reference = new ReferenceCefEncoder(options);
  for (let n = 300; n < 1100; n++) {
    for (const filler of ['a', 'é', '😀', '=', '\ud800']) {
      const event = { ...authEvent, message: filler.repeat(n >> (filler.length === 2 ? 1 : 0)) };
      assert.equal(outcome(() => encoder.encode(event)), outcome(() => reference.encode(event)), `${filler} x ${n}`);
    }
  }
});

// ---- The reference: plugins/exporters/cef/encoder.ts before the string fast path, verbatim
// ---- except that the class is ReferenceCefEncoder and nothing is exported.
/** What marks a cut value: one character (U+2026), three bytes in UTF-8. */
const MARKER = '\u2026';
const MARKER_BYTES = 3;
/** Bytes reserved before a message for its octet count and space (`65000 ` at most). */
const PREFIX_ROOM = 8;

const DETECTION_FINDING = 2004;

/** Maximum lengths from the ArcSight CEF extension dictionary (characters). */
const MAX = {
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
const CEF_SEVERITY: Readonly<Record<number, number>> = { 0: 0, 1: 1, 2: 3, 3: 5, 4: 7, 5: 9, 6: 10, 99: 5 };
/** OCSF severity_id -> syslog severity (RFC 5424 numeric code, 0 emergency … 7 debug). */
const SYSLOG_SEVERITY: Readonly<Record<number, number>> = { 0: 6, 1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1, 99: 5 };

function cefSeverity(severityId: unknown): number {
  return (typeof severityId === 'number' ? CEF_SEVERITY[severityId] : undefined) ?? 0;
}

function syslogSeverity(severityId: unknown): number {
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
function escapeHeaderValue(value: string): string {
  return HEADER_SPECIAL.test(value) ? value.replace(HEADER_SPECIAL_G, headerReplacer) : value;
}

/** A CEF extension value: `\` -> `\\`, `=` -> `\=`, CR -> `\r`, LF -> `\n`. */
function escapeExtensionValue(value: string): string {
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
function truncateChars(value: string, max: number): string {
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
function cutBytes(text: string, maxBytes: number, escapes: boolean): string {
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
function isOcsfEvent(record: unknown): record is OcsfEvent {
  return typeof record === 'object' && record !== null && typeof (record as { class_uid?: unknown }).class_uid === 'number';
}

class ReferenceCefEncoder {
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
    this.off = PREFIX_ROOM;
    this.text(this.syslogHeader(record.severity_id, time), RAW);
    this.writeCefHeader(record);
    this.collect(record, time);
    if (this.off - PREFIX_ROOM > this.options.maxMessageBytes) this.cut(PREFIX_ROOM + this.options.maxMessageBytes);
    return this.framedFromBuffer(this.off - PREFIX_ROOM);
  }

  /** The CEF text of an event (no syslog header, no size cap). */
  cef(event: OcsfEvent): string {
    const time = eventTime(event);
    this.off = PREFIX_ROOM;
    this.writeCefHeader(event);
    this.collect(event, time);
    return this.buf.toString('utf8', PREFIX_ROOM, this.off);
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

  private writeCefHeader(event: OcsfEvent): void {
    let signature: string | undefined;
    let name: string | undefined;
    if (event.class_uid === DETECTION_FINDING) {
      const info = obj(event['finding_info']);
      signature = str(obj(info?.['analytic'])?.['uid']) ?? str(event.metadata.event_code);
      name = str(info?.['title']);
    }
    signature ??= integer(event.type_uid) ?? String(event.class_uid * 100 + event.activity_id);
    name ??= str(event['type_name']) ?? `${className(event)}: ${activityName(event)}`;
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
    this.add(' externalId=', str(metadata.uid), MAX.externalId);
    // Added with flexString1 (2026-11-24): the whole event id when externalId cuts it.
    const uid = str(metadata.uid);
    if (uid !== undefined && truncateChars(uid, MAX.externalId) !== uid) this.add(' flexString1Label=eventUid flexString1=', uid, 1023);
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
