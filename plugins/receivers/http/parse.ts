/**
 * Request bodies to record payloads, pure (no I/O), so the rules are tested and benchmarked alone.
 *
 * `json` payloads: one JSON object (one record), a JSON array (one record per element), an Okta
 * event hook (`{eventType: "com.okta.event_hook", data: {events: [...]}}`: one record per event),
 * or NDJSON / JSON Lines (one record per non-blank line). NDJSON is used when the Content-Type
 * says so, or when the body is not one JSON value but has several lines (Auth0's "JSON Lines"
 * log streams are sent as application/json).
 *
 * A body is taken whole or refused whole: a malformed line refuses the request, so a client that
 * fixes and re-sends it never duplicates the good lines.
 */

export type ParseResult =
  | { readonly ok: true; readonly values: unknown[] }
  | { readonly ok: false; readonly reason: BadRequestReason; readonly detail: string };

/** Why a body is refused with 400; each is counted as `bad_request_<reason>`. */
export type BadRequestReason = 'empty_body' | 'invalid_utf8' | 'malformed_json' | 'unexpected_json' | 'invalid_okta_hook' | 'bad_gzip';

export const BAD_REQUEST_REASONS: readonly BadRequestReason[] = ['empty_body', 'invalid_utf8', 'malformed_json', 'unexpected_json', 'invalid_okta_hook', 'bad_gzip'];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text of a body (a BOM is dropped); undefined when the bytes are not UTF-8. */
export function decodeText(body: Uint8Array): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines', 'application/json-lines', 'application/json-seq']);

/** True when the Content-Type names newline-delimited JSON. */
export function isNdjsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  return NDJSON_TYPES.has((semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase());
}

/** Quoted, shortened, for details: a parse error message can hold body text. */
function brief(message: string): string {
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

/** One record per non-blank line, each parsed as JSON. */
export function parseNdjson(text: string): ParseResult {
  const values: unknown[] = [];
  let start = 0;
  let line = 0;
  const length = text.length;
  while (start < length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = length;
    line++;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop > start) {
      const slice = text.slice(start, stop);
      if (slice.trim() !== '') {
        try {
          values.push(JSON.parse(slice));
        } catch (error) {
          return { ok: false, reason: 'malformed_json', detail: `line ${line}: ${brief((error as Error).message)}` };
        }
      }
    }
    start = end + 1;
  }
  if (values.length === 0) return { ok: false, reason: 'empty_body', detail: 'the body has no records' };
  return { ok: true, values };
}

/** The records of a single JSON value: an array's elements, an Okta hook's events, or the object itself. */
function recordsOf(value: unknown): ParseResult {
  if (Array.isArray(value)) return { ok: true, values: value };
  if (typeof value !== 'object' || value === null) {
    return { ok: false, reason: 'unexpected_json', detail: `the body is ${value === null ? 'null' : `a ${typeof value}`}; expected a JSON object, an array or NDJSON` };
  }
  const object = value as Record<string, unknown>;
  if (object['eventType'] === 'com.okta.event_hook') {
    const data = object['data'];
    const events = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['events'] : undefined;
    if (!Array.isArray(events)) return { ok: false, reason: 'invalid_okta_hook', detail: 'an Okta event hook without a data.events array' };
    return { ok: true, values: events };
  }
  return { ok: true, values: [value] };
}

/** The records of a `json` body; `contentType` picks NDJSON when it says so. */
export function parseJsonBody(text: string, contentType: string | undefined): ParseResult {
  if (isNdjsonType(contentType)) return parseNdjson(text);
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'empty_body', detail: 'the body is empty' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    // Several JSON values on separate lines: JSON Lines sent as application/json.
    if (trimmed.includes('\n')) return parseNdjson(trimmed);
    return { ok: false, reason: 'malformed_json', detail: brief((error as Error).message) };
  }
  return recordsOf(value);
}

/** The records of a `text` body: one per non-blank line, without its line ending. */
export function parseTextBody(text: string): ParseResult {
  const values: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') values.push(line);
  }
  if (values.length === 0) return { ok: false, reason: 'empty_body', detail: 'the body has no lines' };
  return { ok: true, values };
}
