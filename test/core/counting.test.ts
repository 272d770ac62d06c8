import assert from 'node:assert/strict';
import test from 'node:test';
import type { Batch, Consumer } from '../../core/api.js';
import { CountingConsumer, FanOut, ReceiverOutput, newStats } from '../../core/counting.js';
import { PermanentError, RetryableError } from '../../core/errors.js';
import { CollectingConsumer } from '../../core/testing.js';

const batch = (): Batch => ({ tenant: 'acme', records: [{ format: 'f', payload: 'p1', observedTime: 1, source: 'r' }, { format: 'f', payload: 'p2', observedTime: 2, source: 'r' }] });

test('a receiver may only send batches of its own tenant', async () => {
  const stats = newStats('r', 'receiver', 'globex');
  const output = new ReceiverOutput(new CollectingConsumer(), stats);
  await assert.rejects(output.consume(batch()), { code: 'tenant_mismatch', retryable: false, message: 'r serves tenant "globex" but sent a batch of tenant "acme"' });
  assert.deepEqual([stats.records, stats.refused], [0, 2]);
});

test('fan-out shares the batch among readers and copies it for each mutating consumer', async () => {
  const reader1 = new CollectingConsumer();
  const reader2 = new CollectingConsumer();
  const writer = new CollectingConsumer();
  const original = batch();
  await new FanOut([
    { consumer: reader1, mutatesData: false },
    { consumer: writer, mutatesData: true },
    { consumer: reader2, mutatesData: false },
  ]).consume(original);
  assert.equal(reader1.batches[0], original);
  assert.equal(reader2.batches[0], original);
  assert.notEqual(writer.batches[0], original);
  assert.notEqual(writer.batches[0]!.records[0], original.records[0]);
  assert.deepEqual(writer.batches[0], original);
});

test('fan-out: every consumer gets the batch even when one fails; several failures combine, retryable if any is', async () => {
  const ok = new CollectingConsumer();
  const permanent: Consumer = { consume: async () => { throw new PermanentError('bad_request', 'HTTP 400'); } };
  const retryable: Consumer = { consume: async () => { throw new RetryableError('unavailable', 'HTTP 503'); } };
  await assert.rejects(new FanOut([{ consumer: ok, mutatesData: false }, { consumer: permanent, mutatesData: false }]).consume(batch()), { code: 'bad_request', retryable: false });
  await assert.rejects(
    new FanOut([{ consumer: permanent, mutatesData: false }, { consumer: retryable, mutatesData: false }, { consumer: ok, mutatesData: false }]).consume(batch()),
    { code: 'fanout_failed', retryable: true, message: '2 of 3 consumers refused the batch: bad_request: HTTP 400; unavailable: HTTP 503' },
  );
  assert.equal(ok.batches.length, 2);
});

test('counting consumer counts accepted and refused records', async () => {
  const stats = newStats('e', 'exporter', 'acme');
  let refuse = false;
  const counted = new CountingConsumer({ consume: async () => { if (refuse) throw new RetryableError('busy', 'busy'); } }, stats, false);
  await counted.consume(batch());
  refuse = true;
  await assert.rejects(counted.consume(batch()), { code: 'busy' });
  assert.deepEqual([stats.records, stats.batches, stats.refused], [2, 1, 2]);
});
