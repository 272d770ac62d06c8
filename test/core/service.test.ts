import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { loadConfig } from '../../core/config/load.js';
import { createLogger, nopLogger } from '../../core/logger.js';
import type { Logger } from '../../core/api.js';
import type { ComponentStats } from '../../core/counting.js';
import { Service } from '../../core/service.js';
import { fixtureRegistry, lifecycleLog, memoryExports, rejectMatchingHosts } from '../fixtures/components.js';
import { sourcePath, waitFor, writeConfigDir } from '../helpers.js';

beforeEach(() => {
  memoryExports.clear();
  rejectMatchingHosts.clear();
  lifecycleLog.length = 0;
});

async function serviceFrom(paths: string[], logger: Logger = nopLogger): Promise<Service> {
  const config = await loadConfig(paths, { registry: fixtureRegistry() });
  return new Service(config, { logger, dataDir: '/tmp/authwire-service-test', workers: 1 });
}

const payloads = (id: string): unknown[] => (memoryExports.get(id) ?? []).flatMap((batch) => batch.records.map((r) => (r as { payload: unknown }).payload));

test('two tenants from two files: each exporter receives only its own tenant', async () => {
  const service = await serviceFrom([sourcePath('test/core/config/testdata/tenants')]);
  await service.start();
  await waitFor(() => payloads('memory/acme').length === 2 && payloads('memory/globex').length === 3);
  await service.shutdown();
  assert.deepEqual(payloads('memory/acme'), ['a1', 'a2']);
  assert.deepEqual(payloads('memory/globex'), ['g1', 'g2', 'g3']);
  assert.deepEqual(memoryExports.get('memory/acme')!.map((b) => b.tenant), ['acme']);
  assert.deepEqual(memoryExports.get('memory/globex')!.map((b) => b.tenant), ['globex']);
  // The processor of acme's pipeline tagged acme's records only.
  assert.deepEqual(memoryExports.get('memory/acme')![0]!.records.map((r) => (r as unknown as { tag: string }).tag), ['acme', 'acme']);
  assert.equal((memoryExports.get('memory/globex')![0]!.records[0] as unknown as { tag?: string }).tag, undefined);
});

const sharedConfig = `
receivers:
  list: { records: [r1, r2, r3], batch_size: 2 }
processors:
  tag/a: { value: A }
  tag/b: { value: B }
exporters:
  memory/shared: {}
  memory/plain: {}
  memory/a: {}
service:
  pipelines:
    logs/a:
      tenant: t
      receivers: [list]
      processors: [tag/a]
      exporters: [memory/a, memory/shared]
    logs/b:
      tenant: t
      receivers: [list]
      processors: [tag/b]
      exporters: [memory/shared]
    logs/plain:
      tenant: t
      receivers: [list]
      exporters: [memory/plain, memory/shared]
`;

test('one instance per id across pipelines; fan-out gives each mutating consumer its own copy', async () => {
  const service = await serviceFrom([await writeConfigDir({ 'c.yaml': sharedConfig })]);
  await service.start();
  await waitFor(() => payloads('memory/shared').length === 9);
  await service.shutdown();
  assert.deepEqual(lifecycleLog.filter((entry) => entry.endsWith(':start')), [
    'exporter:memory/shared:start',
    'exporter:memory/plain:start',
    'exporter:memory/a:start',
    'processor:tag/a@logs/a:start',
    'processor:tag/b@logs/b:start',
    'receiver:list:start',
  ]);
  const tags = (id: string): unknown[] => memoryExports.get(id)!.flatMap((b) => b.records.map((r) => (r as unknown as { tag?: string }).tag ?? '-'));
  assert.deepEqual(tags('memory/a'), ['A', 'A', 'A']);
  assert.deepEqual(tags('memory/plain'), ['-', '-', '-']);
  assert.deepEqual([...tags('memory/shared')].sort(), ['-', '-', '-', 'A', 'A', 'A', 'B', 'B', 'B']);
  const stats = service.stats().map((s) => [s.kind, s.id, s.pipeline ?? '', s.records, s.batches]);
  assert.deepEqual(stats, [
    ['receiver', 'list', '', 3, 2],
    ['processor', 'tag/a', 'logs/a', 3, 2],
    ['processor', 'tag/b', 'logs/b', 3, 2],
    ['exporter', 'memory/shared', '', 9, 6],
    ['exporter', 'memory/plain', '', 3, 2],
    ['exporter', 'memory/a', '', 3, 2],
  ]);
});

