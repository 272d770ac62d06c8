/**
 * OCSF events → OTLP log records, as protobuf (the official OTLP wire format) or OTLP/JSON. Pure:
 * no I/O, no clock (the caller passes `now`), no state beyond the options and a bounded cache of
 * encoded attribute keys (`KeyNode`), which changes the work but never the output.
 *
 * Each event is encoded once, as one LogRecord (the exporter's queue item), and a request is
 * framed around the already-encoded records by hand: ExportLogsServiceRequest → one ResourceLogs
 * (service.name, tenant) → one ScopeLogs → the records. Field numbers and wire types are those
 * of ../../shared/otlp/descriptor.ts (the OTLP definitions); the per-request envelope is written with protobufjs's
 * Writer, each LogRecord with ScratchWriter (same bytes, no per-field allocation), in field-number
 * order. The tests decode the bytes with the OpenTelemetry project's own generated code.
 *
 * The mapping (README.md, "Mapping") in short:
 * - timeUnixNano = OCSF `time` (ms) × 10⁶; observedTimeUnixNano = `metadata.logged_time`, else now;
 * - severityNumber from `severity_id`, severityText = OCSF `severity` (the caption);
 * - eventName = `ocsf.<class name>` (`ocsf.authentication`);
 * - attributes: every field flattened to dotted keys under a prefix (`ocsf.user.name`), arrays as
 *   array values (objects in them as kvlists); `log.record.uid` = `metadata.uid`; or, with
 *   `ocsfAs: 'body'`, the event as a kvlist body and only a few attributes;
 * - body (attributes mode) = the OCSF `message`;
 * - traceId/spanId from an OCSF `trace` object with valid hex ids.
 */
import protobuf from 'protobufjs';
import type { OcsfEvent, PipelineRecord } from '../../../core/api.js';
import { PermanentError } from '../../../core/errors.js';

const { Writer } = protobuf;
type ProtoWriter = protobuf.Writer;

function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

export type OcsfAs = 'attributes' | 'body';

export interface OtlpEncoderOptions {
  /** `attributes`: flattened OCSF fields as attributes, `message` as body. `body`: the event as a kvlist body. */
  readonly ocsfAs: OcsfAs;
  /** Prefix of every attribute key made from an OCSF field (`ocsf.`); may be empty. */
  readonly attributePrefix: string;
}

/** What every request of one tenant starts with. */
export interface OtlpEnvelope {
  /** Resource attributes in order (service.name, the tenant, the user's). */
  readonly resourceAttributes: readonly (readonly [string, string])[];
  readonly scopeName: string;
  readonly scopeVersion: string;
}

/** The OTel semantic-convention attribute for a log record's unique id (here: `metadata.uid`). */
export const LOG_RECORD_UID = 'log.record.uid';
/** The resource attribute carrying the pipeline's tenant. */
export const TENANT_ATTRIBUTE = 'authwire.tenant';
/** Nesting deeper than this is refused (`unencodable_record`): OCSF is shallow; a deeper value is a bug or a cycle. */
export const MAX_DEPTH = 32;

/** OCSF class names (the schema's `name`, snake_case) by class_uid, for eventName. */
export const OCSF_CLASS_NAMES: Readonly<Record<number, string>> = {
  2004: 'detection_finding',
  3001: 'account_change',
  3002: 'authentication',
  3003: 'authorize_session',
  3004: 'entity_management',
  3005: 'user_access',
  3006: 'group_management',
};

export interface OtlpSeverity {
  readonly number: number;
  readonly text: string;
}

/**
 * OCSF severity_id → OTel SeverityNumber. OCSF severities grade impact for a security analyst;
 * OTel's ranges grade urgency for an operator: Informational is routine (INFO), Low (a failed
 * login) deserves a look (WARN), Medium (lockouts, privilege grants) and High are what a SOC alerts
 * on (ERROR, ERROR3), Critical and Fatal are the top of the scale (FATAL, FATAL4).
 */
