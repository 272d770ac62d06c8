import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetryableError } from '../../../core/errors.js';
import { backoffDelay, retryAfterOf } from '../../../core/exporter/backoff.js';
import type { BackoffPolicy } from '../../../core/exporter/backoff.js';
import { exporterHelperDefaults, resolveExporterHelperConfig } from '../../../core/exporter/config.js';
import { Deque } from '../../../core/exporter/deque.js';

const policy: BackoffPolicy = { initialIntervalMs: 1000, multiplier: 1.5, randomizationFactor: 0.5, maxIntervalMs: 30_000 };
const middle = (): number => 0.5;

test('backoff: initial × multiplier^retryIndex, capped at max_interval; random 0.5 gives the base exactly', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((index) => backoffDelay(index, policy, middle)),
    [1000, 1500, 2250, 3375, 5063],
  );
  assert.equal(backoffDelay(8, policy, middle), 25_629);
  assert.equal(backoffDelay(9, policy, middle), 30_000);
  assert.equal(backoffDelay(40, policy, middle), 30_000);
});

test('backoff: jitter spreads each wait over [base × (1 − factor), base × (1 + factor))', () => {
  assert.equal(backoffDelay(0, policy, () => 0), 500);
  assert.equal(backoffDelay(0, policy, () => 0.999), 1499);
  assert.equal(backoffDelay(1, policy, () => 0.25), 1125);
  // The cap applies before the jitter, as in the OpenTelemetry Collector's backoff.
  assert.equal(backoffDelay(20, policy, () => 0), 15_000);
  assert.equal(backoffDelay(20, policy, () => 0.75), 37_500);
  assert.equal(backoffDelay(3, { ...policy, randomizationFactor: 0 }, () => 0.9), 3375);
});

test('backoff: Retry-After is a floor: the longer of the hint and the backoff', () => {
  assert.equal(backoffDelay(0, policy, middle, 5000), 5000);
  assert.equal(backoffDelay(0, policy, middle, 200), 1000);
  assert.equal(backoffDelay(0, policy, middle, 1500.2), 1501);
  assert.equal(backoffDelay(3, policy, middle, 3000), 3375);
  assert.equal(backoffDelay(0, policy, middle, 0), 1000);
  assert.equal(backoffDelay(0, policy, middle, Number.NaN), 1000);
});

test('retryAfterOf reads a RetryableError hint by duck typing and ignores anything else', () => {
  assert.equal(retryAfterOf(new RetryableError('throttled', '429', { retryAfterMs: 1200 })), 1200);
  assert.equal(retryAfterOf(new RetryableError('unavailable', '503')), undefined);
  assert.equal(retryAfterOf({ retryable: true, retryAfterMs: 7 }), 7);
  assert.equal(retryAfterOf({ retryAfterMs: -1 }), undefined);
  assert.equal(retryAfterOf({ retryAfterMs: '5' }), undefined);
  assert.equal(retryAfterOf('503'), undefined);
  assert.equal(retryAfterOf(null), undefined);
});

test('the default helper config resolves to milliseconds', () => {
  assert.deepEqual(resolveExporterHelperConfig(exporterHelperDefaults()), {
    batch: { maxEvents: 1000, maxBytes: 1_048_576, timeoutMs: 200 },
    sendingQueue: { enabled: true, numConsumers: 4, queueSize: 100_000, blockTimeoutMs: 1000 },
    retry: { enabled: true, initialIntervalMs: 1000, multiplier: 1.5, randomizationFactor: 0.5, maxIntervalMs: 30_000, maxElapsedMs: 300_000 },
    timeoutMs: 10_000,
    deadLetter: { enabled: true },
  });
});

test('deque: both ends, in order, across growth and wrap-around', () => {
  const deque = new Deque<number>(2);
  deque.pushBack(1);
  deque.pushBack(2);
  assert.equal(deque.shift(), 1);
  deque.pushBack(3); // wraps around
  deque.pushFront(0);
  deque.pushBack(4); // grows while wrapped
  deque.pushFront(-1);
  assert.equal(deque.length, 5);
  assert.deepEqual(deque.drain(), [-1, 0, 2, 3, 4]);
  assert.equal(deque.length, 0);
  assert.equal(deque.shift(), undefined);
});
