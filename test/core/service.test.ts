import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { loadConfig } from '../../core/config/load.js';
import { createLogger, nopLogger } from '../../core/logger.js';
import type { Logger } from '../../core/api.js';
import { Service } from '../../core/service.js';
import { fixtureRegistry, lifecycleLog, memoryExports } from '../fixtures/components.js';
import { sourcePath, waitFor, writeConfigDir } from '../helpers.js';

beforeEach(() => {
  memoryExports.clear();
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
