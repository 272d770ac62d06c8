/**
 * NDJSON encoding of a batch, shared by the `file` and `stdout` exporters. Pure: no I/O, no
 * state, never mutates the batch.
 *
 * One line per record, each line one JSON object followed by `\n`. JSON.stringify escapes every
 * control character inside strings, so a line never contains a raw newline.
 *
 * - An OCSF event (a record with a numeric `class_uid`) is written as-is: it already carries
 *   `metadata.tenant_uid`, and adding keys would make it something other than OCSF.
 * - A raw record is written as
 *   `{"tenant","format","source","observed_time","payload"}`. A string payload stays a JSON
 *   string (not parsed: re-parsing would change vendor number precision and key order, and a
 *   syslog line is not JSON anyway); an already-parsed payload is embedded as JSON; a byte
 *   payload is decoded as UTF-8, or, when it is not valid UTF-8, written in base64 with an extra
 *   `"payload_encoding":"base64"` key.
 * - A record that cannot be encoded (a cycle, a BigInt, `undefined`) is skipped and counted in
 *   `skipped`, so one bad record never costs the rest of the batch.
 */
import type { Batch, OcsfEvent, RawRecord } from '../../../core/api.js';

export interface EncodedBatch {
  /** The lines, each ending in `\n`; '' when nothing could be encoded. */
  text: string;
  /** How many records were written. */
  encoded: number;
  /** How many records could not be encoded and were left out. */
  skipped: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function isOcsfEvent(record: unknown): record is OcsfEvent {
  return typeof record === 'object' && record !== null && typeof (record as { class_uid?: unknown }).class_uid === 'number';
}

export function isRawRecord(record: unknown): record is RawRecord {
  return typeof record === 'object' && record !== null && typeof (record as { format?: unknown }).format === 'string';
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const BASE64_MARK = ',"payload_encoding":"base64"';

/** One NDJSON line (without the newline) for a record; undefined when it cannot be encoded. */
export function encodeNdjsonRecord(record: unknown, tenantJson: string): string | undefined {
  try {
    if (isOcsfEvent(record) || !isRawRecord(record)) return JSON.stringify(record);
    const raw = record.payload;
    let payload: string;
    let mark = '';
    if (typeof raw === 'string') payload = JSON.stringify(raw);
    else if (raw instanceof Uint8Array) {
      const text = decodeUtf8(raw);
      if (text !== undefined) payload = JSON.stringify(text);
      else {
        payload = '"' + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') + '"';
        mark = BASE64_MARK;
      }
    } else payload = JSON.stringify(raw) ?? 'null'; // undefined payload: null keeps the line's shape
    const observed = Number.isFinite(record.observedTime) ? String(record.observedTime) : 'null';
    const source = typeof record.source === 'string' ? JSON.stringify(record.source) : 'null';
    return `{"tenant":${tenantJson},"format":${JSON.stringify(record.format)},"source":${source},"observed_time":${observed},"payload":${payload}${mark}}`;
  } catch {
    return undefined;
  }
}

export function encodeNdjson(batch: Batch): EncodedBatch {
  const tenantJson = JSON.stringify(batch.tenant);
  const records = batch.records;
  let text = '';
  let skipped = 0;
  for (let i = 0; i < records.length; i++) {
    const line = encodeNdjsonRecord(records[i], tenantJson);
    if (line === undefined) skipped++;
    else text += line + '\n';
  }
  return { text, encoded: records.length - skipped, skipped };
}
