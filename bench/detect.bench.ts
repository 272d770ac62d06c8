/**
 * The detector: events/s through the detect processor inline (`workers: 0`) and with 1, 2 and 4
 * worker threads, on normalized generator events with attack scenarios, in batches of 1000; and
 * the parts of that cost, to see where the time goes:
 * - `router only`: the processor with partitions that do nothing (filters, keys, hashing, building
 *   the columns, the per-batch sort and findings, all on the pipeline's thread);
 * - `engine only`: the observations that routing produced, as columns, straight into one WindowEngine;
 * - `boundary`: encoding a batch of observations and structured-cloning it (what postMessage does
 *   on both sides of the thread boundary), columnar (the default) against plain objects.
 * Target (issue 4): at least 1,000,000 events/s with 2 workers on a 2-core machine.
 *
 * Memory: at registration one WindowEngine is filled with 100,000 distinct keys (one entry each,
 * nothing expires) and the heap and RSS growth, measured after a full GC, is printed on its own
 * line (`detect: memory held per 100,000 active keys: ...`) and shown in the name of the task
 * that measures the key-filling rate.
 *
 * Rules: the built-in pack when it has rules; until then, a stand-in set of the same shapes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Bench } from 'tinybench';
import type { Batch, DeadLetter, Host, PipelineRecord, RawRecord } from '../core/api.js';
import { CollectingConsumer, testSettings } from '../core/testing.js';
import { builtinRules, defaultBuiltinParameters } from '../plugins/processors/detect/builtin.js';
import { createDefaultConfig } from '../plugins/processors/detect/config.js';
import type { DetectConfig } from '../plugins/processors/detect/config.js';
import { DetectProcessor, InlinePartition, resolveRules } from '../plugins/processors/detect/detect.js';
import type { Partition, PartitionFactory } from '../plugins/processors/detect/detect.js';
import { DEFAULT_LIMITS, KEY_SEPARATOR, WindowEngine } from '../plugins/processors/detect/engine.js';
import type { Observation, RawDetection, WindowRule } from '../plugins/processors/detect/engine.js';
import { createWorkerPartitions, workerPartitions } from '../plugins/processors/detect/partitions.js';
import type { RuleDefinition } from '../plugins/processors/detect/rules.js';
import { decodeObservations, encodeObservations, STRIDE } from '../plugins/processors/detect/worker-protocol.js';
import type { ObservationColumns } from '../plugins/processors/detect/worker-protocol.js';
import { mapperTable, mapRecord } from '../plugins/processors/normalize/normalize.js';
import { EventLines } from './e2e/events.js';
import { Engine } from '../plugins/receivers/generator/engine.js';
import { FORMATS, SCENARIOS } from '../plugins/receivers/generator/model.js';

const BATCH = 1000;
const BATCHES = 20;
const EVENTS = BATCH * BATCHES;
const KEYS = 100_000;
const TENANT = 'bench';

/** Stand-in rules of the built-in pack's shapes, used while builtin.ts has none. */
const STAND_IN_RULES: RuleDefinition[] = [
  { id: 'stuffing', name: 'MFA failures across accounts', description: '', severity: 'high', attack: ['T1110.004'], type: 'value_count', filter: { class_uid: 3002, status_id: 2, is_mfa: true }, group_by: [], field: 'user.name', timespan: '5m', condition: { gte: 10 } },
  { id: 'spray', name: 'One address, many accounts', description: '', severity: 'high', attack: ['T1110.003'], type: 'value_count', filter: { class_uid: 3002, status_id: 2 }, group_by: ['src_endpoint.ip'], field: 'user.name', timespan: '10m', condition: { gte: 10 } },
  { id: 'brute', name: 'Failures on one account', description: '', severity: 'medium', attack: ['T1110.001'], type: 'event_count', filter: { class_uid: 3002, status_id: 2 }, group_by: ['user.name'], timespan: '5m', condition: { gte: 8 }, weights: [{ filter: { is_mfa: true }, weight: 2 }] },
  { id: 'brute_success', name: 'Failures then success', description: '', severity: 'high', attack: ['T1110'], type: 'temporal_ordered', group_by: ['user.name'], timespan: '10m', stages: [{ name: 'fail', filter: { class_uid: 3002, status_id: 2 }, condition: { gte: 5 } }, { name: 'ok', filter: { class_uid: 3002, status_id: 1 } }] },
  { id: 'recovery', name: 'Recovery attempts across accounts', description: '', severity: 'medium', attack: ['T1098'], type: 'value_count', filter: { class_uid: 3001, activity_id: 4 }, group_by: [], field: 'user.name', timespan: '10m', condition: { gte: 8 } },
  { id: 'grant', name: 'Privileges granted', description: '', severity: 'medium', attack: ['T1098'], type: 'event_count', filter: { class_uid: 3005, activity_id: 1 }, group_by: ['user.name'], timespan: '1m', condition: { gte: 1 } },
  { id: 'created_unprovisioned', name: 'Account created without a group assignment', description: '', severity: 'low', attack: ['T1136'], type: 'absence', filter: { class_uid: 3001, activity_id: 1 }, absent: { filter: { class_uid: 3006, activity_id: 3 } }, group_by: ['user.name'], timespan: '10m', direction: 'after' },
];

