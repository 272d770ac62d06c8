/**
 * What the golden files do not show for keycloak.event, keycloak.admin_event and mfa_api: stable
 * uids for records without an id, parsed payloads, the `_ERROR` twin of every type, bounded
 * representations, hostile keys, and the hand-written timestamp parser against Date.parse.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { MapContext } from '../../../../plugins/processors/normalize/mapper.js';
import { keycloakAdminEventMapper, MAX_REPRESENTATION_TEXT } from '../../../../plugins/processors/normalize/mappers/keycloak-admin-event.js';
import { keycloakEventMapper, keycloakEventTypes } from '../../../../plugins/processors/normalize/mappers/keycloak-event.js';
import { mfaApiMapper } from '../../../../plugins/processors/normalize/mappers/mfa-api.js';
import { SEVERITY, STATUS } from '../../../../plugins/processors/normalize/ocsf.js';

const OBSERVED = Date.UTC(2026, 0, 1);
const ctx = (format: string): MapContext => ({ tenant: 'acme', observedTime: OBSERVED, format });

const loginError = {
  time: 1732389642187,
  type: 'LOGIN_ERROR',
  realmId: 'acme',
  clientId: 'grafana',
  userId: '3d9c6f2a-1b7e-4f0a-9c55-2e8d4b7a1f03',
  ipAddress: '203.0.113.77',
  error: 'invalid_user_credentials',
  details: { auth_method: 'openid-connect', username: 'alice.nguyen' },
};

test('keycloak.event without id: the same record always gets the same uid, another record another', () => {
  const a = keycloakEventMapper.map(JSON.parse(JSON.stringify(loginError)), ctx('keycloak.event'));
  const b = keycloakEventMapper.map(JSON.parse(JSON.stringify(loginError)), ctx('keycloak.event'));
  const c = keycloakEventMapper.map({ ...loginError, time: loginError.time + 1 }, ctx('keycloak.event'));
  assert.match(a.metadata.uid, /^[0-9a-f]{32}$/);
  assert.equal(a.metadata.uid, b.metadata.uid);
  assert.notEqual(a.metadata.uid, c.metadata.uid);
});

test('keycloak.event: every known type has an _ERROR twin with the same activity, Failure and Low', () => {
  let twins = 0;
  for (const [type, rule] of keycloakEventTypes) {
    if (type.endsWith('_ERROR')) continue;
    const twin = keycloakEventTypes.get(`${type}_ERROR`);
    assert.ok(twin !== undefined, `${type}_ERROR`);
    assert.equal(twin.classUid, rule.classUid);
    assert.equal(twin.activityId, rule.activityId);
    assert.equal(twin.statusId, STATUS.FAILURE);
    assert.equal(twin.severityId, SEVERITY.LOW);
    assert.equal(rule.statusId, STATUS.SUCCESS);
    twins++;
  }
  assert.equal(keycloakEventTypes.size, twins * 2);
});

test('keycloak.event: a details key named __proto__ is dropped, not merged into a prototype', () => {
  const record = JSON.parse('{"id":"x1","time":1732389642187,"type":"LOGIN","details":{"__proto__":{"polluted":true},"consent":"no_consent_required"}}') as unknown;
  const event = keycloakEventMapper.map(record, ctx('keycloak.event'));
  const details = event.unmapped?.['details'] as Record<string, unknown>;
  assert.deepEqual(JSON.parse(JSON.stringify(details)), { consent: 'no_consent_required' });
  assert.equal(Object.getPrototypeOf(details), Object.prototype);
  assert.equal((details as { polluted?: unknown }).polluted, undefined);
});

test('keycloak.event: numeric-string time and unknown credential types are kept as the source says', () => {
  const event = keycloakEventMapper.map({ ...loginError, id: 'x2', time: '1732389642187', details: { ...loginError.details, credential_type: 'kerberos' } }, ctx('keycloak.event'));
  assert.equal(event.time, 1732389642187);
  assert.equal(event.metadata.original_time, '1732389642187');
  assert.deepEqual(event.auth_factors, undefined);
  assert.equal(event.status_detail, 'Invalid user credentials');
  assert.deepEqual(event.unmapped?.['details'], { credential_type: 'kerberos' });
});

test('keycloak.admin_event: an unparseable representation is kept as text, bounded', () => {
  const long = '{"name":"' + 'x'.repeat(MAX_REPRESENTATION_TEXT * 2);
  const event = keycloakAdminEventMapper.map(
    { id: 'a1', time: 1732390215044, realmId: 'acme', operationType: 'UPDATE', resourceType: 'CLIENT', resourcePath: 'clients/c1', representation: long },
    ctx('keycloak.admin_event'),
  );
  assert.equal(event.unmapped?.['representation'], long.slice(0, MAX_REPRESENTATION_TEXT));
  assert.equal(event.severity_id, SEVERITY.MEDIUM);
});

test('keycloak.admin_event: an already-parsed representation (object, not string) is read the same way', () => {
  const event = keycloakAdminEventMapper.map(
    { id: 'a2', time: 1732390215044, realmId: 'acme', operationType: 'UPDATE', resourceType: 'USER', resourcePath: 'users/u1', representation: { username: 'bob', enabled: false } },
    ctx('keycloak.admin_event'),
  );
  assert.equal(event.activity_id, 5);
  assert.deepEqual(JSON.parse(JSON.stringify(event.user)), { name: 'bob', uid: 'u1', domain: 'acme' });
  assert.equal(event.unmapped?.['representation'], undefined);
});

test('mfa_api: the hand-written timestamp parser agrees with Date.parse', () => {
  const base = { event_id: 'm1', event_type: 'mfa.failure', actor_id: 'u1' };
  const samples = ['2024-02-29T23:59:59.999Z', '2024-02-31T10:00:00.000Z', '1999-12-31T00:00:00.000Z', '2038-01-19T03:14:08.123Z'];
  for (let t = Date.UTC(2023, 0, 1); t < Date.UTC(2027, 0, 1); t += 7_777_777_777 / 100) samples.push(new Date(Math.floor(t)).toISOString());
  for (const timestamp of samples) {
    const event = mfaApiMapper.map({ ...base, timestamp }, ctx('mfa_api'));
    assert.equal(event.time, Date.parse(timestamp), timestamp);
    assert.equal(event.metadata.original_time, timestamp);
  }
  // Not the API's exact shape: left to the shared ISO parser.
  assert.equal(mfaApiMapper.map({ ...base, timestamp: '2024-11-23T19:21:07Z' }, ctx('mfa_api')).time, Date.UTC(2024, 10, 23, 19, 21, 7));
  assert.throws(() => mfaApiMapper.map({ ...base, timestamp: '2024-11-23T19:2x:07.412Z' }, ctx('mfa_api')), { name: 'MappingError', message: 'timestamp is not an ISO 8601 time: "2024-11-23T19:2x:07.412Z"' });
});

test('mfa_api: risk_score outside 0..100 is not turned into a level; the context is still kept', () => {
  const event = mfaApiMapper.map(
    { event_id: 'm2', event_type: 'mfa.failure', timestamp: '2024-11-23T19:21:07.412Z', actor_id: 'u1', risk_context: { risk_score: 640 } },
    ctx('mfa_api'),
  );
  assert.deepEqual(JSON.parse(JSON.stringify(event.user)), { name: 'u1', uid: 'u1' });
  assert.deepEqual(event.unmapped, { risk_context: { risk_score: 640 } });
});
