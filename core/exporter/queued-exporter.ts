/**
 * The shared exporter helper: turns a Sender (encode + send) into an Exporter with batching, a
 * bounded sending queue, concurrent senders, retry with exponential backoff and jitter honouring
 * Retry-After, per-attempt timeouts, dead-lettering of what is refused for good, and counters.
 * See sender.ts for the Sender contract and config.ts for the config sections.
 *
 * Semantics, in full (exporter authors and operators rely on them):
 *
 * - `consume` prepares (encodes) each record at once, on the caller's turn, and adds it to the
 *   partial batch. A request is cut when `batch.max_events` items wait, before an item would take
 *   it past `min(batch.max_bytes, sender.maxRequestBytes)`, or `batch.timeout` after the first
 *   item of the partial batch arrived. A record whose `prepare` throws is dead-lettered with the
 *   error's code (`unencodable_record` when it has none); an item larger than
 *   `sender.maxRequestBytes` is dead-lettered as `record_too_large`. `consume` resolves once its
 *   records are queued and those dead letters written; with `sending_queue.enabled: false` it
 *   cuts the partial batch at once and resolves only when its records are sent or given up on.
 * - Back-pressure: records held (batcher + queue + in flight, including a request waiting to be
 *   retried) are bounded by `sending_queue.queue_size` plus one batch: while `queue_size` or more
 *   are held, a batch is refused whole with a RetryableError `queue_full`, nothing of it
 *   accepted; below it, a batch is taken whole, even one that takes the queue past it.
 * - `num_consumers` requests occupy a sending slot at once. A request keeps its slot while it
 *   waits out a backoff (as in the OpenTelemetry Collector), so a peer that is down sees at most
 *   `num_consumers` requests retrying, not the whole queue.
 * - Each attempt gets an AbortSignal that aborts after `timeout` (and at shutdown's deadline); the
 *   attempt then counts as RetryableError `timeout`, whether or not the sender has settled.
 * - Retryable failure: wait `backoffDelay` (backoff.ts; the peer's Retry-After is a floor), unless
 *   retry is disabled or `max_elapsed_time` > 0 and the time since the first attempt plus the
 *   wait would exceed it: then the records are dead-lettered as `retries_exhausted`.
 * - Permanent failure: the request's records are dead-lettered with the error's code
 *   (`send_failed` when it has none).
 * - Fatal failure (FatalSendError): logged once at error level and reported once to the host;
 *   from then on nothing is sent until restart: this request, everything queued or waiting to be
 *   retried, and everything consumed afterwards is dead-lettered with the error's code; `consume`
 *   still resolves once those dead letters are written. Requests already being sent finish.
 * - SendOutcome: `rejected` items are dead-lettered with their reasons; `resend` items go back
 *   to the front of the queue as a new request (attempt + 1, counted in `retried`) without
 *   backoff; `droppedByPeer.count` of the rest count as failed (logged with the peer's message),
 *   the others as sent. A resend of the whole request with nothing taken or rejected makes no
 *   progress and is treated as a retryable failure (`resend_without_progress`), so a peer cannot
 *   make us spin without backoff.
 * - Every record is counted exactly once as `sent` or `failed` (dead-lettered records are also
 *   `dead_lettered`); until then it is in `queue_size`.
 * - `shutdown` stops accepting, cuts the partial batch, wakes requests waiting out a backoff for
 *   one immediate final attempt, and lets queued requests have one attempt each; a request that
 *   then still fails is dead-lettered as `shutdown` with the last error. The drain is bounded:
 *   after `shutdownTimeoutMs` (default: the per-attempt timeout) attempts in flight are aborted
 *   and whatever was not sent is dead-lettered as `shutdown`. Then `sender.shutdown()` runs.
 * - With `dead_letter.enabled: false`, refused records are counted as failed and logged (reason
 *   and count, never the record). When `host.deadLetter` itself fails, the records are counted as
 *   failed and the failure reported through `host.reportError`.
 */
import type { BatchObservableCallback, Observable } from '@opentelemetry/api';
import type { Batch, CreateSettings, DeadLetter, Exporter, Host, Logger, OcsfEvent, PipelineRecord, RawRecord } from '../api.js';
import { PermanentError, RetryableError, errorMessage, isRetryable } from '../errors.js';
import { LogThrottle } from '../log-throttle.js';
import { backoffDelay, retryAfterOf } from './backoff.js';
import type { ResolvedExporterHelperConfig } from './config.js';
import { Deque } from './deque.js';
import type { ExportRequest, Sender, SendOutcome } from './sender.js';
import { isFatalSendError } from './sender.js';

