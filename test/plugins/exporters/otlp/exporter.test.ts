/**
 * The otlp exporter end to end: factory → QueuedExporter → OtlpHttpSender → the test receiver.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import type { OcsfEvent } from '../../../../core/api.js';
import { validateAgainst } from '../../../../core/config/schema.js';
import type { QueuedExporter } from '../../../../core/exporter/queued-exporter.js';
import { createLogger } from '../../../../core/logger.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import type { OtlpExporterConfig } from '../../../../plugins/exporters/otlp/config.js';
import { otlpExporterFactory } from '../../../../plugins/exporters/otlp/index.js';
import type { OtlpItem } from '../../../../plugins/exporters/otlp/sender.js';
import { openObjects } from '../schema.js';
import { authEvent, oktaRaw } from '../testrecords.js';
import { encodeResponse } from './official.js';
import { OtlpServer } from './otlp-server.js';

const SECRET = 'Api-Key 0123-very-secret';

interface Run {
  server: OtlpServer;
  exporter: QueuedExporter<OtlpItem>;
  host: RecordingHost;
  logs: string[];
  url: string;
}

async function run(t: { after(fn: () => Promise<void>): void }, overrides: Partial<OtlpExporterConfig> = {}): Promise<Run> {
  const server = new OtlpServer();
  const url = await server.listen();
  const logs: string[] = [];
  const logger = createLogger({ writeErr: (line) => logs.push(line) }, 'debug');
  const defaults = otlpExporterFactory.createDefaultConfig();
  const config: OtlpExporterConfig = {
    ...defaults,
    endpoint: url,
    headers: { Authorization: SECRET },
    batch: { ...defaults.batch, timeout: '5ms' },
    sending_queue: { ...defaults.sending_queue, num_consumers: 1 },
    retry_on_failure: { ...defaults.retry_on_failure, initial_interval: '20ms', randomization_factor: 0, max_interval: '100ms', max_elapsed_time: '1m' },
    ...overrides,
  };
  const exporter = (await otlpExporterFactory.create(testSettings('exporter', 'otlp/acme', { tenant: 'acme', logger }), config)) as QueuedExporter<OtlpItem>;
  const host = new RecordingHost();
  t.after(async () => {
    await exporter.shutdown();
    await server.close();
  });
  await exporter.start(host);
  return { server, exporter, host, logs, url };
}

function events(prefix: string, n: number): OcsfEvent[] {
  const out: OcsfEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ ...authEvent, metadata: { ...authEvent.metadata, uid: `${prefix}${i}` } });
  return out;
}

function statusBytes(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from([0x08, code, 0x12, text.length]), text]);
}

test('factory: type, required endpoint, closed schema, defaults valid, bad values reported', () => {
  assert.equal(otlpExporterFactory.type, 'otlp');
  assert.deepEqual(otlpExporterFactory.configSchema['required'], ['endpoint']);
  assert.deepEqual(openObjects(otlpExporterFactory.configSchema), []);
  const defaults = otlpExporterFactory.createDefaultConfig();
  assert.deepEqual(validateAgainst(otlpExporterFactory.configSchema, { ...structuredClone(defaults), endpoint: 'http://collector:4318' }), []);
  const problems = validateAgainst(otlpExporterFactory.configSchema, {
    ...structuredClone(defaults),
    endpoint: 'collector:4318',
    logs_endpoint: 'grpc://x',
    encoding: 'protobuf',
    compression: 'zstd',
    headers: { 'bad header': 'x' },
    attribute_prefix: 'ocsf',
    ocsf_as: 'kvlist',
    token: 'x',
  });
  assert.deepEqual(problems.map((p) => p.path.join('::')).sort(), ['attribute_prefix', 'compression', 'encoding', 'endpoint', 'headers::bad header', 'logs_endpoint', 'ocsf_as', 'token']);
});

test('ACCEPTANCE: 503 with Retry-After is retried; then a partial success is not retried; then a 400 is dead-lettered', async (t) => {
  const { server, exporter, host, logs, url } = await run(t);
  server.replies.push(
    { status: 503, headers: { 'Retry-After': '1' }, body: statusBytes(14, 'collector is overloaded') },
    { status: 200, body: encodeResponse(2, 'log records without a body are not accepted') },
    { status: 400, body: statusBytes(3, 'request is not valid OTLP') },
  );
  const first = events('a', 5);
  await exporter.consume({ tenant: 'acme', records: first });
  await exporter.flush();
  // 503: retried, with the same records; the 200 with a partial success ends it (no third attempt).
  assert.deepEqual(server.requests.map((r) => r.status), [503, 200]);
  assert.deepEqual(server.requests[0]!.body, server.requests[1]!.body);
  assert.deepEqual(server.uids(), ['a0', 'a1', 'a2', 'a3', 'a4', 'a0', 'a1', 'a2', 'a3', 'a4']);
  assert.equal(host.deadLetters.length, 0);
  let metrics = exporter.metrics();
  assert.deepEqual([metrics.sent, metrics.failed, metrics.retried, metrics.dead_lettered], [3, 2, 5, 0]);
  assert.ok(logs.some((line) => line.includes('log records without a body are not accepted')), 'the partial success is logged with the server message');

  const second = events('b', 3);
  await exporter.consume({ tenant: 'acme', records: second });
  await exporter.flush();
  assert.deepEqual(server.requests.map((r) => r.status), [503, 200, 400]);
  assert.deepEqual(host.deadLetters.map((l) => [l.reason, l.original]), second.map((e) => ['http_400', e]));
  assert.equal(host.deadLetters[0]!.detail, `otlp/acme: POST ${url}/v1/logs: HTTP 400, status 3: request is not valid OTLP`);
  metrics = exporter.metrics();
  assert.deepEqual([metrics.sent, metrics.failed, metrics.retried, metrics.dead_lettered, metrics.queue_size], [3, 5, 5, 3, 0]);
  assert.ok(!logs.some((line) => line.includes('very-secret')), 'header values are never logged');
});

test('401: sending stops, the request and everything after it is dead-lettered, the key never shown', async (t) => {
  const { server, exporter, host, logs } = await run(t);
  server.replies.push({ status: 401, body: statusBytes(16, 'missing or invalid API key') });
  await exporter.consume({ tenant: 'acme', records: events('a', 2) });
  await exporter.flush();
  await exporter.consume({ tenant: 'acme', records: events('b', 2) });
  await exporter.flush();
  assert.equal(server.requests.length, 1);
  assert.deepEqual(host.deadLetters.map((l) => l.reason), ['http_401', 'http_401', 'http_401', 'http_401']);
  assert.ok(host.deadLetters[0]!.detail.includes('missing or invalid API key'));
  assert.equal(host.errors.length, 1);
  assert.ok(!logs.some((line) => line.includes('very-secret')));
  assert.ok(!host.deadLetters.some((l) => l.detail.includes('very-secret')));
});

test('raw records are dead-lettered as not_ocsf, the OCSF events of the batch are sent (JSON encoding)', async (t) => {
  const { server, exporter, host } = await run(t, { encoding: 'json', compression: 'none' });
  const [event] = events('e', 1);
  await exporter.consume({ tenant: 'acme', records: [oktaRaw, event!] });
  await exporter.flush();
  assert.deepEqual(host.deadLetters.map((l) => [l.reason, l.format, l.original]), [['not_ocsf', 'okta', oktaRaw]]);
  assert.deepEqual(server.uids(), ['e0']);
  assert.equal(server.requests[0]!.headers['content-type'], 'application/json');
  assert.equal(exporter.metrics().sent, 1);
});
