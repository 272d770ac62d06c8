import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { repoRoot, sourcePath, writeConfigDir } from '../../helpers.js';

const cli = join(repoRoot, 'dist', 'core', 'cli', 'main.js');

function authwire(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8', input });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const golden = (format: string, name: string): { input: unknown; expected: unknown } =>
  JSON.parse(readFileSync(sourcePath('plugins', 'processors', 'normalize', 'testdata', format, name), 'utf8')) as { input: unknown; expected: unknown };

test('normalize: a file of records in, one OCSF event per line out, dead letters with reasons on stderr, exit 0', async () => {
  const good = golden('okta', 'account-lock.json');
  const dir = await writeConfigDir({});
  const file = join(dir, 'okta.ndjson');
  writeFileSync(file, [JSON.stringify(good.input), '{"eventType":', JSON.stringify({ eventType: 'user.session.start' })].join('\n') + '\n');
  const result = authwire(['normalize', '--format', 'okta', '--tenant', 'acme', file]);
  assert.equal(result.status, 0);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const event = JSON.parse(lines[0]!) as { metadata: { logged_time: number; tenant_uid: string } };
  const expected = golden('okta', 'account-lock.json').expected as { metadata: Record<string, unknown> };
  // Only the receive time differs from the golden (the CLI stamps now) — and the tenant given.
  assert.deepEqual({ ...event, metadata: { ...event.metadata, logged_time: 0 } }, { ...expected, metadata: { ...expected.metadata, logged_time: 0, tenant_uid: 'acme' } });
  const errors = result.stderr.split('\n');
  assert.match(errors[0]!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record 2: dead-lettered \\(malformed_json\\): payload is not valid JSON: .*: \\{"eventType":$`));
  assert.match(errors[1]!, /: record 3: dead-lettered \((missing_time|invalid_time|missing_field)\): /);
  assert.equal(errors[2], '1 mapped, 2 dead-lettered');
});

test('normalize: reads stdin when no file is given; a pretty-printed record or a JSON array works', () => {
  const good = golden('okta', 'account-lock.json');
  const pretty = authwire(['normalize', '-f', 'okta'], JSON.stringify(good.input, null, 2));
  assert.equal(pretty.status, 0);
  assert.equal(pretty.stdout.trimEnd().split('\n').length, 1);
  const array = authwire(['normalize', '-f', 'okta'], JSON.stringify([good.input, good.input]));
  assert.equal(array.stdout.trimEnd().split('\n').length, 2);
  assert.equal(array.stderr, '2 mapped, 0 dead-lettered\n');
});

test('normalize: an unknown format is a usage error (exit 2) listing the known formats', () => {
  const result = authwire(['normalize', '--format', 'oktaa'], '{}');
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, 'unknown format "oktaa"; known formats: auth0, entra.audit, entra.signin, keycloak.admin_event, keycloak.event, linux.auth, mfa_api, okta, windows.security\n');
});