/**
 * Counters of one exporter instance, as `/metrics` shows them (records, not requests, unless named so).
 * A type alias rather than an interface so that it is assignable to `Component.metrics()`'s record type.
 */
export type ExporterMetrics = {
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
};

export interface QueuedExporterOptions {
  /** For tests: the jitter source in [0, 1); Math.random by default. */
  readonly random?: () => number;
  /** For tests: the clock (epoch ms) used for `max_elapsed_time` and log throttling; Date.now by default. */
  readonly clock?: () => number;
  /** How long shutdown lets the queue drain before aborting and dead-lettering the rest; the per-attempt timeout by default (30 s when that is 0). */
  readonly shutdownTimeoutMs?: number;
}

type State = 'created' | 'starting' | 'started' | 'stopping' | 'stopped';

/** One log line per key per interval at most, so a peer that is down does not flood stderr. */
const LOG_INTERVAL_MS = 10_000;
const NO_TIMEOUT_SHUTDOWN_MS = 30_000;
const RESOLVED: Promise<void> = Promise.resolve();

/** The records of a batch being filled; the arrays are handed to the request when it is cut. */
interface PartialBatch<Item> {
  tenant: string;
  items: Item[];
  records: PipelineRecord[];
  bytes: number;
}

/** A request as the helper tracks it: the items with their original records, and its progress. */
class PendingRequest<Item> {
  /** Attempts made so far by this request (a resend child starts again at 0). */
  attemptsMade = 0;
  /** `attempt` of this request's first send: 1, or the parent's attempt + 1 for a resend. */
  readonly firstAttemptNumber: number;
  /** Clock time of the first attempt; undefined until then. */
  firstAttemptAt: number | undefined = undefined;
  lastError: unknown = undefined;
  /** Items handed to a resend child, which holds (and releases) them from then on. */
  handedOff = 0;
  /** This request plus its unfinished resend children: it is done when this reaches 0. */
  private outstanding = 1;
  private donePromise: Promise<void> | undefined;
  private resolveDone: (() => void) | undefined;

  constructor(
    readonly tenant: string,
    readonly items: Item[],
    readonly records: PipelineRecord[],
    readonly bytes: number,
    readonly parent: PendingRequest<Item> | undefined,
  ) {
    this.firstAttemptNumber = parent === undefined ? 1 : parent.firstAttemptNumber + parent.attemptsMade;
    if (parent !== undefined) parent.outstanding += 1;
  }

  get attempt(): number {
    return this.firstAttemptNumber + this.attemptsMade - 1;
  }

  /** Settles once this request and every resend made from it are sent or given up on. */
  get done(): Promise<void> {
    this.donePromise ??= this.outstanding === 0 ? RESOLVED : new Promise<void>((resolve) => (this.resolveDone = resolve));
    return this.donePromise;
  }

  /** Marks one outstanding part finished; true when the whole request is. */
  release(): boolean {
    this.outstanding -= 1;
    if (this.outstanding > 0) return false;
    this.resolveDone?.();
    return true;
  }
}

/** A `consume` waiting for room in the full queue (`sending_queue.block_timeout`). */
interface RoomWaiter {
  /** Takes the batch now (there is room, and the waiters before it have been served). */
  admit(): void;
  /** Gives up: shutdown. */
  refuse(error: Error): void;
}

/** A backoff wait that shutdown or a fatal error can cut short. */
interface Sleeper {
  timer: NodeJS.Timeout | undefined;
  wake(): void;
}

export class QueuedExporter<Item> implements Exporter {
  readonly mutatesData = false;

  private state: State = 'created';
  private host: Host | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private startCalled = false;

  private readonly logger: Logger;
  private readonly logThrottle: LogThrottle;
  private readonly random: () => number;
  private readonly clock: () => number;

  private readonly partial: PartialBatch<Item>;
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly onBatchTimeout = (): void => {
    this.batchTimer = undefined;
    this.cut();
  };

