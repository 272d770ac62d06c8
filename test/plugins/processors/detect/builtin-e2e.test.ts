/**
 * End to end: generator (fast-forward, seeded) -> normalize -> detect (inline). The exact set of
 * rules that fire for a fixed seed and count, and each generator attack scenario caught by the
 * rule meant for it (judged by the contributing events coming from the attack address ranges).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import { DetectProcessor } from '../../../../plugins/processors/detect/detect.js';
import type { DetectionFinding } from '../../../../plugins/processors/detect/finding.js';
import type { IamEvent } from '../../../../plugins/processors/normalize/ocsf.js';
import { normalizeFactory } from '../../../../plugins/processors/normalize/index.js';
import type { GeneratorConfig } from '../../../../plugins/receivers/generator/config.js';
import { generatorFactory } from '../../../../plugins/receivers/generator/index.js';

const ATTACK_IP = /^(?:203\.0\.113|192\.0\.2)\./;

async function pipeline(overrides: Partial<GeneratorConfig>): Promise<{ findings: DetectionFinding[]; events: Map<string, IamEvent>; late: number }> {
  const out = new CollectingConsumer();
  const host = new RecordingHost();
  const detect = new DetectProcessor(testSettings('processor', 'detect'), { ...createDefaultConfig(), workers: 0 }, out);
  await detect.start(host);
  const normalize = await normalizeFactory.create(testSettings('processor', 'normalize'), normalizeFactory.createDefaultConfig(), detect);
  await normalize.start(host);
  const generator = generatorFactory.create(testSettings('receiver', 'generator/e2e'), { ...generatorFactory.createDefaultConfig(), start_time: '2024-11-23T19:20:00Z', batch_size: 500, ...overrides }, normalize) as unknown as {
    start(h: RecordingHost): Promise<void>;
    done: Promise<void>;
    shutdown(): Promise<void>;
  };
  await generator.start(host);
  await generator.done;
  await generator.shutdown();
  await normalize.shutdown();
  await detect.shutdown();
  const findings: DetectionFinding[] = [];
  const events = new Map<string, IamEvent>();
  for (const record of out.records as (IamEvent | DetectionFinding)[]) {
    if (record.class_uid === 2004) findings.push(record as DetectionFinding);
    else events.set((record as IamEvent).metadata.uid, record as IamEvent);
  }
  return { findings, events, late: detect.counters.late };
}

/** Findings of `rule` whose contributing events come mostly from the attack address ranges. */
function caught(run: { findings: DetectionFinding[]; events: Map<string, IamEvent> }, rule: string): DetectionFinding[] {
  return run.findings.filter((f) => {
    if (f.finding_info.analytic.uid !== rule) return false;
    const related = f.finding_info.related_events.map((r) => run.events.get(r.uid));
    const attack = related.filter((e) => e?.src_endpoint?.ip !== undefined && ATTACK_IP.test(e.src_endpoint.ip)).length;
    return attack * 2 >= related.length;
  });
}

test('seed 1, 80,000 records (4,000 s of event time), all scenarios: the exact set of rules that fire', async () => {
  const run = await pipeline({ seed: 1, count: 80_000 });
  assert.equal(run.late, 0);
  const fired = [...new Set(run.findings.map((f) => f.finding_info.analytic.uid))].sort();
  assert.deepEqual(fired, [
    'brute_force',
    'brute_force_success',
    'credential_stuffing',
    'lockout_cluster',
    'mfa_fatigue',
    'mfa_fatigue_success',
    'password_spray',
    'privileged_grant',
    'recovery_abuse',
    'recovery_abuse_account',
    'unapproved_account_creation',
  ]);
  // The rogue host account (useradd on a Linux host, never created in the IAM) is judged 1h later.
  const unapproved = run.findings.filter((f) => f.finding_info.analytic.uid === 'unapproved_account_creation');
  assert.equal(unapproved.length, 1);
  assert.equal(run.events.get(unapproved[0]!.finding_info.related_events[0]!.uid)!.metadata.log_name, 'linux.auth');
});

// One scenario run each (it starts at the first record), 600 records (30 s), with its noise.
const SCENARIOS: [scenario: string, seed: number, rule: string][] = [
  ['credential_stuffing', 1, 'credential_stuffing'],
  ['brute_force', 1, 'brute_force'],
  ['password_spray', 1, 'password_spray'],
  ['recovery_abuse', 1, 'recovery_abuse'],
  ['recovery_abuse', 1, 'recovery_abuse_account'],
  ['mfa_fatigue', 2, 'mfa_fatigue'],
];

for (const [scenario, seed, rule] of SCENARIOS) {
  test(`generator scenario ${scenario} (seed ${seed}) is caught by ${rule}`, async () => {
    const run = await pipeline({ seed, count: 600, scenarios: [scenario as never], scenario_interval: '1h' });
    assert.equal(caught(run, rule).length, 1);
  });
}

test('generator scenario mfa_fatigue rendered as mfa_api (seed 1) is caught', async () => {
  const run = await pipeline({ seed: 1, count: 600, scenarios: ['mfa_fatigue'], scenario_interval: '1h' });
  assert.equal(caught(run, 'mfa_fatigue').length, 1);
});
