/**
 * Detect partitions on worker threads (piscina). Each partition is its own pool with exactly one
 * thread (minThreads = maxThreads = 1, one task at a time, never retired when idle), so its
 * WindowEngine lives on one thread for the partition's whole life and its tasks run in the order
 * they were sent. The processor routes a key to a partition by hash; so a key's state is always
 * on the same thread, and the processor's sort of each batch's detections makes the output
 * independent of how many partitions there are.
 *
 * Calls may overlap (the processor routes the next batch while this one is counted); each is sent
 * to the thread once the one before it has returned, so that they run in the order they were made.
 *
 * The thread boundary (see worker-protocol.ts): one `observe` task per partition per pipeline batch,
 * with the observations as columns (numbers in a moved Float64Array, strings as arrays) and the
 * watermark to tick to after them. Detections come back as plain objects.
 *
 * Failure: a worker thread that dies (a crash, process.exit in the worker, out of memory) never
 * takes the process down. The call that was pending on it rejects with a RetryableError
 * (`code: 'detect_worker_failed'`, `retryable: true`); the processor's consume rejects with it,
 * so the upstream receiver keeps its checkpoint and can send the batch again. The partition's
 * window state died with the thread: the next call starts a new thread whose engine starts empty
 * (counted in `restarts`), and detections whose windows straddle the crash can be missed. An
 * error the engine throws while its thread lives (a bug, or malformed input) rejects with a
 * PermanentError carrying the engine's code: resending the same batch would fail the same way.
 * Calls after close() reject with PermanentError `shut_down`.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { PermanentError, RetryableError, errorMessage } from '../../../core/errors.js';
import type { Partition, PartitionFactory } from './detect.js';
import type { EngineLimits, Observation, RawDetection, WindowRule } from './engine.js';
import { encodeObservations } from './worker-protocol.js';
import type { ObservationColumns, PartitionStats, WorkerReply, WorkerTask } from './worker-protocol.js';

export interface WorkerPartitionOptions {
  /** The worker module; default: worker.js beside this file. Tests substitute one that can crash. */
  readonly filename?: string | URL;
  /**
   * How observations cross the boundary: `columnar` (numbers in a transferred typed array,
   * strings as arrays) or `objects` (the Observation array, structured-cloned). Kept for the
   * benchmark's comparison; `columnar` is the default.
   */
  readonly encoding?: 'columnar' | 'objects';
  /** V8 heap limits of each partition's thread (a runaway thread then dies alone, as above). */
  readonly resourceLimits?: ResourceLimits;
}

const DEFAULT_WORKER = new URL('./worker.js', import.meta.url);

type OkReply = Extract<WorkerReply, { ok: true }>;

