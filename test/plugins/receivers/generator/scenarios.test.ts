import assert from 'node:assert/strict';
import test from 'node:test';
import { ATTACK_IP, json, run } from './helpers.js';
import type { Rec } from './helpers.js';

// One scenario run (scenario_interval far beyond the record count), one format, seed 1.
async function scenario(name: string, formats: string[], count = 300): Promise<Rec[]> {
  const { records } = await run({ count, scenarios: [name as never], formats: formats as never, scenario_interval: '1h' });
  return records;
}

const attack = (records: Rec[]): Rec[] => records.filter((r) => ATTACK_IP.test(r.payload));

test('noise never uses attacker address ranges', async () => {
  const { records } = await run({ count: 3000, scenarios: [] });
  assert.equal(attack(records).length, 0);
});

test('brute_force (windows): 10 bad passwords for one account from one IP, then 4740, then locked-out attempts', async () => {
  const records = await scenario('brute_force', ['windows.security']);
  const events = records.map(json).filter((p) => (p['EventID'] === 4625 && ATTACK_IP.test(p['IpAddress'])) || p['EventID'] === 4740);
  assert.deepEqual(events.map((p) => `${p['EventID']}:${p['SubStatus'] ?? ''}`), [
    ...Array(10).fill('4625:0xc000006a'),
    '4740:',
    ...Array(3).fill('4625:0x0'),
  ]);
  assert.equal(new Set(events.map((p) => p['TargetUserName'])).size, 1);
  assert.equal(events[0]!['TargetUserName'], 'uhill');
  assert.equal(events[11]!['Status'], '0xc0000234');
  assert.equal(new Set(events.filter((p) => p['EventID'] === 4625).map((p) => p['IpAddress'])).size, 1);
});

test('brute_force (keycloak): LOGIN_ERROR x10, USER_DISABLED_BY_TEMPORARY_LOCKOUT, user_temporarily_disabled x3', async () => {
  const records = await scenario('brute_force', ['keycloak.event']);
  const events = attack(records).map(json);
  assert.deepEqual(events.map((p) => `${p['type']}/${p['error'] ?? ''}`), [
    ...Array(10).fill('LOGIN_ERROR/invalid_user_credentials'),
    'USER_DISABLED_BY_TEMPORARY_LOCKOUT/',
    ...Array(3).fill('LOGIN_ERROR/user_temporarily_disabled'),
  ]);
  assert.equal(new Set(events.map((p) => p['userId'])).size, 1);
  assert.equal(events[10]!['details'].num_failures, '10');
});

