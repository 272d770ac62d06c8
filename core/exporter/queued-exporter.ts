/**
 * The shared exporter helper: turns a Sender (encode + send) into an Exporter with batching, a
 * bounded sending queue, concurrent senders, retry with exponential backoff and jitter honouring
 * Retry-After, per-attempt timeouts, dead-lettering of what is refused for good, and counters.
 * See sender.ts for the Sender contract and config.ts for the config sections.
 *
 * STUB: the public surface is fixed; the implementation is being written.
 */
import type { Batch, CreateSettings, Exporter, Host } from '../api.js';
import type { ResolvedExporterHelperConfig } from './config.js';
import type { Sender } from './sender.js';

/** Counters of one exporter instance, as `/metrics` shows them (records, not requests, unless named so). */
export interface ExporterMetrics {
  /** Records the peer took. */
  sent: number;
  /** Records sent again after a retryable failure (each re-send counts). */
  retried: number;
  /** Records given up on: dead-lettered, or dropped by the peer (OTLP partial success), or refused while dead-lettering was off. */
  failed: number;
  /** Records written to the dead-letter file. */
  dead_lettered: number;
  /** Records held now: in the batcher, queued, or in flight. */
  queue_size: number;
  /** The queue's capacity (`sending_queue.queue_size`). */
  queue_capacity: number;
  /** Requests being sent now. */
  in_flight_requests: number;
}

export interface QueuedExporterOptions {
  /** For tests: the jitter source in [0, 1); Math.random by default. */
  readonly random?: () => number;
}

export class QueuedExporter<Item> implements Exporter {
  readonly mutatesData = false;

  constructor(
    readonly settings: CreateSettings,
    readonly config: ResolvedExporterHelperConfig,
    readonly sender: Sender<Item>,
    readonly options: QueuedExporterOptions = {},
  ) {}

  start(_host: Host): Promise<void> {
    throw new Error('not implemented');
  }

  /** Resolves once the batch's records are queued (or, with the queue disabled, sent). */
  consume(_batch: Batch): Promise<void> {
    throw new Error('not implemented');
  }

  /** Resolves once every record consumed before the call is sent or dead-lettered. */
  flush(): Promise<void> {
    throw new Error('not implemented');
  }

  shutdown(): Promise<void> {
    throw new Error('not implemented');
  }

  metrics(): ExporterMetrics {
    throw new Error('not implemented');
  }
}
