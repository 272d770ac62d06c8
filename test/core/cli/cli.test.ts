import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { repoRoot, writeConfigDir } from '../../helpers.js';
import { builtinFactories } from '../../../plugins/index.js';

const cli = join(repoRoot, 'dist', 'core', 'cli', 'main.js');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

function authwire(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('validate prints every error of a bad config with file, line and path, and exits 1', () => {
  const result = authwire(['validate', '-c', 'test/core/cli/testdata/bad.yaml']);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, [
    'test/core/cli/testdata/bad.yaml:4:11: receivers::generator/acme::rate: must be a number, got string "fast"',
    'test/core/cli/testdata/bad.yaml:5:5: receivers::generator/acme::sead: unknown key (did you mean "seed"?)',
    'test/core/cli/testdata/bad.yaml:7:3: exporters::file/acme::path: is required',
    'test/core/cli/testdata/bad.yaml:14:30: service::pipelines::logs/acme::exporters::1: exporter "splunk_hec/acme" is not defined (defined: file/acme)',
    '4 errors in the configuration',
    '',
  ].join('\n'));
  assert.equal(result.status, 1);
});

test('validate refuses gzip levels outside -1 and 1-9 in the HTTP exporters, at the value', () => {
  const result = authwire(['validate', '-c', 'test/core/cli/testdata/compression-level.yaml']);
  assert.equal(result.stderr, [
    'test/core/cli/testdata/compression-level.yaml:5:96: exporters::splunk_hec/acme::compression_params::level: must be one of -1, 1, 2, 3, 4, 5, 6, 7, 8, 9, got number 0',
    'test/core/cli/testdata/compression-level.yaml:8:34: exporters::otlp/acme::compression_params::level: must be one of -1, 1, 2, 3, 4, 5, 6, 7, 8, 9, got number 10',
    'test/core/cli/testdata/compression-level.yaml:8:38: exporters::otlp/acme::compression_params::speed: unknown key (valid keys: level)',
    '3 errors in the configuration',
    '',
  ].join('\n'));
  assert.equal(result.status, 1);
});

test('validate exits 0 on a good config and says what it holds', () => {
  const result = authwire(['validate', '-c', 'test/core/cli/testdata/good.yaml', '-c', 'pipelines/default.yaml']);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout, 'configuration is valid: 2 files, 2 pipelines, tenants: acme, demo\n');
  assert.equal(result.status, 0);
});

test('--version prints the package version', () => {
  assert.deepEqual(authwire(['--version']), { status: 0, stdout: `${version}\n`, stderr: '' });
});

test('--help on each command lists its options, with the host settings and their variables', () => {
  const run = authwire(['run', '--help']);
  assert.equal(run.status, 0);
  for (const expected of ['-c, --config <file|dir>', '--data-dir <dir>', 'AUTHWIRE_DATA_DIR', '--log-level <level>', 'AUTHWIRE_LOG_LEVEL', '--workers <n>', 'AUTHWIRE_WORKERS', '--admin-port <port>', 'AUTHWIRE_ADMIN_PORT']) {
    assert.ok(run.stdout.includes(expected), `run --help lacks ${expected}:\n${run.stdout}`);
  }
  assert.match(authwire(['validate', '--help']).stdout, /^Usage: authwire validate \[options\]/);
  assert.match(authwire(['components', '--help']).stdout, /^Usage: authwire components \[options\]/);
  const top = authwire(['--help']);
  assert.match(top.stdout, /run \[options\]\s+run the pipelines of one or more config files/);
});

test('components lists every registered factory with kind, stability and default config', () => {
  const result = authwire(['components', '--json']);
  assert.equal(result.status, 0);
  const listing = JSON.parse(result.stdout) as { kind: string; type: string; stability: string; defaultConfig: unknown }[];
  // Every built-in, receivers then processors then exporters, each kind by type name.
  const kindOrder = ['receiver', 'processor', 'exporter'];
  const expected = builtinFactories
    .map((factory) => ({ kind: factory.kind, type: factory.type }))
    .sort((a, b) => kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || a.type.localeCompare(b.type))
    .map((c) => `${c.kind}/${c.type}`);
  assert.deepEqual(listing.map((c) => `${c.kind}/${c.type}`), expected);
  assert.deepEqual([...new Set(listing.map((c) => c.kind))], ['receiver', 'processor', 'exporter']);
  assert.equal(listing.length, builtinFactories.length);
  const text = authwire(['components']);
  assert.match(text.stdout, /\nreceiver generator \(beta\)\n/);
  assert.match(text.stdout, /\nexporter stdout \(\w+\)\n.*\n  default config:\n    format: pretty\n/);
});

test('host setting errors name the flag and variable; a flag beats the environment', () => {
  const result = authwire(['run', '-c', 'pipelines/default.yaml', '--workers', 'lots'], { AUTHWIRE_WORKERS: '2' });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, 'invalid host settings:\n  --workers / AUTHWIRE_WORKERS: must be a positive integer\n');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`run: ${signal} drains, prints the final count per component and exits 0`, async () => {
    const dir = await writeConfigDir({});
    const output = join(dir, 'events.ndjson');
    const configFile = join(dir, 'c.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(configFile, `
receivers:
  generator/acme: { rate: 1000, seed: 1, count: 250, start_time: "2026-11-23T10:00:00.000Z" }
exporters:
  file/acme: { path: ${JSON.stringify(output)} }
service:
  pipelines:
    logs/acme: { tenant: acme, receivers: [generator/acme], exporters: [file/acme] }
`);
    const child = spawn(process.execPath, [cli, 'run', '-c', configFile, '--data-dir', join(dir, 'data')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "pipelines running" line:\n${stderr}`)), 10_000);
      child.stderr.on('data', () => {
        if (stderr.includes('pipelines running')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // The generator stops by itself after 250 records; wait for them on disk, then signal.
    const { existsSync } = await import('node:fs');
    const deadline = Date.now() + 10_000;
    while (!(existsSync(output) && readFileSync(output, 'utf8').split('\n').length === 251) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    assert.equal(code, 0, stderr);
    const summary = stderr.slice(stderr.indexOf('final counts:'));
    assert.equal(summary, [
      'final counts:',
      '  kind      component       tenant  records  refused  dead-lettered  errors',
      '  receiver  generator/acme  acme        250        0              0       0',
      '  exporter  file/acme       acme        250        0              0       0',
      '',
    ].join('\n'));
    assert.match(stderr, new RegExp(`info  ${signal} received: draining and shutting down`));
    assert.equal(readFileSync(output, 'utf8').split('\n').length, 251);
  });
}
