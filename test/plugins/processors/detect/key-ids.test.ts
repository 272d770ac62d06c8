/**
 * Keys as ids across batches (key-ids.ts): refs, reuse after a generation unused, reset; and
 * through the processor on real worker threads, ids forgotten and reused every few batches
 * give exactly the findings of the inline detector.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { PipelineRecord } from '../../../../core/api.js';
import { isRetryable } from '../../../../core/errors.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import { DetectProcessor, inlinePartitions } from '../../../../plugins/processors/detect/detect.js';
import type { PartitionFactory } from '../../../../plugins/processors/detect/detect.js';
import { DEFAULT_LIMITS, KEY_SEPARATOR } from '../../../../plugins/processors/detect/engine.js';
import type { WindowRule } from '../../../../plugins/processors/detect/engine.js';
import { idOfRef, KeyIds, partitionOfRef } from '../../../../plugins/processors/detect/key-ids.js';
import { WorkerPartition, workerPartitions } from '../../../../plugins/processors/detect/partitions.js';
import type { RuleDefinition } from '../../../../plugins/processors/detect/rules.js';
import { ObservationBuilder } from '../../../../plugins/processors/detect/worker-protocol.js';

test('KeyIds: ids per partition, known keys found, unused ones forgotten after a generation and their ids reused', () => {
  const ids = new KeyIds(2, 3, 2);
  ids.startBatch('acme'); // batch 1
  const alice = ids.define(0, 'alice', 2);
  const bob = ids.define(0, 'bob', 2);
  const ip = ids.define(1, '203.0.113.9', 0);
  assert.deepEqual([alice, bob, ip].map((ref) => [partitionOfRef(ref), idOfRef(ref)]), [[2, 0], [2, 1], [0, 0]]);
  assert.equal(ids.lookup(0, 'alice'), alice);
  assert.equal(ids.lookup(1, 'alice'), -1, 'slots are separate');
  assert.equal(ids.size, 3);
  ids.startBatch('acme'); // batch 2: generation 1 ends, everything was used in it
  assert.equal(ids.size, 3);
  assert.equal(ids.lookup(0, 'bob'), bob); // used in generation 2
  ids.startBatch('acme'); // batch 3
  ids.startBatch('acme'); // batch 4: generation 2 ends; alice and the address were not used in it
  assert.equal(ids.size, 1);
  assert.equal(ids.lookup(0, 'alice'), -1);
  assert.equal(ids.lookup(0, 'bob'), bob);
  // alice's id on partition 2 is free again; bob's is not.
  assert.equal(idOfRef(ids.define(0, 'carol', 2)), 0);
  assert.equal(idOfRef(ids.define(0, 'dave', 2)), 2);
  assert.equal(idOfRef(ids.define(1, '198.51.100.1', 0)), 0);
  // Another tenant starts over.
  ids.startBatch('beta');
  assert.equal(ids.size, 0);
  assert.equal(idOfRef(ids.define(0, 'bob', 2)), 0);
  ids.reset();
  assert.equal(ids.lookup(0, 'bob'), -1);
});

test('a worker refuses an id it was never sent, as a retryable failure', async () => {
  const rule: WindowRule = { index: 0, kind: 'event_count', timespanMs: 60_000, suppressMs: 0, condition: { op: 'gte', value: 1 }, stages: [], direction: 'either' };
  const partition = new WorkerPartition(0, [rule], DEFAULT_LIMITS);
  await partition.start();
  try {
    const builder = new ObservationBuilder(4, true);
    builder.addTenant('acme');
    builder.defineKey(0, `acme${KEY_SEPARATOR}alice`);
    builder.add(0, 0, 0, 0, 1, 'e1', 1000, undefined, 1, 0);
    const first = await partition.observeBatch!(builder.take(), 'acme', 0);
    assert.deepEqual(first.map((d) => [d.key, d.related]), [[`acme${KEY_SEPARATOR}alice`, ['e1']]]);
    // Id 0 is known from the batch before; id 7 never was.
    builder.addTenant('acme');
    builder.add(0, 0, 0, 0, 2, 'e2', 2000, undefined, 1, 0);
    builder.add(0, 0, 0, 7, 3, 'e3', 3000, undefined, 1, 0);
    const failure = await partition.observeBatch!(builder.take(), 'acme', 0).then(() => undefined, (error: unknown) => error);
    assert.equal((failure as { code?: string }).code, 'detect_worker_failed');
    assert.equal(isRetryable(failure), true);
    assert.match((failure as Error).message, /key id 7 is not defined on this partition/);
  } finally {
    await partition.close();
  }
});

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

const RULES: RuleDefinition[] = [
  { id: 'failures', name: 'Failures of one account', description: '', severity: 'medium', attack: [], type: 'event_count', filter: { class_uid: 3002, status_id: 2 }, group_by: ['user.name'], timespan: '1m', condition: { gte: 3 }, suppress: '10s' },
  { id: 'spray', name: 'One address, many accounts', description: '', severity: 'high', attack: [], type: 'value_count', filter: { class_uid: 3002, status_id: 2 }, group_by: ['src_endpoint.ip'], field: 'user.name', timespan: '2m', condition: { gte: 4 }, suppress: '30s' },
  { id: 'everyone', name: 'Failures in the tenant', description: '', severity: 'low', attack: [], type: 'event_count', filter: { class_uid: 3002, status_id: 2 }, group_by: [], timespan: '1m', condition: { gte: 20 }, suppress: '1m' },
];

/** Users and addresses drift (each is active for a while, then gone, then some come back), so ids are forgotten and reused. */
function driftingStream(count: number): PipelineRecord[] {
  let seed = 11;
  const next = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const events: PipelineRecord[] = [];
  for (let i = 0; i < count; i++) {
    const era = Math.floor(i / 300);
    const user = next() < 0.2 ? Math.floor(next() * 200) : era * 7 + Math.floor(next() * 12);
    events.push({
      class_uid: 3002, time: T0 + i * 250 - Math.floor(next() * 2000), status_id: next() < 0.7 ? 2 : 1,
      user: { name: `user${user}@example.com` }, src_endpoint: { ip: `198.51.100.${(era * 3 + Math.floor(next() * 5)) % 256}` },
      metadata: { uid: `e${i}`, tenant_uid: 'acme', version: '1.8.0', product: { name: 'test' } },
    } as unknown as PipelineRecord);
  }
  return events;
}