/** Normalized events of the generator (all formats, all scenarios), 100 records/s of event time. */
function generate(count: number): PipelineRecord[] {
  const engine = new Engine({ seed: 1, formats: FORMATS, scenarios: SCENARIOS, scenarioEvery: 1000, domain: 'example.com' });
  const mappers = mapperTable({ mappings: {} });
  const context = { tenant: TENANT, observedTime: 0, format: '' };
  const start = Date.UTC(2026, 10, 23);
  const events: PipelineRecord[] = [];
  for (let i = 0; events.length < count; i++) {
    const time = start + i * 10;
    const raw = engine.next(time, { format: '', payload: '', observedTime: time, source: 'bench' } as RawRecord);
    context.format = raw.format;
    context.observedTime = time;
    const result = mapRecord(mappers, raw, context);
    // Records the mappers cannot place, or place far from now (syslog without a year), are not what the detector sees.
    if ('reason' in result || Math.abs((result as { time: number }).time - time) > 60_000) continue;
    events.push(result);
  }
  return events;
}

/** Events per second of event time in the load harness's stream (all lines of a millisecond share its time). */
const HARNESS_RATE = 50_000;

/**
 * The load harness's stream (bench/e2e/events.ts) normalized: Keycloak LOGIN_ERROR events for
 * 1,000 users from 509 addresses, every user failing again and again: a brute-force flood, where
 * keys hold hundreds to thousands of entries (the issue-8 harness sends exactly this).
 */
function harnessStream(count: number): PipelineRecord[] {
  const lines = new EventLines('r1');
  const mappers = mapperTable({ mappings: {} });
  const context = { tenant: TENANT, observedTime: 0, format: 'keycloak.event' };
  const start = Date.UTC(2026, 10, 23);
  const events: PipelineRecord[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines.chunk(i, 1, start + Math.floor((i * 1000) / HARNESS_RATE));
    const result = mapRecord(mappers, { format: 'keycloak.event', payload: line.slice(line.indexOf('{'), -1), observedTime: start, source: 'bench' } as RawRecord, context);
    if ('reason' in result) throw new Error(`the harness stream did not normalize: ${result.reason}`);
    events.push(result);
  }
  return events;
}

class DropConsumer extends CollectingConsumer {
  override async consume(): Promise<void> {}
}

const nullHost: Host = {
  reportError(): void {},
  async deadLetter(_tenant: string, _letters: readonly DeadLetter[]): Promise<void> {},
};

/** Partitions that do nothing: the processor's own (routing) cost, columns built as for real partitions. */
const nullPartitions: PartitionFactory = async (_rules, _limits, count) =>
  Array.from({ length: count }, (): Partition => ({ observe: async () => [], tick: async () => [], close: async () => {}, observeBatch: async () => [] }));

