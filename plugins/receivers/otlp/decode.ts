/**
 * ExportLogsServiceRequest (protobuf or OTLP/JSON) → raw records. Pure: no I/O, no clock.
 *
 * Both encodings are walked by the same code: protobufjs's decoded messages and JSON.parse's
 * objects have the same camelCase shape, and a field that was sent is an own property in both
 * (protobufjs keeps defaults on the prototype), so `hasOwn` tells which AnyValue case is set.
 * They differ only in scalars: int64 is a Long (protobuf) or a decimal string / number (JSON),
 * bytes are a Uint8Array (protobuf) or base64 text (JSON).
 *
 * Per log record:
 * - payload: a string body as is (JSON text for JSON-speaking vendors, a line for linux.auth);
 *   a kvlist body as a plain object; a bytes body as a Buffer. Other bodies (bool, numbers,
 *   arrays), and empty ones, are rejected;
 * - attributes: resource attributes, then `otel.scope.name` / `otel.scope.version` and the scope's
 *   attributes, then the record's own: a later key wins (the record's over its scope's over its
 *   resource's);
 * - format: the `format_attribute` value (from that merged map), else the configured format.
 */
import type { DeadLetter, RawRecord } from '../../../core/api.js';
import { ExportLogsServiceRequestType } from '../../shared/otlp/messages.js';
import { FORMAT_REGEXP } from './config.js';

/** AnyValues nested deeper than this are refused (the record is rejected). */
export const MAX_DEPTH = 32;
export const SCOPE_NAME_ATTRIBUTE = 'otel.scope.name';
export const SCOPE_VERSION_ATTRIBUTE = 'otel.scope.version';

/** Why a log record was not taken; also the dead-letter reason. */
export const REJECT = {
  EMPTY_BODY: 'empty_body',
  UNSUPPORTED_BODY: 'unsupported_body',
  INVALID_ATTRIBUTES: 'invalid_attributes',
  MISSING_FORMAT: 'missing_format',
  INVALID_FORMAT: 'invalid_format',
} as const;

/** The request cannot be read at all (HTTP 400, gRPC INVALID_ARGUMENT). */
export class MalformedRequestError extends Error {
  readonly code = 'malformed_request';
}

class TooDeepError extends Error {}

type Obj = Record<string, unknown>;

