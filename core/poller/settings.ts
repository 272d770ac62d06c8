/**
 * Settings every pull receiver reads alike: where to start without a checkpoint, and durations
 * checked against a minimum. Shared so that the same setting means the same thing (and fails with
 * the same message) in every receiver that uses it.
 */
import { isDuration, parseDuration } from '../duration.js';
import { PermanentError } from '../errors.js';

/**
 * Where to start without a checkpoint, epoch ms: `now`, a look-back duration, or any time
 * `Date.parse` reads (RFC 3339 in practice: the schema's pattern admits no other). Anything else
 * is an invalid_config error naming all three forms.
 */
export function startTime(since: string, now: number): number {
  if (since === 'now') return now;
  if (isDuration(since)) return now - parseDuration(since);
  const ms = Date.parse(since);
  if (!Number.isFinite(ms)) throw new PermanentError('invalid_config', `since: ${JSON.stringify(since)} is not now, an RFC 3339 time or a duration`);
  return ms;
}

/**
 * Epoch ms of a `since` setting at `now`, told apart by its shape: `now`; a text with an RFC 3339
 * date prefix, which must then parse (an invalid_config error says it is not an RFC 3339 time);
 * anything else is read as a look-back duration (parseDuration's error when it is none).
 * Unlike startTime, a date in another format is not accepted.
 */
export function rfc3339StartTime(since: string, now: number): number {
  if (since === 'now') return now;
  if (/^\d{4}-\d{2}-\d{2}T/.test(since)) {
    const ms = Date.parse(since);
    if (Number.isFinite(ms)) return ms;
    throw new PermanentError('invalid_config', `since: ${JSON.stringify(since)} is not an RFC 3339 time`);
  }
  return now - parseDuration(since);
}

/** An invalid_config error for one key of a receiver's config: `receivers::{id}::{key}: {message}`. */
export function receiverConfigError(id: string, key: string, message: string): PermanentError {
  return new PermanentError('invalid_config', `receivers::${id}::${key}: ${message}`);
}

/** A duration setting in ms, at least `minMs`; errors name the receiver and the key, never the other settings. */
export function durationSetting(id: string, key: string, text: string, minMs: number): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw receiverConfigError(id, key, `must be a duration such as 5s, got ${JSON.stringify(text)}`);
  }
  if (ms < minMs) throw receiverConfigError(id, key, `must be at least ${minMs} ms`);
  return ms;
}

/** The settings of a receiver that polls every poll_interval with a per-request timeout from a `since` start. */
export interface PollSettings {
  readonly poll_interval: string;
  readonly timeout: string;
  readonly since: string;
}

/**
 * Checks poll_interval (at least 1 s: a faster poll only earns rate limits), timeout (positive)
 * and since (readable now, so a bad one fails at create time, not at the first poll).
 */
export function checkPollSettings(name: string, config: PollSettings): { intervalMs: number; timeoutMs: number } {
  const intervalMs = parseDuration(config.poll_interval);
  if (intervalMs < 1000) throw new PermanentError('invalid_config', `${name}: poll_interval must be at least 1s, got ${config.poll_interval}`);
  const timeoutMs = parseDuration(config.timeout);
  if (timeoutMs <= 0) throw new PermanentError('invalid_config', `${name}: timeout must be greater than 0`);
  startTime(config.since, Date.now());
  return { intervalMs, timeoutMs };
}

/** Seams for tests of a pull receiver: faster backoff, a fixed jitter, observed waits. Not user configuration. */
export interface PollTuning {
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxAttempts?: number;
  readonly maxRateLimitWaitMs?: number;
  /** Longest wait of the poll loop after failed passes. */
  readonly loopMaxBackoffMs?: number;
  readonly random?: () => number;
  readonly onWait?: (reason: 'rate_limit' | 'backoff', ms: number) => void;
  /** The clock lag is measured against. */
  readonly now?: () => number;
}
