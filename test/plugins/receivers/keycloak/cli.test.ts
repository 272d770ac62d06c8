/**
 * pipelines/examples/keycloak.yaml through `authwire run` (the built CLI) against the fake
 * Keycloak: normalized events on stdout, each once, and the secret nowhere in the output.
 *
 * Until the receiver is registered among the built-ins, the test loads it as a third-party plugin
 * from a second config file; once registered, the built-in is used as is.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'node:test';
import { repoRoot } from '../../../helpers.js';
import { FakeKeycloak, adminEvent, userEvent } from './fake-keycloak.js';
import { SECRET, tempDir } from './helpers.js';

const cli = join(repoRoot, 'dist', 'core', 'cli', 'main.js');

function keycloakIsBuiltIn(): boolean {
  const result = spawnSync(process.execPath, [cli, 'components', '--json'], { cwd: repoRoot, encoding: 'utf8' });
  const listing = JSON.parse(result.stdout) as { kind: string; type: string }[];
  return listing.some((c) => c.kind === 'receiver' && c.type === 'keycloak');
}

test('authwire run -c pipelines/examples/keycloak.yaml: Keycloak events arrive normalized on stdout, each once', async () => {
  const server = await new FakeKeycloak({ clientSecret: SECRET }).listen();
  const dir = tempDir();
  try {
    for (let n = 1; n <= 12; n++) server.add('acme', 'events', userEvent(n));
    for (let n = 1; n <= 3; n++) server.add('acme', 'admin-events', adminEvent(n));
    const configs = ['-c', 'pipelines/examples/keycloak.yaml'];
    if (!keycloakIsBuiltIn()) {
      const shim = join(dir, 'keycloak-plugin.mjs');
      const factory = pathToFileURL(join(repoRoot, 'dist', 'plugins', 'receivers', 'keycloak', 'index.js')).href;
      writeFileSync(shim, `import { keycloakReceiverFactory } from ${JSON.stringify(factory)};\nexport const apiVersion = 1;\nexport const factories = [keycloakReceiverFactory];\n`);
      writeFileSync(join(dir, 'plugins.yaml'), `plugins: [${JSON.stringify(shim)}]\n`);
      configs.push('-c', join(dir, 'plugins.yaml'));
    }
    const child = spawn(process.execPath, [cli, 'run', ...configs, '--data-dir', join(dir, 'data')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KEYCLOAK_URL: server.base, KEYCLOAK_CLIENT_SECRET: SECRET, KEYCLOAK_START_AT: '2026-03-01T00:00:00Z', KEYCLOAK_POLL_INTERVAL: '1s', AUTHWIRE_LOG_LEVEL: 'debug' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const events = (): { class_uid: number; metadata: { uid: string; tenant_uid: string; log_name: string } }[] =>
      stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as ReturnType<typeof events>[number]);
    const deadline = Date.now() + 10_000;
    while (events().length < 15 && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
    // One more look after a pass or two: nothing doubled.
    const polled = server.requests.length;
    while (server.requests.length < polled + 2 && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, stderr);
    const uids = events().map((event) => event.metadata.uid).sort();
    assert.deepEqual(uids, [...['ad-00001', 'ad-00002', 'ad-00003'], ...Array.from({ length: 12 }, (_, i) => `ev-${String(i + 1).padStart(5, '0')}`)]);
    assert.ok(events().every((event) => event.metadata.tenant_uid === 'acme'));
    assert.deepEqual([...new Set(events().map((event) => event.metadata.log_name))].sort(), ['keycloak.admin_event', 'keycloak.event']);
    assert.equal(stdout.includes(SECRET) || stderr.includes(SECRET), false);
  } finally {
    await server.close();
  }
});
