const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** True for Go-style durations as the OpenTelemetry Collector writes them: `250ms`, `5s`, `1m30s`. */
export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Milliseconds in a Go-style duration (`1m30s` = 90000). Throws on anything else. */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 250ms, 5s, 1m30s, 2h)`);
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}
