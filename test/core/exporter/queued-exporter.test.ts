import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Meter } from '@opentelemetry/api';
import type { Batch, DeadLetter, LogAttributes, Logger, OcsfEvent, PipelineRecord, RawRecord } from '../../../core/api.js';
import { PermanentError, RetryableError } from '../../../core/errors.js';
import type { ResolvedExporterHelperConfig } from '../../../core/exporter/config.js';
import { QueuedExporter } from '../../../core/exporter/queued-exporter.js';
import type { QueuedExporterOptions } from '../../../core/exporter/queued-exporter.js';
import { FatalSendError } from '../../../core/exporter/sender.js';
import type { ExportRequest, Sender, SendOutcome } from '../../../core/exporter/sender.js';
import { RecordingHost, testSettings } from '../../../core/testing.js';
import { waitFor } from '../../helpers.js';

// ---------------------------------------------------------------------------------------------
// A scripted Sender: the helper is the unit under test, so the sender only records what it was
// asked to send and answers as each test scripts it.

type Script = (request: ExportRequest<string>, signal: AbortSignal, call: number) => Promise<SendOutcome | void> | SendOutcome | void;

interface SendCall {
  items: string[];
  attempt: number;
  bytes: number;
  tenant: string;
  signal: AbortSignal;
}

class ScriptedSender implements Sender<string> {
  readonly calls: SendCall[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  started = 0;
  stopped = 0;
  maxRequestBytes: number | undefined = undefined;
  startError: unknown = undefined;

  constructor(private readonly script: Script = () => undefined) {}

  /** Payload `bad:<code>` throws a PermanentError with that code; `crash` throws a TypeError. */
  prepare(record: PipelineRecord, _tenant: string): string {
    const payload = String((record as RawRecord).payload ?? (record as OcsfEvent).metadata.uid);
    if (payload.startsWith('bad:')) throw new PermanentError(payload.slice(4), `cannot encode ${payload}`);
    if (payload === 'crash') throw new TypeError('boom');
    return payload;
  }

  sizeOf(item: string): number {
    return item.length;
  }

  async start(): Promise<void> {
    this.started += 1;
    if (this.startError !== undefined) throw this.startError;
  }

  async shutdown(): Promise<void> {
    this.stopped += 1;
  }

  async send(request: ExportRequest<string>, signal: AbortSignal): Promise<SendOutcome | void> {
    const call = this.calls.length;
    this.calls.push({ items: [...request.items], attempt: request.attempt, bytes: request.bytes, tenant: request.tenant, signal });
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      return await this.script(request, signal, call);
    } finally {
      this.concurrent -= 1;
    }
  }

  /** Items of every call, flattened. */
  get sentItems(): string[] {
    return this.calls.flatMap((call) => call.items);
  }
}

interface LogLine {
  level: string;
  message: string;
  attributes: LogAttributes;
}

class RecordingLogger implements Logger {
  constructor(readonly lines: LogLine[] = []) {}
  debug(message: string, attributes: LogAttributes = {}): void {
    this.lines.push({ level: 'debug', message, attributes });
  }
  info(message: string, attributes: LogAttributes = {}): void {
    this.lines.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: LogAttributes = {}): void {
    this.lines.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes: LogAttributes = {}): void {
    this.lines.push({ level: 'error', message, attributes });
  }
  child(): Logger {
    return this;
  }
}

interface HelperOverrides {
  batch?: Partial<ResolvedExporterHelperConfig['batch']>;
  sendingQueue?: Partial<ResolvedExporterHelperConfig['sendingQueue']>;
  retry?: Partial<ResolvedExporterHelperConfig['retry']>;
  timeoutMs?: number;
  deadLetter?: Partial<ResolvedExporterHelperConfig['deadLetter']>;
}

/** Small intervals so the tests are fast; a long batch timeout so that only flush cuts unless a test says otherwise. */
function helperConfig(overrides: HelperOverrides = {}): ResolvedExporterHelperConfig {
  return {
    batch: { maxEvents: 100, maxBytes: 1_000_000, timeoutMs: 10_000, ...overrides.batch },
    // Refuse a full queue at once unless a test says otherwise (the waiting has tests of its own).
    sendingQueue: { enabled: true, numConsumers: 1, queueSize: 1000, blockTimeoutMs: 0, ...overrides.sendingQueue },
    retry: { enabled: true, initialIntervalMs: 1, multiplier: 2, randomizationFactor: 0, maxIntervalMs: 20, maxElapsedMs: 0, ...overrides.retry },
    timeoutMs: overrides.timeoutMs ?? 1000,
    deadLetter: { enabled: true, ...overrides.deadLetter },
  };
}

function raw(payload: string, index = 0): RawRecord {
  return { format: 'test.format', payload, observedTime: 1_700_000_000_000 + index, source: 'test_receiver' };
}

function batchOf(payloads: string[], tenant = 'test'): Batch {
  return { tenant, records: payloads.map((payload, index) => raw(payload, index)) };
}

