/**
 * The OTLP/HTTP Sender on its own (send called directly) against the test receiver.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { OcsfEvent } from '../../../../core/api.js';
import type { ExportRequest } from '../../../../core/exporter/sender.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/exporters/otlp/config.js';
import type { OtlpExporterConfig } from '../../../../plugins/exporters/otlp/config.js';
import { MAX_REPLY_BYTES, OtlpHttpSender } from '../../../../plugins/exporters/otlp/sender.js';
import type { OtlpItem } from '../../../../plugins/exporters/otlp/sender.js';
import { authEvents, oktaRaw } from '../testrecords.js';
import { encodeResponse, recordsOf } from './official.js';
import { OtlpServer } from './otlp-server.js';

const NOW = Date.UTC(2024, 4, 1, 19, 20, 0);
const SECRET = 'Bearer s3cr3t-api-key';

interface Setup {
  server: OtlpServer;
  sender: OtlpHttpSender;
  url: string;
}

async function setup(t: { after(fn: () => Promise<void>): void }, overrides: Partial<OtlpExporterConfig> = {}, path = ''): Promise<Setup> {
  const server = new OtlpServer();
  const url = await server.listen();
  const config: OtlpExporterConfig = { ...createDefaultConfig(), endpoint: url + path, headers: { Authorization: SECRET, 'X-Scope-OrgID': 'acme' }, ...overrides };
  const sender = new OtlpHttpSender(testSettings('exporter', 'otlp/acme', { tenant: 'acme' }), config, { now: () => NOW });
  await sender.start(new RecordingHost());
  t.after(async () => {
    await sender.shutdown();
    await server.close();
  });
  return { server, sender, url };
}

const events = authEvents;

function requestOf(sender: OtlpHttpSender, records: OcsfEvent[]): ExportRequest<OtlpItem> {
  const items = records.map((r) => sender.prepare(r));
  return { tenant: 'acme', items, bytes: items.reduce((sum, item) => sum + sender.sizeOf(item), 0), attempt: 1 };
}

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; retryable: boolean; fatal?: boolean; message: string; retryAfterMs?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; retryable: boolean; message: string };
  }
  assert.fail('expected a rejection');
}

/** A google.rpc.Status, encoded by hand (code: varint field 1, message: string field 2). */
function statusBytes(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from([0x08, code, 0x12, text.length]), text]);
}

const signal = new AbortController().signal;

test('proto + gzip: POST <endpoint>/v1/logs with the OTLP headers and the user headers; the records decode in order', async (t) => {
  const { server, sender } = await setup(t, {}, '/otlp/');
  assert.equal(await sender.send(requestOf(sender, events(3)), signal), undefined);
  const [request] = server.requests;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.path, '/otlp/v1/logs');
  assert.equal(request!.headers['content-type'], 'application/x-protobuf');
  assert.equal(request!.headers['content-encoding'], 'gzip');
  assert.equal(request!.headers['authorization'], SECRET);
  assert.equal(request!.headers['x-scope-orgid'], 'acme');
  assert.deepEqual(server.uids(), ['e0', 'e1', 'e2']);
  const resource = (request!.decoded['resourceLogs'] as { resource: unknown }[])[0]!.resource;
  assert.deepEqual(resource, { attributes: [{ key: 'service.name', value: { stringValue: 'authwire' } }, { key: 'authwire.tenant', value: { stringValue: 'acme' } }] });
  assert.equal(recordsOf(request!.decoded)[2]!['timeUnixNano'], '1714591202002000000');
});

test('gzip at compression_params.level: the body is exactly zlib\'s gzip of the request at that level, 1 unless set', async (t) => {
  const fast = await setup(t);
  await fast.sender.send(requestOf(fast.sender, events(40)), signal);
  const sent = fast.server.requests.at(-1)!;
  // The two levels give different bytes for this request, so each assertion can tell them apart.
  assert.notDeepEqual(gzipSync(sent.body, { level: 1 }), gzipSync(sent.body, { level: 9 }));
  assert.deepEqual(sent.wire, gzipSync(sent.body, { level: 1 }));
  const small = await setup(t, { compression_params: { level: 9 } });
  await small.sender.send(requestOf(small.sender, events(40)), signal);
  const smaller = small.server.requests.at(-1)!;
  assert.deepEqual(smaller.wire, gzipSync(smaller.body, { level: 9 }));
  assert.deepEqual(smaller.body, sent.body);
});

