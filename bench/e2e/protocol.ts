/**
 * Messages between the harness and its child processes (generator, sink), over the IPC channel of
 * `child_process.fork`. The children run in their own processes so that producing and checking the
 * load never shares an event loop with what is measured.
 */

export interface GeneratorOptions {
  host: string;
  port: number;
  /** Run tag, `r<digits>`: the prefix of every event id of this run. */
  tag: string;
  count: number;
  /** Events per second; 0 = as fast as the receiver accepts them. */
  rate: number;
}

export type GeneratorReply =
  | {
      type: 'sent';
      sent: number;
      /** Date.now() just before the first byte was written. */
      firstByteAt: number;
      /** Date.now() when the last byte was handed to the kernel. */
      lastByteAt: number;
      /** Fixed-rate runs: times the generator had to wait for the receiver (it fell behind). */
      stalls: number;
      /** CPU seconds the generator process used (it shares the machine with the server). */
      cpuSeconds: number;
    }
  | { type: 'error'; message: string };

export interface SinkExpect {
  type: 'expect';
  tag: string;
  count: number;
  /** Give up when no new event of this run arrived for this long. */
  idleTimeoutMs: number;
  /** Keep a latency histogram (receipt time − `rt`). */
  latency: boolean;
}

export type SinkRequest = SinkExpect | { type: 'final' } | { type: 'exit' };

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Messages whose `rt` was after their receipt (clock trouble); counted as 0 ms. */
  negative: number;
}

export interface SinkRunResult {
  type: 'result';
  tag: string;
  count: number;
  /** Distinct events of this run received. */
  received: number;
  duplicates: number;
  lost: number;
  /** Messages that failed the strict syslog/CEF check while this run was open. */
  malformed: number;
  malformedSamples: string[];
  /** Detection Findings received while this run was open. */
  detections: number;
  /** Messages neither of this run nor findings (another run's, or unknown ids). */
  foreign: number;
  /** Date.now() at the receipt of this run's first and last event. */
  firstReceivedAt: number;
  lastReceivedAt: number;
  timedOut: boolean;
  latency: LatencySummary | undefined;
}

/** What arrived for a run after it was reported (late duplicates, or events after a timeout). */
export interface SinkFinal {
  type: 'final';
  late: Record<string, { duplicates: number; arrivals: number }>;
  /** Detection Findings received over the whole harness, by syslog HOSTNAME (= variant). */
  detectionsByHost: Record<string, number>;
  malformed: number;
  detections: number;
  foreign: number;
}

export type SinkReply = { type: 'listening'; port: number } | { type: 'ready'; tag: string } | SinkRunResult | SinkFinal;
