/**
 * Pipelined batches (partitions on worker threads): `consume` resolves once a batch is routed and
 * its events passed on; its findings follow, in batch order, with at most
 * `max_batches_in_flight` batches being counted at once; findings downstream refuses are retried
 * (retryable) or dead-lettered (permanent), never lost in silence.
 *
 * The partitions here are inline engines behind a gate the test opens, so that the test decides
 * when each batch's counting ends (the real worker transport is covered by partitions.test.ts
 * and the determinism tests).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Batch, PipelineRecord } from '../../../../core/api.js';
import { PermanentError, RetryableError } from '../../../../core/errors.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import { DetectProcessor, InlinePartition } from '../../../../plugins/processors/detect/detect.js';
import type { Partition, PartitionFactory } from '../../../../plugins/processors/detect/detect.js';
import type { RawDetection } from '../../../../plugins/processors/detect/engine.js';
import type { RuleDefinition } from '../../../../plugins/processors/detect/rules.js';
import type { ObservationColumns } from '../../../../plugins/processors/detect/worker-protocol.js';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const TENANT = 'acme';

/** Every sign-in is a detection of its own (one per user and event), so each batch has findings to pass on. */
const RULES: RuleDefinition[] = [
  { id: 'signin', name: 'Sign-in', description: '', severity: 'low', attack: [], type: 'event_count', filter: { class_uid: 3002 }, group_by: ['user.name'], timespan: '1m', condition: { gte: 1 }, suppress: '0s' },
];

function signIn(i: number): PipelineRecord {
  return { class_uid: 3002, time: T0 + i, user: { name: `user${i}` }, metadata: { uid: `e${i}`, tenant_uid: TENANT, version: '1.8.0', product: { name: 'test' } } } as unknown as PipelineRecord;
}

/** Partitions that count inline but answer only when the test releases the batch (in any order). */
class GatedPartitions {
  /** Per call, in the order made: the function that lets it answer. */
  readonly gates: (() => void)[] = [];
  /** Per call: where each pipeline batch's observations end in its columns (undefined: not segmented). */
  readonly segments: (number[] | undefined)[] = [];
  readonly factory: PartitionFactory = inlineWith(async (inline, columns, tenant, watermark) => {
    this.segments.push(columns.segmentEnds === undefined ? undefined : [...columns.segmentEnds]);
    // Counted now, in call order (as a partition must); answered when released.
    const detections = await inline.observeBatch(columns, tenant, watermark);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return detections;
  });
}

