import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { repoRoot, writeConfigDir } from '../../helpers.js';

const cli = join(repoRoot, 'dist', 'core', 'cli', 'main.js');

function authwire(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const login = (id: string, time: number, type: string, user: string): string =>
  JSON.stringify({ id, time, type, realmId: 'acme', clientId: 'portal', userId: `u-${user}`, sessionId: null, ipAddress: '203.0.113.7', ...(type === 'LOGIN_ERROR' ? { error: 'invalid_user_credentials' } : {}), details: { username: user } });

/** A recorded Keycloak event stream: ann fails three times within a minute (bob once), one line is garbage. */
const RECORDED = [
  login('e1', 1795392000000, 'LOGIN_ERROR', 'ann'),
  login('e2', 1795392010000, 'LOGIN_ERROR', 'ann'),
  login('e3', 1795392020000, 'LOGIN_ERROR', 'bob'),
  'not json',
  login('e4', 1795392030000, 'LOGIN_ERROR', 'ann'),
  login('e5', 1795392040000, 'LOGIN', 'ann'),
].join('\n') + '\n';

function config(workers: number): string {
  return `
receivers: { generator: {} }
processors:
  normalize: {}
  detect:
    workers: ${workers}
    rules:
      - id: account_failures
        name: Repeated failures of one account
        description: Three failed sign-ins of one account within a minute.
        severity: medium
        attack: [T1110.001]
        type: event_count
        filter: { class_uid: 3002, status_id: 2 }
        group_by: [user.name]
        timespan: 1m
        condition: { gte: 3 }
exporters: { nop: {} }
service:
  pipelines:
    logs/acme: { tenant: acme, receivers: [generator], processors: [normalize, detect], exporters: [nop] }
`;
}

const EXPECTED_FINDING = {
  class_uid: 2004, class_name: 'Detection Finding', category_uid: 2, category_name: 'Findings', activity_id: 1, activity_name: 'Create',
  type_uid: 200401, type_name: 'Detection Finding: Create', severity_id: 3, severity: 'Medium', time: 1795392030000, status_id: 1, status: 'New', is_alert: true,
  message: 'Repeated failures of one account (user.name=ann): 3 within 1m',
  metadata: { version: '1.8.0', product: { name: 'authwire', vendor_name: 'authwire' }, uid: '', event_code: 'account_failures', tenant_uid: 'replayed', log_name: 'detect' },
  finding_info: {
    uid: '', title: 'Repeated failures of one account', desc: 'Three failed sign-ins of one account within a minute.', types: ['event_count'],
    analytic: { uid: 'account_failures', name: 'Repeated failures of one account', type_id: 1, type: 'Rule' },
    attacks: [{ technique: { uid: 'T1110' }, sub_technique: { uid: 'T1110.001' } }],
    first_seen_time: 1795392000000, last_seen_time: 1795392030000, related_events: [{ uid: 'e1' }, { uid: 'e2' }, { uid: 'e4' }], related_events_count: 3,
  },
  unmapped: { key: { 'user.name': 'ann' }, count: 3, condition: 'gte 3', timespan: '1m', distinct_values: [], suppressed_count: 0 },
};

test('replay prints the detections of a recorded file as OCSF JSON lines, dead letters and a summary on stderr', async () => {
  const dir = await writeConfigDir({ 'inline.yaml': config(0), 'workers.yaml': config(2) });
  const recorded = join(dir, 'keycloak.ndjson');
  writeFileSync(recorded, RECORDED);
  const inline = authwire(['replay', '-c', join(dir, 'inline.yaml'), '--format', 'keycloak.event', recorded, '--tenant', 'replayed']);
  assert.equal(inline.stderr, [
    'dead-lettered (malformed_json): payload is not valid JSON: Unexpected token \'o\', "not json" is not valid JSON',
    `${recorded}: 6 records through logs/acme (normalize, detect): 5 events, 1 detections, 1 dead-lettered`,
    '',
  ].join('\n'));
  assert.equal(inline.status, 0);
  const lines = inline.stdout.split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[1], '');
  const finding = JSON.parse(lines[0]!) as typeof EXPECTED_FINDING;
  // The finding id is a hash of tenant, rule, key and time: stable, checked for shape here.
  assert.match(finding.metadata.uid, /^[0-9a-f]{32}$/);
  assert.equal(finding.finding_info.uid, finding.metadata.uid);
  const expected = { ...EXPECTED_FINDING, metadata: { ...EXPECTED_FINDING.metadata, uid: finding.metadata.uid }, finding_info: { ...EXPECTED_FINDING.finding_info, uid: finding.metadata.uid } };
  assert.equal(lines[0], JSON.stringify(expected));
  // The same on worker threads, byte for byte.
  const workers = authwire(['replay', '-c', join(dir, 'workers.yaml'), '--format', 'keycloak.event', recorded, '--tenant', 'replayed']);
  assert.deepEqual(workers, inline);
});

test('replay: the tenant defaults to "default"; wrong arguments exit 2, a bad config 1', async () => {
  const dir = await writeConfigDir({ 'c.yaml': config(0), 'bad.yaml': 'processors: { detect: { workers: lots } }\n' });
  const recorded = join(dir, 'keycloak.ndjson');
  writeFileSync(recorded, RECORDED);
  const result = authwire(['replay', '-c', join(dir, 'c.yaml'), '-f', 'keycloak.event', recorded]);
  assert.equal(result.status, 0);
  assert.equal((JSON.parse(result.stdout) as { metadata: { tenant_uid: string } }).metadata.tenant_uid, 'default');

  const unknown = authwire(['replay', '-c', join(dir, 'c.yaml'), '-f', 'nope', recorded]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^unknown format "nope"; known formats: .*keycloak\.event/);
  assert.equal(authwire(['replay', '-c', join(dir, 'c.yaml'), recorded]).status, 2);
  assert.equal(authwire(['replay', '-f', 'keycloak.event', recorded]).status, 2);
  assert.equal(authwire(['replay', '-c', join(dir, 'c.yaml'), '-f', 'keycloak.event']).status, 2);
  const missing = authwire(['replay', '-c', join(dir, 'c.yaml'), '-f', 'keycloak.event', join(dir, 'missing.ndjson')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^cannot read .*missing\.ndjson/);
  assert.equal(authwire(['replay', '-c', join(dir, 'c.yaml'), '-f', 'keycloak.event', '--tenant', 'no spaces', recorded]).status, 2);
  const bad = authwire(['replay', '-c', join(dir, 'bad.yaml'), '-f', 'keycloak.event', recorded]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /errors? in the configuration\n$/);
  assert.equal(bad.stdout, '');
});
