/**
 * The HEC encoder against the one before its string-quoting shortcut (kept below, verbatim but
 * for its exports, as the reference): identical text for every input: the real normalizer's output
 * for every golden input, the built-in Detection Findings, and thousands of generated events with
 * quotes, backslashes, control characters, lone surrogates, non-ASCII text, nested arrays and
 * objects, undefined/null/NaN/-0, toJSON and Dates, per-event and constant sources.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import type { OcsfEvent, PipelineRecord } from '../../../../core/api.js';
import { PermanentError } from '../../../../core/errors.js';
import { DEFAULT_SOURCETYPES } from '../../../../plugins/exporters/splunk_hec/config.js';
import * as hec from '../../../../plugins/exporters/splunk_hec/encoder.js';
import { createEvent } from '../../../../plugins/processors/normalize/ocsf.js';
import { mulberry32 } from '../../../helpers.js';
import { builtinFindings, normalizedGoldens } from '../normalized.js';
import { authEvent, detectionEvent, oktaRaw } from '../testrecords.js';



const random = mulberry32;

const PIECES = ['a', 'Z', '0', ' ', '"', '\\', '/', '\b', '\f', '\r', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '日本', '\u2028', '\u2029', '😀', '\ud800', '\udfff', '\udc00x', '</script>', 'user@example.com'];

function generatedEvents(seed: number, count: number): OcsfEvent[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number): boolean => next() < p;
  const text = (): string => {
    let out = '';
    const n = Math.floor(next() * 10);
    for (let i = 0; i < n; i++) out += chance(0.5) ? pick(['user', 'Okta', 'okta', 'x', 'Failure', 'Logon']) : pick(PIECES);
    return out;
  };
  const value = (depth: number): unknown => {
    const r = next();
    if (r < 0.45 || depth > 3) return text();
    if (r < 0.55) return pick([0, -0, 1, 1.5, -7.25, 1e21, 1e-7, 2 ** 53 + 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    if (r < 0.62) return pick([true, false, null, undefined]);
    if (r < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    if (r < 0.78) return pick([new Date(1714591202000), { toJSON: (key: string) => `toJSON(${key})` }, { toJSON: () => undefined }, new String('boxed'), new Number(7), () => 1]);
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 5); i > 0; i--) object[pick(['name', 'uid', 'ip', 'a"b', 'k\\', '日本', '1', '0', text()])] = value(depth + 1);
    return object;
  };
  const events: OcsfEvent[] = [];
  for (let i = 0; i < count; i++) {
    const event = createEvent({
      classUid: pick([3001, 3002, 3005, 3006] as const), activityId: pick([0, 1, 3, 99]), time: pick([0, 999, 1714591201123, 253402300799999]) + (i % 7),
      statusId: pick([0, 1, 2, 99]), severityId: pick([0, 1, 2, 3, 99]), product: { name: text(), vendor_name: text() }, uid: text(),
      eventCode: text(), originalTime: text(), format: pick(['okta', 'keycloak.event', text()]), tenant: text(), observedTime: 1714591201123,
    }) as unknown as Record<string, unknown>;
    if (chance(0.15)) event['class_uid'] = pick([2004, 9999, 3002.5]);
    for (const key of ['class_name', 'activity_name', 'status', 'severity', 'message', 'status_detail', 'actor', 'user', 'src_endpoint', 'http_request', 'auth_factors', 'unmapped', 'finding_info', 'session']) {
      if (chance(0.4)) event[key] = value(0);
    }
    if (chance(0.3)) event['user'] = { name: pick([text(), '', 7, undefined]), uid: pick([text(), '', undefined]) };
    if (chance(0.3)) event['src_endpoint'] = { ip: pick([text(), '203.0.113.7', '', 42]) };
    if (chance(0.1)) event['finding_info'] = { analytic: { uid: pick([text(), '', 1]) } };
    if (chance(0.05)) event['time'] = pick([Number.NaN, -1, '1714591202000', 253402300800000, 1714591201123.75]);
    if (chance(0.05)) (event['metadata'] as Record<string, unknown>)['log_name'] = pick([undefined, '', 7]);
    if (chance(0.02)) event['unmapped'] = { big: 1n };
    events.push(event as unknown as OcsfEvent);
  }
  return events;
}

function outcome(fn: () => string): string {
  try {
    return `text:${fn()}`;
  } catch (error) {
    const e = error as { code?: string; message: string };
    return `error:${e.code ?? 'none'}:${e.message}`;
  }
}

const OPTIONS: hec.HecEncoderOptions[] = [
  { host: 'authwire-1', source: undefined, sourcetype: 'authwire:ocsf', sourcetypeByClass: DEFAULT_SOURCETYPES, index: 'iam_acme' },
  { host: 'h"\\\u0001😀', source: 'src\n', sourcetype: 'st\ud800', sourcetypeByClass: { '3002': 'a"b' }, index: undefined },
];

function assertSameAsReference(events: readonly PipelineRecord[], what: string): void {
  for (const options of OPTIONS) {
    const encode = hec.createHecEncoder(options);
    const reference = createHecEncoder(options);
    for (let i = 0; i < events.length; i++) {
      assert.equal(outcome(() => encode(events[i]!)), outcome(() => reference(events[i]!)), `${what} #${i} (source ${String(options.source)})`);
    }
  }
}

test('same text as the reference: the real normalizer over every golden input, the built-in findings', () => {
  const events = [...normalizedGoldens(), ...builtinFindings(), authEvent, detectionEvent, oktaRaw];
  assert.ok(events.length > 200);
  assertSameAsReference(events, 'golden');
});

test('same text as the reference: 5000 generated events (escapes, lone surrogates, nesting, odd values, toJSON, bad times)', () => {
  assertSameAsReference(generatedEvents(7, 5000), 'generated');
});

test('jsonString is JSON.stringify for strings', () => {
  const next = random(3);
  for (let i = 0; i < 20000; i++) {
    let s = '';
    for (let n = Math.floor(next() * 6); n > 0; n--) s += String.fromCharCode(Math.floor(next() * (next() < 0.5 ? 0x80 : 0x10000)));
    assert.equal(hec.jsonString(s), JSON.stringify(s));
  }
});

// ---- The reference: plugins/exporters/splunk_hec/encoder.ts before this change, verbatim except
// ---- that nothing is exported.
interface HecEncoderOptions {
  readonly host: string;
  /** Constant source; undefined: `authwire:<metadata.log_name>` (or `authwire`) per event. */
  readonly source: string | undefined;
  /** Sourcetype of classes not in `sourcetypeByClass`. */
  readonly sourcetype: string;
  readonly sourcetypeByClass: Readonly<Record<string, string>>;
  readonly index: string | undefined;
}