export const SEVERITY_NUMBERS: Readonly<Record<number, number>> = { 0: 0, 1: 9, 2: 13, 3: 17, 4: 19, 5: 21, 6: 24, 99: 0 };
const SEVERITY_CAPTIONS: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal', 99: 'Other' };

export function severityOf(event: OcsfEvent): OtlpSeverity {
  const id = event.severity_id;
  const caption = event['severity'];
  return {
    number: SEVERITY_NUMBERS[id] ?? 0,
    text: typeof caption === 'string' && caption !== '' ? caption : (SEVERITY_CAPTIONS[id] ?? ''),
  };
}

/** `ocsf.<class name>`: from the class table, else the event's class_name in snake_case, else `ocsf.class_<uid>`. */
export function eventNameOf(event: OcsfEvent): string {
  const known = OCSF_CLASS_NAMES[event.class_uid];
  if (known !== undefined) return `ocsf.${known}`;
  const name = event['class_name'];
  if (typeof name === 'string') {
    const snake = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
    if (snake !== '') return `ocsf.${snake}`;
  }
  return `ocsf.class_${event.class_uid}`;
}

/** An OCSF event, as opposed to a raw record (which has a `format` and no class_uid). */
export function isOcsfEvent(record: PipelineRecord): record is OcsfEvent {
  return typeof record === 'object' && record !== null && typeof (record as OcsfEvent).class_uid === 'number' && typeof (record as OcsfEvent).metadata === 'object';
}

/** Throws PermanentError `not_ocsf` for anything that is not an OCSF event (so it is dead-lettered). */
export function requireOcsf(record: PipelineRecord): OcsfEvent {
  if (isOcsfEvent(record)) return record;
  const format = typeof record === 'object' && record !== null && typeof (record as { format?: unknown }).format === 'string' ? (record as { format: string }).format : undefined;
  throw new PermanentError('not_ocsf', format === undefined ? 'not an OCSF event' : `a raw ${format} record, not an OCSF event: add the normalize processor to the pipeline`);
}

/** The latest time (epoch ms) whose nanoseconds fit fixed64 (year 2554); later times are written as 0, unknown. */
export const MAX_TIME_MS = 18_446_744_073_709;

/** Epoch ms → ns as (low, high) 32-bit halves, exactly (no BigInt on the hot path). */
function nanosHalves(ms: number, out: Uint32Array): void {
  if (!(ms > 0) || ms > MAX_TIME_MS) {
    out[0] = 0;
    out[1] = 0;
    return;
  }
  const whole = Math.floor(ms);
  const a = whole % 65536;
  const x = ((whole - a) / 65536) * 1e6; // < 2^47 for any date before year 285,000: exact
  const lowSum = (x % 65536) * 65536 + a * 1e6; // < 2^37: exact
  out[0] = lowSum % 4294967296;
  out[1] = Math.floor(x / 65536) + Math.floor(lowSum / 4294967296);
}

/** Epoch ms → ns as a decimal string (OTLP/JSON writes fixed64 as strings). */
export function nanosString(ms: number): string {
  if (!(ms > 0) || ms > MAX_TIME_MS) return '0';
  return `${Math.floor(ms)}000000`;
}

function timeOf(event: OcsfEvent): number {
  const time = event.time;
  return typeof time === 'number' && Number.isFinite(time) ? time : 0;
}