test('shutdown runs receivers, processors in pipeline order, then exporters; a second shutdown is harmless', async () => {
  const service = await serviceFrom([await writeConfigDir({ 'c.yaml': `
receivers: { list: { records: [x] } }
processors: { tag/first: { value: '1' }, tag/second: { value: '2' } }
exporters: { memory: {} }
service:
  pipelines:
    logs: { tenant: t, receivers: [list], processors: [tag/first, tag/second], exporters: [memory] }
` })]);
  await service.start();
  await waitFor(() => payloads('memory').length === 1);
  const first = service.shutdown();
  const second = service.shutdown();
  assert.equal(first, second);
  assert.deepEqual(await first, []);
  assert.deepEqual(await service.shutdown(), []);
  assert.deepEqual(lifecycleLog, [
    'exporter:memory:start',
    'processor:tag/second@logs:start',
    'processor:tag/first@logs:start',
    'receiver:list:start',
    'receiver:list:shutdown',
    'processor:tag/first@logs:shutdown',
    'processor:tag/second@logs:shutdown',
    'exporter:memory:shutdown',
  ]);
});

test('shutdown without start shuts every created component down once', async () => {
  const service = await serviceFrom([sourcePath('test/core/config/testdata/tenants')]);
  await service.build();
  assert.deepEqual(await service.shutdown(), []);
  assert.deepEqual(lifecycleLog.sort(), [
    'exporter:memory/acme:shutdown', 'exporter:memory/globex:shutdown', 'processor:tag/acme@logs/acme:shutdown',
    'receiver:list/acme:shutdown', 'receiver:list/globex:shutdown',
  ]);
});

test('a refused batch is counted at the exporter and reported by the receiver (logged once per code), and the service keeps running', async () => {
  const logged: string[] = [];
  const logger = createLogger({ writeErr: (line) => logged.push(line.slice(25)) }, 'warn');
  const service = await serviceFrom([await writeConfigDir({ 'c.yaml': `
receivers: { list: { records: [a, b, c], batch_size: 1 } }
exporters: { memory/ok: {}, memory/no: { refuse: true } }
service:
  pipelines:
    logs: { tenant: t, receivers: [list], exporters: [memory/ok, memory/no] }
` })], logger);
  await service.start();
  await waitFor(() => service.stats()[0]!.errors === 3);
  await service.shutdown();
  assert.deepEqual(payloads('memory/ok'), ['a', 'b', 'c']);
  assert.deepEqual(service.stats().map((s) => [s.id, s.records, s.refused, s.errors]), [
    ['list', 0, 3, 3],
    ['memory/ok', 3, 0, 0],
    ['memory/no', 0, 3, 0],
  ]);
  assert.deepEqual(logged, ['warn  receiver list: memory/no refuses everything code=refused tenant=t\n']);
});

