/**
 * The built-in rules that are not plain counts: per-event rules (privileged grant, default
 * account enabled, IAM configuration), temporal_ordered (followed by a success, membership
 * drift) and absence (unapproved account creation, re-enable after dormancy).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { account, configChange, hostCreate, membership, MIN, of, push, pwFail, roleGrant, run, signIn, T0, tick, um } from './builtin-helpers.js';

const ids = (findings: { finding_info: { analytic: { uid: string } } }[]) => findings.map((f) => f.finding_info.analytic.uid);

test('privileged_grant: a privileged role (case-insensitive) or privileged group fires; an ordinary one does not', async () => {
  const add = (group: string, t: number) => membership(3, 'alice', group, t, 'linux.auth');
  const { findings } = await run([[roleGrant('alice', 'global administrator', T0), roleGrant('bob', 'Reports Reader', T0 + 1), add('sudo', T0 + 2), add('developers', T0 + 3)]]);
  const hits = of(findings, 'privileged_grant');
  assert.deepEqual(hits.map((f) => [f.time, um(f)['key']]), [[T0, { 'user.name': 'alice' }]]);
  // alice's sudo add at T0+2 is a repeat for the same key within the suppression period.
  const other = await run([[add('Domain Admins', T0)]], (c) => (c.parameters.privileged_grant.groups = ['Domain Admins']));
  assert.equal(of(other.findings, 'privileged_grant').length, 1);
  const removed = await run([[membership(4, 'alice', 'sudo', T0, 'linux.auth')]]);
  assert.equal(of(removed.findings, 'privileged_grant').length, 0);
});

test('account_reenabled: a default account enabled fires (any case); an ordinary account does not', async () => {
  const { findings } = await run([[account(2, 'Administrator', T0, 'entra.audit'), account(2, 'alice', T0 + 1), account(1, 'guest', T0 + 2)]]);
  assert.deepEqual(of(findings, 'account_reenabled').map((f) => um(f)['key']), [{ 'user.name': 'Administrator' }]);
});

test('iam_config_change: IdP / federation / event-logging changes fire; other configuration changes do not', async () => {
  const events = [
    configChange('IDENTITY_PROVIDER:UPDATE', T0, 'keycloak.admin_event', { resource_type: 'IDENTITY_PROVIDER', resource_path: 'identity-provider/instances/corp' }),
    configChange('REALM:UPDATE', T0 + 1, 'keycloak.admin_event', { resource_type: 'REALM', resource_path: 'events/config' }),
    configChange('system.idp.lifecycle.deactivate', T0 + 2, 'okta'),
    configChange('Set federation settings on domain', T0 + 3, 'entra.audit', { resource_type: 'Domain' }),
    configChange('sapi', T0 + 4, 'auth0', { resource_type: 'log-streams', resource_path: '/api/v2/log-streams/lst_1' }),
    configChange('CLIENT:UPDATE', T0 + 5, 'keycloak.admin_event', { resource_type: 'CLIENT', resource_path: 'clients/abc' }),
    configChange('policy.lifecycle.update', T0 + 6, 'okta'),
  ];
  const { findings } = await run([events]);
  assert.deepEqual(of(findings, 'iam_config_change').map((f) => [f.time, um(f)['key']]), [
    [T0, { 'metadata.event_code': 'IDENTITY_PROVIDER:UPDATE' }],
    [T0 + 1, { 'metadata.event_code': 'REALM:UPDATE' }],
    [T0 + 2, { 'metadata.event_code': 'system.idp.lifecycle.deactivate' }],
    [T0 + 3, { 'metadata.event_code': 'Set federation settings on domain' }],
    [T0 + 4, { 'metadata.event_code': 'sapi' }],
  ]);
  // Activity 99 only: the same code on another activity is not a configuration change.
  const e = configChange('IDENTITY_PROVIDER:UPDATE', T0, 'keycloak.admin_event');
  e.activity_id = 2;
  assert.equal(of((await run([[e]])).findings, 'iam_config_change').length, 0);
});

test('brute_force_success: 10 failures then a success within 30m fires (critical); 9 failures, or the success first, do not', async () => {
  const fails = (n: number, start = T0) => Array.from({ length: n }, (_, i) => pwFail('alice', start + i * 1000));
  const hit = await run([[...fails(10), signIn('alice', T0 + 29 * MIN)]]);
  const f = of(hit.findings, 'brute_force_success');
  assert.equal(f.length, 1);
  assert.equal(f[0]!.time, T0 + 29 * MIN);
  assert.equal(f[0]!.severity_id, 5);
  assert.equal(um(f[0]!)['count'], 11);
  assert.equal(of((await run([[...fails(9), signIn('alice', T0 + 60_000)]])).findings, 'brute_force_success').length, 0);
  assert.equal(of((await run([[signIn('alice', T0), ...fails(10, T0 + 1000)]])).findings, 'brute_force_success').length, 0);
  assert.equal(of((await run([[...fails(10), signIn('alice', T0 + 30 * MIN)]])).findings, 'brute_force_success').length, 0, 'the first failure and the success must be < 30m apart');
  assert.equal(of((await run([[...fails(10), signIn('bob', T0 + 60_000)]])).findings, 'brute_force_success').length, 0);
});

test('mfa_fatigue_success: 5 denied/unanswered pushes then an approved MFA step fires; a password-only success does not', async () => {
  const pushes = Array.from({ length: 5 }, (_, i) => push('alice', T0 + i * 1000, i % 2 === 0 ? 'push_denied' : 'push_timeout'));
  const hit = await run([[...pushes, signIn('alice', T0 + 10_000, true)]]);
  assert.deepEqual(ids(hit.findings), ['mfa_fatigue', 'mfa_fatigue_success']);
  assert.equal(of(hit.findings, 'mfa_fatigue_success')[0]!.time, T0 + 10_000);
  assert.equal(of((await run([[...pushes, signIn('alice', T0 + 10_000, false)]])).findings, 'mfa_fatigue_success').length, 0);
  assert.equal(of((await run([[...pushes.slice(1), signIn('alice', T0 + 10_000, true)]])).findings, 'mfa_fatigue_success').length, 0);
});

test('membership_drift: an out-of-band change on a host, then the IAM changing the same membership within 1h, fires', async () => {
  const host = membership(3, 'alice', 'finance', T0, 'linux.auth');
  const iam = membership(4, 'alice', 'finance', T0 + 59 * MIN, 'keycloak.admin_event');
  const hit = await run([[host, iam]]);
  assert.deepEqual(of(hit.findings, 'membership_drift').map((f) => [f.time, um(f)['key']]), [[T0 + 59 * MIN, { 'user.name': 'alice', 'group.name': 'finance' }]]);
  // The other order (IAM first, then a host change) is provisioning, not drift.
  const iamFirst = membership(3, 'alice', 'finance', T0, 'okta');
  assert.equal(of((await run([[iamFirst, membership(3, 'alice', 'finance', T0 + MIN, 'windows.security')]])).findings, 'membership_drift').length, 0);
  // Another group, or 1h later: no.
  assert.equal(of((await run([[host, membership(4, 'alice', 'sales', T0 + MIN, 'okta')]])).findings, 'membership_drift').length, 0);
  assert.equal(of((await run([[host, membership(4, 'alice', 'finance', T0 + 60 * MIN, 'entra.audit')]])).findings, 'membership_drift').length, 0);
});

const HOUR = 60 * MIN;
/** Moves the watermark far enough that every absence up to `time` is judged (10s out-of-orderness + 1m lateness). */
const judgeAfter = (time: number) => tick(time + 10_000 + 60_000);