test('json, no compression, logs_endpoint used as is, service.name and extra resource attributes', async (t) => {
  const server = new OtlpServer();
  const url = await server.listen();
  const config: OtlpExporterConfig = {
    ...createDefaultConfig(), endpoint: 'http://unused.invalid:4318', logs_endpoint: `${url}/custom/logs?x=1`, encoding: 'json', compression: 'none',
    service_name: 'iam-events', resource_attributes: { 'deployment.environment.name': 'prod', 'service.name': 'ignored' },
  };
  const sender = new OtlpHttpSender(testSettings('exporter', 'otlp/json', { tenant: 'acme' }), config, { now: () => NOW });
  await sender.start(new RecordingHost());
  t.after(async () => {
    await sender.shutdown();
    await server.close();
  });
  await sender.send(requestOf(sender, events(2)), signal);
  const [request] = server.requests;
  assert.equal(request!.path, '/custom/logs?x=1');
  assert.equal(request!.headers['content-type'], 'application/json');
  assert.equal(request!.headers['content-encoding'], undefined);
  assert.deepEqual((request!.decoded['resourceLogs'] as { resource: unknown }[])[0]!.resource, {
    attributes: [
      { key: 'service.name', value: { stringValue: 'iam-events' } },
      { key: 'authwire.tenant', value: { stringValue: 'acme' } },
      { key: 'deployment.environment.name', value: { stringValue: 'prod' } },
    ],
  });
  assert.deepEqual(server.uids(), ['e0', 'e1']);
});

test('200 with a partial success (protobuf and JSON): droppedByPeer with the server message; empty ones are plain success', async (t) => {
  const { server, sender } = await setup(t);
  server.replies.push({ status: 200, body: encodeResponse(2, 'attribute value too long') });
  assert.deepEqual(await sender.send(requestOf(sender, events(5)), signal), { droppedByPeer: { count: 2, message: 'attribute value too long' } });
  server.replies.push({ status: 200, body: encodeResponse(0, 'consider batching more') });
  assert.equal(await sender.send(requestOf(sender, events(1)), signal), undefined);
  server.replies.push({ status: 200, body: '{"partialSuccess":{"rejectedLogRecords":"9","errorMessage":"quota"}}', headers: { 'Content-Type': 'application/json' } });
  assert.deepEqual(await sender.send(requestOf(sender, events(4)), signal), { droppedByPeer: { count: 4, message: 'quota' } }, 'never more than the request held');
  server.replies.push({ status: 200, body: 'not a protobuf \u0000\u00ff' });
  assert.equal(await sender.send(requestOf(sender, events(1)), signal), undefined, 'a 200 is a success whatever its body');
});

test('429, 502, 503, 504 are retryable with Retry-After in seconds or as an HTTP date', async (t) => {
  const { server, sender } = await setup(t);
  server.replies.push({ status: 503, headers: { 'Retry-After': '7' } });
  let error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.deepEqual([error.code, error.retryable, error.retryAfterMs], ['http_503', true, 7000]);
  server.replies.push({ status: 429, headers: { 'Retry-After': new Date(NOW + 12_000).toUTCString() } });
  error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.deepEqual([error.code, error.retryable, error.retryAfterMs], ['http_429', true, 12_000]);
  for (const status of [502, 504]) {
    server.replies.push({ status });
    error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
    assert.deepEqual([error.code, error.retryable, error.retryAfterMs], [`http_${status}`, true, undefined]);
  }
});