async function dataDirFor(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'authwire-service-dl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const NOW = new Date('2026-05-01T12:00:00.000Z');

async function deadLetterService(yaml: string, dataDir: string, logger: Logger = nopLogger): Promise<Service> {
  const config = await loadConfig([await writeConfigDir({ 'c.yaml': yaml })], { registry: fixtureRegistry() });
  return new Service(config, { logger, dataDir, workers: 1, clock: () => NOW });
}

const twoTenantRejects = `
receivers:
  list/acme: { records: [ok1, bad1, bad2, { user: bob }], batch_size: 2 }
  list/globex: { records: [bad-g, fine] }
processors:
  reject_matching/acme: { match: bad }
  reject_matching/globex: { match: bad }
exporters:
  memory/acme: {}
  memory/globex: {}
service:
  pipelines:
    logs/acme: { tenant: acme, receivers: [list/acme], processors: [reject_matching/acme], exporters: [memory/acme] }
    logs/globex: { tenant: globex, receivers: [list/globex], processors: [reject_matching/globex], exporters: [memory/globex] }
`;

test('dead letters go to <dataDir>/<tenant>/dead-letter.ndjson, one file per tenant, counted per reason and logged once per reason', async (t) => {
  const dataDir = await dataDirFor(t);
  const logged: string[] = [];
  const logger = createLogger({ writeErr: (line) => logged.push(line.slice(25)) }, 'warn');
  const service = await deadLetterService(twoTenantRejects, dataDir, logger);
  await service.start();
  const deadLettered = (): number => service.stats().reduce((sum, s) => sum + s.deadLettered, 0);
  await waitFor(() => deadLettered() === 4 && payloads('memory/globex').length === 1);
  await service.shutdown();

  const acmeFile = join(dataDir, 'acme', 'dead-letter.ndjson');
  const globexFile = join(dataDir, 'globex', 'dead-letter.ndjson');
  assert.equal(await readFile(acmeFile, 'utf8'),
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"reject_matching/acme","pipeline":"logs/acme","format":"test","reason":"matched","detail":"payload contains \\"bad\\"","observed_time":"1970-01-01T00:00:00.000Z","original":"bad1","original_encoding":"text"}\n' +
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"reject_matching/acme","pipeline":"logs/acme","format":"test","reason":"matched","detail":"payload contains \\"bad\\"","observed_time":"1970-01-01T00:00:00.000Z","original":"bad2","original_encoding":"text"}\n' +
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"reject_matching/acme","pipeline":"logs/acme","format":"test","reason":"not_text","detail":"payload is not text","observed_time":"1970-01-01T00:00:00.000Z","original":"{\\"user\\":\\"bob\\"}","original_encoding":"json"}\n');
  assert.equal(await readFile(globexFile, 'utf8'),
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"globex","component":"reject_matching/globex","pipeline":"logs/globex","format":"test","reason":"matched","detail":"payload contains \\"bad\\"","observed_time":"1970-01-01T00:00:00.000Z","original":"bad-g","original_encoding":"text"}\n');
  assert.deepEqual((await readdir(dataDir)).sort(), ['acme', 'globex']);

  assert.deepEqual(payloads('memory/acme'), ['ok1']);
  assert.deepEqual(payloads('memory/globex'), ['fine']);
  assert.deepEqual(service.stats().map((s) => [s.id, s.records, s.refused, s.deadLettered, s.deadLetterReasons]), [
    ['list/acme', 4, 0, 0, {}],
    ['list/globex', 2, 0, 0, {}],
    ['reject_matching/acme', 4, 0, 3, { matched: 2, not_text: 1 }],
    ['reject_matching/globex', 2, 0, 1, { matched: 1 }],
    ['memory/acme', 1, 0, 0, {}],
    ['memory/globex', 1, 0, 0, {}],
  ]);
  // The second `matched` of acme came within 10 s of the first: counted, not logged.
  assert.deepEqual(logged.sort(), [
    `warn  processor reject_matching/acme (logs/acme): dead letter reason=matched detail="payload contains \\"bad\\"" records=1 tenant=acme file=${acmeFile}\n`,
    `warn  processor reject_matching/acme (logs/acme): dead letter reason=not_text detail="payload is not text" records=1 tenant=acme file=${acmeFile}\n`,
    `warn  processor reject_matching/globex (logs/globex): dead letter reason=matched detail="payload contains \\"bad\\"" records=1 tenant=globex file=${globexFile}\n`,
  ]);
});