test('unapproved_account_creation: a host creation with no IAM creation of the account within 1h either side fires, at the end of the range', async () => {
  const create = hostCreate('backdoor', T0);
  const { findings } = await run([[create], [judgeAfter(T0 + HOUR)]]);
  const hits = of(findings, 'unapproved_account_creation');
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.time, T0 + HOUR);
  assert.deepEqual(hits[0]!.finding_info.related_events, [{ uid: create.metadata.uid }]);
  assert.equal(hits[0]!.finding_info.first_seen_time, T0);
  assert.deepEqual(um(hits[0]!)['key'], { 'user.name': 'backdoor' });
});

test('unapproved_account_creation: not judged before the watermark passes the end of the range', async () => {
  const { findings } = await run([[hostCreate('backdoor', T0)], [judgeAfter(T0 + HOUR - 1)]]);
  assert.equal(of(findings, 'unapproved_account_creation').length, 0);
});

test('unapproved_account_creation: an IAM creation within T - 1 ms before or after cancels it; at T it does not', async () => {
  for (const [offset, fires] of [[HOUR - 1, false], [-(HOUR - 1), false], [HOUR, true], [-HOUR, true]] as const) {
    const iam = account(1, 'jdoe', T0 + offset, 'keycloak.admin_event');
    const events = offset < 0 ? [iam, hostCreate('jdoe', T0)] : [hostCreate('jdoe', T0), iam];
    const { findings } = await run([events, [judgeAfter(T0 + HOUR + 1)]]);
    assert.equal(of(findings, 'unapproved_account_creation').length, fires ? 1 : 0, `IAM creation at ${offset} ms`);
  }
});

