/**
 * JSON schema fragments of the settings pull receivers share, so that poll_interval, timeout and
 * the start position validate (and are described) alike. Each call returns a fresh object: a
 * schema is data the host may annotate, and one receiver's must not change another's.
 */
import type { JsonSchema } from '../api.js';

/** A Go-style duration: `250ms`, `5s`, `1m30s`. */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$';

/** `now`, an RFC 3339 time (by its date prefix), or a look-back duration. */
export const START_POSITION_PATTERN = '^(?:now|\\d{4}-\\d{2}-\\d{2}T.+|(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+)$';

/** poll_interval: default 5s; the receiver enforces the 1 s minimum the description names. */
export function pollIntervalSchema(): JsonSchema {
  return { type: 'string', pattern: DURATION_PATTERN, format: 'duration', default: '5s', description: 'Time between catch-up passes (at least 1s).' };
}

/** timeout: per request, default 30s. */
export function requestTimeoutSchema(): JsonSchema {
  return { type: 'string', pattern: DURATION_PATTERN, format: 'duration', default: '30s', description: 'Per-request timeout.' };
}

/** since / start_at: where to start without a checkpoint, default now. */
export function startPositionSchema(description = 'Start without a checkpoint: now, an RFC 3339 time, or a look-back duration such as 24h.'): JsonSchema {
  return { type: 'string', pattern: START_POSITION_PATTERN, default: 'now', description };
}
