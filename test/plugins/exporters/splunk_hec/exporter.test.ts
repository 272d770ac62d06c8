/**
 * The splunk_hec exporter end to end: factory → QueuedExporter → HecSender → the test HEC.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import type { Exporter, OcsfEvent } from '../../../../core/api.js';
import { validateAgainst } from '../../../../core/config/schema.js';
import type { QueuedExporter } from '../../../../core/exporter/queued-exporter.js';
import { createLogger } from '../../../../core/logger.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import type { SplunkHecExporterConfig } from '../../../../plugins/exporters/splunk_hec/config.js';
import { splunkHecExporterFactory } from '../../../../plugins/exporters/splunk_hec/index.js';
import { openObjects } from '../schema.js';
import { oktaRaw } from '../testrecords.js';
import { HecServer } from './hec-server.js';
import type { HecServerOptions } from './hec-server.js';
import { TOKEN, eventN } from './events.js';

type Overrides = { [K in keyof SplunkHecExporterConfig]?: SplunkHecExporterConfig[K] extends object ? Partial<SplunkHecExporterConfig[K]> : SplunkHecExporterConfig[K] };

interface Run {
  server: HecServer;
  exporter: QueuedExporter<string>;
  host: RecordingHost;
  logs: string[];
  url: string;
}

/** Short retry waits so that retry tests end soon after the peer recovers. */
const FAST_RETRY = { initial_interval: '20ms', multiplier: 1.5, randomization_factor: 0, max_interval: '100ms', max_elapsed_time: '1m' };

async function run(t: { after(fn: () => Promise<void>): void }, serverOptions: HecServerOptions = {}, overrides: Overrides = {}, start = true): Promise<Run> {
  const server = new HecServer({ token: TOKEN, ...serverOptions });
  const url = await server.listen();
  const logs: string[] = [];
  const logger = createLogger({ writeErr: (line) => logs.push(line) }, 'debug');
  const defaults = splunkHecExporterFactory.createDefaultConfig();
  const config = { ...defaults, endpoint: url, token: TOKEN, host: 'authwire-1' } as SplunkHecExporterConfig & Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const base = (config as Record<string, unknown>)[key];
    config[key] = typeof value === 'object' && value !== null && typeof base === 'object' && base !== null ? { ...base, ...value } : value;
  }
  config.batch = { ...config.batch, timeout: '5ms', ...(overrides.batch ?? {}) };
  config.retry_on_failure = { ...config.retry_on_failure, ...FAST_RETRY, ...(overrides.retry_on_failure ?? {}) };
  const exporter = (await splunkHecExporterFactory.create(testSettings('exporter', 'splunk_hec/acme', { tenant: 'acme', logger }), config)) as QueuedExporter<string>;
  const host = new RecordingHost();
  t.after(async () => {
    await exporter.shutdown();
    await server.close();
  });
  if (start) await exporter.start(host);
  return { server, exporter, host, logs, url };
}

function events(n: number, bad?: number): OcsfEvent[] {
  const out: OcsfEvent[] = [];
  for (let i = 0; i < n; i++) out.push(eventN(i, i === bad ? 'bad' : `e${i}`));
  return out;
}

function countsOf(uids: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const uid of uids) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  return counts;
}

const isBad = (e: { event?: Record<string, unknown> }): boolean => (e.event?.['metadata'] as { uid: string }).uid === 'bad';

test('factory: type, required endpoint and token, closed schema, defaults valid, bad values reported', () => {
  assert.equal(splunkHecExporterFactory.type, 'splunk_hec');
  assert.deepEqual(splunkHecExporterFactory.configSchema['required'], ['endpoint', 'token']);
  assert.deepEqual(openObjects(splunkHecExporterFactory.configSchema), []);
  const defaults = splunkHecExporterFactory.createDefaultConfig();
  assert.deepEqual(validateAgainst(splunkHecExporterFactory.configSchema, { ...structuredClone(defaults), endpoint: 'https://splunk:8088', token: 't' }), []);
  const problems = validateAgainst(splunkHecExporterFactory.configSchema, {
    ...structuredClone(defaults),
    endpoint: 'splunk:8088',
    token: 't',
    index: 'Bad Index',
    ack: { enabled: true, channel: 'not-a-guid', poll_interval: '1s', timeout: '5s' },
    sourcetype_by_class: { auth: 'x' },
    compression: 'zstd',
    tokens: 'x',
  });
  assert.deepEqual(problems.map((p) => p.path.join('::')).sort(), ['ack::channel', 'compression', 'endpoint', 'index', 'sourcetype_by_class::auth', 'tokens']);
});

