/**
 * The config sections every queued exporter shares, named as in the OpenTelemetry Collector's
 * exporterhelper: `batch`, `sending_queue`, `retry_on_failure`, `timeout`, `dead_letter`.
 *
 * An exporter plugin spreads `exporterHelperSchemaProperties` into its own schema's `properties`
 * and `exporterHelperDefaults()` into its `createDefaultConfig()`, then hands the user's config to
 * `resolveExporterHelperConfig` to get milliseconds.
 */
import type { JsonSchema } from '../api.js';
import { parseDuration } from '../duration.js';

export interface BatchConfig {
  /** Send once this many records wait. */
  max_events: number;
  /** Send before the encoded records would exceed this many bytes (uncompressed). */
  max_bytes: number;
  /** Send what waits after this long even if the batch is not full (Go-style duration). */
  timeout: string;
}

export interface SendingQueueConfig {
  /** false: `consume` resolves only once its records are sent (or dead-lettered). */
  enabled: boolean;
  /** Requests sent at the same time. */
  num_consumers: number;
  /** Records held (waiting in the batcher, the queue or in flight) at which `consume` refuses, retryably. */
  queue_size: number;
  /** How long `consume` waits for room in a full queue before refusing; `0s`: refuse at once. */
  block_timeout: string;
}

export interface RetryOnFailureConfig {
  enabled: boolean;
  initial_interval: string;
  /** Each wait is the previous one times this, up to `max_interval`. */
  multiplier: number;
  /** Each wait is spread by ± this fraction at random, so that exporters do not retry in step. */
  randomization_factor: number;
  max_interval: string;
  /** Give up (dead-letter) once a request has been retried for this long; 0 retries for ever. */
  max_elapsed_time: string;
}

export interface DeadLetterConfig {
  /** true: records the peer refused for good go to the tenant's dead-letter file, with the reason. */
  enabled: boolean;
}

export interface ExporterHelperConfig {
  batch: BatchConfig;
  sending_queue: SendingQueueConfig;
  retry_on_failure: RetryOnFailureConfig;
  /** Per-attempt timeout (Go-style duration). */
  timeout: string;
  dead_letter: DeadLetterConfig;
}

/** The same settings in milliseconds, as the helper uses them. */
export interface ResolvedExporterHelperConfig {
  batch: { maxEvents: number; maxBytes: number; timeoutMs: number };
  sendingQueue: { enabled: boolean; numConsumers: number; queueSize: number; blockTimeoutMs: number };
  retry: { enabled: boolean; initialIntervalMs: number; multiplier: number; randomizationFactor: number; maxIntervalMs: number; maxElapsedMs: number };
  timeoutMs: number;
  deadLetter: { enabled: boolean };
}

export function exporterHelperDefaults(): ExporterHelperConfig {
  return {
    batch: { max_events: 1000, max_bytes: 1_048_576, timeout: '200ms' },
    sending_queue: { enabled: true, num_consumers: 4, queue_size: 100_000, block_timeout: '1s' },
    retry_on_failure: { enabled: true, initial_interval: '1s', multiplier: 1.5, randomization_factor: 0.5, max_interval: '30s', max_elapsed_time: '5m' },
    timeout: '10s',
    dead_letter: { enabled: true },
  };
}

const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$';
const duration = (description: string, fallback: string): JsonSchema => ({ type: 'string', pattern: DURATION_PATTERN, default: fallback, description });

/** JSON schema properties for the shared sections; spread into an exporter's `properties`. */
export function exporterHelperSchemaProperties(): Record<string, JsonSchema> {
  const d = exporterHelperDefaults();
  return {
    batch: {
      type: 'object',
      additionalProperties: false,
      description: 'When to cut a request: whichever of max_events, max_bytes or timeout comes first.',
      properties: {
        max_events: { type: 'integer', minimum: 1, default: d.batch.max_events, description: 'Records per request at most.' },
        max_bytes: { type: 'integer', minimum: 1024, default: d.batch.max_bytes, description: 'Encoded bytes per request at most (before compression).' },
        timeout: duration('Send a partial batch after this long.', d.batch.timeout),
      },
    },
    sending_queue: {
      type: 'object',
      additionalProperties: false,
      description: 'The bounded in-memory queue between consume() and the senders.',
      properties: {
        enabled: { type: 'boolean', default: d.sending_queue.enabled, description: 'false: consume() waits until its records are sent.' },
        num_consumers: { type: 'integer', minimum: 1, maximum: 256, default: d.sending_queue.num_consumers, description: 'Requests in flight at once.' },
        queue_size: { type: 'integer', minimum: 1, default: d.sending_queue.queue_size, description: 'Records held at which consume() refuses (retryably), pushing back on receivers; a batch arriving below it is taken whole.' },
        block_timeout: duration('How long consume() waits for room in a full queue, in arrival order, before refusing with queue_full; 0s refuses at once.', d.sending_queue.block_timeout),
      },
    },
    retry_on_failure: {
      type: 'object',
      additionalProperties: false,
      description: 'Exponential backoff with jitter for retryable failures; Retry-After from the peer is honoured.',
      properties: {
        enabled: { type: 'boolean', default: d.retry_on_failure.enabled },
        initial_interval: duration('First wait.', d.retry_on_failure.initial_interval),
        multiplier: { type: 'number', minimum: 1, default: d.retry_on_failure.multiplier, description: 'Each wait is the previous one times this.' },
        randomization_factor: { type: 'number', minimum: 0, maximum: 1, default: d.retry_on_failure.randomization_factor, description: 'Each wait is spread by ± this fraction.' },
        max_interval: duration('Longest single wait.', d.retry_on_failure.max_interval),
        max_elapsed_time: duration('Dead-letter a request still failing after this long; 0s retries for ever.', d.retry_on_failure.max_elapsed_time),
      },
    },
    timeout: duration('Timeout of one send attempt.', d.timeout),
    dead_letter: {
      type: 'object',
      additionalProperties: false,
      description: "Records refused for good are written to the tenant's dead-letter file with the reason.",
      properties: { enabled: { type: 'boolean', default: d.dead_letter.enabled, description: 'false: refused records are only counted and logged.' } },
    },
  };
}

/** Milliseconds from the user's (schema-validated) sections. */
export function resolveExporterHelperConfig(config: ExporterHelperConfig): ResolvedExporterHelperConfig {
  const r = config.retry_on_failure;
  return {
    batch: { maxEvents: config.batch.max_events, maxBytes: config.batch.max_bytes, timeoutMs: parseDuration(config.batch.timeout) },
    sendingQueue: {
      enabled: config.sending_queue.enabled,
      numConsumers: config.sending_queue.num_consumers,
      queueSize: config.sending_queue.queue_size,
      blockTimeoutMs: parseDuration(config.sending_queue.block_timeout),
    },
    retry: {
      enabled: r.enabled,
      initialIntervalMs: parseDuration(r.initial_interval),
      multiplier: r.multiplier,
      randomizationFactor: r.randomization_factor,
      maxIntervalMs: parseDuration(r.max_interval),
      maxElapsedMs: parseDuration(r.max_elapsed_time),
    },
    timeoutMs: parseDuration(config.timeout),
    deadLetter: { enabled: config.dead_letter.enabled },
  };
}
