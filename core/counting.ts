import type { Batch, ComponentKind, Consumer } from './api.js';
import { isRetryable, AuthwireError, PermanentError, errorCode, errorMessage } from './errors.js';

/** What the host counts for each component instance; read by the status line and the admin port. */
export interface ComponentStats {
  readonly id: string;
  readonly kind: ComponentKind;
  readonly tenant: string;
  /** Processors are instantiated per pipeline. */
  readonly pipeline: string | undefined;
  /** Records a receiver emitted, or a processor/exporter accepted. */
  records: number;
  batches: number;
  /** Records whose consume was rejected. */
  refused: number;
  /** Errors the component reported through host.reportError. */
  errors: number;
  /** Records the component handed to host.deadLetter (counted once written). */
  deadLettered: number;
  /** `deadLettered` per reason code. */
  readonly deadLetterReasons: Record<string, number>;
  /** The component's own counters (Component.metrics), refreshed each time the host reads its stats. */
  metrics?: Readonly<Record<string, number>>;
}

export function newStats(id: string, kind: ComponentKind, tenant: string, pipeline?: string): ComponentStats {
  return { id, kind, tenant, pipeline, records: 0, batches: 0, refused: 0, errors: 0, deadLettered: 0, deadLetterReasons: {} };
}

/** Counts what passes into a consumer; a rejected batch counts as refused and the error goes on up. */
export class CountingConsumer implements Consumer {
  constructor(
    private readonly inner: Consumer,
    readonly stats: ComponentStats,
    readonly mutatesData: boolean,
  ) {}

  async consume(batch: Batch): Promise<void> {
    const size = batch.records.length;
    try {
      await this.inner.consume(batch);
    } catch (error) {
      this.stats.refused += size;
      throw error;
    }
    this.stats.records += size;
    this.stats.batches += 1;
  }
}

/** What a receiver calls: checks the tenant boundary, counts, then fans out. */
export class ReceiverOutput implements Consumer {
  constructor(
    private readonly inner: Consumer,
    private readonly stats: ComponentStats,
  ) {}

  async consume(batch: Batch): Promise<void> {
    if (batch.tenant !== this.stats.tenant) {
      this.stats.refused += batch.records.length;
      throw new PermanentError('tenant_mismatch', `${this.stats.id} serves tenant "${this.stats.tenant}" but sent a batch of tenant "${batch.tenant}"`);
    }
    try {
      await this.inner.consume(batch);
    } catch (error) {
      this.stats.refused += batch.records.length;
      throw error;
    }
    this.stats.records += batch.records.length;
    this.stats.batches += 1;
  }
}

export interface FanOutTarget {
  readonly consumer: Consumer;
  readonly mutatesData: boolean;
}

/**
 * Hands one batch to several consumers. Consumers that only read share the batch; each consumer
 * that mutates gets its own deep copy, so no consumer ever sees another's changes.
 */
export class FanOut implements Consumer {
  private readonly targets: readonly FanOutTarget[];

  constructor(targets: readonly FanOutTarget[]) {
    this.targets = targets;
  }

  consume(batch: Batch): Promise<void> {
    if (this.targets.length === 1) {
      const only = this.targets[0]!;
      return only.consumer.consume(only.mutatesData ? copyBatch(batch) : batch);
    }
    return this.consumeAll(batch);
  }

  private async consumeAll(batch: Batch): Promise<void> {
    const results = await Promise.allSettled(
      this.targets.map((target) => target.consumer.consume(target.mutatesData ? copyBatch(batch) : batch)),
    );
    const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason as unknown);
    if (failures.length === 0) return;
    if (failures.length === 1) throw failures[0];
    // A retry re-sends to every consumer (at-least-once); it can help if any failure is retryable.
    const retryable = failures.some(isRetryable);
    throw new AuthwireError('fanout_failed', `${failures.length} of ${this.targets.length} consumers refused the batch: ${failures.map((f) => `${errorCode(f)}: ${errorMessage(f)}`).join('; ')}`, retryable, { cause: failures });
  }
}

function copyBatch(batch: Batch): Batch {
  return { tenant: batch.tenant, records: structuredClone(batch.records) };
}