function names(count: number, prefix = 'r'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${index}`);
}

interface Setup {
  exporter: QueuedExporter<string>;
  sender: ScriptedSender;
  host: RecordingHost;
  logs: LogLine[];
}

async function started(sender: ScriptedSender, overrides: HelperOverrides = {}, options: QueuedExporterOptions = {}, host = new RecordingHost()): Promise<Setup> {
  const logger = new RecordingLogger();
  const settings = testSettings('exporter', 'scripted/test', { logger });
  const exporter = new QueuedExporter(settings, helperConfig(overrides), sender, { random: () => 0.5, ...options });
  await exporter.start(host);
  return { exporter, sender, host, logs: logger.lines };
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const reasons = (letters: readonly DeadLetter[]): string[] => letters.map((letter) => letter.reason);
const originals = (letters: readonly DeadLetter[]): unknown[] => letters.map((letter) => (letter.original as RawRecord).payload);
const ticks = async (count = 5): Promise<void> => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

// ---------------------------------------------------------------------------------------------
// Lifecycle

test('consume before start is refused (not_started), after shutdown (shut_down); shutdown is idempotent and safe without start', async () => {
  const sender = new ScriptedSender();
  const exporter = new QueuedExporter(testSettings('exporter', 'scripted/test'), helperConfig(), sender);
  await assert.rejects(exporter.consume(batchOf(['a'])), { code: 'not_started', retryable: false });
  const first = exporter.shutdown();
  assert.equal(exporter.shutdown(), first);
  await first;
  assert.equal(sender.stopped, 0); // never started: nothing to close
  await assert.rejects(exporter.consume(batchOf(['a'])), { code: 'shut_down', retryable: false });
  await assert.rejects(exporter.start(new RecordingHost()), { code: 'shut_down' });
});

test('start calls sender.start and a rejection rejects start; shutdown drains the partial batch, then calls sender.shutdown once', async () => {
  const failing = new ScriptedSender();
  failing.startError = new PermanentError('health_check_failed', 'HEC health 503');
  const refused = new QueuedExporter(testSettings('exporter', 'scripted/test'), helperConfig(), failing);
  await assert.rejects(refused.start(new RecordingHost()), { code: 'health_check_failed' });
  await assert.rejects(refused.consume(batchOf(['a'])), { code: 'not_started' });
  await refused.shutdown();

  const { exporter, sender } = await started(new ScriptedSender());
  assert.equal(sender.started, 1);
  await exporter.consume(batchOf(['a', 'b', 'c']));
  assert.equal(sender.calls.length, 0); // waiting for more: max_events 100, timeout 10 s
  await Promise.all([exporter.shutdown(), exporter.shutdown()]);
  assert.deepEqual(sender.sentItems, ['a', 'b', 'c']);
  assert.equal(sender.stopped, 1);
  assert.deepEqual(exporter.metrics(), { sent: 3, retried: 0, failed: 0, dead_lettered: 0, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  await assert.rejects(exporter.consume(batchOf(['d'])), { code: 'shut_down', retryable: false });
});

// ---------------------------------------------------------------------------------------------
// Batching

test('batching: a request is cut at max_events; flush cuts the partial batch', async () => {
  const { exporter, sender } = await started(new ScriptedSender(), { batch: { maxEvents: 3 } });
  await exporter.consume(batchOf(names(7)));
  await exporter.flush();
  assert.deepEqual(
    sender.calls.map((call) => [call.items, call.attempt, call.bytes, call.tenant]),
    [
      [['r0', 'r1', 'r2'], 1, 6, 'test'],
      [['r3', 'r4', 'r5'], 1, 6, 'test'],
      [['r6'], 1, 2, 'test'],
    ],
  );
  assert.equal(exporter.metrics().sent, 7);
  await exporter.shutdown();
});

test('batching: a request is cut before an item would exceed min(max_bytes, maxRequestBytes); a larger item is dead-lettered as record_too_large', async () => {
  const { exporter, sender } = await started(new ScriptedSender(), { batch: { maxBytes: 10 } });
  await exporter.consume(batchOf(['aaaa', 'bbbb', 'cccc', 'dddddddddd', 'ee', 'f']));
  await exporter.flush();
  // 4+4 = 8; +4 would be 12 > 10. 'dddddddddd' fills a request alone (10 = max_bytes).
  assert.deepEqual(sender.calls.map((call) => call.items), [['aaaa', 'bbbb'], ['cccc'], ['dddddddddd'], ['ee', 'f']]);
  assert.deepEqual(sender.calls.map((call) => call.bytes), [8, 4, 10, 3]);
  await exporter.shutdown();

  const lowered = new ScriptedSender();
  lowered.maxRequestBytes = 6;
  const second = await started(lowered, { batch: { maxBytes: 1_000_000 } });
  await second.exporter.consume(batchOf(['aaa', 'bbb', 'ccc', 'toolong', 'dd']));
  // The dead letter is written before consume resolves.
  assert.equal(second.host.deadLetters.length, 1);
  assert.deepEqual(second.host.deadLetters[0], {
    tenant: 'test',
    reason: 'record_too_large',
    detail: 'encoded to 7 bytes; the peer accepts at most 6 bytes per request',
    format: 'test.format',
    original: raw('toolong', 3),
    observedTime: 1_700_000_000_003,
  });
  await second.exporter.flush();
  assert.deepEqual(lowered.calls.map((call) => call.items), [['aaa', 'bbb'], ['ccc', 'dd']]);
  assert.deepEqual(second.exporter.metrics(), { sent: 4, retried: 0, failed: 1, dead_lettered: 1, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  await second.exporter.shutdown();
});

test('batching: a partial batch is sent batch.timeout after its first record arrived', async () => {
  const { exporter, sender } = await started(new ScriptedSender(), { batch: { timeoutMs: 5 } });
  await exporter.consume(batchOf(['a', 'b']));
  await exporter.consume(batchOf(['c']));
  assert.equal(sender.calls.length, 0);
  await waitFor(() => sender.calls.length === 1, 2000, 'the batch timeout');
  assert.deepEqual(sender.calls[0]!.items, ['a', 'b', 'c']);
  await exporter.consume(batchOf(['d']));
  await waitFor(() => sender.calls.length === 2, 2000, 'the second batch timeout');
  assert.deepEqual(sender.calls[1]!.items, ['d']);
  await exporter.shutdown();
});

test('batching: records of another tenant start a new request', async () => {
  const { exporter, sender } = await started(new ScriptedSender());
  await exporter.consume(batchOf(['a1', 'a2'], 'acme'));
  await exporter.consume(batchOf(['b1'], 'globex'));
  await exporter.flush();
  assert.deepEqual(sender.calls.map((call) => [call.tenant, call.items]), [['acme', ['a1', 'a2']], ['globex', ['b1']]]);
  await exporter.shutdown();
});

test('flush waits for what was consumed before it, not for what came after', async () => {
  const first = deferred();
  const later = deferred();
  const script: Script = (request) => (request.items[0] === 'a' ? first.promise : later.promise);
  const { exporter, sender } = await started(new ScriptedSender(script), { sendingQueue: { numConsumers: 2 } });
  await exporter.consume(batchOf(['a']));
  let flushed = false;
  const flushing = exporter.flush().then(() => (flushed = true));
  await exporter.consume(batchOf(['b']));
  void exporter.flush(); // sends ['b'], which stays in flight
  await ticks();
  assert.equal(sender.calls.length, 2);
  assert.equal(flushed, false);
  first.resolve();
  await flushing;
  assert.deepEqual(exporter.metrics(), { sent: 1, retried: 0, failed: 0, dead_lettered: 0, queue_size: 1, queue_capacity: 1000, in_flight_requests: 1 });
  later.resolve();
  await exporter.shutdown();
  assert.equal(exporter.metrics().sent, 2);
});

test('prepare throwing dead-letters that record with the error code (unencodable_record without one); the others go on', async () => {
  const { exporter, sender, host } = await started(new ScriptedSender());
  await exporter.consume(batchOf(['a', 'bad:not_ocsf', 'b', 'crash', 'c']));
  assert.deepEqual(
    host.deadLetters.map((letter) => [letter.reason, letter.detail, (letter.original as RawRecord).payload, letter.format, letter.observedTime]),
    [
      ['not_ocsf', 'cannot encode bad:not_ocsf', 'bad:not_ocsf', 'test.format', 1_700_000_000_001],
      ['unencodable_record', 'boom', 'crash', 'test.format', 1_700_000_000_003],
    ],
  );
  await exporter.flush();
  assert.deepEqual(sender.sentItems, ['a', 'b', 'c']);
  assert.deepEqual(exporter.metrics(), { sent: 3, retried: 0, failed: 2, dead_lettered: 2, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  await exporter.shutdown();
});

// ---------------------------------------------------------------------------------------------
// The queue: back-pressure, concurrency, queue disabled

test('queue_full: a batch is refused whole, retryably, while the queue is full; one below capacity is taken whole', async () => {
  const gate = deferred();
  const { exporter, sender } = await started(new ScriptedSender(() => gate.promise), { batch: { maxEvents: 4 }, sendingQueue: { queueSize: 10 } });
  await exporter.consume(batchOf(names(8)));
  assert.equal(exporter.metrics().queue_size, 8);
  assert.equal(exporter.metrics().in_flight_requests, 1);
  // 8 held, below 10: the batch of 3 is taken whole (the queue passes capacity by less than a batch).
  await exporter.consume(batchOf(['x', 'y', 'z']));
  assert.equal(exporter.metrics().queue_size, 11);
  await assert.rejects(exporter.consume(batchOf(['w'])), (error: Error & { code?: string; retryable?: boolean }) => {
    assert.equal(error.code, 'queue_full');
    assert.equal(error.retryable, true);
    assert.equal(error.message, 'exporter scripted/test: the sending queue is full (11 records held, queue_size 10); the batch of 1 is refused until it drains');
    return true;
  });
  assert.equal(exporter.metrics().queue_size, 11);
  assert.equal(exporter.metrics().queue_capacity, 10);
  gate.resolve();
  await exporter.flush();
  assert.deepEqual(sender.sentItems, [...names(8), 'x', 'y', 'z']);
  assert.deepEqual(exporter.metrics(), { sent: 11, retried: 0, failed: 0, dead_lettered: 0, queue_size: 0, queue_capacity: 10, in_flight_requests: 0 });
  // A batch larger than the whole queue is taken too, rather than refused for ever.
  await exporter.consume(batchOf(names(12, 'big')));
  await exporter.flush();
  assert.equal(exporter.metrics().sent, 23);
  await exporter.shutdown();
});

test('block_timeout: batches arriving at a full queue wait, and are queued in arrival order once a request frees room', async () => {
  const gate = deferred();
  const { exporter, sender } = await started(new ScriptedSender(() => gate.promise), { batch: { maxEvents: 4 }, sendingQueue: { queueSize: 4, blockTimeoutMs: 10_000 } });
  await exporter.consume(batchOf(names(4)));
  assert.equal(exporter.metrics().queue_size, 4);
  const settled: string[] = [];
  const first = exporter.consume(batchOf(['a1', 'a2'])).then(() => settled.push('a'));
  const second = exporter.consume(batchOf(['b1'])).then(() => settled.push('b'));
  await ticks();
  // Both wait: nothing of them is held yet, and neither has resolved.
  assert.deepEqual(settled, []);
  assert.equal(exporter.metrics().queue_size, 4);
  gate.resolve();
  await Promise.all([first, second]);
  assert.deepEqual(settled, ['a', 'b']);
  await exporter.flush();
  assert.deepEqual(sender.sentItems, [...names(4), 'a1', 'a2', 'b1']);
  assert.deepEqual(exporter.metrics(), { sent: 7, retried: 0, failed: 0, dead_lettered: 0, queue_size: 0, queue_capacity: 4, in_flight_requests: 0 });
  await exporter.shutdown();
});

test('block_timeout: a batch still waiting when it runs out is refused with queue_full; one arriving later waits behind no one', async () => {
  const gate = deferred();
  const { exporter, sender } = await started(new ScriptedSender(() => gate.promise), { batch: { maxEvents: 2 }, sendingQueue: { queueSize: 2, blockTimeoutMs: 20 } });
  await exporter.consume(batchOf(names(2)));
  await assert.rejects(exporter.consume(batchOf(['late'])), (error: Error & { code?: string; retryable?: boolean }) => {
    assert.equal(error.code, 'queue_full');
    assert.equal(error.retryable, true);
    assert.equal(error.message, 'exporter scripted/test: the sending queue is full (2 records held, queue_size 2); the batch of 1 is refused until it drains');
    return true;
  });
  gate.resolve();
  await exporter.flush();
  await exporter.consume(batchOf(['next']));
  await exporter.flush();
  assert.deepEqual(sender.sentItems, ['r0', 'r1', 'next']);
  await exporter.shutdown();
});

test('block_timeout: shutdown refuses the batches still waiting for room (shut_down), and sends what it held', async () => {
  const gate = deferred();
  const { exporter, sender } = await started(new ScriptedSender(() => gate.promise), { batch: { maxEvents: 2 }, sendingQueue: { queueSize: 2, blockTimeoutMs: 10_000 } });
  await exporter.consume(batchOf(names(2)));
  const waiting = exporter.consume(batchOf(['w']));
  await ticks();
  const stopping = exporter.shutdown();
  await assert.rejects(waiting, { code: 'shut_down', retryable: false });
  gate.resolve();
  await stopping;
  assert.deepEqual(sender.sentItems, ['r0', 'r1']);
});

test('concurrency: never more than num_consumers requests in flight', async () => {
  const script: Script = () => new Promise((resolve) => setTimeout(resolve, 2));
  const { exporter, sender } = await started(new ScriptedSender(script), { batch: { maxEvents: 1 }, sendingQueue: { numConsumers: 3 } });
  await exporter.consume(batchOf(names(12)));
  assert.equal(exporter.metrics().in_flight_requests, 3);
  assert.equal(exporter.metrics().queue_size, 12);
  await exporter.flush();
  assert.equal(sender.maxConcurrent, 3);
  assert.deepEqual([...sender.sentItems].sort(), [...names(12)].sort());
  assert.equal(exporter.metrics().sent, 12);
  await exporter.shutdown();
});

test('queue disabled: consume resolves only once its records are sent, without waiting for the batch timeout', async () => {
  const gate = deferred();
  const { exporter, sender } = await started(new ScriptedSender(() => gate.promise), { sendingQueue: { enabled: false }, batch: { maxEvents: 2, timeoutMs: 60_000 } });
  let resolved = false;
  const consuming = exporter.consume(batchOf(['a', 'b', 'c'])).then(() => (resolved = true));
  await ticks();
  assert.equal(resolved, false);
  assert.deepEqual(sender.calls.map((call) => call.items), [['a', 'b']]); // one slot; ['c'] is queued
  gate.resolve();
  await consuming;
  assert.deepEqual(sender.calls.map((call) => call.items), [['a', 'b'], ['c']]);
  assert.equal(exporter.metrics().sent, 3);
  assert.equal(exporter.metrics().queue_size, 0);
  await exporter.shutdown();
});

test('queue disabled: consume waits for the dead letters of a permanent refusal too', async () => {
  const { exporter, host } = await started(new ScriptedSender(() => Promise.reject(new PermanentError('invalid_request', '400 bad request'))), {
    sendingQueue: { enabled: false },
  });
  await exporter.consume(batchOf(['a', 'b']));
  assert.deepEqual(reasons(host.deadLetters), ['invalid_request', 'invalid_request']);
  await exporter.shutdown();
});

// ---------------------------------------------------------------------------------------------
// Retry

test('retry: retryable failures are retried with backoff, then the request succeeds; sent and retried are exact', async () => {
  const script: Script = (_request, _signal, call) => {
    if (call < 2) throw new RetryableError('unavailable', '503 Service Unavailable');
  };
  const { exporter, sender, logs } = await started(new ScriptedSender(script), { batch: { maxEvents: 5 } });
  await exporter.consume(batchOf(names(5)));
  await exporter.flush();
  assert.deepEqual(sender.calls.map((call) => call.attempt), [1, 2, 3]);
  assert.deepEqual(sender.calls.map((call) => call.items), [names(5), names(5), names(5)]);
  assert.deepEqual(exporter.metrics(), { sent: 5, retried: 10, failed: 0, dead_lettered: 0, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  // Two failures with the same code: one log line (the throttle holds the second).
  const retryLines = logs.filter((line) => line.message === 'send failed; retrying');
  assert.deepEqual(retryLines.map((line) => line.attributes), [
    { code: 'unavailable', error: '503 Service Unavailable', attempt: 1, retry_in_ms: 1, records: 5, tenant: 'test' },
  ]);
  await exporter.shutdown();
});

test('retry: the peer’s Retry-After is honoured when longer than the backoff', async () => {
  const script: Script = (_request, _signal, call) => {
    if (call === 0) throw new RetryableError('throttled', '429 Too Many Requests', { retryAfterMs: 15 });
  };
  const { exporter, sender, logs } = await started(new ScriptedSender(script));
  await exporter.consume(batchOf(['a']));
  await exporter.flush();
  assert.equal(sender.calls.length, 2);
  const retry = logs.find((line) => line.message === 'send failed; retrying');
  assert.equal(retry?.attributes.retry_in_ms, 15);
  assert.equal(retry?.attributes.code, 'throttled');
  await exporter.shutdown();
});

test('retry: past max_elapsed_time the request is dead-lettered as retries_exhausted, naming the last error', async () => {
  let now = 1_000;
  const script: Script = () => {
    now += 10;
    throw new RetryableError('unavailable', '503 Service Unavailable');
  };
  const { exporter, sender, host } = await started(new ScriptedSender(script), { retry: { maxElapsedMs: 25 } }, { clock: () => now });
  await exporter.consume(batchOf(['a', 'b']));
  await exporter.flush();
  // Attempt 1 ends at +10 (wait 1 → 11 ≤ 25), attempt 2 at +20 (wait 2 → 22 ≤ 25), attempt 3 at +30: give up.
  assert.equal(sender.calls.length, 3);
  assert.deepEqual(reasons(host.deadLetters), ['retries_exhausted', 'retries_exhausted']);
  assert.deepEqual(originals(host.deadLetters), ['a', 'b']);
  assert.equal(host.deadLetters[0]!.detail, 'gave up after 3 attempt(s) over 30 ms (max_elapsed_time 25 ms); last error unavailable: 503 Service Unavailable');
  assert.deepEqual(exporter.metrics(), { sent: 0, retried: 4, failed: 2, dead_lettered: 2, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  await exporter.shutdown();
});

test('retry disabled: the first retryable failure dead-letters as retries_exhausted', async () => {
  const { exporter, sender, host } = await started(new ScriptedSender(() => Promise.reject(new RetryableError('unreachable', 'connect ECONNREFUSED'))), {
    retry: { enabled: false },
  });
  await exporter.consume(batchOf(['a']));
  await exporter.flush();
  assert.equal(sender.calls.length, 1);
  assert.deepEqual(
    host.deadLetters.map((letter) => [letter.reason, letter.detail]),
    [['retries_exhausted', 'retry_on_failure is disabled; last error unreachable: connect ECONNREFUSED']],
  );
  await exporter.shutdown();
});

test('a per-attempt timeout aborts the signal and counts as a retryable timeout, even when the sender ignores the signal', async () => {
  const script: Script = (_request, signal, call) => {
    if (call === 0) return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted by signal'))));
    if (call === 1) return new Promise(() => undefined); // never settles, ignores the signal
    return undefined;
  };
  const { exporter, sender, logs } = await started(new ScriptedSender(script), { timeoutMs: 5 });
  await exporter.consume(batchOf(['a', 'b']));
  await exporter.flush();
  assert.equal(sender.calls.length, 3);
  for (const call of sender.calls.slice(0, 2)) {
    assert.equal(call.signal.aborted, true);
    assert.equal((call.signal.reason as RetryableError).code, 'timeout');
    assert.equal((call.signal.reason as RetryableError).retryable, true);
  }
  assert.equal(sender.calls[2]!.signal.aborted, false);
  assert.deepEqual(exporter.metrics(), { sent: 2, retried: 4, failed: 0, dead_lettered: 0, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  assert.deepEqual(
    logs.filter((line) => line.message === 'send failed; retrying').map((line) => [line.attributes.code, line.attributes.error]),
    [['timeout', 'send attempt did not finish within 5 ms']],
  );
  await exporter.shutdown();
});

// ---------------------------------------------------------------------------------------------
// Permanent and fatal errors

test('a permanent error dead-letters the request with its code; an error without a code as send_failed', async () => {
  const script: Script = (request) => {
    if (request.items[0] === 'a') throw new PermanentError('invalid_request', '400 Bad Request: malformed body');
    throw new Error('socket hang up');
  };
  const { exporter, sender, host } = await started(new ScriptedSender(script), { batch: { maxEvents: 2 } });
  await exporter.consume(batchOf(['a', 'b', 'c']));
  await exporter.flush();
  assert.equal(sender.calls.length, 2);
  assert.deepEqual(
    host.deadLetters.map((letter) => [letter.reason, letter.detail, (letter.original as RawRecord).payload]),
    [
      ['invalid_request', '400 Bad Request: malformed body', 'a'],
      ['invalid_request', '400 Bad Request: malformed body', 'b'],
      ['send_failed', 'socket hang up', 'c'],
    ],
  );
  assert.deepEqual(exporter.metrics(), { sent: 0, retried: 0, failed: 3, dead_lettered: 3, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  await exporter.shutdown();
});

test('dead letters of OCSF events carry metadata.logged_time (or now) and no format', async () => {
  const event = (uid: string, loggedTime?: number): OcsfEvent => ({
    class_uid: 3002,
    activity_id: 1,
    type_uid: 300201,
    category_uid: 3,
    severity_id: 1,
    time: 1_714_591_201_123,
    metadata: { product: { name: 'Okta' }, version: '1.8.0', uid, tenant_uid: 'test', ...(loggedTime === undefined ? {} : { logged_time: loggedTime }) },
  });
  const { exporter, host } = await started(new ScriptedSender(() => Promise.reject(new PermanentError('invalid_event', 'refused'))));
  const before = Date.now();
  await exporter.consume({ tenant: 'test', records: [event('e1', 1_714_591_202_000), event('e2')] });
  await exporter.flush();
  assert.equal(host.deadLetters.length, 2);
  assert.equal(host.deadLetters[0]!.format, undefined);
  assert.equal(host.deadLetters[0]!.observedTime, 1_714_591_202_000);
  assert.equal((host.deadLetters[0]!.original as OcsfEvent).metadata.uid, 'e1');
  assert.ok(host.deadLetters[1]!.observedTime >= before);
  await exporter.shutdown();
});

test('fatal: logged and reported once, sending stops, the queue and everything consumed later is dead-lettered with the code', async () => {
  const script: Script = () => {
    throw new FatalSendError('unauthorized', '401 Unauthorized: invalid token');
  };
  const { exporter, sender, host, logs } = await started(new ScriptedSender(script), { batch: { maxEvents: 2 } });
  await exporter.consume(batchOf(names(6)));
  await exporter.flush();
  assert.equal(sender.calls.length, 1);
  assert.deepEqual(reasons(host.deadLetters), Array(6).fill('unauthorized'));
  assert.deepEqual([...originals(host.deadLetters)].sort(), names(6));
  assert.equal(host.deadLetters[0]!.detail, '401 Unauthorized: invalid token');

  await exporter.consume(batchOf(['later1', 'later2']));
  assert.equal(host.deadLetters.length, 8); // written before consume resolved
  assert.deepEqual(originals(host.deadLetters.slice(6)), ['later1', 'later2']);
  assert.equal(host.deadLetters[7]!.detail, 'not sent: sending stopped after the peer refused this exporter: 401 Unauthorized: invalid token');
  assert.equal(sender.calls.length, 1);

  assert.equal(host.errors.length, 1);
  assert.equal((host.errors[0] as PermanentError).code, 'unauthorized');
  assert.match((host.errors[0] as Error).message, /^exporter scripted\/test stopped sending \(401 Unauthorized: invalid token\); every record is dead-lettered with reason unauthorized/);
  const errorLines = logs.filter((line) => line.level === 'error');
  assert.equal(errorLines.length, 1);
  assert.equal(errorLines[0]!.attributes.code, 'unauthorized');
  assert.deepEqual(exporter.metrics(), { sent: 0, retried: 0, failed: 8, dead_lettered: 8, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  await exporter.shutdown();
});

test('fatal: a request waiting out a long backoff is dead-lettered at once', async () => {
  const script: Script = (request) => {
    if (request.items[0] === 'a') throw new RetryableError('unavailable', '503');
    throw new FatalSendError('forbidden', '403 Forbidden');
  };
  const { exporter, sender, host } = await started(new ScriptedSender(script), {
    batch: { maxEvents: 1 },
    sendingQueue: { numConsumers: 2 },
    retry: { initialIntervalMs: 60_000, maxIntervalMs: 60_000 },
  });
  await exporter.consume(batchOf(['a']));
  await waitFor(() => sender.calls.length === 1, 2000, 'the first attempt');
  await ticks();
  await exporter.consume(batchOf(['b']));
  await exporter.flush();
  assert.equal(sender.calls.length, 2);
  assert.deepEqual(
    host.deadLetters.map((letter) => [(letter.original as RawRecord).payload, letter.reason]).sort(),
    [
      ['a', 'forbidden'],
      ['b', 'forbidden'],
    ],
  );
  await exporter.shutdown();
});

// ---------------------------------------------------------------------------------------------
// SendOutcome

test('SendOutcome: rejected are dead-lettered, resend goes again at once as a new request, droppedByPeer counts as failed; the rest are delivered once', async () => {
  const script: Script = (_request, _signal, call) => {
    if (call === 0) {
      return {
        rejected: [
          { index: 1, reason: 'invalid_event', detail: 'event field is empty' },
          { index: 1, reason: 'invalid_event', detail: 'repeated index is ignored' },
          { index: 9, reason: 'invalid_event', detail: 'out of range is ignored' },
        ],
        resend: [4, 3, 1],
      };
    }
    if (call === 1) return { droppedByPeer: { count: 1, message: 'quota exceeded for tenant' } };
    return undefined;
  };
  const { exporter, sender, host, logs } = await started(new ScriptedSender(script), { batch: { maxEvents: 5 } });
  await exporter.consume(batchOf(names(5)));
  await exporter.flush();
  assert.deepEqual(
    sender.calls.map((call) => [call.items, call.attempt, call.bytes]),
    [
      [names(5), 1, 10],
      [['r3', 'r4'], 2, 4],
    ],
  );
  assert.deepEqual(
    host.deadLetters.map((letter) => [letter.reason, letter.detail, (letter.original as RawRecord).payload]),
    [['invalid_event', 'event field is empty', 'r1']],
  );
  // r0, r2 taken by the first request; r3, r4 by the second, which dropped one of them.
  assert.deepEqual(exporter.metrics(), { sent: 3, retried: 2, failed: 2, dead_lettered: 1, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  const dropped = logs.filter((line) => line.message === 'the peer dropped records it took');
  assert.deepEqual(dropped.map((line) => line.attributes), [{ records: 1, peer_message: 'quota exceeded for tenant', tenant: 'test' }]);
  await exporter.shutdown();
});

test('SendOutcome: a resend of the whole request with nothing taken backs off like a retryable failure', async () => {
  const script: Script = (_request, _signal, call) => (call === 0 ? { resend: [0, 1] } : undefined);
  const { exporter, sender, logs } = await started(new ScriptedSender(script));
  await exporter.consume(batchOf(['a', 'b']));
  await exporter.flush();
  assert.deepEqual(sender.calls.map((call) => [call.items, call.attempt]), [
    [['a', 'b'], 1],
    [['a', 'b'], 2],
  ]);
  assert.deepEqual(exporter.metrics(), { sent: 2, retried: 2, failed: 0, dead_lettered: 0, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  assert.equal(logs.find((line) => line.message === 'send failed; retrying')?.attributes.code, 'resend_without_progress');
  await exporter.shutdown();
});

// ---------------------------------------------------------------------------------------------
// Dead-letter output

test('dead_letter disabled: refused records are counted as failed and logged with reason and count, never their contents', async () => {
  const { exporter, host, logs } = await started(new ScriptedSender(() => Promise.reject(new PermanentError('invalid_request', '400'))), {
    deadLetter: { enabled: false },
  });
  await exporter.consume(batchOf(['secret-payload-1', 'secret-payload-2', 'bad:not_ocsf']));
  await exporter.flush();
  assert.equal(host.deadLetters.length, 0);
  assert.deepEqual(exporter.metrics(), { sent: 0, retried: 0, failed: 3, dead_lettered: 0, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  const refused = logs.filter((line) => line.message === 'records refused and dropped (dead_letter is disabled)');
  assert.deepEqual(refused.map((line) => line.attributes), [
    { reason: 'not_ocsf', records: 1, tenant: 'test' },
    { reason: 'invalid_request', records: 2, tenant: 'test' },
  ]);
  assert.equal(JSON.stringify(logs).includes('secret-payload'), false);
  await exporter.shutdown();
});

test('a failing dead-letter output is reported and counted as failed, never an unhandled rejection', async () => {
  class BrokenHost extends RecordingHost {
    override async deadLetter(): Promise<void> {
      throw new RetryableError('dead_letter_unavailable', 'disk full');
    }
  }
  const host = new BrokenHost();
  const { exporter } = await started(new ScriptedSender(() => Promise.reject(new PermanentError('invalid_request', '400'))), {}, {}, host);
  await exporter.consume(batchOf(['a', 'bad:not_ocsf']));
  await exporter.flush();
  assert.deepEqual(
    host.errors.map((error) => [(error as PermanentError).code, (error as Error).message]),
    [
      ['dead_letter_failed', 'exporter scripted/test: 1 record(s) refused (not_ocsf) could not be dead-lettered and are lost: disk full'],
      ['dead_letter_failed', 'exporter scripted/test: 1 record(s) refused (invalid_request) could not be dead-lettered and are lost: disk full'],
    ],
  );
  assert.deepEqual(exporter.metrics(), { sent: 0, retried: 0, failed: 2, dead_lettered: 0, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  await exporter.shutdown();
});

// ---------------------------------------------------------------------------------------------
// Shutdown

test('shutdown: a request waiting out a long backoff gets one immediate final attempt, then is dead-lettered as shutdown', async () => {
  const { exporter, sender, host } = await started(new ScriptedSender(() => Promise.reject(new RetryableError('unavailable', '503 Service Unavailable'))), {
    retry: { initialIntervalMs: 120_000, maxIntervalMs: 300_000 },
  });
  await exporter.consume(batchOf(['a', 'b', 'c']));
  const flushed = exporter.flush();
  await waitFor(() => sender.calls.length === 1, 2000, 'the first attempt');
  await ticks();
  assert.equal(exporter.metrics().queue_size, 3);
  assert.equal(exporter.metrics().in_flight_requests, 0);
  await exporter.shutdown();
  await flushed;
  assert.deepEqual(sender.calls.map((call) => call.attempt), [1, 2]);
  assert.deepEqual(reasons(host.deadLetters), ['shutdown', 'shutdown', 'shutdown']);
  assert.equal(host.deadLetters[0]!.detail, 'not delivered before shutdown after 2 attempt(s); last error unavailable: 503 Service Unavailable');
  assert.deepEqual(exporter.metrics(), { sent: 0, retried: 3, failed: 3, dead_lettered: 3, queue_size: 0, queue_capacity: 1000, in_flight_requests: 0 });
  assert.equal(sender.stopped, 1);
});

test('shutdown: past the drain deadline, attempts in flight are aborted and queued requests dead-lettered as shutdown', async () => {
  const script: Script = () => new Promise(() => undefined); // a peer that never answers, and a sender that ignores the signal
  const { exporter, sender, host } = await started(new ScriptedSender(script), { batch: { maxEvents: 1 }, timeoutMs: 60_000 }, { shutdownTimeoutMs: 10 });
  await exporter.consume(batchOf(['a', 'b']));
  assert.equal(sender.calls.length, 1);
  await exporter.shutdown();
  assert.equal(sender.calls.length, 1);
  assert.equal(sender.calls[0]!.signal.aborted, true);
  assert.deepEqual(
    host.deadLetters.map((letter) => [(letter.original as RawRecord).payload, letter.reason, letter.detail]).sort(),
    [
      ['a', 'shutdown', 'not delivered before shutdown after 1 attempt(s); last error timeout: send aborted: the exporter did not drain within 10 ms of shutdown'],
      ['b', 'shutdown', 'not sent: the exporter did not drain within 10 ms of shutdown'],
    ],
  );
  assert.equal(exporter.metrics().queue_size, 0);
});

// ---------------------------------------------------------------------------------------------
// Metrics

test('OpenTelemetry instruments observe the counters with component and tenant attributes while started', async () => {
  type Observation = [string, number, Record<string, unknown>];
  const created: string[] = [];
  let callback: ((result: { observe(observable: { name: string }, value: number, attributes: Record<string, unknown>): void }) => void) | undefined;
  let removed = false;
  const instrument = (name: string): { name: string } => {
    created.push(name);
    return { name };
  };
  const meter = {
    createObservableCounter: instrument,
    createObservableGauge: instrument,
    addBatchObservableCallback: (cb: typeof callback) => (callback = cb),
    removeBatchObservableCallback: () => (removed = true),
  } as unknown as Meter;
  const sender = new ScriptedSender();
  const exporter = new QueuedExporter(testSettings('exporter', 'scripted/acme', { meter, tenant: 'acme' }), helperConfig(), sender);
  assert.equal(callback, undefined); // nothing registered before start
  await exporter.start(new RecordingHost());
  await exporter.consume(batchOf(['a', 'b'], 'acme'));
  const observe = (): Observation[] => {
    const seen: Observation[] = [];
    callback!({ observe: (observable, value, attributes) => seen.push([observable.name, value, attributes]) });
    return seen;
  };
  const attributes = { component: 'scripted/acme', tenant: 'acme' };
  assert.deepEqual(created, ['authwire.exporter.sent', 'authwire.exporter.retried', 'authwire.exporter.failed', 'authwire.exporter.dead_lettered', 'authwire.exporter.queue_size']);
  assert.deepEqual(observe(), [
    ['authwire.exporter.sent', 0, attributes],
    ['authwire.exporter.retried', 0, attributes],
    ['authwire.exporter.failed', 0, attributes],
    ['authwire.exporter.dead_lettered', 0, attributes],
    ['authwire.exporter.queue_size', 2, attributes],
  ]);
  await exporter.flush();
  assert.deepEqual(observe()[0], ['authwire.exporter.sent', 2, attributes]);
  await exporter.shutdown();
  assert.equal(removed, true);
});