test('when the dead-letter file cannot be written the batch is refused as retryable, and nothing counts as dead-lettered', async (t) => {
  const dataDir = await dataDirFor(t);
  await writeFile(join(dataDir, 'acme'), 'a file where the tenant directory should be');
  const logged: string[] = [];
  const logger = createLogger({ writeErr: (line) => logged.push(line.slice(25)) }, 'warn');
  const service = await deadLetterService(`
receivers: { list/acme: { records: [ok1, bad1], batch_size: 2 } }
processors: { reject_matching/acme: { match: bad } }
exporters: { memory/acme: {} }
service:
  pipelines:
    logs/acme: { tenant: acme, receivers: [list/acme], processors: [reject_matching/acme], exporters: [memory/acme] }
`, dataDir, logger);
  await service.start();
  await waitFor(() => service.stats()[0]!.errors === 1);
  await service.shutdown();
  assert.deepEqual(payloads('memory/acme'), []);
  assert.deepEqual(service.stats().map((s) => [s.id, s.records, s.refused, s.errors, s.deadLettered, s.deadLetterReasons]), [
    ['list/acme', 0, 2, 1, 0, {}],
    ['reject_matching/acme', 0, 2, 0, 0, {}],
    ['memory/acme', 0, 0, 0, 0, {}],
  ]);
  assert.deepEqual(logged, [
    `warn  receiver list/acme: dead letters of tenant acme: cannot create the directory of ${join(dataDir, 'acme', 'dead-letter.ndjson')}: EEXIST code=dead_letter_unavailable tenant=acme\n`,
  ]);
});

test('dead-letter files stay open until every component has stopped; a letter for another tenant is refused', async (t) => {
  const dataDir = await dataDirFor(t);
  const service = await deadLetterService(`
receivers: { list/acme: { records: [fine, bad-a] }, list/globex: { records: [fine] }, list/initech: { records: [fine] } }
processors:
  reject_matching/acme: { match: bad, letter_at_shutdown: true }
  reject_matching/globex: { match: bad }
  reject_matching/initech: { match: bad, letter_at_shutdown: true, letter_tenant: acme }
exporters: { memory/acme: {}, memory/globex: {}, memory/initech: {} }
service:
  pipelines:
    logs/acme: { tenant: acme, receivers: [list/acme], processors: [reject_matching/acme], exporters: [memory/acme] }
    logs/globex: { tenant: globex, receivers: [list/globex], processors: [reject_matching/globex], exporters: [memory/globex] }
    logs/initech: { tenant: initech, receivers: [list/initech], processors: [reject_matching/initech], exporters: [memory/initech] }
`, dataDir);
  await service.start();
  await waitFor(() => service.stats().find((s) => s.id === 'reject_matching/acme')!.deadLettered === 1 && payloads('memory/globex').length === 1 && payloads('memory/initech').length === 1);
  const errors = await service.shutdown();
  assert.deepEqual(errors.map((e) => e.message), [
    'processor reject_matching/initech (logs/initech) failed to shut down: processor reject_matching/initech (logs/initech) serves tenant "initech" but dead-lettered records of tenant "acme"',
  ]);
  assert.equal(await readFile(join(dataDir, 'acme', 'dead-letter.ndjson'), 'utf8'),
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"reject_matching/acme","pipeline":"logs/acme","format":"test","reason":"matched","detail":"payload contains \\"bad\\"","observed_time":"1970-01-01T00:00:00.000Z","original":"bad-a","original_encoding":"text"}\n' +
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"reject_matching/acme","pipeline":"logs/acme","reason":"held_at_shutdown","detail":"still held at shutdown","observed_time":"1970-01-01T00:00:00.000Z","original":"held","original_encoding":"text"}\n');
  // After shutdown, a stray letter is refused (retryable), not written to a file nobody closes.
  const late = [{ reason: 'late', detail: 'after shutdown', format: undefined, original: 'late', observedTime: 0 }];
  await assert.rejects(rejectMatchingHosts.get('reject_matching/acme@logs/acme')!.deadLetter('acme', late), {
    code: 'dead_letter_unavailable', retryable: true, message: `dead letters of tenant acme: ${join(dataDir, 'acme', 'dead-letter.ndjson')} is closed`,
  });
  await assert.rejects(rejectMatchingHosts.get('reject_matching/globex@logs/globex')!.deadLetter('globex', late), {
    code: 'dead_letter_unavailable', retryable: true, message: 'dead letters of tenant globex: the service has stopped',
  });
  // Tenants without letters get no file, not even a directory.
  assert.deepEqual(await readdir(dataDir), ['acme']);
  assert.deepEqual(service.stats().filter((s) => s.kind === 'processor').map((s) => [s.id, s.deadLettered, s.deadLetterReasons]), [
    ['reject_matching/acme', 2, { matched: 1, held_at_shutdown: 1 }],
    ['reject_matching/globex', 0, {}],
    ['reject_matching/initech', 0, {}],
  ]);
});