test('unapproved_account_creation: IAM sources match by prefix (entra.*); a creation on another host system is not a B', async () => {
  const viaEntra = await run([[hostCreate('jdoe', T0, 'FS01', 'windows.security'), account(1, 'jdoe', T0 + MIN, 'entra.audit')], [judgeAfter(T0 + HOUR)]]);
  assert.equal(of(viaEntra.findings, 'unapproved_account_creation').length, 0);
  const twoHosts = await run([[hostCreate('jdoe', T0, 'web-01'), hostCreate('jdoe', T0 + MIN, 'FS01', 'windows.security')], [judgeAfter(T0 + MIN + HOUR)]]);
  // Both are A's of one key: the first fires, the second is suppressed (15m).
  assert.deepEqual(of(twoHosts.findings, 'unapproved_account_creation').map((f) => [f.time, um(f)['suppressed_count']]), [[T0 + HOUR, 0]]);
});

test('scope: creations on hosts outside scope_hosts are reported as account_created_out_of_scope (informational), not as attacks', async () => {
  const scope = (c: { parameters: { unapproved_account_creation: { scope_hosts: string[] } } }) => (c.parameters.unapproved_account_creation.scope_hosts = ['web-01', 'bastion-*']);
  const events = [hostCreate('a', T0, 'WEB-01'), hostCreate('b', T0 + 1, 'bastion-2'), hostCreate('c', T0 + 2, 'lab-box')];
  const { findings } = await run([events, [judgeAfter(T0 + HOUR + 2)]], scope);
  assert.deepEqual(findings.map((f) => [f.finding_info.analytic.uid, um(f)['key'], f.severity_id]), [
    ['account_created_out_of_scope', { 'user.name': 'c' }, 1],
    ['unapproved_account_creation', { 'user.name': 'a' }, 4],
    ['unapproved_account_creation', { 'user.name': 'b' }, 4],
  ]);
  // Without scope_hosts every host is in scope and the out-of-scope rule is off.
  const all = await run([events, [judgeAfter(T0 + HOUR + 2)]]);
  assert.deepEqual(ids(all.findings), ['unapproved_account_creation', 'unapproved_account_creation', 'unapproved_account_creation']);
});

test('account_reenabled_after_dormancy (off by default): an Enable with no Disable / Create of the account within 720h before fires', async () => {
  const on = (c: { parameters: { account_reenabled: { dormancy_rule: boolean } } }) => (c.parameters.account_reenabled.dormancy_rule = true);
  const dormancy = 720 * HOUR;
  const enable = account(2, 'alice', T0 + dormancy);
  const recent = await run([[account(5, 'alice', T0 + 1), enable], [judgeAfter(T0 + dormancy + 1)]], on);
  assert.equal(of(recent.findings, 'account_reenabled_after_dormancy').length, 0, 'disabled 720h - 1ms before');
  const long = await run([[account(5, 'alice', T0), enable], [judgeAfter(T0 + dormancy + 1)]], on);
  const hits = of(long.findings, 'account_reenabled_after_dormancy');
  assert.deepEqual(hits.map((f) => f.time), [T0 + dormancy], 'disabled exactly 720h before: dormant');
  const neverSeen = await run([[enable], [judgeAfter(T0 + dormancy + 1)]], on);
  assert.equal(of(neverSeen.findings, 'account_reenabled_after_dormancy').length, 1, 'documented: also fires when the disable was never seen');
  const off = await run([[enable], [judgeAfter(T0 + dormancy + 1)]]);
  assert.equal(of(off.findings, 'account_reenabled_after_dormancy').length, 0);
});
