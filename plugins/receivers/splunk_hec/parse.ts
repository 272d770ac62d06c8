/**
 * HEC request bodies, pure. `/services/collector/event` takes JSON objects one after another
 * (whitespace between them optional: `{...}{...}` and `{...}\n{...}` both), each with an `event`;
 * `/services/collector/raw` takes text, one event per non-blank line.
 *
 * Events are read in order up to the first bad one, as Splunk does: the events before it are
 * taken, and the reply names the bad one (`invalid-event-number`, counting from 0) so the client
 * re-sends the rest.
 */

export interface HecEvent {
  /** The `event` value: the record's payload. */
  readonly event: unknown;
  /** The event's `sourcetype`, when a string. */
  readonly sourcetype: string | undefined;
}

/** HEC's per-event error codes: 6 invalid data format, 12 event field required, 13 event field blank. */
export type HecEventError = { readonly code: 6 | 12 | 13; readonly index: number; readonly detail: string; readonly text: string };

export interface HecEventsResult {
  readonly events: HecEvent[];
  /** The first bad event; events holds those before it. */
  readonly error: HecEventError | undefined;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/**
 * Where the JSON object starting at `start` (a `{`) ends (the index after its `}`), or -1 when the
 * text ends first. Strings are skipped with their escapes, so braces in them do not count.
 */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  const length = text.length;
  for (let i = start; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // A string: jump to its closing quote, one not escaped by an odd run of backslashes.
      for (;;) {
        const quote = text.indexOf('"', i + 1);
        if (quote < 0) return -1;
        let backslashes = 0;
        while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
        i = quote;
        if ((backslashes & 1) === 0) break;
      }
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function brief(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The events of an `/event` body, up to the first bad one. */
export function parseHecEvents(text: string): HecEventsResult {
  const events: HecEvent[] = [];
  const length = text.length;
  let i = 0;
  for (;;) {
    while (i < length && isSpace(text.charCodeAt(i))) i++;
    if (i >= length) return { events, error: undefined };
    const index = events.length;
    if (text.charCodeAt(i) !== 123) {
      let stop = text.indexOf('\n', i);
      if (stop < 0) stop = length;
      return { events, error: { code: 6, index, detail: `event ${index}: expected a JSON object`, text: text.slice(i, stop) } };
    }
    const end = objectEnd(text, i);
    if (end < 0) return { events, error: { code: 6, index, detail: `event ${index}: the JSON object is not closed`, text: text.slice(i) } };
    const slice = text.slice(i, end);
    i = end;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(slice) as Record<string, unknown>;
    } catch (error) {
      return { events, error: { code: 6, index, detail: `event ${index}: ${brief((error as Error).message)}`, text: slice } };
    }
    const event = value['event'];
    if (event === undefined) return { events, error: { code: 12, index, detail: `event ${index}: the event field is missing`, text: slice } };
    if (event === null || (typeof event === 'string' && event.trim() === '')) {
      return { events, error: { code: 13, index, detail: `event ${index}: the event field is blank`, text: slice } };
    }
    const sourcetype = value['sourcetype'];
    events.push({ event, sourcetype: typeof sourcetype === 'string' ? sourcetype : undefined });
  }
}

/** The lines of a `/raw` body: one event per non-blank line, without its line ending. */
export function parseHecRaw(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') lines.push(line);
  }
  return lines;
}
