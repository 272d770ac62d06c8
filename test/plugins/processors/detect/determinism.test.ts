/**
 * Determinism (issue 4): the same generated stream with attack scenarios gives byte-identical
 * detections whatever the worker count: inline (workers 0) and 1, 2 and 4 worker threads.
 *
 * Size: the issue asks for 1,000,000 events. Generating and normalizing them costs most of the
 * time (about 15 µs per record on the 2-core reference machine, so some 15 s for 1M before any
 * detection, then four detectors), which would make this one test dominate the suite. The normal
 * suite on a developer's machine runs 200,000 events (some 3 hours of event time at 20 records/s,
 * 330 scenario runs); CI (`CI=true`) and `AUTHWIRE_LONG_TESTS=1` run the full 1,000,000 (a few
 * minutes). `AUTHWIRE_DETERMINISM_EVENTS=<n>` sets any other size.
 *
 * Efficiency: the stream is produced and normalized once, batch by batch (generator fast-forward
 * → normalize processor), and each normalized batch is handed to the four detect processors side
 * by side; no event is kept, only each processor's findings as JSON text. The detectors run the
 * built-in pack and, beside it, rules of this test covering every kind (event_count, value_count,
 * temporal, temporal_ordered, absence, lt / lte conditions, weights), and the test asserts that
 * each of those produced detections: a determinism test over no detections proves nothing.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Batch, Consumer, DeadLetter, Host } from '../../../../core/api.js';
import { testSettings } from '../../../../core/testing.js';
import { builtinRules, defaultBuiltinParameters } from '../../../../plugins/processors/detect/builtin.js';
import { createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import { DetectProcessor, inlinePartitions } from '../../../../plugins/processors/detect/detect.js';
import { workerPartitions } from '../../../../plugins/processors/detect/partitions.js';
import type { RuleDefinition } from '../../../../plugins/processors/detect/rules.js';
import { normalizeFactory } from '../../../../plugins/processors/normalize/index.js';
import type { GeneratorReceiver } from '../../../../plugins/receivers/generator/generator.js';
import { generatorFactory } from '../../../../plugins/receivers/generator/index.js';

const FULL = process.env.AUTHWIRE_LONG_TESTS === '1' || process.env.CI === 'true';
const EVENTS = Number(process.env.AUTHWIRE_DETERMINISM_EVENTS ?? (FULL ? 1_000_000 : 200_000));
const WORKER_COUNTS = [0, 1, 2, 4];
const TENANT = 'acme';

const fail = { class_uid: 3002, status_id: 2 };
const TEST_RULES: RuleDefinition[] = [
  {
    id: 'test_stuffing', name: 'Failures across accounts (weighted)', description: '', severity: 'high', attack: ['T1110.004'], type: 'value_count',
    filter: fail, group_by: [], field: 'user.name', timespan: '2m', condition: { gte: 8 }, suppress: '5m',
    weights: [{ filter: { is_mfa: true }, weight: 2 }],
  },
  {
    id: 'test_brute', name: 'Failures of one account (weighted)', description: '', severity: 'medium', attack: ['T1110.001'], type: 'event_count',
    filter: fail, group_by: ['user.name'], timespan: '5m', condition: { gte: 5 }, suppress: '1m',
    weights: [{ filter: { is_mfa: true }, weight: 1.5 }],
  },
  {
    id: 'test_fail_and_reset', name: 'Failures and a password reset, any order', description: '', severity: 'medium', attack: [], type: 'temporal', group_by: ['user.name'], timespan: '30m',
    stages: [{ name: 'fail', filter: fail, condition: { gte: 2 } }, { name: 'reset', filter: { class_uid: 3001, activity_id: 4 } }], suppress: '30m',
  },
  {
    id: 'test_fail_then_success', name: 'Failures then a success', description: '', severity: 'high', attack: ['T1110'], type: 'temporal_ordered', group_by: ['user.name'], timespan: '10m',
    stages: [{ name: 'fail', filter: fail, condition: { gte: 3 } }, { name: 'ok', filter: { class_uid: 3002, status_id: 1 } }], suppress: '30m',
  },
  {
    id: 'test_created_ungrouped', name: 'Account created, no group within 10m after', description: '', severity: 'low', attack: ['T1136'], type: 'absence', group_by: ['user.name'], timespan: '10m',
    filter: { class_uid: 3001, activity_id: 1 }, absent: { filter: { class_uid: 3006, activity_id: 3 } }, direction: 'after',
  },
  {
    id: 'test_reset_without_login', name: 'Password reset without a sign-in around it', description: '', severity: 'low', attack: [], type: 'absence', group_by: ['user.name'], timespan: '5m',
    filter: { class_uid: 3001, activity_id: 4, status_id: 1 }, absent: { filter: { class_uid: 3002, status_id: 1 } }, direction: 'either', suppress: '30m',
  },
  {
    id: 'test_quiet_group', name: 'Group changed only once in 20s', description: '', severity: 'informational', attack: [], type: 'event_count', group_by: ['group.name'], timespan: '20s',
    filter: { class_uid: 3006 }, condition: { lt: 2 }, suppress: '30m',
  },
  {
    id: 'test_single_user_address', name: 'Address used by at most one account in 5m', description: '', severity: 'informational', attack: [], type: 'value_count', group_by: ['src_endpoint.ip'], field: 'user.name', timespan: '5m',
    filter: { class_uid: 3002, status_id: 1 }, condition: { lte: 1 }, suppress: '1h',
  },
];

/** Hands each batch to every detector side by side; the batch is accepted when all accepted it. */
class FanOut implements Consumer {
  constructor(private readonly targets: readonly Consumer[]) {}
  async consume(batch: Batch): Promise<void> {
    await Promise.all(this.targets.map((target) => target.consume(batch)));
  }
}

