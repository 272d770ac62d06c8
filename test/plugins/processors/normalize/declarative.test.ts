/**
 * Declarative mappings end to end: the example in the normalize README is loaded
 * through the real config loader (so the documented example is known to validate), its mappings
 * are built into the processor's mapper table, and vendor records go through mapRecord with exact
 * OCSF objects out. Wrong definitions are refused by the loader with every problem at its key.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import type { RawRecord } from '../../../../core/api.js';
import { ConfigError } from '../../../../core/config/issues.js';
import { loadConfig } from '../../../../core/config/load.js';
import { createBuiltinRegistry } from '../../../../plugins/index.js';
import type { NormalizeConfig } from '../../../../plugins/processors/normalize/config.js';
import { stableUid } from '../../../../plugins/processors/normalize/mapper.js';
import { createDeclarativeMapper } from '../../../../plugins/processors/normalize/mappers/declarative.js';
import type { MappingDefinition } from '../../../../plugins/processors/normalize/mappers/declarative.js';
import { mapRecord, mapperTable } from '../../../../plugins/processors/normalize/normalize.js';
import { sourcePath, writeConfigDir } from '../../../helpers.js';

const OBSERVED = Date.UTC(2026, 0, 1);

function exampleYaml(): string {
  const doc = readFileSync(sourcePath('plugins', 'processors', 'normalize', 'README.md'), 'utf8');
  const m = /<!-- declarative-example:begin -->\n```yaml\n([\s\S]*?)```\n<!-- declarative-example:end -->/.exec(doc);
  assert.ok(m, 'the docs hold the example between its markers');
  return m[1]!;
}

async function exampleConfig(): Promise<NormalizeConfig> {
  const dir = await writeConfigDir({ 'example.yaml': exampleYaml() });
  const config = await loadConfig([join(dir, 'example.yaml')], { registry: createBuiltinRegistry(), env: {} });
  return config.processors.get('normalize')!.config as NormalizeConfig;
}

function mapOne(table: ReturnType<typeof mapperTable>, format: string, record: unknown): unknown {
  const payload = typeof record === 'string' ? record : JSON.stringify(record);
  const result = mapRecord(table, { format, payload, observedTime: OBSERVED, source: 'test' } as RawRecord, { tenant: 'acme', observedTime: OBSERVED, format });
  return JSON.parse(JSON.stringify(result));
}

const header = (classUid: number, className: string, activityId: number, activityName: string, severityId: number, severity: string, statusId: number, status: string) => ({
  class_uid: classUid, class_name: className, category_uid: 3, category_name: 'Identity & Access Management',
  activity_id: activityId, activity_name: activityName, type_uid: classUid * 100 + activityId, type_name: `${className}: ${activityName}`,
  severity_id: severityId, severity, status_id: statusId, status,
});
const acmeMetadata = (uid: string, code: string, original: string) => ({
  version: '1.8.0', product: { name: 'Acme SSO', vendor_name: 'Acme Corp' }, uid, event_code: code, tenant_uid: 'acme',
  original_time: original, log_name: 'mapping.acme_sso', logged_time: OBSERVED,
});

const LOGIN_FAILED = {
  id: 'evt_01J9ZK4W7Q', ts: '2025-12-31T22:15:02.123+01:00', type: 'login.failed', outcome: 'denied', reason: 'bad_password',
  subject: { login: 'jane.doe', id: 'u_1210', email: 'jane.doe@example.com' },
  client: { ip: '203.0.113.45', ua: 'Mozilla/5.0', geo: { city: 'Lisbon', country: 'PT' } },
  app: 'payroll', session: 's_77aa', request_id: 'req-9f2c', risk: { score: 72, signals: ['new_device'] },
};

test('the documented example validates and maps an Acme SSO failed login', async () => {
  const table = mapperTable(await exampleConfig());
  assert.deepEqual(mapOne(table, 'mapping.acme_sso', LOGIN_FAILED), {
    ...header(3002, 'Authentication', 1, 'Logon', 2, 'Low', 2, 'Failure'),
    time: 1767215702123,
    status_detail: 'bad_password',
    metadata: { ...acmeMetadata('evt_01J9ZK4W7Q', 'login.failed', '2025-12-31T22:15:02.123+01:00'), correlation_uid: 'req-9f2c' },
    user: { name: 'jane.doe', uid: 'u_1210', email_addr: 'jane.doe@example.com', risk_score: 72 },
    src_endpoint: { ip: '203.0.113.45', location: { city: 'Lisbon', country: 'PT' } },
    http_request: { user_agent: 'Mozilla/5.0' },
    service: { name: 'payroll' },
    session: { uid: 's_77aa' },
    unmapped: { 'risk.signals': ['new_device'] },
  });
});

test('Acme SSO group membership, privilege grant and lockout take their class, activity and conventional severity', async () => {
  const table = mapperTable(await exampleConfig());
  assert.deepEqual(mapOne(table, 'mapping.acme_sso', {
    id: 'evt_02', ts: '2025-12-31T21:00:00Z', type: 'group.member_added', outcome: 'ok',
    subject: { login: 'jane.doe', id: 'u_1210' }, admin: { login: 'it.admin' }, group: 'payroll-approvers', device: { id: 'dev-9' },
  }), {
    ...header(3006, 'Group Management', 3, 'Add User', 1, 'Informational', 1, 'Success'),
    time: 1767214800000,
    metadata: acmeMetadata('evt_02', 'group.member_added', '2025-12-31T21:00:00Z'),
    actor: { user: { name: 'it.admin' } },
    user: { name: 'jane.doe', uid: 'u_1210' },
    group: { name: 'payroll-approvers' },
    unmapped: { 'device.id': 'dev-9' },
  });
  assert.deepEqual(mapOne(table, 'mapping.acme_sso', {
    id: 'evt_03', ts: '2025-12-31T21:01:00Z', type: 'role.granted', outcome: 'ok', subject: { login: 'jane.doe' }, admin: { login: 'it.admin' }, role: 'payroll-admin',
  }), {
    ...header(3005, 'User Access Management', 1, 'Assign Privileges', 3, 'Medium', 1, 'Success'),
    time: 1767214860000,
    metadata: acmeMetadata('evt_03', 'role.granted', '2025-12-31T21:01:00Z'),
    actor: { user: { name: 'it.admin' } },
    user: { name: 'jane.doe' },
    privileges: ['payroll-admin'],
  });
  assert.deepEqual(mapOne(table, 'mapping.acme_sso', { id: 'evt_04', ts: '2025-12-31T21:02:00Z', type: 'user.locked', subject: { login: 'jane.doe' } }), {
    ...header(3001, 'Account Change', 9, 'Lock', 3, 'Medium', 0, 'Unknown'),
    time: 1767214920000,
    metadata: acmeMetadata('evt_04', 'user.locked', '2025-12-31T21:02:00Z'),
    user: { name: 'jane.doe' },
  });
});

test('an unknown Acme event type is kept as Other with its type, and a record without id gets a stable uid', async () => {
  const table = mapperTable(await exampleConfig());
  const record = { ts: '2025-12-31T21:03:00Z', type: 'apikey.rotated', outcome: 'ok', subject: { login: 'svc-ci' } };
  assert.deepEqual(mapOne(table, 'mapping.acme_sso', record), {
    ...header(3002, 'Authentication', 99, 'Other', 1, 'Informational', 1, 'Success'),
    time: 1767214980000,
    metadata: acmeMetadata(stableUid('mapping.acme_sso', JSON.stringify(record)), 'apikey.rotated', '2025-12-31T21:03:00Z'),
    user: { name: 'svc-ci' },
  });
});

test('Acme SSO records that cannot be mapped are dead-lettered with their reason', async () => {
  const table = mapperTable(await exampleConfig());
  const letter = (record: unknown) => {
    const { reason, detail } = mapOne(table, 'mapping.acme_sso', record) as { reason: string; detail: string };
    return { reason, detail };
  };
  assert.deepEqual(letter({ id: 'x', type: 'login.success' }), { reason: 'missing_time', detail: 'ts is missing' });
  assert.deepEqual(letter({ id: 'x', ts: 'last tuesday', type: 'login.success' }), { reason: 'invalid_time', detail: 'ts is not an ISO 8601 time: "last tuesday"' });
  assert.deepEqual(letter({ id: 'x', ts: 1767214980, type: 'login.success' }), { reason: 'invalid_time', detail: 'ts is number, not an ISO 8601 string' });
  assert.deepEqual(letter(['not', 'an', 'object']), { reason: 'not_an_object', detail: 'record is an array, not a JSON object' });
  assert.deepEqual(letter('{"id": "x", "ts": '), { reason: 'malformed_json', detail: 'payload is not valid JSON: Unexpected end of JSON input' });
});

test('the legacy VPN example: constant activity, strftime time with zone, status from a numeric code, a constant field', async () => {
  const table = mapperTable(await exampleConfig());
  assert.deepEqual(mapOne(table, 'mapping.legacy_vpn', { when: '31/Dec/2025:16:15:02 -0500', user: 'jane.doe', peer: '198.51.100.23', result: 0 }), {
    ...header(3002, 'Authentication', 1, 'Logon', 1, 'Informational', 1, 'Success'),
    time: 1767215702000,
    status_code: '0',
    metadata: {
      version: '1.8.0', product: { name: 'Legacy VPN', vendor_name: 'Example Networks' },
      uid: stableUid('mapping.legacy_vpn', JSON.stringify({ when: '31/Dec/2025:16:15:02 -0500', user: 'jane.doe', peer: '198.51.100.23', result: 0 })),
      event_code: 'mapping.legacy_vpn', tenant_uid: 'acme', original_time: '31/Dec/2025:16:15:02 -0500', log_name: 'mapping.legacy_vpn', logged_time: OBSERVED,
    },
    user: { name: 'jane.doe' },
    src_endpoint: { ip: '198.51.100.23' },
    service: { name: 'vpn-gateway' },
  });
  const failed = mapOne(table, 'mapping.legacy_vpn', { when: '31/Dec/2025:16:15:09 -0500', user: 'jane.doe', peer: '198.51.100.23', result: 13 }) as Record<string, unknown>;
  assert.equal(failed['status'], 'Failure');
  assert.equal(failed['severity'], 'Low');
  assert.equal(failed['status_code'], '13');
  const bad = mapOne(table, 'mapping.legacy_vpn', { when: '2025-12-31 16:15:09', user: 'jane.doe' }) as Record<string, unknown>;
  assert.deepEqual([bad['reason'], bad['detail']], ['invalid_time', 'when does not match "%d/%b/%Y:%H:%M:%S %z": "2025-12-31 16:15:09"']);
});

test('epoch and default strftime times, numbers and booleans converted to the field type', () => {
  const definition = (format: 'epoch_ms' | 'epoch_s' | 'strftime'): MappingDefinition => ({
    product: { name: 'P', vendor_name: 'V' }, activity: { default: 'authentication.logon' }, time: { field: 'at', format },
    fields: { 'src_endpoint.port': 'port', is_mfa: 'mfa', 'user.uid': 'uid' },
  });
  const ctx = { tenant: 'acme', observedTime: OBSERVED, format: 'mapping.t' };
  const ms = createDeclarativeMapper('t', definition('epoch_ms')).map({ at: 1767215702123, port: '443', mfa: 'true', uid: 1210 }, ctx);
  assert.deepEqual([ms.time, ms.src_endpoint, ms.is_mfa, ms.user], [1767215702123, { port: 443 }, true, { uid: '1210' }]);
  const s = createDeclarativeMapper('t', definition('epoch_s')).map({ at: '1767215702.5', port: 'https', mfa: 1 }, ctx);
  assert.deepEqual([s.time, s.src_endpoint, s.is_mfa, s.metadata.original_time], [1767215702500, undefined, undefined, '1767215702.5']);
  const text = createDeclarativeMapper('t', definition('strftime')).map({ at: '2025-12-31 21:15:02' }, ctx);
  assert.equal(text.time, 1767215702000);
  assert.throws(() => createDeclarativeMapper('t', definition('strftime')).map({ at: '2025-02-30 21:15:02' }, ctx), { reason: 'invalid_time', message: 'at is not a valid date: "2025-02-30 21:15:02"' });
  assert.throws(() => createDeclarativeMapper('t', definition('epoch_s')).map({ at: -5 }, ctx), { reason: 'invalid_time', message: 'at is not epoch seconds: -5' });
});

async function issues(yaml: string): Promise<string[]> {
  const dir = await writeConfigDir({ 'acme.yaml': yaml });
  try {
    await loadConfig([join(dir, 'acme.yaml')], { registry: createBuiltinRegistry(), env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map((i) => `acme.yaml:${i.line}:${i.column}: ${i.path.join('::')}: ${i.message}`);
  }
  return [];
}

const pipeline = `exporters:
  stdout: {}
receivers:
  generator: {}
service:
  pipelines:
    logs: { tenant: acme, receivers: [generator], processors: [normalize], exporters: [stdout] }
`;

test('wrong definitions are refused at startup, every problem at its key', async () => {
  const yaml = `processors:
  normalize:
    mappings:
      acme:
        product: { name: Acme SSO }
        clas: authentication
        activity:
          field: type
          map:
            login: authentication.login
            logout: authentication.logoff
        status: { field: outcome, map: { ok: succeeded } }
        time: { field: ts, format: rfc3339 }
        fields:
          user.nmae: subject.login
          src_endpoint.ip: { value: 1 }
        unmapped: [risk..score]
      vpn:
        product: { name: VPN, vendor_name: Example }
        activity: { map: { a: authentication.logon }, default: authentication.logon }
        time: { field: when, format: iso8601, pattern: "%Y" }
      legacy:
        product: { name: Legacy, vendor_name: Example }
        activity: { default: authentication.logon }
        time: { field: when, format: strftime, pattern: "%Y-%m-%d %Q" }
${pipeline}`;
  const ACTIVITIES = '"account_change.create", "account_change.enable", "account_change.password_change", "account_change.password_reset", "account_change.disable", "account_change.delete", "account_change.attach_policy", "account_change.detach_policy", "account_change.lock", "account_change.mfa_factor_enable", "account_change.mfa_factor_disable", "account_change.unlock", "account_change.other", "authentication.logon", "authentication.logoff", "authentication.authentication_ticket", "authentication.service_ticket_request", "authentication.service_ticket_renew", "authentication.preauth", "authentication.account_switch", "authentication.other", "user_access.assign_privileges", "user_access.revoke_privileges", "user_access.other", "group_management.assign_privileges", "group_management.revoke_privileges", "group_management.add_user", "group_management.remove_user", "group_management.delete", "group_management.create", "group_management.add_subgroup", "group_management.remove_subgroup", "group_management.other"';
  assert.deepEqual(await issues(yaml), [
    'acme.yaml:5:9: processors::normalize::mappings::acme::product::vendor_name: is required',
    'acme.yaml:6:9: processors::normalize::mappings::acme::clas: unknown key (valid keys: product, activity, status, severity, time, uid, event_code, fields, unmapped)',
    'acme.yaml:7:9: processors::normalize::mappings::acme::activity::default: is required',
    `acme.yaml:10:20: processors::normalize::mappings::acme::activity::map::login: must be one of ${ACTIVITIES}, got string "authentication.login"`,
    'acme.yaml:12:46: processors::normalize::mappings::acme::status::map::ok: must be one of "success", "failure", "unknown", "other", got string "succeeded"',
    'acme.yaml:13:36: processors::normalize::mappings::acme::time::format: must be one of "iso8601", "epoch_ms", "epoch_s", "strftime", got string "rfc3339"',
    'acme.yaml:15:11: processors::normalize::mappings::acme::fields::user.nmae: unknown key (did you mean "user.name"?)',
    'acme.yaml:16:11: processors::normalize::mappings::acme::fields::src_endpoint.ip::const: is required',
    'acme.yaml:16:30: processors::normalize::mappings::acme::fields::src_endpoint.ip::value: unknown key (valid keys: const)',
    'acme.yaml:17:20: processors::normalize::mappings::acme::unmapped::0: must match pattern "^[^.\\s]+(?:\\.[^.\\s]+)*$", got string "risk..score"',
    'acme.yaml:20:19: processors::normalize::mappings::vpn::activity: must have property field when property map is present, got a map',
    'acme.yaml:21:38: processors::normalize::mappings::vpn::time::format: must be equal to constant, got string "iso8601"',
    'acme.yaml:25:57: processors::normalize::mappings::legacy::time::pattern: must match pattern "^(?:[^%]|%[YmdeHMSfzb%])*%Y(?:[^%]|%[YmdeHMSfzb%])*$", got string "%Y-%m-%d %Q"',
  ]);
});
