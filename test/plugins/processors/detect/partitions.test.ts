import assert from 'node:assert/strict';
import test from 'node:test';
import type { PipelineRecord } from '../../../../core/api.js';
import { isRetryable } from '../../../../core/errors.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import { DetectProcessor, InlinePartition, inlinePartitions } from '../../../../plugins/processors/detect/detect.js';
import type { PartitionFactory } from '../../../../plugins/processors/detect/detect.js';
import { DEFAULT_LIMITS, KEY_SEPARATOR } from '../../../../plugins/processors/detect/engine.js';
import type { Observation, WindowRule } from '../../../../plugins/processors/detect/engine.js';
import { WorkerPartition, createWorkerPartitions, workerPartitions } from '../../../../plugins/processors/detect/partitions.js';
import type { RuleDefinition } from '../../../../plugins/processors/detect/rules.js';
import { decodeObservations, encodeObservations } from '../../../../plugins/processors/detect/worker-protocol.js';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

const RULES: RuleDefinition[] = [
  {
    id: 'failures', name: 'Failures of one account', description: '', severity: 'medium', attack: ['T1110.001'], type: 'event_count',
    filter: { class_uid: 3002, status_id: 2 }, group_by: ['user.name'], timespan: '1m', condition: { gte: 3 }, suppress: '10s',
    weights: [{ filter: { is_mfa: true }, weight: 2 }],
  },
  {
    id: 'spray', name: 'One address, many accounts', description: '', severity: 'high', attack: ['T1110.003'], type: 'value_count',
    filter: { class_uid: 3002, status_id: 2 }, group_by: ['src_endpoint.ip'], field: 'user.name', timespan: '2m', condition: { gte: 4 }, suppress: '30s',
  },
  {
    id: 'fail_then_success', name: 'Failures then a success', description: '', severity: 'high', attack: [], type: 'temporal_ordered', group_by: ['user.name'], timespan: '5m',
    stages: [{ name: 'fail', filter: { class_uid: 3002, status_id: 2 }, condition: { gte: 2 } }, { name: 'ok', filter: { class_uid: 3002, status_id: 1 } }],
    suppress: '1m',
  },
];

/** A deterministic pseudo-random stream: 30 users, 6 addresses, some out of order, mostly failures. */
function stream(count: number): PipelineRecord[] {
  let seed = 7;
  const next = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const events: PipelineRecord[] = [];
  for (let i = 0; i < count; i++) {
    const time = T0 + i * 400 - Math.floor(next() * 3000);
    events.push({
      class_uid: 3002, time, status_id: next() < 0.6 ? 2 : 1, is_mfa: next() < 0.3,
      user: { name: `user${Math.floor(next() * 30)}@example.com` }, src_endpoint: { ip: `203.0.113.${Math.floor(next() * 6)}` },
      metadata: { uid: `e${i}`, tenant_uid: 'acme', version: '1.8.0', product: { name: 'test' } },
    } as unknown as PipelineRecord);
  }
  return events;
}

async function detectWith(events: readonly PipelineRecord[], workers: number, partitions: PartitionFactory, batchSize = 250): Promise<string[]> {
  const out = new CollectingConsumer();
  const config = { ...createDefaultConfig(), rules: RULES, workers };
  const processor = new DetectProcessor(testSettings('processor', 'detect', { tenant: 'acme' }), config, out, partitions);
  await processor.start(new RecordingHost());
  try {
    for (let i = 0; i < events.length; i += batchSize) await processor.consume({ tenant: 'acme', records: events.slice(i, i + batchSize) });
  } finally {
    await processor.shutdown();
  }
  return out.records.filter((r) => (r as { class_uid: number }).class_uid === 2004).map((r) => JSON.stringify(r));
}

const countRule: WindowRule = { index: 0, kind: 'event_count', timespanMs: 60_000, suppressMs: 0, condition: { op: 'gte', value: 1 }, stages: [], direction: 'either' };

function observation(key: string, time: number, uid: string): Observation {
  return { rule: 0, stage: 0, tenant: 'acme', key: `acme${KEY_SEPARATOR}${key}`, time, value: undefined, weight: 1, uid, watermark: time - 10_000 };
}

test('the columnar encoding gives back the same observations', () => {
  const observations: Observation[] = [
    { rule: 2, stage: 1, tenant: 'acme', key: `acme${KEY_SEPARATOR}x`, time: T0, value: 'v', weight: 2.5, uid: 'a', watermark: T0 - 10_000 },
    { rule: 0, stage: 0, tenant: 'beta', key: `beta${KEY_SEPARATOR}y`, time: T0 + 1, value: undefined, weight: 1, uid: '', watermark: -Infinity },
    { rule: 1, stage: 0, tenant: 'acme', key: 'acme', time: T0 + 2, value: 'ü', weight: 0.25, uid: 'c', watermark: T0 - 9_998 },
  ];
  const columns = encodeObservations(observations);
  assert.deepEqual(columns.tenants, ['acme', 'beta']);
  assert.deepEqual(decodeObservations(structuredClone(columns)), observations);
});

test('the same events give the same findings inline and on 1, 2 and 3 worker threads, in both encodings', async () => {
  const events = stream(6000);
  const inline = await detectWith(events, 0, inlinePartitions);
  assert.ok(inline.length > 50, `the stream should cause detections, got ${inline.length}`);
  const kinds = new Set(inline.map((f) => (JSON.parse(f) as { metadata: { event_code: string } }).metadata.event_code));
  assert.deepEqual([...kinds].sort(), ['fail_then_success', 'failures', 'spray']);
  for (const workers of [1, 2, 3]) assert.deepEqual(await detectWith(events, workers, workerPartitions), inline, `workers: ${workers}`);
  assert.deepEqual(await detectWith(events, 2, createWorkerPartitions({ encoding: 'objects' })), inline, 'objects encoding');
});

