import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { ConfigError } from '../../core/config/issues.js';
import { loadConfig } from '../../core/config/load.js';
import { nopLogger } from '../../core/logger.js';
import { loadPlugin } from '../../core/plugins.js';
import { Registry } from '../../core/registry.js';
import { Service } from '../../core/service.js';
import { fixtureRegistry, listReceiverFactory } from '../fixtures/components.js';
import { repoRoot, sourcePath, waitFor, writeConfigDir } from '../helpers.js';

const pluginDir = sourcePath('test', 'fixtures', 'plugins', 'authwire-plugin-example');

function pipelineYaml(pluginSpecifier: string, outputPath: string): string {
  return `
plugins: [${JSON.stringify(pluginSpecifier)}]
receivers:
  static_lines/acme:
    lines:
      - "Nov 23 19:20:01 bastion sshd[10]: Accepted publickey for alice from 192.0.2.10 port 50000 ssh2"
      - "Nov 23 19:20:02 bastion sshd[11]: Connection closed by 198.51.100.7 port 50001 [preauth]"
      - "Nov 23 19:20:03 bastion sshd[12]: Failed password for root from 203.0.113.9 port 50002 ssh2"
processors:
  drop_matching/acme: { contains: "[preauth]" }
exporters:
  lines_file/acme: { path: ${JSON.stringify(outputPath)} }
service:
  pipelines:
    logs/acme:
      tenant: acme
      receivers: [static_lines/acme]
      processors: [drop_matching/acme]
      exporters: [lines_file/acme]
`;
}

async function runToCompletion(configDir: string, outputPath: string, expectedLines: number): Promise<string> {
  const config = await loadConfig([configDir], { registry: fixtureRegistry() });
  const service = new Service(config, { logger: nopLogger, dataDir: join(configDir, 'data'), workers: 1 });
  await service.start();
  await waitFor(() => service.stats().find((s) => s.id === 'lines_file/acme')!.records === expectedLines);
  assert.deepEqual(await service.shutdown(), []);
  return readFileSync(outputPath, 'utf8');
}

const expectedOutput =
  'acme\tNov 23 19:20:01 bastion sshd[10]: Accepted publickey for alice from 192.0.2.10 port 50000 ssh2\n' +
  'acme\tNov 23 19:20:03 bastion sshd[12]: Failed password for root from 203.0.113.9 port 50002 ssh2\n';

test('a third-party plugin named by path under plugins: runs data through its receiver, processor and exporter', async () => {
  const dir = await writeConfigDir({});
  const output = join(dir, 'out', 'lines.txt');
  writeFileSync(join(dir, 'acme.yaml'), pipelineYaml(pluginDir, output));
  assert.equal(await runToCompletion(dir, output, 2), expectedOutput);
});

test('a third-party plugin named as an npm package resolves from node_modules beside the config', async () => {
  const dir = await writeConfigDir({});
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(pluginDir, join(dir, 'node_modules', 'authwire-plugin-example'), 'dir');
  const output = join(dir, 'lines.txt');
  writeFileSync(join(dir, 'acme.yaml'), pipelineYaml('authwire-plugin-example', output));
  assert.equal(await runToCompletion(dir, output, 2), expectedOutput);
});

test('plugin config is validated against the plugin schema like any other', async () => {
  const dir = await writeConfigDir({ 'c.yaml': pipelineYaml(pluginDir, '/tmp/x').replace('{ contains: "[preauth]" }', '{ contain: "[preauth]" }') });
  await assert.rejects(loadConfig([dir], { registry: fixtureRegistry() }), (error: ConfigError) => {
    assert.deepEqual(error.issues.map((i) => `${i.line}:${i.column}: ${i.path.join('::')}: ${i.message}`), [
      '10:3: processors::drop_matching/acme::contains: is required',
      '10:25: processors::drop_matching/acme::contain: unknown key (did you mean "contains"?)',
    ]);
    return true;
  });
});

test('missing packages, wrong API versions and modules without valid factories are clear config errors', async () => {
  const dir = await writeConfigDir({
    'c.yaml': `
plugins:
  - authwire-plugin-not-installed
  - ${JSON.stringify(sourcePath('test/fixtures/plugins/bad-version.js'))}
  - ${JSON.stringify(sourcePath('test/fixtures/plugins/no-factories.js'))}
  - ./missing-folder
receivers: { list: {} }
exporters: { memory: {} }
service: { pipelines: { logs: { tenant: t, receivers: [list], exporters: [memory] } } }
`,
  });
  await assert.rejects(loadConfig([dir], { registry: fixtureRegistry() }), (error: ConfigError) => {
    assert.deepEqual(error.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.path.join('::')}: ${i.message}`.replaceAll(dir, '<dir>')), [
      `<dir>/c.yaml:3:5: plugins::0: "authwire-plugin-not-installed": plugin package "authwire-plugin-not-installed" is not installed (npm install authwire-plugin-not-installed, beside the config or authwire)`,
      `<dir>/c.yaml:4:5: plugins::1: ${JSON.stringify(sourcePath('test/fixtures/plugins/bad-version.js'))}: plugin was built for authwire plugin API 99; this authwire provides API 1`,
      `<dir>/c.yaml:5:5: plugins::2: ${JSON.stringify(sourcePath('test/fixtures/plugins/no-factories.js'))}: plugin exports no valid factory: factories[0] (Not-Snake): type must be lower_snake_case; stability must be one of development, alpha, beta, stable, deprecated; description must be a string; create must be a function; configSchema must be a JSON schema object`,
      `<dir>/c.yaml:6:5: plugins::3: "./missing-folder": plugin not found at <dir>/missing-folder: no such file or directory`,
    ]);
    return true;
  });
});

test('a plugin may not take a type that is already registered', async () => {
  const registry = new Registry();
  registry.register(listReceiverFactory);
  assert.throws(() => registry.register({ ...listReceiverFactory }, 'authwire-plugin-x'), {
    message: 'receiver type "list" from authwire-plugin-x is already registered by built-in',
  });
  const { factories } = await loadPlugin({ specifier: pluginDir, configFile: join(repoRoot, 'x.yaml') });
  assert.deepEqual(factories.map((f) => `${f.kind}:${f.type}`), ['receiver:static_lines', 'processor:drop_matching', 'exporter:lines_file']);
});

test('the example plugin type-checks against the public API with tsc', () => {
  const result = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(pluginDir, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(result.stdout + result.stderr, '');
  assert.equal(result.status, 0);
});