type HecEventEncoder = (record: PipelineRecord) => string;

/** Time values accepted: 1970 up to the end of year 9999, in milliseconds. */
const MAX_TIME_MS = 253_402_300_799_999;
/** Distinct per-event sources remembered (log names are a handful; the cap bounds hostile input). */
const SOURCE_CACHE_LIMIT = 256;

/** Epoch milliseconds as epoch seconds with exactly millisecond precision: 1714591201123 → "1714591201.123". */
function hecTime(ms: number): string {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000);
  const millis = whole - seconds * 1000;
  return seconds + (millis < 10 ? '.00' : millis < 100 ? '.0' : '.') + millis;
}

function isOcsf(record: PipelineRecord): record is OcsfEvent {
  return typeof (record as { class_uid?: unknown }).class_uid === 'number';
}

function stringAt(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function objectAt(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/**
 * JSON text of a low-cardinality string (tenant, status, severity, activity, event code), memoized
 * on the last value: consecutive events mostly repeat it, and an identity comparison is cheaper
 * than serializing again.
 */
class LastJson {
  private value = '';
  private json = '""';
  of(value: string): string {
    if (value !== this.value) {
      this.value = value;
      this.json = JSON.stringify(value);
    }
    return this.json;
  }
}

/** Builds the flat index-time fields; one per encoder, holding the memos. */
class HecFieldWriter {
  private readonly tenant = new LastJson();
  private readonly activity = new LastJson();
  private readonly status = new LastJson();
  private readonly severity = new LastJson();
  private readonly eventCode = new LastJson();

  /**
   * The fields of one event as the inside of a JSON object (no braces). `ocsf_class` always; the
   * others when the event has them as non-empty strings. No name equals a top-level key of the
   * event, because Splunk's search-time JSON extraction would then give each such field twice.
   */
  write(event: OcsfEvent): string {
    const metadata = objectAt(event.metadata);
    let out = '"ocsf_class":"' + event.class_uid + '"';
    const tenant = stringAt(metadata?.['tenant_uid']);
    if (tenant !== undefined) out += ',"tenant":' + this.tenant.of(tenant);
    const activity = stringAt(event['activity_name']);
    if (activity !== undefined) out += ',"activity":' + this.activity.of(activity);
    const status = stringAt(event['status']);
    if (status !== undefined) out += ',"outcome":' + this.status.of(status);
    const severity = stringAt(event['severity']);
    if (severity !== undefined) out += ',"severity_name":' + this.severity.of(severity);
    const user = objectAt(event['user']);
    if (user !== undefined) {
      const name = stringAt(user['name']) ?? stringAt(user['uid']);
      if (name !== undefined) out += ',"user":' + JSON.stringify(name);
    }
    const src = objectAt(event['src_endpoint']);
    if (src !== undefined) {
      const ip = stringAt(src['ip']);
      if (ip !== undefined) out += ',"src_ip":' + JSON.stringify(ip);
    }
    const eventCode = stringAt(metadata?.['event_code']);
    if (eventCode !== undefined) out += ',"event_code":' + this.eventCode.of(eventCode);
    const findingInfo = event['finding_info'];
    if (findingInfo !== undefined) {
      const rule = stringAt(objectAt(objectAt(findingInfo)?.['analytic'])?.['uid']);
      if (rule !== undefined) out += ',"rule":' + JSON.stringify(rule);
    }
    return out;
  }
}

/** The flat index-time fields of one event (see HecFieldWriter.write). */
function hecFields(event: OcsfEvent): string {
  return new HecFieldWriter().write(event);
}

function createHecEncoder(options: HecEncoderOptions): HecEventEncoder {
  const constantSource = options.source === undefined ? '' : ',"source":' + JSON.stringify(options.source);
  const tail = ',"host":' + JSON.stringify(options.host);
  const index = options.index === undefined ? '' : ',"index":' + JSON.stringify(options.index);
  const prefixOf = (sourcetype: string): string => constantSource + tail + ',"sourcetype":' + JSON.stringify(sourcetype) + index + ',"event":';
  const defaultPrefix = prefixOf(options.sourcetype);
  const classPrefixes = new Map<number, string>();
  for (const [classUid, sourcetype] of Object.entries(options.sourcetypeByClass)) classPrefixes.set(Number(classUid), prefixOf(sourcetype));
  const perEventSource = options.source === undefined;
  const sources = new Map<string, string>();
  const fields = new HecFieldWriter();

  let lastLogName = '';
  let lastSource = ',"source":"authwire"';
  function sourceOf(event: OcsfEvent): string {
    const logName = stringAt(objectAt(event.metadata)?.['log_name']);
    if (logName === undefined) return ',"source":"authwire"';
    if (logName === lastLogName) return lastSource;
    let json = sources.get(logName);
    if (json === undefined) {
      json = ',"source":' + JSON.stringify('authwire:' + logName);
      if (sources.size < SOURCE_CACHE_LIMIT) sources.set(logName, json);
    }
    lastLogName = logName;
    lastSource = json;
    return json;
  }

  return function encodeHecEvent(record: PipelineRecord): string {
    if (!isOcsf(record)) {
      const format = (record as { format?: unknown }).format;
      throw new PermanentError('not_ocsf', `splunk_hec sends OCSF events only; got a raw ${typeof format === 'string' ? JSON.stringify(format) : 'non-OCSF'} record (is the normalize processor in the pipeline?)`);
    }
    const time = record.time;
    if (typeof time !== 'number' || !(time >= 0 && time <= MAX_TIME_MS)) {
      throw new PermanentError('invalid_time', `event time ${String(time)} is not epoch milliseconds between 1970 and 9999`);
    }
    let eventJson: string;
    try {
      eventJson = JSON.stringify(record);
    } catch (error) {
      throw new PermanentError('unencodable_record', `event cannot be written as JSON: ${(error as Error).message}`);
    }
    return (
      '{"time":' + hecTime(time) +
      (perEventSource ? sourceOf(record) : '') +
      (classPrefixes.get(record.class_uid) ?? defaultPrefix) +
      eventJson +
      ',"fields":{' + fields.write(record) + '}}'
    );
  };
}