  private readonly queue = new Deque<PendingRequest<Item>>();
  /** Requests cut and not yet done (queued, in a slot, or being dead-lettered). */
  private readonly active = new Set<PendingRequest<Item>>();
  /** Dead-letter writes started by `consume` (prepare failures, fatal state), awaited by flush and shutdown. */
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly sleepers = new Set<Sleeper>();
  private readonly inFlight = new Set<AbortController>();
  private busySlots = 0;
  private held = 0;
  /** consume() calls waiting for room in a full queue, oldest first. */
  private readonly waiting: RoomWaiter[] = [];
  private wakeQueued = false;

  private fatal: { code: string; message: string } | undefined;
  private shutdownDeadlinePassed = false;
  private shutdownTimer: NodeJS.Timeout | undefined;

  private sent = 0;
  private retried = 0;
  private failed = 0;
  private deadLettered = 0;

  private readonly observables: Observable[];
  private readonly observe: BatchObservableCallback;
  private observing = false;

  constructor(
    readonly settings: CreateSettings,
    readonly config: ResolvedExporterHelperConfig,
    readonly sender: Sender<Item>,
    readonly options: QueuedExporterOptions = {},
  ) {
    this.logger = settings.logger;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
    this.logThrottle = new LogThrottle(LOG_INTERVAL_MS, this.clock);
    this.partial = { tenant: settings.tenant, items: [], records: [], bytes: 0 };

    // Instruments are created here (cheap, no timers); the callback is registered at start.
    const meter = settings.meter;
    const attributes = { component: settings.id, tenant: settings.tenant };
    const sent = meter.createObservableCounter('authwire.exporter.sent', { description: 'Records the peer took.', unit: '{record}' });
    const retried = meter.createObservableCounter('authwire.exporter.retried', { description: 'Records sent again after a retryable failure.', unit: '{record}' });
    const failed = meter.createObservableCounter('authwire.exporter.failed', { description: 'Records given up on (dead-lettered or dropped).', unit: '{record}' });
    const deadLettered = meter.createObservableCounter('authwire.exporter.dead_lettered', { description: 'Records written to the dead-letter file.', unit: '{record}' });
    const queueSize = meter.createObservableGauge('authwire.exporter.queue_size', { description: 'Records held: batching, queued or in flight.', unit: '{record}' });
    this.observables = [sent, retried, failed, deadLettered, queueSize];
    this.observe = (result) => {
      result.observe(sent, this.sent, attributes);
      result.observe(retried, this.retried, attributes);
      result.observe(failed, this.failed, attributes);
      result.observe(deadLettered, this.deadLettered, attributes);
      result.observe(queueSize, this.held, attributes);
    };
  }

