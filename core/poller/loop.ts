/**
 * The poll loop of a pull receiver: calls `poll()` every `intervalMs`, never two at once, backs
 * off after failures, and stops promptly on shutdown (the AbortSignal it hands to `poll` aborts
 * waits and requests). `poll` does one catch-up pass: fetch pages, `await next.consume(...)`,
 * and only then commit its checkpoint; a throw leaves the checkpoint where it was, so the next
 * pass fetches the same records again.
 *
 * Lag (how far behind now the newest pulled event is) is tracked here for every receiver alike.
 */
import type { Host, Logger } from '../api.js';
import { errorCode, errorMessage, isRetryable } from '../errors.js';

export interface PollLoopOptions {
  readonly name: string;
  readonly intervalMs: number;
  /** After n consecutive failures the loop waits min(maxBackoffMs, intervalMs × 2^n). */
  readonly maxBackoffMs: number;
  readonly logger: Logger;
  /** One catch-up pass. Resolves when caught up (or after a page budget); throws to back off. */
  readonly poll: (signal: AbortSignal) => Promise<void>;
  /** For tests. */
  readonly now?: () => number;
}

export interface PollMetrics {
  polls: number;
  poll_failures: number;
  /** now − newest pulled event time, ms; -1 before the first event. */
  lag_ms: number;
  /** Epoch ms of the last pass that completed; 0 before the first. */
  last_success_time: number;
}

export class PollLoop {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private host: Host | undefined;
  private newestEventTime: number | undefined;
  private failures = 0;
  private wake: (() => void) | undefined;
  private readonly counts = { polls: 0, poll_failures: 0, last_success_time: 0 };

  constructor(private readonly options: PollLoopOptions) {}

  /** The signal `poll` gets; aborted on stop(). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  start(host: Host): void {
    if (this.running !== undefined || this.abort.signal.aborted) return;
    this.host = host;
    this.running = this.run();
  }

  /** Record the event time of pulled (and delivered) records; lag is measured from the newest. */
  observeEventTime(time: number): void {
    if (Number.isFinite(time) && (this.newestEventTime === undefined || time > this.newestEventTime)) this.newestEventTime = time;
  }

  /** Run the next pass now instead of at the end of the interval (a stream hint, a test). */
  pollNow(): void {
    this.wake?.();
  }

  metrics(): PollMetrics {
    const now = (this.options.now ?? Date.now)();
    return { ...this.counts, lag_ms: this.newestEventTime === undefined ? -1 : Math.max(0, now - this.newestEventTime) };
  }

  /** Stops after the current pass (whose requests and waits are aborted). Idempotent. */
  async stop(): Promise<void> {
    this.abort.abort(new Error(`${this.options.name} is shutting down`));
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const { options } = this;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      this.counts.polls++;
      try {
        await options.poll(signal);
        this.failures = 0;
        this.counts.last_success_time = (options.now ?? Date.now)();
      } catch (error) {
        if (signal.aborted) break;
        this.failures++;
        this.counts.poll_failures++;
        // Reported to the host (counted, logged at most once per 10 s per code), never thrown out of the loop.
        this.host?.reportError(error);
        options.logger.debug('poll failed', { code: errorCode(error), retryable: isRetryable(error), failures: this.failures, message: errorMessage(error) });
      }
      // stop() during a pass that then returned normally: do not sleep a whole interval before noticing.
      if (signal.aborted) break;
      const wait = this.failures === 0 ? options.intervalMs : Math.min(options.maxBackoffMs, options.intervalMs * 2 ** this.failures);
      await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
