/**
 * The count rules of the built-in pack: exactly at the threshold fires, one below does not, and
 * the window edges (start and end - 1 ms together; start and end not).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { IamEvent } from '../../../../plugins/processors/normalize/ocsf.js';
import { account, MIN, mfaFail, of, push, pwFail, run, T0, um } from './builtin-helpers.js';

interface Case {
  id: string;
  threshold: number;
  timespanMs: number;
  make: (i: number, time: number) => IamEvent;
}

const CASES: Case[] = [
  { id: 'credential_stuffing', threshold: 10, timespanMs: 10 * MIN, make: (i, t) => mfaFail(`user${i}`, t) },
  { id: 'lockout_cluster', threshold: 5, timespanMs: 15 * MIN, make: (i, t) => account(9, `user${i}`, t) },
  { id: 'repeated_lockout', threshold: 3, timespanMs: 60 * MIN, make: (_i, t) => account(9, 'alice', t) },
  { id: 'recovery_abuse', threshold: 10, timespanMs: 15 * MIN, make: (i, t) => account(4, `user${i}`, t, 'keycloak.event') },
  { id: 'password_spray', threshold: 15, timespanMs: 10 * MIN, make: (i, t) => pwFail(`user${i}`, t, '203.0.113.7') },
  { id: 'brute_force', threshold: 10, timespanMs: 10 * MIN, make: (i, t) => pwFail('alice', t, `203.0.113.${i + 1}`) },
  { id: 'mfa_fatigue', threshold: 5, timespanMs: 10 * MIN, make: (i, t) => push('alice', t, i % 2 === 0 ? 'push_denied' : 'push_timeout') },
  { id: 'recovery_abuse_account', threshold: 5, timespanMs: 60 * MIN, make: (_i, t) => account(4, 'alice', t, 'keycloak.event') },
];

/** n events, 1 s apart from T0, except the last one at `last` when given. */
function series(c: Case, n: number, last?: number): IamEvent[] {
  const events: IamEvent[] = [];
  for (let i = 0; i < n; i++) events.push(c.make(i, i === n - 1 && last !== undefined ? last : T0 + i * 1000));
  return events;
}

for (const c of CASES) {
  test(`${c.id}: exactly at the threshold (${c.threshold}) fires, at the time of the event that crossed`, async () => {
    const events = series(c, c.threshold);
    const { findings } = await run([events]);
    const hits = of(findings, c.id);
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.time, T0 + (c.threshold - 1) * 1000);
    assert.equal(um(hits[0]!)['count'], c.threshold);
    assert.equal(hits[0]!.finding_info.first_seen_time, T0);
    assert.equal(hits[0]!.finding_info.last_seen_time, T0 + (c.threshold - 1) * 1000);
    assert.deepEqual(hits[0]!.finding_info.related_events, events.map((e) => ({ uid: e.metadata.uid })));
  });

  test(`${c.id}: one below the threshold does not fire`, async () => {
    const { findings } = await run([series(c, c.threshold - 1)]);
    assert.equal(of(findings, c.id).length, 0);
  });

  test(`${c.id}: an event at the window start and one at end - 1 ms count together`, async () => {
    const { findings } = await run([series(c, c.threshold, T0 + c.timespanMs - 1)]);
    assert.equal(of(findings, c.id).length, 1);
    assert.equal(of(findings, c.id)[0]!.time, T0 + c.timespanMs - 1);
  });

  test(`${c.id}: an event at the window end does not share the window with the start`, async () => {
    const { findings } = await run([series(c, c.threshold, T0 + c.timespanMs)]);
    assert.equal(of(findings, c.id).length, 0);
  });
}

test('brute_force: push-prompt failures are left to mfa_fatigue (one attack, one finding)', async () => {
  const events = Array.from({ length: 10 }, (_, i) => push('alice', T0 + i * 1000));
  const { findings } = await run([events]);
  assert.deepEqual(findings.map((f) => f.finding_info.analytic.uid), ['mfa_fatigue']);
});

test('mfa_fatigue: only the configured push failure reasons count (a method_unavailable push does not)', async () => {
  const events = [...Array.from({ length: 4 }, (_, i) => push('alice', T0 + i * 1000)), push('alice', T0 + 5000, 'method_unavailable')];
  assert.equal(of((await run([events])).findings, 'mfa_fatigue').length, 0);
  const widened = await run([events], (c) => (c.parameters.mfa_fatigue.failure_reasons = ['push_denied', 'method_unavailable']));
  assert.equal(of(widened.findings, 'mfa_fatigue').length, 1);
});

test('password_spray: keyed by source IP; the same accounts from two IPs do not add up', async () => {
  const events = Array.from({ length: 14 }, (_, i) => pwFail(`user${i}`, T0 + i * 1000, i % 2 === 0 ? '203.0.113.7' : '203.0.113.8'));
  events.push(pwFail('user0', T0 + 20_000, '203.0.113.8'));
  const { findings } = await run([events]);
  assert.equal(of(findings, 'password_spray').length, 0);
});

test('parameters change the thresholds and windows', async () => {
  const events = Array.from({ length: 3 }, (_, i) => pwFail('alice', T0 + i * 1000));
  const { findings } = await run([events], (c) => (c.parameters.brute_force = { failures: 3, timespan: '5s', success_timespan: '1m' }));
  assert.equal(of(findings, 'brute_force').length, 1);
  assert.equal(um(of(findings, 'brute_force')[0]!)['timespan'], '5s');
});

test('builtin overrides still apply on top of the parameters (condition, severity, enabled)', async () => {
  const events = Array.from({ length: 4 }, (_, i) => pwFail('alice', T0 + i * 1000));
  const { findings } = await run([events], (c) => {
    c.builtin = { brute_force: { condition: { gte: 4 }, severity: 'critical' }, credential_stuffing: { enabled: false } };
  });
  assert.deepEqual(findings.map((f) => [f.finding_info.analytic.uid, f.severity_id]), [['brute_force', 5]]);
});