test('password_spray (okta): one IP, 25 distinct accounts, 1-2 failed attempts each', async () => {
  const events = attack(await scenario('password_spray', ['okta'])).map(json);
  assert.equal(events.length, 33);
  assert.equal(new Set(events.map((p) => p['client'].ipAddress)).size, 1);
  assert.equal(new Set(events.map((p) => p['actor'].alternateId)).size, 25);
  for (const p of events) {
    assert.equal(p['eventType'], 'user.session.start');
    assert.deepEqual(p['outcome'], { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' });
  }
});

test('credential_stuffing (entra): 40 attempts, many accounts and IPs, exactly 2 successes', async () => {
  const events = attack(await scenario('credential_stuffing', ['entra.signin'])).map(json);
  assert.equal(events.length, 40);
  const codes = events.map((p) => p['status'].errorCode as number);
  assert.equal(codes.filter((c) => c === 0).length, 2);
  assert.equal(codes.filter((c) => c === 50126).length, 32);
  assert.equal(codes.filter((c) => c === 50034).length, 6);
  assert.equal(new Set(events.map((p) => p['ipAddress'])).size, 11);
  assert.ok(new Set(events.map((p) => p['userPrincipalName'])).size >= 35);
});

test('recovery_abuse (keycloak): 15 reset requests for one account from many IPs', async () => {
  const events = attack(await scenario('recovery_abuse', ['keycloak.event'])).map(json);
  assert.equal(events.length, 15);
  assert.equal(events.filter((p) => p['type'] === 'SEND_RESET_PASSWORD').length, 10);
  assert.equal(events.filter((p) => p['type'] === 'SEND_RESET_PASSWORD_ERROR').length, 5);
  assert.equal(new Set(events.map((p) => p['details'].username)).size, 1);
  assert.ok(new Set(events.map((p) => p['ipAddress'])).size >= 10);
});

test('mfa_fatigue (auth0): 12 pushes to one user, each denied or expired', async () => {
  const events = attack(await scenario('mfa_fatigue', ['auth0'])).map((r) => {
    const p = json(r);
    return (p['data'] ?? p) as Record<string, any>;
  });
  const types = events.map((d) => d['type'] as string);
  assert.equal(types.filter((t) => t === 'gd_send_pn').length, 12);
  assert.equal(types.filter((t) => t === 'gd_auth_rejected').length, 7);
  assert.equal(types.filter((t) => t === 'gd_auth_failed').length, 5);
  assert.equal(types.filter((t) => t === 'gd_auth_succeed').length, 0);
  assert.equal(new Set(events.map((d) => d['user_name'])).size, 1);
});

test('mfa_fatigue (mfa_api): attack records carry riskier context than noise', async () => {
  const records = await scenario('mfa_fatigue', ['mfa_api']);
  const events = records.map(json);
  const risky = events.filter((p) => ATTACK_IP.test(p['source_ip']));
  const calm = events.filter((p) => !ATTACK_IP.test(p['source_ip']));
  assert.equal(risky.length, 12);
  for (const p of risky) assert.ok(p['risk_context'].risk_score >= 70 && p['risk_context'].device_familiarity === 'new');
  for (const p of calm) assert.ok(p['risk_context'].risk_score <= 30 && p['risk_context'].geo_relative_to_baseline === 'usual');
});

test('unapproved_account_creation (linux + IAM): a useradd with no matching IAM-side create', async () => {
  const records = await scenario('unapproved_account_creation', ['linux.auth', 'okta', 'entra.audit', 'keycloak.admin_event'], 2000);
  const created = records.filter((r) => r.format === 'linux.auth' && r.payload.includes('useradd['));
  assert.equal(created.length, 1);
  const name = /new user: name=([\w-]+),/.exec(created[0]!.payload)![1]!;
  assert.equal(name, 'support01');
  const iamCreates = records.filter((r) => {
    if (r.format === 'linux.auth') return false;
    const p = json(r);
    return p['eventType'] === 'user.lifecycle.create' || p['activityDisplayName'] === 'Add user' || (p['operationType'] === 'CREATE' && p['resourceType'] === 'USER');
  });
  assert.ok(iamCreates.length > 0, 'noise should include approved IAM-side creations');
  for (const r of iamCreates) assert.ok(!r.payload.includes(name));
  assert.ok(records.some((r) => r.payload.includes(`add '${name}' to group 'sudo'`) || r.payload.includes(`user ${name} added by root to group sudo`)));
});

test('unapproved_account_creation (windows): 4720, 4722, 4732 to Administrators', async () => {
  const events = (await scenario('unapproved_account_creation', ['windows.security'])).map(json);
  const created = events.filter((p) => p['EventID'] === 4720);
  assert.equal(created.length, 1);
  assert.equal(created[0]!['SamAccountName'], 'support01');
  const added = events.filter((p) => p['EventID'] === 4732);
  assert.equal(added.length, 1);
  assert.equal(added[0]!['TargetUserName'], 'Administrators');
  assert.equal(added[0]!['MemberSid'], created[0]!['TargetSid']);
});

test('scenarios rotate, one per interval, and skip what no format can show', async () => {
  // 20/s and 10s => a scenario every 200 records: 5 runs in 1000 records.
  const { records } = await run({ count: 1000, formats: ['okta'], scenario_interval: '10s' });
  assert.ok(attack(records).length > 0);
  const onlyHosts = await run({ count: 200, formats: ['okta'], scenarios: ['unapproved_account_creation'] });
  assert.equal(attack(onlyHosts.records).length, 0);
});