const hasOwn = Object.prototype.hasOwnProperty;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a key as an own property, `__proto__` included (a plain assignment would change the prototype). */
function put(target: Obj, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Decodes a protobuf ExportLogsServiceRequest; MalformedRequestError when it is not one. */
export function decodeProtoRequest(bytes: Uint8Array): Obj {
  try {
    return ExportLogsServiceRequestType.decode(bytes) as unknown as Obj;
  } catch (error) {
    throw new MalformedRequestError(`not a protobuf ExportLogsServiceRequest: ${(error as Error).message}`);
  }
}

/** Parses an OTLP/JSON ExportLogsServiceRequest; MalformedRequestError when it is not one. */
export function parseJsonRequest(text: string): Obj {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MalformedRequestError(`not JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new MalformedRequestError('an OTLP/JSON request is a JSON object');
  return value;
}

function int64(value: unknown): number | string | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const n = Number(value);
    return /^-?\d+$/.test(value.trim()) && Number.isSafeInteger(n) ? n : value;
  }
  if (isObject(value) && typeof value['toNumber'] === 'function') {
    const long = value as unknown as { toNumber(): number; toString(): string };
    const n = long.toNumber();
    return Number.isSafeInteger(n) ? n : long.toString();
  }
  return null;
}

function double(value: unknown): number | string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value); // "NaN", "Infinity": JSON has no such numbers
  if (typeof value === 'string') return value;
  return null;
}

function bytesOf(value: unknown): Buffer | null {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return null;
}

/** An AnyValue as a JSON value: kvlists as objects, arrays as arrays, bytes as base64, an empty AnyValue as null. */
export function anyValueToJson(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new TooDeepError(`nested deeper than ${MAX_DEPTH} levels`);
  if (!isObject(value)) return null;
  if (hasOwn.call(value, 'stringValue')) return typeof value['stringValue'] === 'string' ? value['stringValue'] : null;
  if (hasOwn.call(value, 'boolValue')) return typeof value['boolValue'] === 'boolean' ? value['boolValue'] : null;
  if (hasOwn.call(value, 'intValue')) return int64(value['intValue']);
  if (hasOwn.call(value, 'doubleValue')) return double(value['doubleValue']);
  if (hasOwn.call(value, 'kvlistValue')) return keyValuesToObject(listOf(value['kvlistValue']), depth + 1);
  if (hasOwn.call(value, 'arrayValue')) {
    const values = listOf(value['arrayValue']);
    const out = new Array<unknown>(values.length);
    for (let i = 0; i < values.length; i++) out[i] = anyValueToJson(values[i], depth + 1);
    return out;
  }
  if (hasOwn.call(value, 'bytesValue')) {
    const bytes = bytesOf(value['bytesValue']);
    return bytes === null ? null : bytes.toString('base64');
  }
  return null;
}

function listOf(container: unknown): unknown[] {
  if (!isObject(container)) return [];
  const values = container['values'];
  return Array.isArray(values) ? values : [];
}

/** KeyValue[] as an object; a repeated key: the last wins. */
function keyValuesToObject(list: unknown, depth: number, into: Obj = {}): Obj {
  if (!Array.isArray(list)) return into;
  for (const kv of list) {
    if (!isObject(kv) || typeof kv['key'] !== 'string') continue;
    put(into, kv['key'], anyValueToJson(kv['value'], depth));
  }
  return into;
}

function arrayField(owner: Obj, field: string, where: string): unknown[] {
  const value = owner[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedRequestError(`${where}.${field} is not an array`);
  return value;
}

function objectField(owner: Obj, field: string, where: string): Obj | undefined {
  const value = owner[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new MalformedRequestError(`${where}.${field} is not an object`);
  return value;
}

export interface ConvertOptions {
  /** The receiver's component id (RawRecord.source). */
  readonly source: string;
  /** When the request arrived, epoch ms (RawRecord.observedTime). */
  readonly observedTime: number;
  /** The configured format; undefined = records must name theirs. */
  readonly format: string | undefined;
  /** '' = never read a format from attributes. */
  readonly formatAttribute: string;
}

export interface Conversion {
  readonly records: RawRecord[];
  /** Rejected log records, ready for the dead-letter output. */
  readonly rejected: DeadLetter[];
  /** Log records in the request (taken + rejected). */
  readonly total: number;
}

type BodyResult = { payload: unknown } | { reason: string; detail: string };

function bodyOf(body: unknown): BodyResult {
  if (!isObject(body)) return { reason: REJECT.EMPTY_BODY, detail: 'the log record has no body' };
  if (hasOwn.call(body, 'stringValue')) {
    const text = body['stringValue'];
    if (typeof text !== 'string' || text === '') return { reason: REJECT.EMPTY_BODY, detail: 'the body is an empty string' };
    return { payload: text };
  }
  if (hasOwn.call(body, 'kvlistValue')) {
    const list = listOf(body['kvlistValue']);
    if (list.length === 0) return { reason: REJECT.EMPTY_BODY, detail: 'the body is an empty kvlist' };
    try {
      return { payload: keyValuesToObject(list, 1) };
    } catch (error) {
      return { reason: REJECT.UNSUPPORTED_BODY, detail: `the kvlist body is ${(error as Error).message}` };
    }
  }
  if (hasOwn.call(body, 'bytesValue')) {
    const bytes = bytesOf(body['bytesValue']);
    if (bytes === null || bytes.length === 0) return { reason: REJECT.EMPTY_BODY, detail: 'the body is empty bytes' };
    return { payload: bytes };
  }
  for (const kind of ['boolValue', 'intValue', 'doubleValue', 'arrayValue']) {
    if (hasOwn.call(body, kind)) return { reason: REJECT.UNSUPPORTED_BODY, detail: `the body is a ${kind}; a vendor event is a string, kvlist or bytes body` };
  }
  return { reason: REJECT.EMPTY_BODY, detail: 'the body holds no value' };
}

/** What a rejected record looked like, for its dead letter: its body and attributes as JSON values. */
function originalOf(record: Obj): unknown {
  let body: unknown;
  try {
    body = anyValueToJson(record['body']);
  } catch (error) {
    body = `(${(error as Error).message})`;
  }
  let attributes: unknown;
  try {
    attributes = keyValuesToObject(record['attributes'], 0);
  } catch (error) {
    attributes = `(${(error as Error).message})`;
  }
  return { body, attributes };
}

/**
 * The raw records of a decoded request, in request order, and the dead letters of the records it
 * cannot take. MalformedRequestError when the request's structure is wrong (a JSON field of the
 * wrong type), which refuses the whole request.
 */
export function toRawRecords(request: Obj, options: ConvertOptions): Conversion {
  const records: RawRecord[] = [];
  const rejected: DeadLetter[] = [];
  let total = 0;
  const resourceLogs = arrayField(request, 'resourceLogs', 'request');
  for (let r = 0; r < resourceLogs.length; r++) {
    const rl = resourceLogs[r];
    const rlWhere = `resourceLogs[${r}]`;
    if (!isObject(rl)) throw new MalformedRequestError(`${rlWhere} is not an object`);
    const resource = objectField(rl, 'resource', rlWhere);
    let resourceAttributes: Obj = {};
    let resourceError: string | undefined;
    try {
      resourceAttributes = resource === undefined ? {} : keyValuesToObject(arrayField(resource, 'attributes', `${rlWhere}.resource`), 0);
    } catch (error) {
      if (error instanceof MalformedRequestError) throw error;
      resourceError = `resource attributes: ${(error as Error).message}`;
    }
    const scopeLogs = arrayField(rl, 'scopeLogs', rlWhere);
    for (let s = 0; s < scopeLogs.length; s++) {
      const sl = scopeLogs[s];
      const slWhere = `${rlWhere}.scopeLogs[${s}]`;
      if (!isObject(sl)) throw new MalformedRequestError(`${slWhere} is not an object`);
      const scope = objectField(sl, 'scope', slWhere);
      // The attributes every record of this scope starts from.
      const base: Obj = {};
      let baseError = resourceError;
      try {
        for (const key of Object.keys(resourceAttributes)) put(base, key, resourceAttributes[key]);
        if (scope !== undefined) {
          if (typeof scope['name'] === 'string' && scope['name'] !== '') base[SCOPE_NAME_ATTRIBUTE] = scope['name'];
          if (typeof scope['version'] === 'string' && scope['version'] !== '') base[SCOPE_VERSION_ATTRIBUTE] = scope['version'];
          keyValuesToObject(arrayField(scope, 'attributes', `${slWhere}.scope`), 0, base);
        }
      } catch (error) {
        if (error instanceof MalformedRequestError) throw error;
        baseError ??= `scope attributes: ${(error as Error).message}`;
      }
      const logRecords = arrayField(sl, 'logRecords', slWhere);
      for (let l = 0; l < logRecords.length; l++) {
        const lr = logRecords[l];
        const where = `${slWhere}.logRecords[${l}]`;
        if (!isObject(lr)) throw new MalformedRequestError(`${where} is not an object`);
        total++;
        const reject = (reason: string, detail: string): void => {
          rejected.push({ reason, detail: `${where}: ${detail}`, format: undefined, original: originalOf(lr), observedTime: options.observedTime });
        };
        if (baseError !== undefined) {
          reject(REJECT.INVALID_ATTRIBUTES, baseError);
          continue;
        }
        const attributes: Obj = {};
        try {
          for (const key of Object.keys(base)) put(attributes, key, base[key]);
          keyValuesToObject(arrayField(lr, 'attributes', where), 0, attributes);
        } catch (error) {
          if (error instanceof MalformedRequestError) throw error;
          reject(REJECT.INVALID_ATTRIBUTES, `attributes: ${(error as Error).message}`);
          continue;
        }
        let format = options.format;
        if (options.formatAttribute !== '' && hasOwn.call(attributes, options.formatAttribute)) {
          const named = attributes[options.formatAttribute];
          if (typeof named !== 'string' || !FORMAT_REGEXP.test(named)) {
            reject(REJECT.INVALID_FORMAT, `attribute ${options.formatAttribute} is ${JSON.stringify(named)?.slice(0, 80)}, not a format name (okta, keycloak.event, mapping.<name>)`);
            continue;
          }
          format = named;
        }
        if (format === undefined) {
          reject(REJECT.MISSING_FORMAT, `no attribute ${options.formatAttribute === '' ? '(format_attribute is off)' : options.formatAttribute} names the format, and the receiver has no format configured`);
          continue;
        }
        const body = bodyOf(lr['body']);
        if ('reason' in body) {
          reject(body.reason, body.detail);
          continue;
        }
        records.push({ format, payload: body.payload, observedTime: options.observedTime, source: options.source, attributes });
      }
    }
  }
  return { records, rejected, total };
}

/** The partial-success message for rejected records: counts per reason, then the first one's detail. */
export function rejectionMessage(rejected: readonly DeadLetter[], total: number): string {
  if (rejected.length === 0) return '';
  const counts = new Map<string, number>();
  for (const letter of rejected) counts.set(letter.reason, (counts.get(letter.reason) ?? 0) + 1);
  const summary = [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
  const first = rejected[0]!.detail;
  return `${rejected.length} of ${total} log records rejected (${summary}); first: ${first.length > 300 ? `${first.slice(0, 300)}…` : first}`;
}
