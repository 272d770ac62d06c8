/**
 * Splits a file or stdin into records for `authwire normalize`: what a SIEM engineer pastes or
 * exports. Text formats are one record per line. JSON formats accept a JSON array of records, a
 * single (pretty-printed) record, NDJSON, and Elastic's pipeline-test envelope
 * (`{"events":[{"json": <record>}]}`), in which vendor samples are often published.
 */
const TEXT_FORMATS = new Set(['linux.auth']);

export function splitRecords(format: string, input: string): string[] {
  const lines = (): string[] => input.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (TEXT_FORMATS.has(format)) return lines();
  const trimmed = input.trim();
  if (trimmed === '') return [];
  let whole: unknown;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    return lines(); // NDJSON, or malformed lines (each is then dead-lettered with its reason)
  }
  if (Array.isArray(whole)) return whole.map((item) => JSON.stringify(item));
  if (typeof whole === 'object' && whole !== null) {
    const events = (whole as { events?: unknown }).events;
    if (Array.isArray(events) && events.every((e) => typeof e === 'object' && e !== null && 'json' in e)) {
      return events.map((e) => JSON.stringify((e as { json: unknown }).json));
    }
  }
  return [trimmed];
}