/** Partitions on this thread whose `observeBatch` is `observeBatch` over an inline partition. */
function inlineWith(observeBatch: (inline: InlinePartition, columns: ObservationColumns, tenant: string, watermark: number) => Promise<RawDetection[]>): PartitionFactory {
  return async (rules, limits, count) =>
    Array.from({ length: count }, (): Partition => {
      const inline = new InlinePartition(rules, limits);
      return {
        observe: (observations) => inline.observe(observations),
        tick: (watermarks) => inline.tick(watermarks),
        close: () => inline.close(),
        observeBatch: (columns, tenant, watermark) => observeBatch(inline, columns, tenant, watermark),
      };
    });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function uidsOf(consumer: CollectingConsumer): string[] {
  return consumer.batches.flatMap((batch) => batch.records.map((r) => ((r as { class_uid: number }).class_uid === 2004 ? `finding:${(r as unknown as { finding_info: { related_events: { uid: string }[] } }).finding_info.related_events[0]!.uid}` : (r as unknown as { metadata: { uid: string } }).metadata.uid)));
}

/** One hand-off to the partitions per batch (`worker_batch_events: 1`) unless told otherwise. */
async function started(partitions: PartitionFactory, next: CollectingConsumer, host = new RecordingHost(), maxInFlight = 2, workerBatchEvents = 1): Promise<DetectProcessor> {
  const processor = new DetectProcessor(testSettings('processor', 'detect', { tenant: TENANT }), { ...createDefaultConfig(), rules: RULES, workers: 1, max_batches_in_flight: maxInFlight, worker_batch_events: workerBatchEvents }, next, partitions);
  await processor.start(host);
  return processor;
}

interface GatedRun<Out extends CollectingConsumer> {
  readonly gated: GatedPartitions;
  readonly out: Out;
  readonly host: RecordingHost;
  readonly processor: DetectProcessor;
}

/** Runs `body` against a processor on gated partitions; afterwards opens every gate and shuts the processor down. */
async function withGated<Out extends CollectingConsumer = CollectingConsumer>(body: (run: GatedRun<Out>) => Promise<void>, options: { out?: Out; workerBatchEvents?: number } = {}): Promise<void> {
  const gated = new GatedPartitions();
  const out = options.out ?? (new CollectingConsumer() as Out);
  const host = new RecordingHost();
  const processor = await started(gated.factory, out, host, 2, options.workerBatchEvents ?? 1);
  try {
    await body({ gated, out, host, processor });
  } finally {
    for (const gate of gated.gates) gate();
    await processor.shutdown();
  }
}

test('consume resolves once the events are passed on; the findings follow in batch order, whatever order the partitions answer in', async () => {
  await withGated(async ({ gated, out, processor }) => {
    await processor.consume({ tenant: TENANT, records: [signIn(0)] });
    await processor.consume({ tenant: TENANT, records: [signIn(1)] });
    assert.deepEqual(uidsOf(out), ['e0', 'e1']);
    assert.equal(processor.metrics().batches_in_flight, 2);
    // The second batch's partition answers first: its findings still wait for the first batch's.
    gated.gates[1]!();
    await tick();
    assert.deepEqual(uidsOf(out), ['e0', 'e1']);
    gated.gates[0]!();
    await processor.settled();
    assert.deepEqual(uidsOf(out), ['e0', 'e1', 'finding:e0', 'finding:e1']);
    assert.equal(processor.metrics().batches_in_flight, 0);
  });
});

test('max_batches_in_flight bounds the batches being counted: the next consume waits for the oldest batch\'s findings', async () => {
  await withGated(async ({ gated, out, processor }) => {
    await processor.consume({ tenant: TENANT, records: [signIn(0)] });
    await processor.consume({ tenant: TENANT, records: [signIn(1)] });
    let thirdTaken = false;
    const third = processor.consume({ tenant: TENANT, records: [signIn(2)] }).then(() => {
      thirdTaken = true;
    });
    await tick();
    assert.equal(thirdTaken, false);
    assert.deepEqual(uidsOf(out), ['e0', 'e1']);
    gated.gates[0]!();
    await third;
    assert.deepEqual(uidsOf(out), ['e0', 'e1', 'finding:e0', 'e2']);
    gated.gates[1]!();
    gated.gates[2]!();
    await processor.settled();
    assert.deepEqual(uidsOf(out), ['e0', 'e1', 'finding:e0', 'e2', 'finding:e1', 'finding:e2']);
  });
});

/** Takes events; refuses findings as told, then takes them. */
class RefusingConsumer extends CollectingConsumer {
  refusals: Error[] = [];
  override async consume(batch: Batch): Promise<void> {
    const isFindings = batch.records.every((r) => (r as { class_uid: number }).class_uid === 2004);
    if (isFindings && this.refusals.length > 0) throw this.refusals.shift()!;
    await super.consume(batch);
  }
}

test('findings refused retryably downstream are sent again until taken, once each', async () => {
  const refusing = new RefusingConsumer();
  refusing.refusals = [new RetryableError('queue_full', 'full'), new RetryableError('queue_full', 'still full')];
  await withGated(async ({ gated, out, host, processor }) => {
    await processor.consume({ tenant: TENANT, records: [signIn(0), signIn(1)] });
    gated.gates[0]!();
    await processor.settled();
    assert.deepEqual(uidsOf(out), ['e0', 'e1', 'finding:e0', 'finding:e1']);
    assert.equal(out.refusals.length, 0);
    assert.deepEqual(host.errors, []);
    assert.deepEqual(host.deadLetters, []);
    assert.equal(processor.metrics().findings_refused, 0);
  }, { out: refusing });
});

test('findings refused for good are dead-lettered with the reason, counted and reported', async () => {
  const refusing = new RefusingConsumer();
  refusing.refusals = [new PermanentError('tenant_mismatch', 'not this tenant')];
  await withGated(async ({ gated, out, host, processor }) => {
    await processor.consume({ tenant: TENANT, records: [signIn(0), signIn(1)] });
    gated.gates[0]!();
    await processor.settled();
    assert.deepEqual(uidsOf(out), ['e0', 'e1']);
    assert.deepEqual(host.deadLetters.map((l) => [l.tenant, l.reason, l.format, (l.original as { finding_info: { related_events: { uid: string }[] } }).finding_info.related_events[0]!.uid]), [
      [TENANT, 'detect_findings_refused', 'detection_finding', 'e0'],
      [TENANT, 'detect_findings_refused', 'detection_finding', 'e1'],
    ]);
    assert.equal(host.deadLetters[0]!.detail, "the detector's findings were refused downstream (tenant_mismatch): not this tenant");
    assert.equal(host.errors.length, 1);
    assert.equal(processor.metrics().findings_refused, 2);
  }, { out: refusing });
});

test('shutdown waits for the batches in flight and passes their findings on', async () => {
  const gated = new GatedPartitions();
  const out = new CollectingConsumer();
  const processor = await started(gated.factory, out);
  await processor.consume({ tenant: TENANT, records: [signIn(0)] });
  const stopped = processor.shutdown();
  await tick();
  assert.deepEqual(uidsOf(out), ['e0']);
  gated.gates[0]!();
  await stopped;
  assert.deepEqual(uidsOf(out), ['e0', 'finding:e0']);
});

test('inline partitions (workers: 0) are not pipelined: the findings go in the same batch as the events', async () => {
  const out = new CollectingConsumer();
  const processor = new DetectProcessor(testSettings('processor', 'detect', { tenant: TENANT }), { ...createDefaultConfig(), rules: RULES, workers: 0 }, out);
  await processor.start(new RecordingHost());
  try {
    await processor.consume({ tenant: TENANT, records: [signIn(0), signIn(1)] });
    assert.equal(out.batches.length, 1);
    assert.deepEqual(uidsOf(out), ['e0', 'e1', 'finding:e0', 'finding:e1']);
  } finally {
    await processor.shutdown();
  }
});

test('consecutive batches go to the partitions together, up to worker_batch_events or worker_batch_timeout, and their findings stay in batch order', async () => {
  await withGated(async ({ gated, out, processor }) => {
    // Two events: under worker_batch_events (3), so nothing goes until the timeout (5 ms).
    await processor.consume({ tenant: TENANT, records: [signIn(0)] });
    await processor.consume({ tenant: TENANT, records: [signIn(1)] });
    assert.deepEqual(gated.segments, []);
    assert.deepEqual(uidsOf(out), ['e0', 'e1']);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(gated.segments, [[1, 2]]);
    // Reaching worker_batch_events hands over at once, without waiting.
    await processor.consume({ tenant: TENANT, records: [signIn(2), signIn(3)] });
    await processor.consume({ tenant: TENANT, records: [signIn(4)] });
    assert.deepEqual(gated.segments, [[1, 2], [2, 3]]);
    gated.gates[1]!();
    gated.gates[0]!();
    await processor.settled();
    assert.deepEqual(uidsOf(out), ['e0', 'e1', 'e2', 'e3', 'e4', 'finding:e0', 'finding:e1', 'finding:e2', 'finding:e3', 'finding:e4']);
    // settled() hands an open group over at once.
    await processor.consume({ tenant: TENANT, records: [signIn(5)] });
    const settled = processor.settled();
    await tick();
    assert.deepEqual(gated.segments, [[1, 2], [2, 3], [1]]);
    gated.gates[2]!();
    await settled;
    assert.deepEqual(uidsOf(out).slice(-2), ['e5', 'finding:e5']);
  }, { workerBatchEvents: 3 });
});

test('a partition failure dead-letters the ids of every event of its hand-off', async () => {
  const out = new CollectingConsumer();
  const host = new RecordingHost();
  const failing = inlineWith(async () => {
    throw new RetryableError('detect_worker_failed', 'the thread died');
  });
  const processor = await started(failing, out, host, 2, 10);
  try {
    await processor.consume({ tenant: TENANT, records: [signIn(0)] });
    await processor.consume({ tenant: TENANT, records: [signIn(1), signIn(2)] });
    await processor.settled();
    assert.deepEqual(uidsOf(out), ['e0', 'e1', 'e2']);
    assert.deepEqual(host.deadLetters.map((l) => [l.reason, l.format, l.original]), [['detect_partition_failed', 'detect_uncounted_events', { event_ids: ['e0', 'e1', 'e2'] }]]);
    assert.equal(host.deadLetters[0]!.detail, '3 events were passed on but not counted by the detection rules: the thread died');
    assert.equal(host.errors.length, 1);
    assert.equal(processor.metrics().partition_failures, 1);
  } finally {
    await processor.shutdown();
  }
});

test('a partition failure on a hand-off no rule counted anything of is reported, with no dead letter (nothing went uncounted)', async () => {
  const out = new CollectingConsumer();
  const host = new RecordingHost();
  const failing = inlineWith(async () => {
    throw new RetryableError('detect_worker_failed', 'the thread died');
  });
  const processor = await started(failing, out, host, 2, 10);
  try {
    // An OCSF class no rule looks at: routed to no partition.
    const other = { ...signIn(0), class_uid: 6003 } as unknown as PipelineRecord;
    await processor.consume({ tenant: TENANT, records: [other] });
    await processor.settled();
    assert.deepEqual(uidsOf(out), ['e0']);
    assert.deepEqual(host.deadLetters, []);
    assert.equal(host.errors.length, 1);
    assert.equal(processor.metrics().partition_failures, 1);
  } finally {
    await processor.shutdown();
  }
});

test('a batch that fails to route drops the open hand-off: its earlier batches are dead-lettered, and what follows is counted afresh', async () => {
  await withGated(async ({ gated, out, host, processor }) => {
    await processor.consume({ tenant: TENANT, records: [signIn(0)] });
    // A user name no key can be made of (its text conversion throws): routing the batch fails.
    const hostile = { ...signIn(1), user: { name: { toString: () => { throw new Error('no text'); } } } } as unknown as PipelineRecord;
    await assert.rejects(processor.consume({ tenant: TENANT, records: [hostile] }), /no text/);
    assert.deepEqual(host.deadLetters.map((l) => [l.reason, l.format, l.original]), [['detect_router_failed', 'detect_uncounted_events', { event_ids: ['e0'] }]]);
    assert.equal(host.deadLetters[0]!.detail, '1 event was passed on but not counted by the detection rules: routing a later batch of the same hand-off failed (no text)');
    // The next batch starts a new hand-off, its keys sent again.
    await processor.consume({ tenant: TENANT, records: [signIn(2)] });
    const settled = processor.settled();
    await tick();
    assert.deepEqual(gated.segments, [[1]]);
    gated.gates[0]!();
    await settled;
    assert.deepEqual(uidsOf(out), ['e0', 'e2', 'finding:e2']);
  }, { workerBatchEvents: 10 });
});