test('per-reason counters stop growing at 100 reasons per component; later reasons count as _other, the file keeps them all', async (t) => {
  const dataDir = await dataDirFor(t);
  const logged: string[] = [];
  const logger = createLogger({ writeErr: (line) => logged.push(line.slice(25)) }, 'warn');
  const records = Array.from({ length: 105 }, (_, i) => `r${i}`);
  const service = await deadLetterService(`
receivers: { list/acme: { records: [${records.join(', ')}], batch_size: 200 } }
processors: { reject_matching/acme: { match: r, reason_from_payload: true } }
exporters: { memory/acme: {} }
service:
  pipelines:
    logs/acme: { tenant: acme, receivers: [list/acme], processors: [reject_matching/acme], exporters: [memory/acme] }
`, dataDir, logger);
  await service.start();
  const processor = (): ComponentStats => service.stats().find((s) => s.id === 'reject_matching/acme')!;
  await waitFor(() => processor().deadLettered === 105);
  await service.shutdown();
  const expected: Record<string, number> = {};
  for (const reason of records.slice(0, 100)) expected[reason] = 1;
  expected._other = 5;
  assert.deepEqual(processor().deadLetterReasons, expected);
  const lines = (await readFile(join(dataDir, 'acme', 'dead-letter.ndjson'), 'utf8')).trimEnd().split('\n');
  assert.deepEqual(lines.map((text) => (JSON.parse(text) as { reason: string }).reason), records);
  // One line per counted reason: r0 … r99, then the first of the five under _other.
  assert.equal(logged.length, 101);
  assert.match(logged[100]!, /^warn {2}processor reject_matching\/acme \(logs\/acme\): dead letter reason=r100 /);
});

test("a component's own metrics() appear in the service's stats, refreshed on each read", async () => {
  const service = await serviceFrom([sourcePath('test/core/config/testdata/tenants')]);
  await service.start();
  await waitFor(() => payloads('memory/acme').length === 2 && payloads('memory/globex').length === 3);
  const acme = service.stats().find((stats) => stats.id === 'memory/acme')!;
  assert.deepEqual(acme.metrics, { batches_kept: memoryExports.get('memory/acme')!.length });
  memoryExports.get('memory/acme')!.push({ tenant: 'acme', records: [] });
  const again = service.stats().find((stats) => stats.id === 'memory/acme')!;
  assert.deepEqual(again.metrics, { batches_kept: memoryExports.get('memory/acme')!.length });
  // Receivers without metrics() have none.
  assert.equal(service.stats().find((stats) => stats.kind === 'receiver')!.metrics, undefined);
  await service.shutdown();
});
