/**
 * The router's class index (`routeTable`) leaves nothing out: on generated events, the
 * observations the processor sends each partition are exactly, and in the same order, those of
 * testing every stage filter of every rule in order (the router before the index), for the
 * built-in pack with every rule switched on, plus rules without a class_uid in their filters.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Batch, DeadLetter, Host, PipelineRecord, RawRecord } from '../../../../core/api.js';
import { parseDuration } from '../../../../core/duration.js';
import { CollectingConsumer, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import { DetectProcessor, partitionOf, partitionOfParts, routeTable } from '../../../../plugins/processors/detect/detect.js';
import type { Partition, PartitionFactory } from '../../../../plugins/processors/detect/detect.js';
import { KEY_SEPARATOR } from '../../../../plugins/processors/detect/engine.js';
import type { Observation } from '../../../../plugins/processors/detect/engine.js';
import type { RouterRule, RuleDefinition } from '../../../../plugins/processors/detect/rules.js';
import { mapperTable, mapRecord } from '../../../../plugins/processors/normalize/normalize.js';
import { Engine } from '../../../../plugins/receivers/generator/engine.js';
import { FORMATS, SCENARIOS } from '../../../../plugins/receivers/generator/model.js';

const TENANT = 'acme';
const PARTITIONS = 3;

function generate(count: number): PipelineRecord[] {
  const engine = new Engine({ seed: 3, formats: FORMATS, scenarios: SCENARIOS, scenarioEvery: 100, domain: 'example.com' });
  const mappers = mapperTable({ mappings: {} });
  const context = { tenant: TENANT, observedTime: 0, format: '' };
  const start = Date.UTC(2026, 10, 23);
  const events: PipelineRecord[] = [];
  for (let i = 0; events.length < count; i++) {
    const time = start + i * 100;
    const raw = engine.next(time, { format: '', payload: '', observedTime: time, source: 'test' } as RawRecord);
    context.format = raw.format;
    context.observedTime = time;
    const result = mapRecord(mappers, raw, context);
    // Time as the stream's (syslog without a year can land far away): nothing is late.
    if (!('reason' in result)) events.push({ ...result, time } as PipelineRecord);
  }
  return events;
}

/** Rules whose filters name no class, or classes no event has, beside the pack. */
const EXTRA_RULES: RuleDefinition[] = [
  { id: 'any_failure', name: 'Failures of any class', description: '', severity: 'low', attack: [], type: 'event_count', filter: { status_id: 2 }, group_by: ['user.name'], timespan: '1m', condition: { gte: 1000 }, weights: [{ filter: { is_mfa: true }, weight: 2 }] },
  { id: 'not_auth', name: 'Not authentication', description: '', severity: 'low', attack: [], type: 'event_count', filter: { not: { class_uid: 3002 } }, group_by: [], timespan: '1m', condition: { gte: 1000 } },
  { id: 'mixed_stages', name: 'A class, then any', description: '', severity: 'low', attack: [], type: 'temporal', group_by: ['user.name'], timespan: '1m', stages: [{ name: 'a', filter: { class_uid: [3001, 3005] } }, { name: 'b', filter: { 'src_endpoint.ip': { exists: true } } }, { name: 'c', filter: { class_uid: 3002, status_id: 2 } }] },
  { id: 'unseen_class', name: 'A class no event has', description: '', severity: 'low', attack: [], type: 'absence', group_by: ['user.name'], timespan: '1m', filter: { class_uid: 9999 }, absent: { filter: { any: [{ class_uid: 3002 }, { class_uid: 4001 }] } } },
];

/** The router before the class index: every stage of every rule, in order. */
function naiveRoute(rules: readonly RouterRule[], event: PipelineRecord & { time: number }, tenant: string, watermark: number, outgoing: Observation[][]): void {
  const metadata = (event as { metadata?: { uid?: unknown } }).metadata;
  const uid = typeof metadata?.uid === 'string' ? metadata.uid : '';
  const keyPart = (value: unknown): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (Array.isArray(value)) return value.length > 0 ? keyPart(value[0]) : undefined;
    return typeof value === 'string' ? value : String(value);
  };
  for (const rule of rules) {
    for (let stage = 0; stage < rule.stageFilters.length; stage++) {
      if (!rule.stageFilters[stage]!(event)) continue;
      const parts = rule.keyFields.map((field) => keyPart(field(event)));
      if (parts.includes(undefined)) break;
      const key = [tenant, ...parts].join(KEY_SEPARATOR);
      let value: string | undefined;
      if (rule.valueField !== undefined) {
        value = keyPart(rule.valueField(event));
        if (value === undefined) break;
      }
      let weight = 1;
      for (const entry of rule.weights) if (entry.filter(event)) weight *= entry.weight;
      outgoing[partitionOf(key, outgoing.length)]!.push({ rule: rule.index, stage, tenant, key, time: event.time, value, weight, uid, watermark });
    }
  }
}

