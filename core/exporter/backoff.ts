/**
 * The wait before a retry, as the OpenTelemetry Collector's retry sender computes it: exponential
 * backoff with ± jitter, and never shorter than the peer's Retry-After. Pure, so that tests can
 * give exact milliseconds with a fixed random source.
 */

/** The `retry_on_failure` settings that shape one wait (see config.ts). */
export interface BackoffPolicy {
  readonly initialIntervalMs: number;
  readonly multiplier: number;
  readonly randomizationFactor: number;
  readonly maxIntervalMs: number;
}

/**
 * Milliseconds to wait before retry number `retryIndex + 1` (0 before the first retry):
 * `min(maxInterval, initial × multiplier^retryIndex)` spread uniformly over
 * `[base × (1 − factor), base × (1 + factor))` by `random()` in [0, 1) — so 0.5 gives the base
 * exactly — rounded to whole milliseconds. When the peer said how long to wait (`retryAfterMs`),
 * the wait is the longer of the two: the hint is a floor, not a replacement, so a peer that says
 * "retry in 1 s" while we already back off 20 s is not hammered.
 */
export function backoffDelay(retryIndex: number, policy: BackoffPolicy, random: () => number, retryAfterMs?: number): number {
  const base = Math.min(policy.maxIntervalMs, policy.initialIntervalMs * Math.pow(policy.multiplier, Math.max(0, retryIndex)));
  const factor = policy.randomizationFactor;
  const jittered = Math.max(0, Math.round(base * (1 - factor + 2 * factor * random())));
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return jittered;
  return Math.max(Math.ceil(retryAfterMs), jittered);
}

/** The peer's Retry-After hint carried on a send error (`RetryableError.retryAfterMs`), read by duck typing. */
export function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const hint = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof hint === 'number' && Number.isFinite(hint) && hint >= 0 ? hint : undefined;
}