async function findings(events: readonly PipelineRecord[], workers: number, partitions: PartitionFactory, keyGenerationBatches?: number, workerBatchEvents = 100): Promise<{ lines: string[]; routerKeys: number; routerValues: number }> {
  const out = new CollectingConsumer();
  const processor = new DetectProcessor(testSettings('processor', 'detect', { tenant: 'acme' }), { ...createDefaultConfig(), rules: RULES, workers, worker_batch_events: workerBatchEvents }, out, partitions, { keyGenerationBatches });
  const host = new RecordingHost();
  await processor.start(host);
  let routerKeys = 0;
  let routerValues = 0;
  try {
    for (let i = 0; i < events.length; i += 100) await processor.consume({ tenant: 'acme', records: events.slice(i, i + 100) });
    await processor.settled();
    routerKeys = processor.metrics().router_keys!;
    routerValues = processor.metrics().router_values!;
  } finally {
    await processor.shutdown();
  }
  assert.deepEqual(host.errors, []);
  return { lines: out.records.filter((r) => (r as { class_uid: number }).class_uid === 2004).map((r) => JSON.stringify(r)), routerKeys, routerValues };
}

test('key and value ids forgotten and reused every 2 batches on 2 worker threads give the inline findings, byte for byte', async () => {
  const events = driftingStream(6000);
  const inline = await findings(events, 0, inlinePartitions);
  const reused = await findings(events, 2, workerPartitions, 2);
  const kept = await findings(events, 2, workerPartitions);
  assert.equal(inline.lines.length, 1433);
  assert.deepEqual(reused.lines, inline.lines);
  assert.deepEqual(kept.lines, inline.lines);
  assert.equal(inline.routerKeys, 0, 'inline partitions use no key ids');
  // With 2-batch generations the router keeps only the keys of the last 2 to 4 batches; with the
  // default 64 it keeps all of this stream's (60 batches).
  assert.deepEqual([reused.routerKeys, kept.routerKeys], [49, 263]);
  // The spray rule's counted user names, as ids per partition, the same way.
  assert.deepEqual([inline.routerValues, reused.routerValues, kept.routerValues], [0, 55, 391]);
  // Three batches per hand-off (ids then live for generations of 2 hand-offs, 6 batches): the same findings.
  const grouped = await findings(events, 2, workerPartitions, 2, 300);
  assert.deepEqual(grouped.lines, inline.lines);
});