test('a worker partition honours the engine limits, as an inline one does', async () => {
  const limits = { ...DEFAULT_LIMITS, maxKeysPerRule: 2, maxEntriesPerKey: 3 };
  const observations = [observation('a', T0, '1'), observation('b', T0 + 1, '2'), observation('c', T0 + 2, '3'), ...[3, 4, 5, 6].map((i) => observation('a', T0 + i, `a${i}`))];
  const inline = new InlinePartition([countRule], limits);
  const worker = new WorkerPartition(0, [countRule], limits);
  await worker.start();
  try {
    const expected = await inline.observe(observations);
    assert.deepEqual(await worker.observe(observations), expected);
    assert.deepEqual(expected.map((d) => d.key.split(KEY_SEPARATOR)[1]), ['a', 'b', 'a', 'a', 'a', 'a']);
    assert.deepEqual(expected.map((d) => d.count), [1, 1, 2, 3, 3, 3]);
    assert.deepEqual(await worker.stats(), { keys: 2, keysOverflowed: 1, entriesEvicted: 2 });
    assert.deepEqual(inline.engine.counters, { keysOverflowed: 1, entriesEvicted: 2 });
  } finally {
    await worker.close();
  }
});

test('close is idempotent, and a call after close is refused as shut_down', async () => {
  const [partition] = (await workerPartitions([countRule], DEFAULT_LIMITS, 1)) as [WorkerPartition];
  assert.equal((await partition.observe([observation('a', T0, '1')])).length, 1);
  const first = partition.close();
  const second = partition.close();
  assert.equal(first, second);
  await first;
  await partition.close();
  await assert.rejects(partition.observe([observation('a', T0 + 1, '2')]), { code: 'shut_down', retryable: false });
  await assert.rejects(partition.tick(new Map([['acme', T0]])), { code: 'shut_down' });
  // A partition closed before it started never starts a thread.
  const unstarted = new WorkerPartition(1, [countRule], DEFAULT_LIMITS);
  await unstarted.close();
  await assert.rejects(unstarted.start(), { code: 'shut_down' });
});

test('a worker that cannot be loaded fails startup', async () => {
  const broken = createWorkerPartitions({ filename: new URL('./no-such-worker.js', import.meta.url) });
  await assert.rejects(broken([countRule], DEFAULT_LIMITS, 2), { code: 'detect_worker_failed' });
});

test('a crashing worker never stops the process: the failure is reported, the batch dead-lettered, and the partition restarts empty', async () => {
  const crashing = createWorkerPartitions({ filename: new URL('./partitions-crash-worker.js', import.meta.url) });
  const out = new CollectingConsumer();
  const host = new RecordingHost();
  const rules: RuleDefinition[] = [{ id: 'logins', name: 'Logins', description: '', severity: 'low', attack: [], type: 'event_count', filter: { class_uid: 3002 }, group_by: ['user.name'], timespan: '1m', condition: { gte: 2 }, suppress: '0s' }];
  // One hand-off per batch, so that the crash takes exactly the batch that crashed.
  const processor = new DetectProcessor(testSettings('processor', 'detect', { tenant: 'acme' }), { ...createDefaultConfig(), rules, workers: 1, worker_batch_events: 1 }, out, crashing);
  await processor.start(host);
  const event = (user: string, i: number): PipelineRecord => ({ class_uid: 3002, time: T0 + i, user: { name: user }, metadata: { uid: `u${i}`, tenant_uid: 'acme', version: '1.8.0', product: { name: 'test' } } }) as unknown as PipelineRecord;
  const findings = (): [number, string[]][] =>
    (out.records.filter((r) => (r as { class_uid: number }).class_uid === 2004) as { time: number; finding_info: { related_events: { uid: string }[] } }[]).map((f) => [f.time, f.finding_info.related_events.map((e) => e.uid)]);
  try {
    await processor.consume({ tenant: 'acme', records: [event('ann', 0)] });
    // The batch's events are passed on before its partition answers; the crash comes after.
    await processor.consume({ tenant: 'acme', records: [event('ann', 1), event('x!crash', 2)] });
    await processor.settled();
    assert.deepEqual(out.records.map((r) => (r as { metadata: { uid: string } }).metadata.uid), ['u0', 'u1', 'u2']);
    assert.equal(host.errors.length, 1);
    assert.equal((host.errors[0] as { code?: string }).code, 'detect_worker_failed');
    assert.equal(isRetryable(host.errors[0]), true);
    // The records are not kept in flight: the letter names the uncounted events by id.
    assert.deepEqual(host.deadLetters.map((l) => [l.reason, l.format, l.original]), [['detect_partition_failed', 'detect_uncounted_events', { event_ids: ['u1', 'u2'] }]]);
    assert.match(host.deadLetters[0]!.detail, /^2 events were passed on but not counted by the detection rules: detect partition 0: its worker thread failed/);
    assert.equal(processor.metrics().partition_failures, 1);
    // The state of the dead thread is gone: one more event of ann is the first of its window again.
    await processor.consume({ tenant: 'acme', records: [event('ann', 3)] });
    await processor.settled();
    assert.deepEqual(findings(), []);
    await processor.consume({ tenant: 'acme', records: [event('ann', 4)] });
    await processor.settled();
    assert.deepEqual(findings(), [[T0 + 4, ['u3', 'u4']]]);
    assert.equal(processor.metrics().batches_in_flight, 0);
  } finally {
    await processor.shutdown();
  }
});