test('ACCEPTANCE: a code-6 event in the middle of a batch: every other event delivered exactly once, that one dead-lettered', async (t) => {
  const { server, exporter, host } = await run(t, { invalid: isBad }, { batch: { max_events: 100 } });
  const batch = events(50, 25);
  await exporter.consume({ tenant: 'acme', records: batch });
  await exporter.flush();
  const expected = batch.filter((_, i) => i !== 25).map((e) => String(e.metadata.uid));
  assert.deepEqual(server.uids(), expected);
  assert.deepEqual([...countsOf(server.uids()).values()].every((n) => n === 1), true);
  assert.equal(host.deadLetters.length, 1);
  const letter = host.deadLetters[0]!;
  assert.equal(letter.reason, 'invalid_event');
  assert.equal(letter.detail, 'HEC code 6 "Invalid data format" for event 25 of 50 in the request');
  assert.deepEqual(letter.original, batch[25]);
  const metrics = exporter.metrics();
  assert.equal(metrics.sent, 49);
  assert.equal(metrics.dead_lettered, 1);
  assert.equal(metrics.queue_size, 0);
  assert.deepEqual(server.requests.filter((r) => r.path.endsWith('/event')).map((r) => [r.status, r.events]), [[400, 50], [200, 24]]);
});

test('ACCEPTANCE: 503s for 10 s, then everything is delivered once they stop', async (t) => {
  // The server's clock runs 5x real time, so its 10 s of 503s take 2 s of wall time; retry waits
  // of at most 100 ms make the test end soon after the 503s stop.
  const started = Date.now();
  const serverNow = (): number => (Date.now() - started) * 5;
  const { server, exporter, host } = await run(t, { busy: () => serverNow() < 10_000 }, { batch: { max_events: 40 }, sending_queue: { num_consumers: 2 } });
  const all = events(200);
  for (let i = 0; i < all.length; i += 50) await exporter.consume({ tenant: 'acme', records: all.slice(i, i + 50) });
  await exporter.flush();
  assert.ok(serverNow() >= 10_000);
  assert.deepEqual([...server.uids()].sort(), all.map((e) => String(e.metadata.uid)).sort());
  assert.equal(server.uids().length, 200);
  assert.ok(server.requests.some((r) => r.status === 503));
  assert.deepEqual(host.deadLetters, []);
  assert.equal(exporter.metrics().sent, 200);
});

test('code 9 twice, then success: retried with backoff, delivered once', async (t) => {
  const { server, exporter, host } = await run(t, {
    override: (path, n) => (path.endsWith('/event') && n < 2 ? { status: 503, body: '{"text":"Server is busy","code":9}' } : undefined),
  });
  await exporter.consume({ tenant: 'acme', records: events(10) });
  await exporter.flush();
  assert.deepEqual(server.uids(), events(10).map((e) => String(e.metadata.uid)));
  assert.deepEqual(server.requests.filter((r) => r.path.endsWith('/event')).map((r) => r.status), [503, 503, 200]);
  assert.deepEqual(host.deadLetters, []);
  const metrics = exporter.metrics();
  assert.equal(metrics.sent, 10);
  assert.equal(metrics.retried, 20);
});

test('403 invalid token stops sending: the request and everything after it dead-lettered, logged once, token never shown', async (t) => {
  const { server, exporter, host, logs } = await run(t, { token: 'the-right-one' }, { sending_queue: { num_consumers: 1 } });
  await exporter.consume({ tenant: 'acme', records: events(5) });
  await exporter.flush();
  await exporter.consume({ tenant: 'acme', records: events(3) });
  await exporter.flush();
  assert.deepEqual(server.requests.filter((r) => r.path.endsWith('/event')).map((r) => r.status), [403]);
  assert.equal(host.deadLetters.length, 8);
  assert.deepEqual([...new Set(host.deadLetters.map((l) => l.reason))], ['invalid_token']);
  assert.equal(host.errors.length, 1);
  assert.match(String((host.errors[0] as Error).message), /HTTP 403, HEC code 4 "Invalid token"; sending stopped: check token\); every record is dead-lettered with reason invalid_token/);
  assert.equal(logs.filter((line) => line.includes('Invalid token')).length, 1);
  for (const text of [...logs, ...host.errors.map((e) => String((e as Error).stack)), ...host.deadLetters.map((l) => l.detail)]) assert.equal(text.includes(TOKEN), false, text);
});