function observedOf(event: OcsfEvent, now: number): number {
  const logged = event.metadata.logged_time;
  return typeof logged === 'number' && Number.isFinite(logged) && logged > 0 ? logged : now;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

/** W3C ids from an OCSF `trace` object (`trace.uid`, `trace.span.uid`), lower-case hex, when valid and not all zero. */
export function traceIdsOf(event: OcsfEvent): { traceId: string; spanId: string | undefined } | undefined {
  const trace = event['trace'];
  if (typeof trace !== 'object' || trace === null) return undefined;
  const uid = (trace as { uid?: unknown }).uid;
  if (typeof uid !== 'string') return undefined;
  const traceId = uid.toLowerCase();
  if (!HEX32.test(traceId) || traceId === ZERO32) return undefined;
  const span = (trace as { span?: { uid?: unknown } }).span;
  const spanUid = typeof span === 'object' && span !== null && typeof span.uid === 'string' ? span.uid.toLowerCase() : undefined;
  return { traceId, spanId: spanUid !== undefined && HEX16.test(spanUid) && spanUid !== ZERO16 ? spanUid : undefined };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function tooDeep(): never {
  throw new PermanentError('unencodable_record', `the event nests deeper than ${MAX_DEPTH} levels`);
}

// ---------------------------------------------------------------------------------------------
// Protobuf

/** Wire tags: (field << 3) | wire type. */
const TAG = {
  anyString: 10, anyBool: 16, anyInt: 24, anyDouble: 33, anyArray: 42, anyKvlist: 50, anyBytes: 58,
  listValue: 10, kvKey: 10, kvValue: 18,
  recTime: 9, recSeverityNumber: 16, recSeverityText: 26, recBody: 42, recAttribute: 50, recTraceId: 74, recSpanId: 82, recObserved: 89, recEventName: 98,
} as const;

/**
 * A minimal protobuf writer over one reused scratch buffer: a nested message reserves one length
 * byte and is back-patched when it closes (shifting the content in the rare case its length
 * needs more than one varint byte). It writes the same bytes as protobufjs's Writer, without
 * protobufjs's per-field operation objects: the LogRecord of a normalized event has ~45
 * attributes, each two nested messages deep, and that allocation dominated encoding.
 */
class ScratchWriter {
  buf = Buffer.allocUnsafe(16_384);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  tag(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (value < 0) {
      // int64 of a negative safe integer: ten bytes of two's complement.
      let lo = value % 4294967296;
      let hi = Math.floor(value / 4294967296);
      lo = lo >>> 0;
      hi = hi >>> 0;
      while (hi > 0 || lo > 127) {
        buf[pos++] = (lo & 127) | 128;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      buf[pos++] = lo;
    } else {
      while (value > 127) {
        buf[pos++] = (value % 128) | 128;
        value = Math.floor(value / 128);
      }
      buf[pos++] = value;
    }
    this.pos = pos;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A length-delimited string (its length, then its UTF-8 bytes). */
  string(value: string): void {
    const count = value.length;
    this.ensure(count * 3 + 5);
    const buf = this.buf;
    if (count < 128) {
      // Short ASCII strings (keys, ids, names: nearly all of them) are copied by hand: a
      // Buffer.write call costs more than the copy itself at these lengths.
      const at = this.pos;
      let i = 0;
      for (; i < count; i++) {
        const c = value.charCodeAt(i);
        if (c >= 128) break;
        buf[at + 1 + i] = c;
      }
      if (i === count) {
        buf[at] = count;
        this.pos = at + 1 + count;
        return;
      }
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.pos += buf.write(value, this.pos, 'utf8');
  }

  /** Bytes as they are (an already encoded field). */
  raw(value: Uint8Array): void {
    const count = value.length;
    this.ensure(count);
    this.buf.set(value, this.pos);
    this.pos += count;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** Opens a nested message: reserves its one-byte length; returns where it is. */
  open(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Closes the nested message opened at `at`, writing its length. */
  close(at: number): void {
    const length = this.pos - at - 1;
    if (length < 128) {
      this.buf[at] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let value = length;
    let i = at;
    while (value > 127) {
      this.buf[i++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buf[i] = value;
  }

  /** A copy of what was written (the scratch buffer is reused). */
  take(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, 0, this.pos);
  }
}

/** Writes the content of an AnyValue (not its own tag and length). */
function protoAnyContent(w: ScratchWriter, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string':
      w.tag(TAG.anyString);
      w.string(value);
      return;
    case 'boolean':
      w.tag(TAG.anyBool);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        w.tag(TAG.anyInt);
        w.varint(value);
      } else {
        w.tag(TAG.anyDouble);
        w.double(value);
      }
      return;
    case 'bigint':
      if (value >= -9007199254740991n && value <= 9007199254740991n) {
        w.tag(TAG.anyInt);
        w.varint(Number(value));
      } else {
        w.tag(TAG.anyString);
        w.string(value.toString());
      }
      return;
    case 'object': {
      if (value === null) return; // an empty AnyValue
      if (depth >= MAX_DEPTH) tooDeep();
      if (value instanceof Uint8Array) {
        w.tag(TAG.anyBytes);
        w.bytes(value);
      } else if (Array.isArray(value)) {
        w.tag(TAG.anyArray);
        const list = w.open();
        for (let i = 0; i < value.length; i++) {
          w.tag(TAG.listValue);
          const item = w.open();
          protoAnyContent(w, value[i], depth + 1);
          w.close(item);
        }
        w.close(list);
      } else {
        w.tag(TAG.anyKvlist);
        const list = w.open();
        protoKvlistContent(w, value as Record<string, unknown>, depth + 1);
        w.close(list);
      }
      return;
    }
    default:
      return; // undefined, functions, symbols: an empty AnyValue (only reachable inside arrays)
  }
}

/** KeyValueList.values: one KeyValue per defined, non-null field. */
function protoKvlistContent(w: ScratchWriter, object: Record<string, unknown>, depth: number): void {
  for (const key in object) {
    const value = object[key];
    if (value === undefined || value === null) continue;
    protoKeyValue(w, TAG.listValue, key, value, depth);
  }
}

function protoKeyValue(w: ScratchWriter, tag: number, key: string, value: unknown, depth: number): void {
  w.tag(tag);
  const pair = w.open();
  w.tag(TAG.kvKey);
  w.string(key);
  protoKvValue(w, value, depth);
  w.close(pair);
}

/** KeyValue.value, after its key: the AnyValue field, tag and length included. */
function protoKvValue(w: ScratchWriter, value: unknown, depth: number): void {
  w.tag(TAG.kvValue);
  const any = w.open();
  protoAnyContent(w, value, depth);
  w.close(any);
}

/**
 * The flattened attribute keys under one prefix, as a tree that follows the events' nesting: per
 * field name, the encoded KeyValue.key field (tag, length and UTF-8 bytes of the dotted key) and
 * the node of a nested object. Field names from `for…in` are internalized strings, so a lookup is
 * a Map probe on a hash V8 already has; each dotted key is built and encoded once per process
 * instead of once per attribute of every event (that was half of encoding a record). It changes
 * no output, only the work. Bounded: past MAX_CACHED_KEYS keys in all (the free-form `unmapped`
 * objects could bring any number), further keys are encoded on the fly and not kept.
 */
class KeyNode {
  readonly keys = new Map<string, Uint8Array>();
  /** The same for OTLP/JSON: `{"key":"<the dotted key>","value":`. */
  readonly jsonKeys = new Map<string, string>();
  readonly children = new Map<string, KeyNode>();
  constructor(readonly path: string) {}
}

export const MAX_CACHED_KEYS = 20_000;
let cachedKeys = 0;

/** Keys and nested paths cached so far, in all (at most MAX_CACHED_KEYS). */
export function cachedKeyCount(): number {
  return cachedKeys;
}

const keyRoots = new Map<string, KeyNode>();

function keyRoot(prefix: string): KeyNode {
  let root = keyRoots.get(prefix);
  if (root === undefined) {
    root = new KeyNode(prefix);
    // A prefix comes from an exporter's config: a handful per process; the bound is for safety.
    if (keyRoots.size < 64) keyRoots.set(prefix, root);
  }
  return root;
}

/** Keeps `value` under `name` while the cache has room; returns it either way. */
function remember<T>(map: Map<string, T>, name: string, value: T): T {
  if (cachedKeys < MAX_CACHED_KEYS) {
    map.set(name, value);
    cachedKeys++;
  }
  return value;
}

function childNode(node: KeyNode, name: string): KeyNode {
  return node.children.get(name) ?? remember(node.children, name, new KeyNode(`${node.path}${name}.`));
}

/** The KeyValue.key field (tag included) of `node.path + name`. */
function keyField(node: KeyNode, name: string): Uint8Array {
  return node.keys.get(name) ?? remember(node.keys, name, encodeKeyField(node.path + name));
}

function encodeKeyField(key: string): Uint8Array {
  const text = Buffer.from(key, 'utf8');
  const length = varintSize(text.length);
  const field = new Uint8Array(1 + length + text.length);
  field[0] = TAG.kvKey;
  writeVarint(field, 1, text.length);
  field.set(text, 1 + length);
  return field;
}

/** `{"key":"<node.path + name>","value":` (OTLP/JSON). */
function jsonKeyField(node: KeyNode, name: string): string {
  return node.jsonKeys.get(name) ?? remember(node.jsonKeys, name, `{"key":${JSON.stringify(node.path + name)},"value":`);
}

/** Flattened attributes: nested objects become dotted keys; arrays and scalars are leaves. */
function protoFlatten(w: ScratchWriter, object: Record<string, unknown>, node: KeyNode, depth: number): void {
  if (depth >= MAX_DEPTH) tooDeep();
  for (const key in object) {
    const value = object[key];
    if (value === undefined || value === null) continue;
    if (isPlainObject(value)) {
      protoFlatten(w, value, childNode(node, key), depth + 1);
      continue;
    }
    w.tag(TAG.recAttribute);
    const pair = w.open();
    w.raw(keyField(node, key));
    protoKvValue(w, value, depth + 1);
    w.close(pair);
  }
}

const halves = new Uint32Array(2);
const scratch = new ScratchWriter();

/** One OCSF event as the bytes of one OTLP LogRecord message. */
export function encodeLogRecordProto(event: OcsfEvent, options: OtlpEncoderOptions, now: number): Uint8Array {
  const w = scratch;
  w.reset();
  try {
    nanosHalves(timeOf(event), halves);
    w.tag(TAG.recTime);
    w.fixed32(halves[0]!);
    w.fixed32(halves[1]!);
    const severity = severityOf(event);
    if (severity.number !== 0) {
      w.tag(TAG.recSeverityNumber);
      w.varint(severity.number);
    }
    if (severity.text !== '') {
      w.tag(TAG.recSeverityText);
      w.string(severity.text);
    }
    const prefix = options.attributePrefix;
    const uid = event.metadata.uid;
    if (options.ocsfAs === 'attributes') {
      const message = event['message'];
      if (typeof message === 'string' && message !== '') {
        w.tag(TAG.recBody);
        const body = w.open();
        w.tag(TAG.anyString);
        w.string(message);
        w.close(body);
      }
      if (typeof uid === 'string' && uid !== '') protoKeyValue(w, TAG.recAttribute, LOG_RECORD_UID, uid, 0);
      protoFlatten(w, event, keyRoot(prefix), 0);
    } else {
      w.tag(TAG.recBody);
      const body = w.open();
      w.tag(TAG.anyKvlist);
      const list = w.open();
      protoKvlistContent(w, event, 1);
      w.close(list);
      w.close(body);
      if (typeof uid === 'string' && uid !== '') protoKeyValue(w, TAG.recAttribute, LOG_RECORD_UID, uid, 0);
      protoKeyValue(w, TAG.recAttribute, `${prefix}class_uid`, event.class_uid, 0);
      protoKeyValue(w, TAG.recAttribute, `${prefix}type_uid`, event.type_uid, 0);
    }
    const ids = traceIdsOf(event);
    if (ids !== undefined) {
      w.tag(TAG.recTraceId);
      w.bytes(Buffer.from(ids.traceId, 'hex'));
      if (ids.spanId !== undefined) {
        w.tag(TAG.recSpanId);
        w.bytes(Buffer.from(ids.spanId, 'hex'));
      }
    }
    nanosHalves(observedOf(event, now), halves);
    w.tag(TAG.recObserved);
    w.fixed32(halves[0]!);
    w.fixed32(halves[1]!);
    w.tag(TAG.recEventName);
    w.string(eventNameOf(event));
    return w.take();
  } finally {
    // A huge event must not keep a huge scratch buffer alive.
    if (w.buf.length > 1_048_576) w.buf = Buffer.allocUnsafe(16_384);
  }
}

function protoStringKeyValues(w: ProtoWriter, tag: number, pairs: readonly (readonly [string, string])[]): void {
  for (const [key, value] of pairs) {
    w.uint32(tag).fork();
    w.uint32(TAG.kvKey).string(key);
    w.uint32(TAG.kvValue).fork().uint32(TAG.anyString).string(value).ldelim();
    w.ldelim();
  }
}

/** The constant parts of a protobuf request: the ResourceLogs.resource and ScopeLogs.scope fields, tags included. */
export interface ProtoEnvelope {
  readonly resourceField: Uint8Array;
  readonly scopeField: Uint8Array;
}

export function protoEnvelope(envelope: OtlpEnvelope): ProtoEnvelope {
  const resource = Writer.create();
  resource.uint32(10).fork(); // ResourceLogs.resource
  protoStringKeyValues(resource, 10, envelope.resourceAttributes); // Resource.attributes
  resource.ldelim();
  const scope = Writer.create();
  scope.uint32(10).fork(); // ScopeLogs.scope
  scope.uint32(10).string(envelope.scopeName);
  if (envelope.scopeVersion !== '') scope.uint32(18).string(envelope.scopeVersion);
  scope.ldelim();
  return { resourceField: resource.finish(), scopeField: scope.finish() };
}

function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    buffer[offset++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  buffer[offset++] = value;
  return offset;
}

/** An ExportLogsServiceRequest around records already encoded by `encodeLogRecordProto`, in one allocation. */
export function frameProtoRequest(envelope: ProtoEnvelope, records: readonly Uint8Array[]): Buffer {
  let scopeLogs = envelope.scopeField.length;
  for (let i = 0; i < records.length; i++) {
    const length = records[i]!.length;
    scopeLogs += 1 + varintSize(length) + length;
  }
  const resourceLogs = envelope.resourceField.length + 1 + varintSize(scopeLogs) + scopeLogs;
  const total = 1 + varintSize(resourceLogs) + resourceLogs;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  out[at++] = 10; // ExportLogsServiceRequest.resource_logs
  at = writeVarint(out, at, resourceLogs);
  out.set(envelope.resourceField, at);
  at += envelope.resourceField.length;
  out[at++] = 18; // ResourceLogs.scope_logs
  at = writeVarint(out, at, scopeLogs);
  out.set(envelope.scopeField, at);
  at += envelope.scopeField.length;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    out[at++] = 18; // ScopeLogs.log_records
    at = writeVarint(out, at, record.length);
    out.set(record, at);
    at += record.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON: proto3 JSON with the OTLP rules: lowerCamelCase keys, 64-bit integers as decimal
// strings, enums as integers, trace and span ids as hex (not base64), default values left out.

function jsonDouble(value: number): string {
  if (Number.isFinite(value)) return String(value);
  return Number.isNaN(value) ? '"NaN"' : value > 0 ? '"Infinity"' : '"-Infinity"';
}

function jsonAny(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${JSON.stringify(value)}}`;
    case 'boolean':
      return value ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'number':
      return Number.isSafeInteger(value) ? `{"intValue":"${value}"}` : `{"doubleValue":${jsonDouble(value)}}`;
    case 'bigint':
      return value >= -9223372036854775808n && value <= 9223372036854775807n ? `{"intValue":"${value}"}` : `{"stringValue":"${value}"}`;
    case 'object': {
      if (value === null) return '{}';
      if (depth >= MAX_DEPTH) tooDeep();
      if (value instanceof Uint8Array) return `{"bytesValue":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
      if (Array.isArray(value)) {
        let out = '{"arrayValue":{"values":[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + jsonAny(value[i], depth + 1);
        return `${out}]}}`;
      }
      return `{"kvlistValue":{"values":[${jsonKeyValues(value as Record<string, unknown>, depth + 1)}]}}`;
    }
    default:
      return '{}';
  }
}

function jsonKeyValues(object: Record<string, unknown>, depth: number): string {
  let out = '';
  for (const key in object) {
    const value = object[key];
    if (value === undefined || value === null) continue;
    out += `${out === '' ? '' : ','}{"key":${JSON.stringify(key)},"value":${jsonAny(value, depth)}}`;
  }
  return out;
}

function jsonFlatten(object: Record<string, unknown>, node: KeyNode, depth: number, out: string[]): void {
  if (depth >= MAX_DEPTH) tooDeep();
  for (const key in object) {
    const value = object[key];
    if (value === undefined || value === null) continue;
    if (isPlainObject(value)) jsonFlatten(value, childNode(node, key), depth + 1, out);
    else out.push(jsonKeyField(node, key) + jsonAny(value, depth + 1) + '}');
  }
}

/** One OCSF event as one OTLP/JSON LogRecord object. */
export function encodeLogRecordJson(event: OcsfEvent, options: OtlpEncoderOptions, now: number): string {
  const severity = severityOf(event);
  let out = `{"timeUnixNano":"${nanosString(timeOf(event))}","observedTimeUnixNano":"${nanosString(observedOf(event, now))}"`;
  if (severity.number !== 0) out += `,"severityNumber":${severity.number}`;
  if (severity.text !== '') out += `,"severityText":${JSON.stringify(severity.text)}`;
  const prefix = options.attributePrefix;
  const attributes: string[] = [];
  const uid = event.metadata.uid;
  if (typeof uid === 'string' && uid !== '') attributes.push(`{"key":"${LOG_RECORD_UID}","value":${jsonAny(uid, 0)}}`);
  if (options.ocsfAs === 'attributes') {
    const message = event['message'];
    if (typeof message === 'string' && message !== '') out += `,"body":{"stringValue":${JSON.stringify(message)}}`;
    jsonFlatten(event, keyRoot(prefix), 0, attributes);
  } else {
    out += `,"body":{"kvlistValue":{"values":[${jsonKeyValues(event, 1)}]}}`;
    attributes.push(`{"key":${JSON.stringify(`${prefix}class_uid`)},"value":${jsonAny(event.class_uid, 0)}}`);
    attributes.push(`{"key":${JSON.stringify(`${prefix}type_uid`)},"value":${jsonAny(event.type_uid, 0)}}`);
  }
  if (attributes.length > 0) out += `,"attributes":[${attributes.join(',')}]`;
  const ids = traceIdsOf(event);
  if (ids !== undefined) {
    out += `,"traceId":"${ids.traceId}"`;
    if (ids.spanId !== undefined) out += `,"spanId":"${ids.spanId}"`;
  }
  return `${out},"eventName":${JSON.stringify(eventNameOf(event))}}`;
}

/** The constant text before and after the records of a JSON request. */
export interface JsonEnvelope {
  readonly head: string;
  readonly tail: string;
}

export function jsonEnvelope(envelope: OtlpEnvelope): JsonEnvelope {
  const attributes = envelope.resourceAttributes.map(([key, value]) => `{"key":${JSON.stringify(key)},"value":{"stringValue":${JSON.stringify(value)}}}`).join(',');
  const scope = envelope.scopeVersion === '' ? `{"name":${JSON.stringify(envelope.scopeName)}}` : `{"name":${JSON.stringify(envelope.scopeName)},"version":${JSON.stringify(envelope.scopeVersion)}}`;
  return { head: `{"resourceLogs":[{"resource":{"attributes":[${attributes}]},"scopeLogs":[{"scope":${scope},"logRecords":[`, tail: ']}]}]}' };
}

/** An ExportLogsServiceRequest (OTLP/JSON) around records encoded by `encodeLogRecordJson`. */
export function frameJsonRequest(envelope: JsonEnvelope, records: readonly string[]): string {
  return envelope.head + records.join(',') + envelope.tail;
}