  start(host: Host): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') {
      return Promise.reject(new PermanentError('shut_down', `exporter ${this.settings.id} was shut down; it cannot start again`));
    }
    if (this.starting !== undefined) return this.starting;
    if (this.state === 'started') return RESOLVED;
    this.host = host;
    this.state = 'starting';
    this.startCalled = true;
    const starting = (async () => {
      await this.sender.start?.(host);
      if (this.state !== 'starting') return;
      this.state = 'started';
      this.settings.meter.addBatchObservableCallback(this.observe, this.observables);
      this.observing = true;
    })().then(
      () => {
        this.starting = undefined;
      },
      (error: unknown) => {
        if (this.state === 'starting') this.state = 'created';
        this.starting = undefined;
        throw error;
      },
    );
    this.starting = starting;
    return starting;
  }

  /** Resolves once the batch's records are queued (or, with the queue disabled, sent). */
  consume(batch: Batch): Promise<void> {
    if (this.state !== 'started') {
      if (this.state === 'stopping' || this.state === 'stopped') {
        return Promise.reject(new PermanentError('shut_down', `exporter ${this.settings.id} is shutting down; it accepts no more records`));
      }
      return Promise.reject(new PermanentError('not_started', `exporter ${this.settings.id} has not been started`));
    }
    if (batch.records.length === 0) return RESOLVED;
    // Full (or others already waiting for room, who go first): wait for room, up to block_timeout.
    // Refused only when full: a batch that arrives below capacity is taken whole, so the queue may
    // pass it by one batch. Requiring the batch to fit made a batch near the capacity wait for an
    // almost empty queue; and refusing at once made a receiver sleep out its back-off (100 ms and
    // more) and then run the batch through its processors again: the load harness, with a queue no
    // larger than its batches, fell from ~90,000 to 5,500-9,500 events/s.
    if (this.fatal === undefined && (this.held >= this.config.sendingQueue.queueSize || this.waiting.length > 0)) return this.waitForRoom(batch);
    return this.admit(batch);
  }

  /**
   * Waits, in arrival order, until the queue is below `queue_size`, then queues the batch; refuses
   * it retryably with `queue_full` after `block_timeout` (at once when that is 0), and with
   * `shut_down` when the exporter stops meanwhile. The caller (a receiver) holds its batch, and
   * its connection or poll, for the while: back-pressure without re-sending.
   */
  private waitForRoom(batch: Batch): Promise<void> {
    const capacity = this.config.sendingQueue.queueSize;
    const full = (): RetryableError =>
      new RetryableError('queue_full', `exporter ${this.settings.id}: the sending queue is full (${this.held} records held, queue_size ${capacity}); the batch of ${batch.records.length} is refused until it drains`);
    const blockMs = this.config.sendingQueue.blockTimeoutMs;
    if (blockMs <= 0) return Promise.reject(full());
    return new Promise<void>((resolve, reject) => {
      const waiter: RoomWaiter = {
        admit: () => {
          clearTimeout(timer);
          resolve(this.admit(batch));
        },
        refuse: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(full());
        // Those behind it may fit now.
        this.wakeWaiting();
      }, blockMs);
      this.waiting.push(waiter);
    });
  }

  /** Admits waiting batches, oldest first, while the queue is below `queue_size` (or dead-letters them all once fatal). */
  private wakeWaiting(): void {
    while (this.waiting.length > 0 && this.state === 'started' && (this.fatal !== undefined || this.held < this.config.sendingQueue.queueSize)) {
      this.waiting.shift()!.admit();
    }
  }

  /** wakeWaiting at the end of this turn: not from inside the code that freed the room. */
  private wakeSoon(): void {
    if (this.wakeQueued || this.waiting.length === 0) return;
    this.wakeQueued = true;
    queueMicrotask(() => {
      this.wakeQueued = false;
      this.wakeWaiting();
    });
  }

  /** Queues a batch there is room for (or dead-letters it, in the fatal state). */
  private admit(batch: Batch): Promise<void> {
    const records = batch.records;
    const tenant = batch.tenant;
    if (this.fatal !== undefined) {
      const letters = records.map((record) => deadLetterFor(record, this.fatal!.code, `not sent: sending stopped after the peer refused this exporter: ${this.fatal!.message}`));
      return this.track(this.deadLetter(tenant, letters));
    }

    const sender = this.sender;
    const maxRequestBytes = sender.maxRequestBytes ?? Number.POSITIVE_INFINITY;
    const byteLimit = Math.min(this.config.batch.maxBytes, maxRequestBytes);
    const maxEvents = this.config.batch.maxEvents;
    const partial = this.partial;
    // With the queue disabled, consume waits for the requests its records went into.
    const waitFor: PendingRequest<Item>[] | undefined = this.config.sendingQueue.enabled ? undefined : [];
    let refused: DeadLetter[] | undefined;

    if (partial.items.length > 0 && partial.tenant !== tenant) this.cutInto(waitFor);
    partial.tenant = tenant;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      let item: Item;
      let size: number;
      try {
        item = sender.prepare(record, tenant);
        size = sender.sizeOf(item);
      } catch (error) {
        (refused ??= []).push(deadLetterFor(record, codeOf(error, 'unencodable_record'), errorMessage(error)));
        continue;
      }
      if (size > maxRequestBytes) {
        (refused ??= []).push(deadLetterFor(record, 'record_too_large', `encoded to ${size} bytes; the peer accepts at most ${maxRequestBytes} bytes per request`));
        continue;
      }
      if (partial.items.length > 0 && partial.bytes + size > byteLimit) this.cutInto(waitFor);
      partial.items.push(item);
      partial.records.push(record);
      partial.bytes += size;
      this.held += 1;
      if (partial.items.length >= maxEvents || partial.bytes >= byteLimit) this.cutInto(waitFor);
      else if (this.batchTimer === undefined) this.batchTimer = setTimeout(this.onBatchTimeout, this.config.batch.timeoutMs);
    }
    if (waitFor !== undefined) this.cutInto(waitFor);

    const written = refused === undefined ? undefined : this.track(this.deadLetter(tenant, refused));
    if (waitFor === undefined || waitFor.length === 0) return written ?? RESOLVED;
    const waits = waitFor.map((request) => request.done);
    if (written !== undefined) waits.push(written);
    return Promise.all(waits).then(() => undefined);
  }

  /** Resolves once every record consumed before the call is sent or dead-lettered. */
  flush(): Promise<void> {
    this.cut();
    // A snapshot, not a loop until idle: under steady load the exporter is never idle, and a
    // request's `done` already covers the resends made from it.
    if (this.active.size === 0 && this.pendingWrites.size === 0) return RESOLVED;
    return Promise.all([...[...this.active].map((request) => request.done), ...this.pendingWrites]).then(() => undefined);
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  metrics(): ExporterMetrics {
    return {
      sent: this.sent,
      retried: this.retried,
      failed: this.failed,
      dead_lettered: this.deadLettered,
      queue_size: this.held,
      queue_capacity: this.config.sendingQueue.queueSize,
      in_flight_requests: this.inFlight.size,
    };
  }

  private async stop(): Promise<void> {
    this.state = 'stopping';
    for (const waiter of this.waiting.splice(0)) waiter.refuse(new PermanentError('shut_down', `exporter ${this.settings.id} is shutting down; it accepts no more records`));
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    if (!this.startCalled) {
      this.state = 'stopped';
      return;
    }
    this.cut();
    const drainMs = this.options.shutdownTimeoutMs ?? (this.config.timeoutMs > 0 ? this.config.timeoutMs : NO_TIMEOUT_SHUTDOWN_MS);
    this.shutdownTimer = setTimeout(() => this.passShutdownDeadline(drainMs), drainMs);
    // Requests waiting out a backoff get their final attempt now rather than minutes from now.
    this.wakeSleepers();
    this.pump();
    await this.settled();
    clearTimeout(this.shutdownTimer);
    this.shutdownTimer = undefined;
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    if (this.observing) {
      this.settings.meter.removeBatchObservableCallback(this.observe, this.observables);
      this.observing = false;
    }
    this.state = 'stopped';
    await this.sender.shutdown?.();
  }

  /** Resolves when nothing is active any more (shutdown: no new records arrive). */
  private async settled(): Promise<void> {
    while (this.active.size > 0 || this.pendingWrites.size > 0) {
      await Promise.all([...[...this.active].map((request) => request.done), ...this.pendingWrites]);
    }
  }

  private passShutdownDeadline(drainMs: number): void {
    this.shutdownTimer = undefined;
    this.shutdownDeadlinePassed = true;
    const reason = new RetryableError('timeout', `send aborted: the exporter did not drain within ${drainMs} ms of shutdown`);
    for (const controller of [...this.inFlight]) controller.abort(reason);
    this.wakeSleepers();
    for (const request of this.queue.drain()) {
      void this.giveUp(request, 'shutdown', `not sent: the exporter did not drain within ${drainMs} ms of shutdown`);
    }
  }

  /** Cuts the partial batch into a request and queues it (or dead-letters it once fatal). */
  private cut(): PendingRequest<Item> | undefined {
    if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    const partial = this.partial;
    if (partial.items.length === 0) return undefined;
    const request = new PendingRequest<Item>(partial.tenant, partial.items, partial.records, partial.bytes, undefined);
    partial.items = [];
    partial.records = [];
    partial.bytes = 0;
    this.active.add(request);
    if (this.fatal !== undefined) {
      void this.giveUp(request, this.fatal.code, `not sent: sending stopped after the peer refused this exporter: ${this.fatal.message}`);
    } else {
      this.queue.pushBack(request);
      this.pump();
    }
    return request;
  }

  private cutInto(waitFor: PendingRequest<Item>[] | undefined): void {
    const request = this.cut();
    if (waitFor !== undefined && request !== undefined) waitFor.push(request);
  }

  /** Starts a slot for each queued request while slots are free. */
  private pump(): void {
    const slots = this.config.sendingQueue.numConsumers;
    while (this.busySlots < slots && this.queue.length > 0) {
      const request = this.queue.shift()!;
      this.busySlots += 1;
      void this.runSlot(request);
    }
  }

  private async runSlot(first: PendingRequest<Item>): Promise<void> {
    try {
      for (let request: PendingRequest<Item> | undefined = first; request !== undefined; request = this.queue.shift()) {
        try {
          await this.process(request);
        } catch (error) {
          // A bug here must not lose the request's records nor stop the slot.
          this.host?.reportError(error);
          await this.giveUp(request, 'internal_error', errorMessage(error));
        }
      }
    } finally {
      this.busySlots -= 1;
    }
  }

  /** Sends one request until it is sent, refused, or given up on. Never rejects for a send failure. */
  private async process(request: PendingRequest<Item>): Promise<void> {
    for (;;) {
      if (this.fatal !== undefined) {
        return this.giveUp(request, this.fatal.code, `not sent: sending stopped after the peer refused this exporter: ${this.fatal.message}`);
      }
      if (this.shutdownDeadlinePassed) {
        return this.giveUp(request, 'shutdown', withLastError('not sent before the shutdown deadline', request.lastError));
      }
      if (request.attemptsMade > 0) this.retried += request.items.length;
      request.attemptsMade += 1;
      const now = this.clock();
      request.firstAttemptAt ??= now;

      let outcome: SendOutcome | void;
      try {
        outcome = await this.attempt(request);
      } catch (error) {
        request.lastError = error;
        const wait = this.retryDecision(request, error);
        if (wait === undefined) return;
        await this.sleep(wait);
        continue;
      }
      const progressless = this.settleOutcome(request, outcome);
      if (!progressless) return;
      const error = new RetryableError('resend_without_progress', 'the peer asked to resend every record of the request and took none');
      request.lastError = error;
      const wait = this.retryDecision(request, error);
      if (wait === undefined) return;
      await this.sleep(wait);
    }
  }

  /**
   * After a failed attempt: the backoff to wait before the next one, or undefined when the request
   * was given up on (its dead letters are then being written; the request finishes on its own).
   */
  private retryDecision(request: PendingRequest<Item>, error: unknown): number | undefined {
    const code = codeOf(error, 'send_failed');
    if (isFatalSendError(error)) {
      // This request's letters first, with the peer's own message; then the queue's.
      void this.giveUp(request, code, errorMessage(error));
      this.enterFatal(error, code);
      return undefined;
    }
    if (!isRetryable(error)) {
      void this.giveUp(request, code, errorMessage(error));
      return undefined;
    }
    if (this.fatal !== undefined) {
      void this.giveUp(request, this.fatal.code, `not sent: sending stopped after the peer refused this exporter: ${this.fatal.message}`);
      return undefined;
    }
    if (this.state !== 'started') {
      void this.giveUp(request, 'shutdown', withLastError(`not delivered before shutdown after ${request.attemptsMade} attempt(s)`, error));
      return undefined;
    }
    const retry = this.config.retry;
    if (!retry.enabled) {
      void this.giveUp(request, 'retries_exhausted', withLastError('retry_on_failure is disabled', error));
      return undefined;
    }
    const wait = backoffDelay(request.attemptsMade - 1, retry, this.random, retryAfterOf(error));
    const elapsed = this.clock() - (request.firstAttemptAt ?? this.clock());
    if (retry.maxElapsedMs > 0 && elapsed + wait > retry.maxElapsedMs) {
      void this.giveUp(request, 'retries_exhausted', withLastError(`gave up after ${request.attemptsMade} attempt(s) over ${elapsed} ms (max_elapsed_time ${retry.maxElapsedMs} ms)`, error));
      return undefined;
    }
    this.logThrottled('warn', `retry:${code}`, 'send failed; retrying', {
      code,
      error: errorMessage(error),
      attempt: request.attempt,
      retry_in_ms: wait,
      records: request.items.length,
      tenant: request.tenant,
    });
    return wait;
  }

  /** One attempt, aborted after the per-attempt timeout or at the shutdown deadline. */
  private async attempt(request: PendingRequest<Item>): Promise<SendOutcome | void> {
    const controller = new AbortController();
    const signal = controller.signal;
    const timeoutMs = this.config.timeoutMs;
    const timer =
      timeoutMs > 0 ? setTimeout(() => controller.abort(new RetryableError('timeout', `send attempt did not finish within ${timeoutMs} ms`)), timeoutMs) : undefined;
    this.inFlight.add(controller);
    // The abort settles the attempt even if the sender ignores the signal, so a stuck peer
    // cannot hold a slot (or shutdown) for ever; Promise.race also handles a late rejection.
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    const view: ExportRequest<Item> = { tenant: request.tenant, items: request.items, bytes: request.bytes, attempt: request.attempt };
    try {
      let sending: Promise<SendOutcome | void>;
      try {
        sending = this.sender.send(view, signal);
      } catch (error) {
        sending = Promise.reject(error);
      }
      return await Promise.race([sending, aborted]);
    } catch (error) {
      throw signal.aborted ? signal.reason : error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /**
   * Counts what the peer took, dead-letters what it refused and queues what it wants again.
   * Returns true when the peer asked for everything again and took nothing (no progress).
   */
  private settleOutcome(request: PendingRequest<Item>, outcome: SendOutcome | void): boolean {
    const count = request.items.length;
    if (outcome === undefined || outcome === null) {
      this.sent += count;
      this.finish(request);
      return false;
    }
    // Indices out of range or repeated are ignored: a record is settled once.
    const settled = new Uint8Array(count);
    let letters: DeadLetter[] | undefined;
    for (const rejected of outcome.rejected ?? []) {
      const index = rejected.index;
      if (!Number.isInteger(index) || index < 0 || index >= count || settled[index] !== 0) continue;
      settled[index] = 1;
      (letters ??= []).push(deadLetterFor(request.records[index], rejected.reason, rejected.detail));
    }
    let resend: number[] | undefined;
    for (const index of outcome.resend ?? []) {
      if (!Number.isInteger(index) || index < 0 || index >= count || settled[index] !== 0) continue;
      settled[index] = 2;
      (resend ??= []).push(index);
    }
    const rejectedCount = letters?.length ?? 0;
    const resendCount = resend?.length ?? 0;
    const taken = count - rejectedCount - resendCount;
    if (resendCount === count) return true;

    const dropped = Math.min(taken, Math.max(0, Math.floor(outcome.droppedByPeer?.count ?? 0)));
    if (dropped > 0) {
      this.failed += dropped;
      this.logThrottled('warn', 'dropped_by_peer', 'the peer dropped records it took', {
        records: dropped,
        peer_message: outcome.droppedByPeer?.message ?? '',
        tenant: request.tenant,
      });
    }
    this.sent += taken - dropped;

    if (resend !== undefined) {
      resend.sort((a, b) => a - b);
      const items: Item[] = [];
      const records: PipelineRecord[] = [];
      let bytes = 0;
      for (const index of resend) {
        const item = request.items[index]!;
        items.push(item);
        records.push(request.records[index]!);
        bytes += sizeOrZero(this.sender, item);
      }
      const child = new PendingRequest<Item>(request.tenant, items, records, bytes, request);
      request.handedOff = resendCount;
      this.retried += resendCount;
      this.active.add(child);
      this.queue.pushFront(child);
      this.pump();
    }
    if (letters === undefined) this.finish(request);
    else void this.deadLetter(request.tenant, letters).then(() => this.finish(request));
    return false;
  }

  /** Dead-letters every record of the request with one reason, then finishes it. Never rejects. */
  private async giveUp(request: PendingRequest<Item>, reason: string, detail: string): Promise<void> {
    const letters = request.records.map((record) => deadLetterFor(record, reason, detail));
    await this.deadLetter(request.tenant, letters);
    this.finish(request);
  }

  /** Releases the request's records from the queue count; done once its resends are, too. */
  private finish(request: PendingRequest<Item>): void {
    this.held -= request.items.length - request.handedOff;
    this.wakeSoon();
    let current: PendingRequest<Item> | undefined = request;
    while (current !== undefined && current.release()) {
      this.active.delete(current);
      current = current.parent;
    }
  }

  private enterFatal(error: unknown, code: string): void {
    if (this.fatal !== undefined) return;
    const message = errorMessage(error);
    this.fatal = { code, message };
    this.logger.error('exporter stopped sending: the peer refuses this exporter, not the data; records are dead-lettered until an operator fixes it and restarts', {
      code,
      error: message,
      tenant: this.settings.tenant,
    });
    this.host?.reportError(
      new PermanentError(code, `exporter ${this.settings.id} stopped sending (${message}); every record is dead-lettered with reason ${code} until the configuration is fixed and authwire restarted`, {
        cause: error,
      }),
    );
    const detail = `not sent: sending stopped after the peer refused this exporter: ${message}`;
    // Waiting requests must not be sent any more: dead-letter the queue now, wake those in backoff.
    for (const request of this.queue.drain()) void this.giveUp(request, code, detail);
    this.cut();
    this.wakeSleepers();
    // Batches waiting for room are dead-lettered too (admit does that once fatal).
    this.wakeSoon();
  }

  /** Writes dead letters (or, with dead-lettering off, counts and logs them). Never rejects. */
  private async deadLetter(tenant: string, letters: DeadLetter[]): Promise<void> {
    const count = letters.length;
    if (count === 0) return;
    if (!this.config.deadLetter.enabled || this.host === undefined) {
      this.failed += count;
      for (const [reason, records] of countByReason(letters)) {
        this.logThrottled('warn', `refused:${reason}`, 'records refused and dropped (dead_letter is disabled)', { reason, records, tenant });
      }
      return;
    }
    try {
      await this.host.deadLetter(tenant, letters);
      this.deadLettered += count;
      this.failed += count;
    } catch (error) {
      this.failed += count;
      const reasons = [...countByReason(letters).keys()].join(', ');
      this.host.reportError(
        new PermanentError('dead_letter_failed', `exporter ${this.settings.id}: ${count} record(s) refused (${reasons}) could not be dead-lettered and are lost: ${errorMessage(error)}`, {
          cause: error,
        }),
      );
    }
  }

  /** Keeps a consume-time dead-letter write visible to flush and shutdown until it settles. */
  private track(write: Promise<void>): Promise<void> {
    this.pendingWrites.add(write);
    void write.then(() => this.pendingWrites.delete(write));
    return write;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        timer: undefined,
        wake: () => {
          if (sleeper.timer !== undefined) clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      sleeper.timer = setTimeout(sleeper.wake, ms);
      this.sleepers.add(sleeper);
    });
  }

  private wakeSleepers(): void {
    for (const sleeper of [...this.sleepers]) sleeper.wake();
  }

  private logThrottled(level: 'warn' | 'error', key: string, message: string, attributes: Record<string, unknown>): void {
    const unlogged = this.logThrottle.admit(key);
    if (unlogged === undefined) return;
    if (unlogged > 0) attributes.unlogged_since_last = unlogged;
    this.logger[level](message, attributes);
  }
}

/** sizeOf already succeeded for this item in consume; a sender whose sizeOf is not pure must not lose the resend. */
function sizeOrZero<Item>(sender: Sender<Item>, item: Item): number {
  try {
    return sender.sizeOf(item);
  } catch {
    return 0;
  }
}

/** The error's own code when it has a string one, else the fallback. */
function codeOf(error: unknown, fallback: string): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return fallback;
}