test('other statuses are permanent, with the google.rpc.Status message (protobuf or JSON) or a body excerpt', async (t) => {
  const { server, sender, url } = await setup(t);
  server.replies.push({ status: 400, body: statusBytes(3, 'log record 4 has an invalid body') });
  let error = await failureOf(sender.send(requestOf(sender, events(5)), signal));
  assert.deepEqual([error.code, error.retryable], ['http_400', false]);
  assert.equal(error.message, `otlp/acme: POST ${url}/v1/logs: HTTP 400, status 3: log record 4 has an invalid body`);
  server.replies.push({ status: 413, body: '{"code":8,"message":"request too large"}', headers: { 'Content-Type': 'application/json' } });
  error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.equal(error.message, `otlp/acme: POST ${url}/v1/logs: HTTP 413, status 8: request too large`);
  server.replies.push({ status: 404, body: '<html>\n<h1>Not Found</h1></html>', headers: { 'Content-Type': 'text/html' } });
  error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.deepEqual([error.code, error.retryable, error.message], ['http_404', false, `otlp/acme: POST ${url}/v1/logs: HTTP 404: <html> <h1>Not Found</h1></html>`]);
  server.replies.push({ status: 500 });
  error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.deepEqual([error.code, error.retryable, error.message], ['http_500', false, `otlp/acme: POST ${url}/v1/logs: HTTP 500`]);
});

test('401 and 403 are fatal; no header value appears in the error', async (t) => {
  const { server, sender } = await setup(t);
  for (const status of [401, 403]) {
    server.replies.push({ status, body: statusBytes(16, 'invalid API key') });
    const error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
    assert.deepEqual([error.code, error.retryable, error.fatal], [`http_${status}`, false, true]);
    assert.ok(error.message.includes('invalid API key'));
    assert.ok(!error.message.includes('s3cr3t'));
  }
});

test('network errors are retryable (unreachable); an aborted attempt is a timeout; userinfo and query never shown', async (t) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  probe.close();
  await once(probe, 'close');
  const config: OtlpExporterConfig = { ...createDefaultConfig(), endpoint: `http://user:pw@127.0.0.1:${port}/base?key=k1` };
  const sender = new OtlpHttpSender(testSettings('exporter', 'otlp/down', { tenant: 'acme' }), config);
  await sender.start(new RecordingHost());
  t.after(() => sender.shutdown());
  const error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.deepEqual([error.code, error.retryable], ['unreachable', true]);
  assert.ok(error.message.startsWith(`otlp/down: POST http://127.0.0.1:${port}/base/v1/logs: connect ECONNREFUSED`), error.message);
  const aborted = new AbortController();
  aborted.abort(new Error('send attempt did not finish within 5 ms'));
  const timeout = await failureOf(sender.send(requestOf(sender, events(1)), aborted.signal));
  assert.deepEqual([timeout.code, timeout.retryable], ['timeout', true]);
});

test('the reply body is read up to MAX_REPLY_BYTES only', async (t) => {
  const { server, sender } = await setup(t);
  server.replies.push({ status: 400, body: 'x'.repeat(MAX_REPLY_BYTES * 8) });
  const error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.equal(error.code, 'http_400');
  assert.ok(error.message.length < 1200, `message of ${error.message.length} characters`);
});

test('prepare refuses raw records (not_ocsf); start refuses headers the exporter sets itself', async () => {
  const sender = new OtlpHttpSender(testSettings('exporter', 'otlp/x'), { ...createDefaultConfig(), endpoint: 'http://127.0.0.1:1', headers: { 'Content-Type': 'text/plain', 'content-encoding': 'br' } });
  assert.throws(() => sender.prepare(oktaRaw), { code: 'not_ocsf' });
  await assert.rejects(sender.start(new RecordingHost()), { code: 'invalid_config', message: 'otlp/x: headers: Content-Type, content-encoding are set by the exporter itself' });
  const none = new OtlpHttpSender(testSettings('exporter', 'otlp/y'), createDefaultConfig());
  await assert.rejects(none.start(new RecordingHost()), { code: 'invalid_config' });
});