/** Inline partitions that keep what they were sent: the columns, and the same as observations. */
function recordingPartitions(sink: Observation[][], columnSink: ObservationColumns[]): PartitionFactory {
  return async (rules, limits, count) =>
    Array.from({ length: count }, (): Partition => {
      const inline = new InlinePartition(rules, limits);
      // The router sends each key once, as an id (key-ids.ts): decoding needs the ids defined so far.
      const keyTable: string[] = [];
      const valueTable: string[] = [];
      return {
        observe: (observations: Observation[]): Promise<RawDetection[]> => inline.observe(observations),
        tick: (watermarks) => inline.tick(watermarks),
        close: () => inline.close(),
        observeBatch: (columns, tenant, watermark): Promise<RawDetection[]> => {
          sink.push(decodeObservations(columns, keyTable, valueTable));
          // The router writes its next batch over these numbers (inline partitions do not move them): keep a copy.
          columnSink.push({ ...columns, numbers: columns.numbers.slice(0, columns.count * STRIDE) });
          return inline.observeBatch(columns, tenant, watermark);
        },
      };
    });
}

const processors: DetectProcessor[] = [];

async function processor(config: DetectConfig, workers: number, partitions: PartitionFactory): Promise<DetectProcessor> {
  const created = new DetectProcessor(testSettings('processor', 'detect', { tenant: TENANT, workers }), { ...config, workers }, new DropConsumer(), partitions);
  await created.start(nullHost);
  processors.push(created);
  return created;
}

function loadGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap and RSS growth (MB) of one engine holding `KEYS` keys of one entry each. */
function memoryPerKeys(): { heapMb: number; rssMb: number } {
  const gc = loadGc();
  const rule: WindowRule = { index: 0, kind: 'event_count', timespanMs: 3_600_000, suppressMs: 0, condition: { op: 'gte', value: 2 }, stages: [], direction: 'either' };
  gc();
  gc();
  const before = process.memoryUsage();
  const engine = new WindowEngine([rule], { ...DEFAULT_LIMITS, maxKeysPerRule: KEYS * 2 });
  fillKeys(engine, 0, KEYS);
  gc();
  gc();
  const after = process.memoryUsage();
  if (engine.keyCount !== KEYS) throw new Error(`expected ${KEYS} keys, got ${engine.keyCount}`);
  return { heapMb: (after.heapUsed - before.heapUsed) / 1e6, rssMb: (after.rss - before.rss) / 1e6 };
}

/** `count` distinct keys (realistic account names and event ids), one observation each, in batches of 1000. */
function fillKeys(engine: WindowEngine, base: number, count: number): void {
  const time = Date.UTC(2026, 10, 23);
  for (let from = 0; from < count; from += BATCH) {
    const batch: Observation[] = [];
    for (let i = from; i < from + BATCH; i++) {
      const n = base + i;
      batch.push({ rule: 0, stage: 0, tenant: TENANT, key: `${TENANT}${KEY_SEPARATOR}user.${n}@example.com`, time: time + (i % KEYS), value: undefined, weight: 1, uid: `6f1c${n.toString(16).padStart(8, '0')}-4b1d-4e0a-9d6c-1f2e3d4c5b6a`, watermark: time });
    }
    engine.observe(batch);
  }
}

export const eventsPerTask: Record<string, number> = {};