function withLastError(what: string, error: unknown): string {
  if (error === undefined) return what;
  return `${what}; last error ${codeOf(error, 'send_failed')}: ${errorMessage(error)}`;
}

function countByReason(letters: readonly DeadLetter[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const letter of letters) counts.set(letter.reason, (counts.get(letter.reason) ?? 0) + 1);
  return counts;
}

/** A raw record has a format and no OCSF class; anything else is treated as an (OCSF) event. */
function isRawRecord(record: PipelineRecord): record is RawRecord {
  return typeof record === 'object' && record !== null && typeof (record as RawRecord).format === 'string' && typeof (record as OcsfEvent).class_uid !== 'number';
}

function deadLetterFor(record: PipelineRecord | undefined, reason: string, detail: string): DeadLetter {
  let format: string | undefined;
  let observedTime: number | undefined;
  if (record !== undefined && isRawRecord(record)) {
    format = record.format;
    if (typeof record.observedTime === 'number') observedTime = record.observedTime;
  } else if (typeof record === 'object' && record !== null) {
    const logged = (record as OcsfEvent).metadata?.logged_time;
    if (typeof logged === 'number' && Number.isFinite(logged)) observedTime = logged;
  }
  return { reason, detail, format, original: record, observedTime: observedTime ?? Date.now() };
}
