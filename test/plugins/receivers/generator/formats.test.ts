import assert from 'node:assert/strict';
import test from 'node:test';
import { json, run } from './helpers.js';

const JSON_FORMATS = ['keycloak.event', 'keycloak.admin_event', 'mfa_api', 'okta', 'entra.signin', 'entra.audit', 'auth0', 'windows.security'];

test('every configured format appears and every JSON payload parses with its key fields', async () => {
  const { records } = await run({ count: 3000 });
  const seen = new Set(records.map((r) => r.format));
  assert.deepEqual([...seen].sort(), [...JSON_FORMATS, 'linux.auth'].sort());
  for (const r of records) {
    if (r.format === 'linux.auth') {
      assert.match(r.payload, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [\w-]+ [\w()-]+(?:\[\d+\])?: /);
      continue;
    }
    const p = json(r);
    const d = (p['data'] ?? p) as Record<string, unknown>;
    const key = { 'keycloak.event': 'type', 'keycloak.admin_event': 'operationType', mfa_api: 'event_type', okta: 'eventType', 'entra.signin': 'status', 'entra.audit': 'activityDisplayName', auth0: 'type', 'windows.security': 'EventID' }[r.format]!;
    assert.ok(d[key] !== undefined, `${r.format} lacks ${key}: ${r.payload}`);
  }
});

// Golden record #0 of seed 1, noise only, one format at a time: the same person (walter.adams)
// in each vendor's id style.
async function first(format: string): Promise<string> {
  const { records } = await run({ count: 1, scenarios: [], formats: [format as never] });
  assert.equal(records[0]!.format, format);
  assert.equal(records[0]!.observedTime, 1732389600000);
  return records[0]!.payload;
}

test('golden keycloak.event', async () => {
  const p = JSON.parse(await first('keycloak.event'));
  assert.equal(p.time, 1732389600000);
  assert.equal(p.type, 'LOGIN');
  assert.equal(p.clientId, 'gitlab');
  assert.equal(p.userId, '9b68da39-fa6f-440a-a91f-e17112ec26dc');
  assert.equal(p.ipAddress, '198.51.100.11');
  assert.deepEqual(p.details, {
    auth_method: 'openid-connect',
    auth_type: 'code',
    redirect_uri: 'https://gitlab.example.com/users/auth/openid_connect/callback',
    code_id: p.sessionId,
    username: 'walter.adams',
    consent: 'no_consent_required',
  });
});

test('golden keycloak.admin_event', async () => {
  const p = JSON.parse(await first('keycloak.admin_event'));
  assert.equal(p.operationType, 'UPDATE');
  assert.equal(p.resourceType, 'USER');
  assert.equal(p.resourcePath, 'users/9b68da39-fa6f-440a-a91f-e17112ec26dc');
  assert.equal(p.authDetails.ipAddress, '198.51.100.243');
  assert.equal(JSON.parse(p.representation).enabled, false);
  assert.equal(JSON.parse(p.representation).username, 'walter.adams');
});

test('golden mfa_api', async () => {
  const p = JSON.parse(await first('mfa_api'));
  assert.equal(p.event_type, 'mfa.failure');
  assert.equal(p.timestamp, '2024-11-23T19:20:00.000Z');
  assert.equal(p.actor_id, '9b68da39-fa6f-440a-a91f-e17112ec26dc');
  assert.equal(p.mfa_method, 'push');
  assert.equal(p.failure_reason, 'expired_code');
  assert.equal(p.outcome, 'failure');
  assert.deepEqual(p.geo_location, { country: 'US', city: 'Seattle', lat: 47.6062, lon: -122.3321 });
  assert.equal(p.risk_context.geo_relative_to_baseline, 'usual');
  assert.equal(p.risk_context.ip_reputation, 'good');
});

test('golden okta', async () => {
  const p = JSON.parse(await first('okta'));
  assert.equal(p.eventType, 'user.session.start');
  assert.equal(p.version, '0');
  assert.equal(p.published, '2024-11-23T19:20:00.000Z');
  assert.deepEqual(p.actor, { id: '00usdPB8ISu8yOYMOaiV', type: 'User', alternateId: 'walter.adams@example.com', displayName: 'Walter Adams', detailEntry: null });
  assert.deepEqual(p.outcome, { result: 'SUCCESS', reason: null });
  assert.equal(p.client.ipAddress, '198.51.100.11');
  assert.equal(p.legacyEventType, 'core.user_auth.login_success');
});

test('golden entra.signin', async () => {
  const p = JSON.parse(await first('entra.signin'));
  assert.equal(p.createdDateTime, '2024-11-23T19:20:00Z');
  assert.equal(p.userPrincipalName, 'walter.adams@example.com');
  assert.equal(p.userId, 'd1e39a7b-5d23-45ad-9ad0-970862dbfa30');
  assert.equal(p.status.errorCode, 0);
  assert.equal(p.appDisplayName, 'Office 365 SharePoint Online');
  assert.equal(p.location.countryOrRegion, 'US');
});

test('golden entra.audit', async () => {
  const p = JSON.parse(await first('entra.audit'));
  assert.equal(p.activityDisplayName, 'Enable account');
  assert.equal(p.category, 'UserManagement');
  assert.equal(p.loggedByService, 'Core Directory');
  assert.equal(p.result, 'success');
  assert.equal(p.targetResources[0].id, 'd1e39a7b-5d23-45ad-9ad0-970862dbfa30');
  assert.equal(p.initiatedBy.user.userPrincipalName, 'chen.torres@example.com');
});

test('golden auth0', async () => {
  const p = JSON.parse(await first('auth0'));
  assert.equal(p.type, 's');
  assert.equal(p.date, '2024-11-23T19:20:00.000Z');
  assert.equal(p.user_id, 'auth0|8ad4d543fd0d63a5f6abe932');
  assert.equal(p.user_name, 'walter.adams@example.com');
  assert.equal(p.connection, 'Username-Password-Authentication');
  assert.match(p.log_id, /^90020241123192000000\d{36}$/);
});

test('golden linux.auth', async () => {
  assert.equal(
    await first('linux.auth'),
    'Nov 23 19:20:00 build-03 sshd[36664]: Accepted publickey for wadams from 10.20.2.51 port 45124 ssh2: ECDSA SHA256:GY9Y4SDbCm0f1sJhnWfWwnVaWbXkhN8hLR15jXmhbUt',
  );
});

test('golden windows.security', async () => {
  const text = await first('windows.security');
  // The 64-bit Keywords value is written exactly, as NXLog does.
  assert.match(text, /"Keywords":-9214364837600034816,/);
  const p = JSON.parse(text);
  assert.equal(p.EventID, 4624);
  assert.equal(p.EventTime, '2024-11-23 19:20:00');
  assert.equal(p.Channel, 'Security');
  assert.equal(p.SourceName, 'Microsoft-Windows-Security-Auditing');
  assert.equal(p.Hostname, 'SQL01.corp.example.com');
  assert.equal(p.TargetUserName, 'wadams');
  assert.equal(p.TargetUserSid, 'S-1-5-21-1014682606-1603573667-1472434318-1210');
  assert.equal(p.LogonType, '3');
  assert.equal(p.IpAddress, '10.20.2.51');
});

test('auth0 emits both raw records and log-stream envelopes', async () => {
  const { records } = await run({ count: 200, scenarios: [], formats: ['auth0'] });
  const wrapped = records.filter((r) => 'data' in json(r));
  assert.ok(wrapped.length > 0 && wrapped.length < records.length);
  for (const r of wrapped) assert.equal(json(r)['log_id'], json(r)['data'].log_id);
});
