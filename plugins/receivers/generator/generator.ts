import type { Batch, Consumer, CreateSettings, Host, RawRecord, Receiver } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { createDefaultConfig } from './config.js';
import type { GeneratorConfig } from './config.js';
import { Engine } from './engine.js';

/** Live mode emits on this tick: at 20 records/s that is 2 records every 100 ms. */
const TICK_MS = 100;

/**
 * The generator receiver. Two clocks:
 * - live (no start_time): event time is the wall clock, records are paced at `rate` on a 100 ms tick;
 * - fast-forward (start_time set): event time is start_time + i/rate, and batches are produced as
 *   fast as the consumer accepts them (yielding to the event loop between batches).
 * Either way the next batch is built only after the previous `consume` settled.
 */
export class GeneratorReceiver implements Receiver {
  /** Resolves when the generator has stopped producing: `count` reached (and its last batch settled), or shutdown. */
  readonly done: Promise<void>;
  /** Records handed to `consume` so far (accepted or not). */
  emitted = 0;
  /** Batches whose `consume` rejected (each also reported through host.reportError). */
  failedBatches = 0;

  private readonly settings: CreateSettings;
  private readonly next: Consumer;
  private readonly engine: Engine;
  private readonly rate: number;
  private readonly batchSize: number;
  private readonly limit: number;
  private readonly startMs: number | undefined;
  private host: Host | undefined;
  private started = false;
  private stopping = false;
  private finished = false;
  private resolveDone!: () => void;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(settings: CreateSettings, userConfig: GeneratorConfig, next: Consumer) {
    const config: GeneratorConfig = { ...createDefaultConfig(), ...userConfig };
    this.settings = settings;
    this.next = next;
    this.rate = config.rate;
    this.batchSize = config.batch_size;
    this.limit = config.count ?? Number.POSITIVE_INFINITY;
    if (!(this.rate > 0)) throw new Error(`generator: rate must be > 0, got ${config.rate}`);
    const intervalMs = parseDuration(config.scenario_interval);
    if (intervalMs <= 0) throw new Error('generator: scenario_interval must be greater than 0');
    if (config.start_time !== undefined) {
      const ms = Date.parse(config.start_time);
      if (Number.isNaN(ms)) throw new Error(`generator: start_time is not an ISO-8601 date-time: ${JSON.stringify(config.start_time)}`);
      this.startMs = ms;
    }
    this.engine = new Engine({
      seed: config.seed,
      formats: config.formats,
      scenarios: config.scenarios,
      scenarioEvery: (intervalMs / 1000) * this.rate,
      domain: config.tenant_domain,
      noiseFailureScale: config.noise_failure_scale,
    });
    if (this.engine.skipped.length > 0) {
      settings.logger.warn('scenarios skipped: no configured format can show them', { skipped: this.engine.skipped, formats: config.formats });
    }
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** True once production has stopped for good (count reached or shut down). */
  get isDone(): boolean {
    return this.finished;
  }

  async start(host: Host): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.host = host;
    const run = this.startMs !== undefined ? this.runFastForward(this.startMs) : this.runLive();
    // A failure here is a generator bug, never the consumer's (send() catches those): report it and
    // stop rather than let it escape as an unhandled rejection.
    this.loop = run.catch((error: unknown) => {
      this.host?.reportError(error);
      this.finish();
    });
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    // Drain: the loop only ends after its in-flight consume settled.
    if (this.loop !== undefined) await this.loop;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone();
  }

  private async runFastForward(startMs: number): Promise<void> {
    const stepMs = 1000 / this.rate;
    while (!this.stopping && this.emitted < this.limit) {
      const n = Math.min(this.batchSize, this.limit - this.emitted);
      const records: RawRecord[] = new Array(n);
      for (let k = 0; k < n; k++) {
        const time = Math.floor(startMs + (this.emitted + k) * stepMs);
        records[k] = this.engine.next(time, { format: '', payload: '', observedTime: time, source: this.settings.id });
      }
      await this.send(records);
      // Let timers and I/O run (shutdown, other pipelines) even when the consumer resolves synchronously.
      if (!this.stopping) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.finish();
  }

  private async runLive(): Promise<void> {
    const stepMs = 1000 / this.rate;
    let last = Date.now();
    let credit = 0;
    // Cap the backlog at one second (or one batch): a slow consumer slows the generator down
    // instead of receiving an ever larger burst when it recovers.
    const maxCredit = Math.max(this.rate, this.batchSize);
    while (!this.stopping && this.emitted < this.limit) {
      await this.sleep(TICK_MS);
      if (this.stopping) break;
      const now = Date.now();
      credit = Math.min(maxCredit, credit + ((now - last) * this.rate) / 1000);
      last = now;
      let due = Math.min(Math.floor(credit), this.limit - this.emitted);
      credit -= due;
      while (due > 0 && !this.stopping) {
        const n = Math.min(this.batchSize, due);
        due -= n;
        const observed = Date.now();
        const records: RawRecord[] = new Array(n);
        for (let k = 0; k < n; k++) {
          // Spread the batch's event times over the interval it stands for, newest last.
          const time = Math.floor(observed - (n - 1 - k) * stepMs);
          records[k] = this.engine.next(time, { format: '', payload: '', observedTime: observed, source: this.settings.id });
        }
        await this.send(records);
      }
    }
    this.finish();
  }

  private async send(records: RawRecord[]): Promise<void> {
    const batch: Batch = { tenant: this.settings.tenant, records };
    this.emitted += records.length;
    try {
      await this.next.consume(batch);
    } catch (error) {
      this.failedBatches++;
      this.host?.reportError(error);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }
}