const host: Host = { reportError(): void {}, async deadLetter(_tenant: string, _letters: readonly DeadLetter[]): Promise<void> {} };

test('the routed observations are those of testing every stage of every rule, in the same order', async () => {
  const sent: Observation[][][] = [];
  const recording: PartitionFactory = async (_rules, _limits, count) =>
    Array.from({ length: count }, (_, i): Partition => ({
      observe: async (observations) => {
        (sent.at(-1)![i] = observations);
        return [];
      },
      tick: async () => [],
      close: async () => {},
    }));
  const config = {
    ...createDefaultConfig(),
    rules: ['builtin', ...EXTRA_RULES],
    builtin: { account_reenabled_after_dormancy: { enabled: true }, account_created_out_of_scope: { enabled: true } },
    workers: PARTITIONS,
  };
  const processor = new DetectProcessor(testSettings('processor', 'detect', { tenant: TENANT }), config, new CollectingConsumer(), recording);
  await processor.start(host);
  const events = generate(6000);
  const outOfOrderness = parseDuration(config.allowed_out_of_orderness);
  let watermark = Number.NEGATIVE_INFINITY;
  let total = 0;
  for (let from = 0; from < events.length; from += 500) {
    const records = events.slice(from, from + 500);
    sent.push(Array.from({ length: PARTITIONS }, () => []));
    await processor.consume({ tenant: TENANT, records } as Batch);
    const expected: Observation[][] = Array.from({ length: PARTITIONS }, () => []);
    for (const record of records) {
      const time = (record as { time: number }).time;
      // The processor's watermark: no event here is late (times only go forward).
      if (time - outOfOrderness > watermark) watermark = time - outOfOrderness;
      naiveRoute(processor.rules, record as PipelineRecord & { time: number }, TENANT, watermark, expected);
    }
    assert.deepEqual(sent.at(-1), expected, `batch at ${from}`);
    total += expected.reduce((sum, list) => sum + list.length, 0);
  }
  await processor.shutdown();
  assert.equal(processor.counters.observations, total);
  assert.equal(processor.counters.late, 0);
  const routed = new Set(sent.flat(2).map((o) => `${o.rule}:${o.stage}`));
  // Every rule but these was routed something (the generator makes no default-account enable or IdP change; no event has class 9999).
  assert.deepEqual(processor.rules.filter((rule) => !routed.has(`${rule.index}:0`)).map((rule) => rule.definition.id), ['account_reenabled', 'iam_config_change', 'unseen_class']);
  const mixed = processor.rules.find((rule) => rule.definition.id === 'mixed_stages')!;
  for (const stage of [0, 1, 2]) assert.ok(routed.has(`${mixed.index}:${stage}`), `mixed_stages stage ${stage}`);
});

test('routeTable: stages by class, classless stages under every class and the others', () => {
  const processor = new DetectProcessor(testSettings('processor', 'detect', { tenant: TENANT }), { ...createDefaultConfig(), rules: EXTRA_RULES, workers: 1 }, new CollectingConsumer());
  const { byClass, other } = routeTable(processor.rules);
  const describe = (routes: ReturnType<typeof routeTable>['other']): string[] => routes.map((route) => `${route.rule.definition.id}:${route.stages.join(',')}`);
  assert.deepEqual([...byClass.keys()].sort(), [3001, 3002, 3005, 4001, 9999]);
  assert.deepEqual(describe(byClass.get(3002)!), ['any_failure:0', 'not_auth:0', 'mixed_stages:1,2', 'unseen_class:1']);
  assert.deepEqual(describe(byClass.get(3001)!), ['any_failure:0', 'not_auth:0', 'mixed_stages:0,1']);
  assert.deepEqual(describe(byClass.get(9999)!), ['any_failure:0', 'not_auth:0', 'mixed_stages:1', 'unseen_class:0']);
  assert.deepEqual(describe(other), ['any_failure:0', 'not_auth:0', 'mixed_stages:1']);
  assert.equal(byClass.get(3002)![2]!.filters[0], processor.rules[2]!.stageFilters[1]);
});

test('partitionOfParts hashes tenant, separator and values as partitionOf hashes their concatenation', () => {
  for (const [tenant, values] of [['acme', 'alice'], ['t', `bob${KEY_SEPARATOR}Domain Admins`], ['tenant-ü', 'ñ@example.com'], ['x', '']] as const) {
    for (const count of [1, 2, 3, 4, 16]) assert.equal(partitionOfParts(tenant, values, count), partitionOf(tenant + KEY_SEPARATOR + values, count), `${tenant} ${values} ${count}`);
  }
  // A fixed value: a key's partition must not change between releases (FNV-1a of the UTF-16 code units).
  assert.equal(partitionOf(`acme${KEY_SEPARATOR}alice`, 1000), 152);
  assert.equal(partitionOfParts('acme', 'alice', 1000), 152);
});