/** One partition on its own worker thread. */
export class WorkerPartition implements Partition {
  /** Threads that died under this partition (each time, its window state restarted empty). */
  restarts = 0;
  private pool: Piscina | undefined;
  private ready: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly filename: string;
  private readonly columnar: boolean;
  /**
   * The last call made: each call is sent once the one before has returned. A pool of one thread
   * still does not keep several queued tasks in order (seen with piscina 5: tasks 0..19 queued at
   * once ran as 0, 1, 3, 5, ..., 19, 4, 8, ...), and a partition's state must see its batches in
   * the order they were routed. The router still overlaps with the thread: it routes the next
   * batch while this one is counted.
   */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: number,
    private readonly rules: readonly WindowRule[],
    private readonly limits: EngineLimits,
    private readonly options: WorkerPartitionOptions = {},
  ) {
    const filename = options.filename ?? DEFAULT_WORKER;
    this.filename = typeof filename === 'string' ? filename : filename.href;
    this.columnar = (options.encoding ?? 'columnar') === 'columnar';
    this.observeBatch = this.columnar ? (columns, tenant, watermark) => this.observeColumns(columns, tenant, watermark) : undefined;
  }

  /** Starts the thread and builds the engine on it; rejects when the worker cannot be loaded. */
  start(): Promise<void> {
    return this.ensureStarted();
  }

  async observe(observations: Observation[]): Promise<RawDetection[]> {
    if (!this.columnar) return (await this.call({ op: 'observe_objects', partition: this.id, observations })).detections;
    const columns = encodeObservations(observations);
    return (await this.call({ op: 'observe', partition: this.id, columns }, [columns.numbers.buffer as ArrayBuffer])).detections;
  }

  /** Columnar encoding only (undefined for `objects`, whose batches go through `observe` and `tick`). */
  readonly observeBatch: ((columns: ObservationColumns, tenant: string, watermark: number) => Promise<RawDetection[]>) | undefined;

  private async observeColumns(columns: ObservationColumns, tenant: string, watermark: number): Promise<RawDetection[]> {
    return (await this.call({ op: 'observe', partition: this.id, columns, tick: { tenant, watermark } }, [columns.numbers.buffer as ArrayBuffer])).detections;
  }

  async tick(watermarks: Map<string, number>): Promise<RawDetection[]> {
    return (await this.call({ op: 'tick', partition: this.id, tenants: [...watermarks.keys()], watermarks: [...watermarks.values()] })).detections;
  }

  /** The engine's key count and counters, read on its thread. */
  async stats(): Promise<PartitionStats> {
    return (await this.call({ op: 'stats', partition: this.id })).stats!;
  }

  /** Stops the thread (a pending call rejects with `shut_down`). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const pool = this.pool;
      this.pool = undefined;
      this.ready = undefined;
      if (pool !== undefined) await pool.destroy();
    })();
    return this.closing;
  }

  private ensureStarted(): Promise<void> {
    if (this.ready !== undefined) return this.ready;
    if (this.closing !== undefined) return Promise.reject(this.closedError());
    const pool = new Piscina({
      filename: this.filename,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      // An idle partition keeps its thread: its state lives there.
      idleTimeout: Number.POSITIVE_INFINITY,
      recordTiming: false,
      ...(this.options.resourceLimits !== undefined ? { resourceLimits: this.options.resourceLimits } : {}),
    });
    // A thread that dies between tasks: piscina reports it here (unhandled, it would throw).
    pool.on('error', () => this.lose(pool));
    this.pool = pool;
    const init: WorkerTask = { op: 'init', partition: this.id, rules: this.rules, limits: this.limits };
    this.ready = this.runOn(pool, init).then(() => undefined);
    // The first caller sees the failure; later ones start again on a new thread.
    this.ready.catch(() => {});
    return this.ready;
  }

  private call(task: WorkerTask, transferList?: ArrayBuffer[]): Promise<OkReply> {
    const reply = this.last.then(async () => {
      await this.ensureStarted();
      const pool = this.pool;
      if (pool === undefined) throw this.closedError();
      return this.runOn(pool, task, transferList);
    });
    this.last = reply.catch(() => {});
    return reply;
  }

  private async runOn(pool: Piscina, task: WorkerTask, transferList?: ArrayBuffer[]): Promise<OkReply> {
    let reply: WorkerReply;
    try {
      reply = (await pool.run(task, transferList !== undefined ? { transferList } : undefined)) as WorkerReply;
    } catch (error) {
      if (this.closing !== undefined) throw this.closedError();
      this.lose(pool);
      throw new RetryableError('detect_worker_failed', `detect partition ${this.id}: its worker thread failed (${errorMessage(error)}); the partition's window state is lost and restarts empty on a new thread`, { cause: error });
    }
    if (reply.ok) return reply;
    if (reply.code === 'partition_not_initialized') {
      // The thread was replaced under us: same situation as a crash.
      this.lose(pool);
      throw new RetryableError('detect_worker_failed', `detect partition ${this.id}: ${reply.message}; the partition's window state is lost and restarts empty on a new thread`);
    }
    // Keys sent to the thread that died: the processor sends every key again after a failure.
    if (reply.code === 'unknown_key') throw new RetryableError('detect_worker_failed', `detect partition ${this.id}: ${reply.message}`);
    throw new PermanentError(reply.code, `detect partition ${this.id}: ${reply.message}`);
  }

  /** Forgets a pool whose thread died; the next call starts a new one. */
  private lose(pool: Piscina): void {
    if (this.pool !== pool) return;
    this.pool = undefined;
    this.ready = undefined;
    this.restarts++;
    pool.destroy().catch(() => {});
  }

  private closedError(): PermanentError {
    return new PermanentError('shut_down', `detect partition ${this.id} is closed`);
  }
}

/** A PartitionFactory of worker-thread partitions with these options. */
export function createWorkerPartitions(options: WorkerPartitionOptions = {}): PartitionFactory {
  return async (rules, limits, count) => {
    const partitions = Array.from({ length: Math.max(1, count) }, (_, i) => new WorkerPartition(i, rules, limits, options));
    try {
      await Promise.all(partitions.map((partition) => partition.start()));
    } catch (error) {
      await Promise.all(partitions.map((partition) => partition.close()));
      throw error;
    }
    return partitions;
  };
}

/** What the detect factory uses: `workers` partitions, one thread each. */
export const workerPartitions: PartitionFactory = createWorkerPartitions();