/** Keeps only the findings, as JSON text. */
class FindingText implements Consumer {
  readonly lines: string[] = [];
  async consume(batch: Batch): Promise<void> {
    for (const record of batch.records) if ((record as { class_uid?: number }).class_uid === 2004) this.lines.push(JSON.stringify(record));
  }
}

class CountingHost implements Host {
  readonly errors: unknown[] = [];
  deadLetters = 0;
  reportError(error: unknown): void {
    this.errors.push(error);
  }
  async deadLetter(_tenant: string, letters: readonly DeadLetter[]): Promise<void> {
    this.deadLetters += letters.length;
  }
}

test(`${EVENTS.toLocaleString('en-US')} generated events give byte-identical detections inline and with 1, 2 and 4 workers`, { timeout: 30 * 60_000 }, async () => {
  const builtin = builtinRules(defaultBuiltinParameters());
  const host = new CountingHost();
  const outputs = WORKER_COUNTS.map(() => new FindingText());
  const detectors = WORKER_COUNTS.map((workers, i) => new DetectProcessor(
    testSettings('processor', 'detect', { tenant: TENANT }),
    { ...createDefaultConfig(), rules: ['builtin', ...TEST_RULES], workers },
    outputs[i]!,
    workers === 0 ? inlinePartitions : workerPartitions,
  ));
  const normalize = await normalizeFactory.create(testSettings('processor', 'normalize', { tenant: TENANT }), normalizeFactory.createDefaultConfig(), new FanOut(detectors));
  const generator = (await generatorFactory.create(testSettings('receiver', 'generator', { tenant: TENANT }), {
    ...generatorFactory.createDefaultConfig(), seed: 42, count: EVENTS, batch_size: 1000, rate: 20, start_time: '2026-11-23T08:00:00.000Z',
  }, normalize)) as GeneratorReceiver;
  for (const detector of detectors) await detector.start(host);
  await normalize.start(host);
  try {
    await generator.start(host);
    await generator.done;
  } finally {
    await generator.shutdown();
    await normalize.shutdown();
    for (const detector of detectors) await detector.shutdown();
  }
  assert.deepEqual(host.errors, []);
  assert.equal(generator.emitted, EVENTS);

  const reference = outputs[0]!.lines;
  const byRule = new Map<string, number>();
  for (const line of reference) {
    const id = (JSON.parse(line) as { finding_info: { analytic: { uid: string } } }).finding_info.analytic.uid;
    byRule.set(id, (byRule.get(id) ?? 0) + 1);
  }
  // Every rule kind of this test fired, and so did the built-in pack (when it has rules).
  for (const rule of TEST_RULES) assert.ok((byRule.get(rule.id) ?? 0) > 0, `${rule.id} produced no detection: ${JSON.stringify([...byRule])}`);
  if (builtin.length > 0) {
    const fromPack = builtin.reduce((sum, rule) => sum + (byRule.get(rule.id) ?? 0), 0);
    assert.ok(fromPack > 0, `the built-in pack produced no detection: ${JSON.stringify([...byRule])}`);
  }
  const counters = detectors[0]!.counters;
  assert.ok(counters.observations > EVENTS / 10, `too few observations: ${counters.observations}`);
  for (let i = 1; i < WORKER_COUNTS.length; i++) {
    assert.deepEqual(detectors[i]!.counters, counters, `counters with ${WORKER_COUNTS[i]} workers`);
    const lines = outputs[i]!.lines;
    assert.equal(lines.length, reference.length, `detections with ${WORKER_COUNTS[i]} workers`);
    // Byte-identical, first difference named (deepEqual on 10^4 lines prints too much to read).
    const at = lines.findIndex((line, n) => line !== reference[n]);
    assert.equal(at, -1, `with ${WORKER_COUNTS[i]} workers, detection ${at} differs:\n${lines[at]}\nexpected:\n${reference[at]}`);
    assert.equal(lines.join('\n'), reference.join('\n'));
  }
});
