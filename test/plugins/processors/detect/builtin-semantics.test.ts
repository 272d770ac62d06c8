/**
 * Detector semantics as the built-in rules see them: out-of-order and late events, suppression,
 * weights, the Detection Finding's fields, tenant isolation.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { account, MIN, mfaFail, of, pwFail, run, T0, tick, um } from './builtin-helpers.js';

test('out of order within the allowed out-of-orderness (10s): counted', async () => {
  // Nine failures at T0+5s.., then the tenth, 5 s older than the newest, in a later batch.
  const first = Array.from({ length: 9 }, (_, i) => pwFail('alice', T0 + 5000 + i * 100));
  const late = pwFail('alice', T0 + 5000 + 800 - 5000);
  const { findings, host, processor } = await run([first, [late]]);
  const hits = of(findings, 'brute_force');
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.finding_info.first_seen_time, T0 + 800);
  assert.equal(hits[0]!.time, T0 + 5800, 'the window ending at the newest event now holds ten');
  assert.equal(um(hits[0]!)['count'], 10);
  assert.equal(processor.counters.late, 0);
  assert.equal(host.deadLetters.length, 0);
});

test('later than out-of-orderness but within allowed lateness (1m): still counted', async () => {
  const first = Array.from({ length: 9 }, (_, i) => pwFail('alice', T0 + 60_000 + i));
  const { findings, processor } = await run([first, [pwFail('alice', T0 + 60_000 - 65_000 + 5000)]]);
  assert.equal(of(findings, 'brute_force').length, 1);
  assert.equal(processor.counters.late, 0);
});

test('too late (older than watermark - lateness): counted as late, dead-lettered as late_for_detection, passed on, not counted', async () => {
  const first = Array.from({ length: 9 }, (_, i) => pwFail('alice', T0 + i));
  const newest = tick(T0 + 5 * MIN);
  const tooLate = pwFail('alice', T0 + 5 * MIN - 10_000 - 60_000 - 1);
  const { findings, host, out, processor } = await run([first, [newest], [tooLate]]);
  assert.equal(of(findings, 'brute_force').length, 0);
  assert.equal(processor.counters.late, 1);
  assert.equal(host.deadLetters.length, 1);
  assert.equal(host.deadLetters[0]!.reason, 'late_for_detection');
  assert.equal(host.deadLetters[0]!.tenant, 'acme');
  assert.equal(host.deadLetters[0]!.original, tooLate);
  assert.ok(out.records.includes(tooLate), 'the late event still flows on to the exporters');
});

test('exactly at watermark - lateness: accepted', async () => {
  const first = Array.from({ length: 9 }, (_, i) => pwFail('alice', T0 + 4 * MIN + i));
  const edge = pwFail('alice', T0 + 5 * MIN - 10_000 - 60_000);
  const { findings, processor } = await run([first, [tick(T0 + 5 * MIN)], [edge]]);
  assert.equal(processor.counters.late, 0);
  assert.equal(of(findings, 'brute_force').length, 1);
});

test('suppression: one finding per (rule, key) per 15m; the repeats are counted and carried on the next finding', async () => {
  const burst = (start: number, n: number) => Array.from({ length: n }, (_, i) => pwFail('alice', start + i * 1000));
  // 12 failures: fires at the 10th, the 11th and 12th are suppressed repeats.
  const { findings } = await run([burst(T0, 12), burst(T0 + 14 * MIN, 10), burst(T0 + 16 * MIN, 10)]);
  const hits = of(findings, 'brute_force');
  assert.deepEqual(hits.map((f) => [f.time, um(f)['suppressed_count']]), [
    [T0 + 9000, 0],
    // The burst at T0+14m reaches 10 at T0+14m+9s, inside the period: the 3rd suppressed repeat. At T0+16m the
    // window (T0+6m, T0+16m] holds that burst plus the new failure, and the period is over: it fires, carrying 3.
    [T0 + 16 * MIN, 3],
  ]);
});

test('suppression: a different key is not suppressed', async () => {
  const events = [...Array.from({ length: 10 }, (_, i) => pwFail('alice', T0 + i)), ...Array.from({ length: 10 }, (_, i) => pwFail('bob', T0 + 100 + i))];
  const { findings } = await run([events]);
  assert.deepEqual(of(findings, 'brute_force').map((f) => um(f)['key']), [{ 'user.name': 'alice' }, { 'user.name': 'bob' }]);
});

test('weights: risky MFA failures count more (product of the matching entries)', async () => {
  const risky = { device_familiarity: 'new', ip_reputation: 'poor', time_of_day: 'usual' };
  // 1.5 * 1.5 = 2.25 per account: 5 accounts = 11.25 >= 10; 4 = 9.
  const five = Array.from({ length: 5 }, (_, i) => mfaFail(`user${i}`, T0 + i * 1000, 'acme', risky));
  const hits = of((await run([five])).findings, 'credential_stuffing');
  assert.equal(hits.length, 1);
  assert.equal(um(hits[0]!)['count'], 11.25);
  assert.equal(of((await run([five.slice(0, 4)])).findings, 'credential_stuffing').length, 0);
  // All four factors: 1.5 * 1.5 * 1.5 * 1.25 = 4.21875; with user.risk_level_id 4.
  const all = Array.from({ length: 3 }, (_, i) => {
    const e = mfaFail(`user${i}`, T0 + i, 'acme', { ...risky, time_of_day: 'unusual' });
    e.user!.risk_level_id = 4;
    return e;
  });
  const three = of((await run([all])).findings, 'credential_stuffing');
  assert.equal(three.length, 1);
  assert.equal(um(three[0]!)['count'], 4.21875 * 3);
});

test('weights: a password failure counts 0.5 toward credential_stuffing (20 accounts), an MFA failure 1; an account counts once at its highest weight', async () => {
  const pw = (n: number) => Array.from({ length: n }, (_, i) => pwFail(`user${i}`, T0 + i * 1000, `203.0.113.${i + 1}`));
  assert.equal(of((await run([pw(19)])).findings, 'credential_stuffing').length, 0);
  const twenty = of((await run([pw(20)])).findings, 'credential_stuffing');
  assert.equal(twenty.length, 1);
  assert.equal(um(twenty[0]!)['count'], 10);
  // 18 password-failing accounts (9) + one of them also failing MFA (its weight becomes 1): 9.5.
  const mixed = [...pw(18), mfaFail('user0', T0 + 30_000)];
  assert.equal(of((await run([mixed])).findings, 'credential_stuffing').length, 0);
  const off = await run([pw(20)], (c) => (c.parameters.credential_stuffing.password_failures = false));
  assert.equal(of(off.findings, 'credential_stuffing').length, 0);
});

test('the Detection Finding: analytic, title, attacks, times, related events, tenant, key, count, distinct values', async () => {
  const events = Array.from({ length: 10 }, (_, i) => mfaFail(`user${i}`, T0 + i * 1000, 'globex'));
  const { findings } = await run([events]);
  const f = of(findings, 'credential_stuffing')[0]!;
  assert.equal(f.class_uid, 2004);
  assert.equal(f.type_uid, 200401);
  assert.equal(f.time, T0 + 9000);
  assert.equal(f.severity_id, 4);
  assert.equal(f.metadata['tenant_uid'], 'globex');
  assert.deepEqual(f.finding_info.analytic, { uid: 'credential_stuffing', name: 'Credential stuffing: failed sign-ins across many accounts', type_id: 1, type: 'Rule' });
  assert.equal(f.finding_info.title, 'Credential stuffing: failed sign-ins across many accounts');
  assert.deepEqual(f.finding_info.attacks, [{ technique: { uid: 'T1110' }, sub_technique: { uid: 'T1110.004' } }]);
  assert.equal(f.finding_info.first_seen_time, T0);
  assert.equal(f.finding_info.last_seen_time, T0 + 9000);
  assert.deepEqual(f.finding_info.related_events, events.map((e) => ({ uid: e.metadata.uid })));
  assert.equal(f.finding_info.related_events_count, 10);
  assert.deepEqual(f.finding_info.types, ['value_count']);
  assert.deepEqual(um(f), { key: {}, count: 10, condition: 'gte 10', timespan: '10m', distinct_values: events.map((e) => e.user!.name), suppressed_count: 0 });
});

test('tenant isolation: the same attack split across two tenants, below the threshold in each, does not fire', async () => {
  const a = Array.from({ length: 9 }, (_, i) => mfaFail(`user${i}`, T0 + i * 1000, 'acme'));
  const b = Array.from({ length: 9 }, (_, i) => mfaFail(`user${i + 9}`, T0 + i * 1000, 'globex'));
  const bfA = Array.from({ length: 5 }, (_, i) => pwFail('alice', T0 + i * 1000, '203.0.113.7', 'acme'));
  const bfB = Array.from({ length: 5 }, (_, i) => pwFail('alice', T0 + 10_000 + i * 1000, '203.0.113.7', 'globex'));
  const { findings } = await run([a, b, bfA, bfB]);
  assert.deepEqual(findings, []);
  // ... and all of it in one tenant does.
  const one = await run([[...a, ...b.map((e) => mfaFail(e.user!.name!, e.time, 'acme'))]]);
  assert.equal(of(one.findings, 'credential_stuffing').length, 1);
});

test('an event without the group-by field is not counted by that rule, and that is counted', async () => {
  const events = Array.from({ length: 10 }, (_, i) => {
    const e = pwFail('x', T0 + i);
    e.user = { uid: 'a1b2' };
    return e;
  });
  const { findings, processor } = await run([events]);
  assert.equal(of(findings, 'brute_force').length, 0);
  // 10 events x the 4 rules whose filter takes a password failure but whose key or counted
  // field (user.name) they lack: each (event, rule) pair is counted once.
  assert.equal(processor.counters.unkeyed, 40);
  const keyed = await run([Array.from({ length: 10 }, (_, i) => pwFail('x', T0 + i))]);
  assert.equal(keyed.processor.counters.unkeyed, 0);
});

test('lockouts after unlocks: repeated_lockout counts Lock events only (unlocks in between do not reset it)', async () => {
  const events = [account(9, 'alice', T0), account(12, 'alice', T0 + 15 * MIN), account(9, 'alice', T0 + 20 * MIN), account(12, 'alice', T0 + 35 * MIN), account(9, 'alice', T0 + 40 * MIN)];
  const hits = of((await run([events])).findings, 'repeated_lockout');
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.time, T0 + 40 * MIN);
});
