/**
 * OCSF event → one HEC event (the JSON object `/services/collector/event` takes). Pure: the output
 * depends only on the options and the event; no I/O, never mutates the event.
 *
 * Shape, in this key order:
 *
 *   {"time":1714591202.000,"source":S,"host":H,"sourcetype":ST,"index":I,
 *    "event":<the OCSF event as JSON>,"fields":{<flat index-time fields>}}
 *
 * - `time` is epoch seconds with exactly three decimals (the OCSF `time` is epoch milliseconds);
 *   written from integers, never through floating-point division, so 1714591201123 is always
 *   `1714591201.123`.
 * - `index` is left out when none is configured (the token's default index applies).
 * - `fields` are Splunk index-time fields, which must be flat: every value a string. Only fields
 *   with a non-empty string value are written (see README: field mapping).
 * - Every string goes through JSON.stringify, which escapes quotes, backslashes, control
 *   characters and lone surrogates, so any string yields valid JSON.
 *
 * Everything constant (host, index, per-class sourcetype, a constant source) is serialized once
 * at creation into per-class prefixes; per event only the time, the event and the fields are.
 */
import type { OcsfEvent, PipelineRecord } from '../../../core/api.js';
import { PermanentError } from '../../../core/errors.js';

export interface HecEncoderOptions {
  readonly host: string;
  /** Constant source; undefined: `authwire:<metadata.log_name>` (or `authwire`) per event. */
  readonly source: string | undefined;
  /** Sourcetype of classes not in `sourcetypeByClass`. */
  readonly sourcetype: string;
  readonly sourcetypeByClass: Readonly<Record<string, string>>;
  readonly index: string | undefined;
}

export type HecEventEncoder = (record: PipelineRecord) => string;

/** Time values accepted: 1970 up to the end of year 9999, in milliseconds. */
const MAX_TIME_MS = 253_402_300_799_999;
/** Distinct per-event sources remembered (log names are a handful; the cap bounds hostile input). */
const SOURCE_CACHE_LIMIT = 256;

/** Epoch milliseconds as epoch seconds with exactly millisecond precision: 1714591201123 → "1714591201.123". */
export function hecTime(ms: number): string {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000);
  const millis = whole - seconds * 1000;
  return seconds + (millis < 10 ? '.00' : millis < 100 ? '.0' : '.') + millis;
}

function isOcsf(record: PipelineRecord): record is OcsfEvent {
  return typeof (record as { class_uid?: unknown }).class_uid === 'number';
}

/** Characters JSON.stringify escapes (quote, backslash, controls) or may (any surrogate, lone ones are escaped). */
const JSON_SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(value) for a string, without the call for the usual string that needs no escaping. */
export function jsonString(value: string): string {
  return JSON_SPECIAL.test(value) ? JSON.stringify(value) : '"' + value + '"';
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
      this.json = jsonString(value);
    }
    return this.json;
  }
}

/** Builds the flat index-time fields; one per encoder, holding the memos. */
export class HecFieldWriter {
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
      if (name !== undefined) out += ',"user":' + jsonString(name);
    }
    const src = objectAt(event['src_endpoint']);
    if (src !== undefined) {
      const ip = stringAt(src['ip']);
      if (ip !== undefined) out += ',"src_ip":' + jsonString(ip);
    }
    const eventCode = stringAt(metadata?.['event_code']);
    if (eventCode !== undefined) out += ',"event_code":' + this.eventCode.of(eventCode);
    const findingInfo = event['finding_info'];
    if (findingInfo !== undefined) {
      const rule = stringAt(objectAt(objectAt(findingInfo)?.['analytic'])?.['uid']);
      if (rule !== undefined) out += ',"rule":' + jsonString(rule);
    }
    return out;
  }
}

/** The flat index-time fields of one event (see HecFieldWriter.write). */
export function hecFields(event: OcsfEvent): string {
  return new HecFieldWriter().write(event);
}

export function createHecEncoder(options: HecEncoderOptions): HecEventEncoder {
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