test('401 (token required) is fatal as well', async (t) => {
  const { exporter, host } = await run(t, { override: () => ({ status: 401, body: '{"text":"Token is required","code":2}' }) });
  await exporter.consume({ tenant: 'acme', records: events(2) });
  await exporter.flush();
  assert.deepEqual(host.deadLetters.map((l) => l.reason), ['token_required', 'token_required']);
  assert.equal(exporter.metrics().sent, 0);
});

test('max_content_length: requests are split to fit, nothing refused, nothing sent twice', async (t) => {
  const { server, exporter, host } = await run(t, { maxContentLength: 1400 }, { max_content_length: 1400, batch: { max_events: 100 } });
  await exporter.consume({ tenant: 'acme', records: events(7) });
  await exporter.flush();
  const posts = server.requests.filter((r) => r.path.endsWith('/event'));
  // The split requests go out on the concurrent senders (sending_queue.num_consumers), so they may
  // arrive in any order: what must hold is their sizes and that every event arrives exactly once.
  const byEvents = (a: number[], b: number[]): number => b[1]! - a[1]!;
  assert.deepEqual(posts.map((r) => [r.status, r.events, r.bytes]).sort(byEvents), [[200, 2, 1328], [200, 2, 1328], [200, 2, 1328], [200, 1, 664]]);
  assert.deepEqual([...server.uids()].sort(), events(7).map((e) => String(e.metadata.uid)).sort());
  assert.deepEqual(host.deadLetters, []);
});

test('ack: a request never acknowledged is sent again; every event indexed exactly once', async (t) => {
  const { server, exporter, host } = await run(t, { ack: true, lostAcks: new Set([0]) }, { ack: { enabled: true, poll_interval: '10ms', timeout: '150ms' }, timeout: '2s' });
  await exporter.consume({ tenant: 'acme', records: events(6) });
  await exporter.flush();
  assert.deepEqual(server.uids(), events(6).map((e) => String(e.metadata.uid)));
  assert.deepEqual(server.requests.filter((r) => r.path.endsWith('/event')).map((r) => [r.status, r.events]), [[200, 6], [200, 6]]);
  assert.deepEqual(host.deadLetters, []);
  assert.equal(exporter.metrics().sent, 6);
});

test('raw records are dead-lettered as not_ocsf; OCSF events in the same batch go on', async (t) => {
  const { server, exporter, host } = await run(t);
  await exporter.consume({ tenant: 'acme', records: [eventN(0), oktaRaw, eventN(1)] });
  await exporter.flush();
  assert.deepEqual(server.uids(), ['e0', 'e1']);
  assert.deepEqual(host.deadLetters.map((l) => [l.reason, l.format]), [['not_ocsf', 'okta']]);
});

test('an unhealthy HEC fails start with a clear error', async (t) => {
  const { exporter, url } = await run(t, { health: { status: 503, body: '{"text":"HEC is unhealthy, queues are full","code":18}' } }, {}, false);
  await assert.rejects((exporter as Exporter).start(new RecordingHost()), {
    code: 'unhealthy',
    message: `splunk_hec/acme: health check failed: GET ${url}/services/collector/health: HTTP 503, HEC code 18 "HEC is unhealthy, queues are full"`,
  });
});

test('conformance (until the factory is registered in plugins/index.ts): create from the default config, shutdown without start, twice', async () => {
  const exporter = await splunkHecExporterFactory.create(testSettings('exporter', 'splunk_hec'), splunkHecExporterFactory.createDefaultConfig());
  await exporter.shutdown();
  await exporter.shutdown();
});

test('start without endpoint or token is a clear config error', async () => {
  const exporter = await splunkHecExporterFactory.create(testSettings('exporter', 'splunk_hec/x'), splunkHecExporterFactory.createDefaultConfig());
  await assert.rejects(exporter.start(new RecordingHost()), { code: 'invalid_config', message: 'splunk_hec/x: endpoint and token are required' });
  await exporter.shutdown();
});
