/** Fixed records shared by the exporter tests (exact output is asserted against them). */
import type { Batch, OcsfEvent, RawRecord } from '../../../core/api.js';

export const T0 = 1714591201123; // 2024-05-01T19:20:01.123Z

export const oktaRaw: RawRecord = {
  format: 'okta',
  payload:
    '{"actor":{"alternateId":"alice@example.com","type":"User"},"client":{"ipAddress":"203.0.113.7"},' +
    '"eventType":"user.session.start","outcome":{"reason":"INVALID_CREDENTIALS","result":"FAILURE"},"published":"2024-05-01T19:20:00.000Z"}',
  observedTime: T0,
  source: 'okta/acme',
};

export const windowsRaw: RawRecord = {
  format: 'windows.security',
  payload: { EventID: 4625, TargetUserName: 'lrodriguez', IpAddress: '-', EventType: 'AUDIT_FAILURE', Status: '0xc000006d' },
  observedTime: T0,
  source: 'file/win',
};

export const sshdRaw: RawRecord = {
  format: 'linux.auth',
  payload: 'May  1 19:20:01 bastion sshd[4242]: Failed password for invalid user bob from 198.51.100.23 port 50022 ssh2',
  observedTime: T0,
  source: 'syslog/acme',
};

export const keycloakRaw: RawRecord = {
  format: 'keycloak.event',
  payload: '{"time":1714591200000,"type":"LOGIN_ERROR","realmId":"acme","userId":"0f1e","ipAddress":"192.0.2.10","error":"invalid_user_credentials","details":{"username":"carol"}}',
  observedTime: T0,
  source: 'keycloak/acme',
};

export const auth0Raw: RawRecord = {
  format: 'auth0',
  payload: { log_id: '900', data: { date: '2024-05-01T19:20:00.000Z', type: 'fp', user_name: 'dave@example.com', ip: '81.2.69.143' } },
  observedTime: T0,
  source: 'auth0/acme',
};

export const opaqueRaw: RawRecord = { format: 'mapping.custom', payload: '{"foo":"bar","n":1}', observedTime: T0, source: 'http/in' };

export const authEvent: OcsfEvent = {
  class_uid: 3002,
  activity_id: 1,
  type_uid: 300201,
  category_uid: 3,
  severity_id: 1,
  time: 1714591202000,
  status: 'Failure',
  status_id: 2,
  message: 'User login failed',
  metadata: { product: { name: 'Okta', vendor_name: 'Okta' }, version: '1.8.0', uid: 'e1', event_code: 'user.session.start', tenant_uid: 'acme' },
  user: { name: 'alice@example.com', uid: '00u1' },
  src_endpoint: { ip: '203.0.113.7' },
};

export const detectionEvent: OcsfEvent = {
  class_uid: 2004,
  activity_id: 1,
  type_uid: 200401,
  category_uid: 2,
  severity_id: 4,
  time: 1714591203500,
  message: 'MFA failures across 12 accounts in 5m',
  metadata: { product: { name: 'authwire' }, version: '1.8.0', uid: 'd1', tenant_uid: 'acme' },
  finding_info: { title: 'MFA failure spike across accounts', uid: 'mfa_spray:acme' },
};

export function batchOf(...records: (RawRecord | OcsfEvent)[]): Batch {
  return { tenant: 'acme', records };
}

/** `n` copies of `authEvent`, 1 ms apart, with event ids e0, e1, ... */
export function authEvents(n: number): OcsfEvent[] {
  const out: OcsfEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ ...authEvent, time: authEvent.time + i, metadata: { ...authEvent.metadata, uid: `e${i}` } });
  return out;
}
