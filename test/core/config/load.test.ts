import assert from 'node:assert/strict';
import test from 'node:test';
import { ConfigError } from '../../../core/config/issues.js';
import { loadConfig, mergeOverDefaults } from '../../../core/config/load.js';
import { fixtureRegistry } from '../../fixtures/components.js';
import { issueLine, sourcePath } from '../../helpers.js';

const testdata = (...names: string[]): string[] => names.map((name) => sourcePath('test', 'core', 'config', 'testdata', name));
const T = 'test/core/config/testdata';

async function issuesOf(paths: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig(paths, { registry: fixtureRegistry(), env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues.map(issueLine);
  }
  return [];
}

const cases: { name: string; files: string[]; expected: string[] }[] = [
  {
    name: 'a misspelled key is an error with a suggestion',
    files: ['typo-key.yaml'],
    expected: [`${T}/typo-key.yaml:5:5: exporters::memory/acme::refuze: unknown key (did you mean "refuse"?)`],
  },
  {
    name: 'a missing required key points at the component that lacks it',
    files: ['missing-required.yaml'],
    expected: [`${T}/missing-required.yaml:4:3: processors::tag::value: is required`],
  },
  {
    name: 'undefined ids are errors, with the closest defined id; unused ids too',
    files: ['undefined-id.yaml'],
    expected: [
      `${T}/undefined-id.yaml:4:3: exporters::memory/soc: is defined but no pipeline uses it`,
      `${T}/undefined-id.yaml:9:25: service::pipelines::logs::receivers::1: receiver "list/other" is not defined (defined: list)`,
      `${T}/undefined-id.yaml:10:19: service::pipelines::logs::exporters::0: exporter "memory/sco" is not defined (did you mean "memory/soc"?)`,
    ],
  },
  {
    name: 'wrong types and formats are all reported at once',
    files: ['wrong-type.yaml'],
    expected: [
      `${T}/wrong-type.yaml:3:17: receivers::list::batch_size: must be >= 1, got number 0`,
      `${T}/wrong-type.yaml:6:14: exporters::memory::retries: must be an integer, got string "three"`,
      `${T}/wrong-type.yaml:7:14: exporters::memory::timeout: must be a string, got number 5`,
      `${T}/wrong-type.yaml:8:15: exporters::memory::endpoint: must be a URL, got string "not a url"`,
      `${T}/wrong-type.yaml:9:13: exporters::memory::refuse: must be a boolean (true or false), got string "yes"`,
    ],
  },
  {
    name: 'graph checks: unused components, pipelines without receiver or exporter, bad pipeline ids, repeats',
    files: ['graph.yaml'],
    expected: [
      `${T}/graph.yaml:4:3: processors::tag/unused: is defined but no pipeline uses it`,
      `${T}/graph.yaml:7:3: exporters::memory/unused: is defined but no pipeline uses it`,
      `${T}/graph.yaml:10:5: service::pipelines::logs/no-receiver: a pipeline needs at least one receiver`,
      `${T}/graph.yaml:16:18: service::pipelines::logs/no-exporter::exporters: a pipeline needs at least one exporter`,
      `${T}/graph.yaml:17:5: service::pipelines::traces: is not a valid pipeline id: write logs or logs/<name>`,
      `${T}/graph.yaml:19:25: service::pipelines::traces::receivers::1: receiver "list" is listed twice in this pipeline`,
    ],
  },
  {
    name: 'file structure: top-level typos, unknown types, bad ids, bad tenants, pipeline key typos',
    files: ['structure.yaml'],
    expected: [
      `${T}/structure.yaml:1:1: recievers: unknown top-level key (did you mean "receivers"?)`,
      `${T}/structure.yaml:4:3: receivers::lst: unknown receiver type "lst" (did you mean "list"?); available: list`,
      `${T}/structure.yaml:5:3: receivers::List/Upper: is not a valid component id: write type[/name], with type in lower_snake_case`,
      `${T}/structure.yaml:7:11: exporters::memory: must be a map or null, got number 42`,
      `${T}/structure.yaml:11:15: service::pipelines::logs::tenant: must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit, got "acme corp"`,
      `${T}/structure.yaml:14:7: service::pipelines::logs::procesors: unknown key (did you mean "processors"?)`,
    ],
  },
  {
    name: 'unresolvable references are reported once each, at the value',
    files: ['substitution.yaml'],
    expected: [
      `${T}/substitution.yaml:5:15: exporters::memory::endpoint: environment variable AUTHWIRE_TEST_UNSET_ENDPOINT is not set (use \${env:AUTHWIRE_TEST_UNSET_ENDPOINT:-default} to give a default)`,
      `${T}/substitution.yaml:6:14: exporters::memory::timeout: unsupported reference \${TIMEOUT}: use \${env:NAME}, \${env:NAME:-default} or \${file:path} ($\${ writes a literal \${)`,
      `${T}/substitution.yaml:7:13: exporters::memory::refuse: cannot read \${file:does-not-exist.txt}: ENOENT`,
    ],
  },
  {
    name: 'YAML syntax errors carry their line',
    files: ['syntax.yaml'],
    expected: [`${T}/syntax.yaml:3:1: YAML: All mapping items must start at the same column`],
  },
  {
    name: 'an unquoted ${...} inside a flow mapping: the first YAML error says why',
    files: ['flow-reference.yaml'],
    expected: [
      `${T}/flow-reference.yaml:2:24: YAML: Unexpected flow-map-start at node end (a \${...} reference inside a { } or [ ] flow collection must be quoted, as in "\${env:NAME}": unquoted, its } ends the collection)`,
      `${T}/flow-reference.yaml:2:25: YAML: Unexpected scalar at node end`,
      `${T}/flow-reference.yaml:2:52: YAML: Unexpected comma token in YAML stream: ","`,
      `${T}/flow-reference.yaml:2:54: YAML: Unexpected scalar token in YAML stream: "timeout"`,
      `${T}/flow-reference.yaml:2:61: YAML: Unexpected map-value-ind token in YAML stream: ":"`,
      `${T}/flow-reference.yaml:2:63: YAML: Unexpected scalar token in YAML stream: "5s"`,
      `${T}/flow-reference.yaml:2:66: YAML: Unexpected flow-map-end token in YAML stream: "}"`,
    ],
  },
  {
    name: 'a quoted ${...} inside a flow mapping is substituted',
    files: ['flow-reference-quoted.yaml'],
    expected: [
      `${T}/flow-reference-quoted.yaml:4:23: exporters::memory::endpoint: environment variable AUTHWIRE_TEST_UNSET_ENDPOINT is not set (use \${env:AUTHWIRE_TEST_UNSET_ENDPOINT:-default} to give a default)`,
    ],
  },
  {
    name: "one tenant's pipeline may not use another tenant's component",
    files: ['cross-tenant'],
    expected: [
      `${T}/cross-tenant/globex.yaml:10:34: service::pipelines::logs/globex::exporters::1: exporter "memory/acme" belongs to tenant "acme"; a pipeline of tenant "globex" cannot use it (no component is shared between tenants)`,
    ],
  },
  {
    name: 'the same id in two files is an error at the second',
    files: ['tenants/acme.yaml', 'cross-tenant/acme.yaml'],
    expected: [
      `${T}/cross-tenant/acme.yaml:2:3: receivers::list/acme: is defined twice (first at ${sourcePath('test/core/config/testdata/tenants/acme.yaml')}:2); ids are shared by every file of a config, so give each tenant's component its own name, e.g. list/<tenant>`,
      `${T}/cross-tenant/acme.yaml:4:3: processors::tag/acme: is defined twice (first at ${sourcePath('test/core/config/testdata/tenants/acme.yaml')}:4); ids are shared by every file of a config, so give each tenant's component its own name, e.g. tag/<tenant>`,
      `${T}/cross-tenant/acme.yaml:6:3: exporters::memory/acme: is defined twice (first at ${sourcePath('test/core/config/testdata/tenants/acme.yaml')}:6); ids are shared by every file of a config, so give each tenant's component its own name, e.g. memory/<tenant>`,
      `${T}/cross-tenant/acme.yaml:9:5: service::pipelines::logs/acme: is defined twice (first at ${sourcePath('test/core/config/testdata/tenants/acme.yaml')}:9)`,
    ],
  },
  {
    name: 'a missing file is an error',
    files: ['does-not-exist.yaml'],
    expected: [`${T}/does-not-exist.yaml: config file or directory not found`],
  },
];

for (const { name, files, expected } of cases) {
  test(`config errors: ${name}`, async () => {
    assert.deepEqual(await issuesOf(testdata(...files)), expected);
  });
}

test('a valid config gets schema defaults, typed ${env:...} values and defaults for unset variables', async () => {
  const config = await loadConfig(testdata('valid.yaml'), { registry: fixtureRegistry(), env: { RETRIES: '7' } });
  assert.deepEqual(config.exporters.get('memory/acme')?.config, { refuse: false, endpoint: 'https://siem.acme.example:8088', timeout: '1m30s', retries: 7 });
  assert.deepEqual(config.processors.get('tag/acme')?.config, { field: 'tag', value: 'fallback' });
  assert.deepEqual(config.receivers.get('list/acme')?.config, { records: [1, 2, 3], batch_size: 10 });
  assert.deepEqual(config.pipelines.get('logs/acme'), {
    id: 'logs/acme', tenant: 'acme', receivers: ['list/acme'], processors: ['tag/acme'], exporters: ['memory/acme'], file: testdata('valid.yaml')[0],
  });
});

test('an environment value replaces a default; ${file:...} reads a file beside the config, without its final newline', async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'authwire-config-'));
  writeFileSync(join(dir, 'tag.txt'), 's3cr3t\n');
  writeFileSync(join(dir, 'c.yaml'), [
    'receivers: { list: {} }',
    'processors: { tag: { value: "${file:tag.txt}", field: "${env:FIELD:-f}-$${literal}" } }',
    'exporters: { memory: { refuse: "${env:REFUSE}" } }',
    'service: { pipelines: { logs: { tenant: t1, receivers: [list], processors: [tag], exporters: [memory] } } }',
  ].join('\n'));
  const config = await loadConfig([dir], { registry: fixtureRegistry(), env: { FIELD: 'x', REFUSE: 'true' } });
  assert.deepEqual(config.processors.get('tag')?.config, { value: 's3cr3t', field: 'x-${literal}' });
  assert.equal((config.exporters.get('memory')?.config as { refuse: unknown }).refuse, true);
});

test('two tenant files merge into one config; each component belongs to its tenant', async () => {
  const config = await loadConfig(testdata('tenants'), { registry: fixtureRegistry() });
  assert.deepEqual([...config.pipelines.keys()], ['logs/acme', 'logs/globex']);
  assert.deepEqual([...config.receivers.values()].map((c) => [c.id, c.tenant]), [['list/acme', 'acme'], ['list/globex', 'globex']]);
  assert.deepEqual([...config.exporters.values()].map((c) => [c.id, c.tenant]), [['memory/acme', 'acme'], ['memory/globex', 'globex']]);
});

test('mergeOverDefaults merges maps key by key and replaces lists and scalars', () => {
  assert.deepEqual(mergeOverDefaults({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { c: 9 }, e: [3] }), { a: 1, b: { c: 9, d: 3 }, e: [3] });
  assert.deepEqual(mergeOverDefaults({ a: 1 }, null), { a: 1 });
});