export async function register(bench: Bench): Promise<void> {
  const builtin = builtinRules(defaultBuiltinParameters());
  const config: DetectConfig = { ...createDefaultConfig(), rules: builtin.length > 0 ? ['builtin'] : STAND_IN_RULES };
  const ruleSet = builtin.length > 0 ? `built-in pack, ${builtin.length} rules` : `${STAND_IN_RULES.length} stand-in rules`;

  const events = generate(EVENTS);
  const baseTimes = events.map((event) => (event as { time: number }).time);
  const span = baseTimes[baseTimes.length - 1]! - baseTimes[0]! + 3_600_000;
  const batches: Batch[] = [];
  for (let i = 0; i < EVENTS; i += BATCH) batches.push({ tenant: TENANT, records: events.slice(i, i + BATCH) });
  // One operation is one batch; a task cycles through the batches. Each time a task starts the
  // cycle again, event time moves on by the stream's span (plus an hour) for everyone: time only
  // ever goes forward, so state keeps flowing and nothing is late.
  let offset = 0;
  const shift = (): void => {
    offset += span;
    for (let i = 0; i < events.length; i++) (events[i] as { time: number }).time = baseTimes[i]! + offset;
  };
  const cycling = (target: DetectProcessor): (() => Promise<void>) => {
    let cursor = 0;
    return () => {
      if (cursor === 0) shift();
      const batch = batches[cursor]!;
      cursor = (cursor + 1) % batches.length;
      return target.consume(batch);
    };
  };
  const add = (name: string, events: number, fn: () => unknown): void => {
    eventsPerTask[name] = events;
    bench.add(name, fn as () => Promise<void>);
  };

  // What the detector really does, end to end, per worker count.
  const inline = await processor(config, 0, workerPartitions);
  add(`detect: inline (workers 0), ${ruleSet}, batch of ${BATCH}`, BATCH, cycling(inline));
  for (const workers of [1, 2, 4]) {
    const target = await processor(config, workers, workerPartitions);
    add(`detect: ${workers} worker${workers > 1 ? 's' : ''}, ${ruleSet}, batch of ${BATCH}`, BATCH, cycling(target));
  }
  const objects = await processor(config, 2, createWorkerPartitions({ encoding: 'objects' }));
  add(`detect: 2 workers, observations cloned as objects, batch of ${BATCH}`, BATCH, cycling(objects));

  // The same without the tenant-wide rules (group_by: [], one key per tenant, so one partition
  // holds all their work and their O(window) evaluation dominates): the cost of the per-account
  // rules, which spread over the partitions, and of the thread boundary itself.
  const tenantWide = resolveRules(config).filter((rule) => rule.group_by.length === 0).map((rule) => rule.id);
  const perKey: DetectConfig = builtin.length > 0
    ? { ...config, builtin: Object.fromEntries(tenantWide.map((id) => [id, { enabled: false }])) }
    : { ...config, rules: STAND_IN_RULES.filter((rule) => rule.group_by.length > 0) };
  for (const workers of [0, 1, 2]) {
    const target = await processor(perKey, workers, workerPartitions);
    add(`detect: ${workers === 0 ? 'inline' : `${workers} worker${workers > 1 ? 's' : ''}`}, without the tenant-wide rules (${tenantWide.join(', ')}), batch of ${BATCH}`, BATCH, cycling(target));
  }

  // The load harness's brute-force flood: time runs on continuously from cycle to cycle (no gap),
  // so keys keep filling up to their entry limit, as in the harness's server.
  const flood = harnessStream(EVENTS);
  const floodTimes = flood.map((event) => (event as { time: number }).time);
  const floodSpan = (EVENTS * 1000) / HARNESS_RATE;
  const floodBatches: Batch[] = [];
  for (let i = 0; i < EVENTS; i += BATCH) floodBatches.push({ tenant: TENANT, records: flood.slice(i, i + BATCH) });
  let floodOffset = -floodSpan;
  const flooding = (target: DetectProcessor): (() => Promise<void>) => {
    let cursor = 0;
    return () => {
      if (cursor === 0) {
        floodOffset += floodSpan;
        for (let i = 0; i < flood.length; i++) (flood[i] as { time: number }).time = floodTimes[i]! + floodOffset;
      }
      const batch = floodBatches[cursor]!;
      cursor = (cursor + 1) % floodBatches.length;
      return target.consume(batch);
    };
  };
  for (const workers of [0, 2]) {
    // The tasks run one after the other on the same events: the second one's processor starts where the first's time stopped.
    const target = await processor(config, workers, workerPartitions);
    const run = flooding(target);
    add(`detect: ${workers === 0 ? 'inline' : `${workers} workers`}, the load harness's stream (Keycloak LOGIN_ERROR flood, 1,000 users, 509 addresses), batch of ${BATCH}`, BATCH, run);
  }

  // Where the time goes.
  const routerOnly = await processor(config, 2, nullPartitions);
  add(`detect: router only (partitions do nothing), batch of ${BATCH}`, BATCH, cycling(routerOnly));

  const routed: Observation[][] = [];
  const routedColumns: ObservationColumns[] = [];
  // One pipeline batch per hand-off, so that each recorded hand-off is one batch of BATCH events.
  const recorder = await processor({ ...config, worker_batch_events: 1 }, 1, recordingPartitions(routed, routedColumns));
  shift();
  for (const batch of batches) await recorder.consume(batch);
  const windowRules = recorder.rules.map((rule) => rule.window);
  const perBatch = (routed.reduce((sum, list) => sum + list.length, 0) / routed.length).toFixed(0);
  let engine = new WindowEngine(windowRules, DEFAULT_LIMITS);
  let engineCursor = 0;
  add(`detect: engine only, one engine, the observations of a batch of ${BATCH} (${perBatch} on average)`, BATCH, () => {
    // Starting the stream again needs an empty engine (its times go back).
    if (engineCursor === 0) engine = new WindowEngine(windowRules, DEFAULT_LIMITS);
    const list = routed[engineCursor]!;
    const columns = routedColumns[engineCursor]!;
    engineCursor = (engineCursor + 1) % routed.length;
    engine.observeColumns(columns);
    engine.tick(new Map([[TENANT, list.at(-1)?.watermark ?? 0]]));
  });
  let boundaryCursor = 0;
  add(`detect: boundary, columnar encode + structured clone, the observations of a batch of ${BATCH}`, BATCH, () => {
    const list = routed[(boundaryCursor = (boundaryCursor + 1) % routed.length)]!;
    const columns = encodeObservations(list);
    structuredClone(columns, { transfer: [columns.numbers.buffer as ArrayBuffer] });
  });
  // What the router sends now: its own columns, keys as ids (a key's string only in the batch that first uses it).
  let sentCursor = 0;
  add(`detect: boundary, the router's columns (key ids) structured-cloned, a batch of ${BATCH}`, BATCH, () => {
    const columns = routedColumns[(sentCursor = (sentCursor + 1) % routedColumns.length)]!;
    const numbers = columns.numbers.slice();
    structuredClone({ ...columns, numbers }, { transfer: [numbers.buffer as ArrayBuffer] });
  });
  add(`detect: boundary, structured clone as objects, the observations of a batch of ${BATCH}`, BATCH, () => {
    structuredClone(routed[(boundaryCursor = (boundaryCursor + 1) % routed.length)]!);
  });

  // Late events on a busy key below its threshold: one address failing 100 times a second for 5
  // users (a NAT), with a source 30 s behind. Each late event could make any later window meet.
  const sprayRule: WindowRule = { index: 0, kind: 'value_count', timespanMs: 600_000, suppressMs: 900_000, condition: { op: 'gte', value: 15 }, stages: [], direction: 'either' };
  const nat = new WindowEngine([sprayRule], DEFAULT_LIMITS);
  const natKey = `${TENANT}${KEY_SEPARATOR}203.0.113.7`;
  let natTime = Date.UTC(2026, 10, 23);
  const natBatch = (late: boolean): Observation[] =>
    Array.from({ length: BATCH }, (_, i): Observation => {
      const time = late ? natTime - 30_000 + i : (natTime += 10);
      return { rule: 0, stage: 0, tenant: TENANT, key: natKey, time, value: `user${i % 5}`, weight: 1, uid: `n${time}-${i}`, watermark: natTime - 10_000 };
    });
  for (let i = 0; i < 60; i++) nat.observe(natBatch(false));
  add(`detect: engine, ${BATCH} events 30 s late on a busy key below its threshold (100/s, 5 distinct of 15)`, BATCH, () => {
    nat.observe(natBatch(false));
    nat.observe(natBatch(true));
  });

  const memory = memoryPerKeys();
  const memoryText = `${memory.heapMb.toFixed(1)} MB heap, ${memory.rssMb.toFixed(1)} MB RSS`;
  console.log(`detect: memory held per ${KEYS.toLocaleString('en-US')} active keys (one entry each, one engine): ${memoryText}`);
  const fillRule: WindowRule = { index: 0, kind: 'event_count', timespanMs: 3_600_000, suppressMs: 0, condition: { op: 'gte', value: 2 }, stages: [], direction: 'either' };
  let filled = new WindowEngine([fillRule], { ...DEFAULT_LIMITS, maxKeysPerRule: KEYS });
  let fillBase = 0;
  add(`detect: engine, ${BATCH} new keys into an engine of up to ${KEYS.toLocaleString('en-US')} keys (${KEYS.toLocaleString('en-US')} keys hold ${memoryText})`, BATCH, () => {
    if (fillBase % KEYS === 0) filled = new WindowEngine([fillRule], { ...DEFAULT_LIMITS, maxKeysPerRule: KEYS });
    fillKeys(filled, fillBase, BATCH);
    fillBase += BATCH;
  });
}

export async function teardown(): Promise<void> {
  await Promise.all(processors.map((p) => p.shutdown()));
}
