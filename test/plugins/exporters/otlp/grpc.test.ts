/**
 * The OTLP/gRPC sender (`protocol: grpc`) against a grpc-js test server: the request (decoded with
 * the official OTLP code), metadata, compression, status mapping per the OTLP spec, RetryInfo,
 * partial success, abort; and through the exporter helper.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createSecureLessHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import grpc from '@grpc/grpc-js';
import type { OcsfEvent } from '../../../../core/api.js';
import type { ExportRequest } from '../../../../core/exporter/sender.js';
import type { QueuedExporter } from '../../../../core/exporter/queued-exporter.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/exporters/otlp/config.js';
import type { OtlpExporterConfig } from '../../../../plugins/exporters/otlp/config.js';
import { OtlpGrpcSender, retryDelayMs } from '../../../../plugins/exporters/otlp/grpc-sender.js';
import { otlpExporterFactory } from '../../../../plugins/exporters/otlp/index.js';
import { OtlpHttpSender } from '../../../../plugins/exporters/otlp/sender.js';
import type { OtlpItem } from '../../../../plugins/exporters/otlp/sender.js';
import { RetryInfoType, StatusType } from '../../../../plugins/shared/otlp/messages.js';
import { authEvents, oktaRaw } from '../testrecords.js';
import { GrpcOtlpServer } from './grpc-server.js';
import { encodeResponse, recordsOf } from './official.js';

const NOW = Date.UTC(2024, 4, 1, 19, 20, 0);

async function setup(t: { after(fn: () => Promise<void>): void }, overrides: Partial<OtlpExporterConfig> = {}): Promise<{ server: GrpcOtlpServer; sender: OtlpGrpcSender; url: string }> {
  const server = new GrpcOtlpServer();
  const url = await server.listen();
  const config: OtlpExporterConfig = { ...createDefaultConfig(), protocol: 'grpc', endpoint: url, headers: { Authorization: 'Bearer s3cr3t', 'X-Scope-OrgID': 'acme' }, ...overrides };
  const sender = new OtlpGrpcSender(testSettings('exporter', 'otlp/acme', { tenant: 'acme' }), config, { now: () => NOW });
  await sender.start(new RecordingHost());
  t.after(async () => {
    await sender.shutdown();
    await server.close();
  });
  return { server, sender, url };
}

const events = authEvents;

function requestOf(sender: OtlpGrpcSender, records: OcsfEvent[]): ExportRequest<Uint8Array> {
  const items = records.map((r) => sender.prepare(r));
  return { tenant: 'acme', items, bytes: items.reduce((sum, item) => sum + item.length, 0), attempt: 1 };
}

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; retryable: boolean; fatal?: boolean; message: string; retryAfterMs?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; retryable: boolean; message: string };
  }
  assert.fail('expected a rejection');
}

function retryTrailer(code: number, seconds: number, nanos: number): Uint8Array {
  const info = RetryInfoType.encode(RetryInfoType.create({ retryDelay: { seconds, nanos } })).finish();
  return StatusType.encode(StatusType.create({ code, message: 'slow down', details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: info }] })).finish();
}

const signal = new AbortController().signal;

test('gRPC Export: the same ExportLogsServiceRequest as OTLP/HTTP protobuf, headers as metadata, gzip', async (t) => {
  const { server, sender, url } = await setup(t);
  const batch = events(3);
  assert.equal(await sender.send(requestOf(sender, batch), signal), undefined);
  assert.equal(server.calls.length, 1);
  const call = server.calls[0]!;
  assert.equal(call.metadata['authorization'], 'Bearer s3cr3t');
  assert.equal(call.metadata['x-scope-orgid'], 'acme');
  assert.match(String(call.metadata['user-agent']), /^authwire grpc-node-js\//);
  const http = new OtlpHttpSender(testSettings('exporter', 'otlp/acme', { tenant: 'acme' }), { ...createDefaultConfig(), endpoint: url }, { now: () => NOW });
  const { decodeRequest } = await import('./official.js');
  assert.deepEqual(call.decoded, decodeRequest(http.frame('acme', batch.map((e) => http.prepare(e) as Uint8Array))));
  assert.deepEqual(recordsOf(call.decoded).map((r) => (r['attributes'] as { value: { stringValue: string } }[])[0]!.value.stringValue), ['e0', 'e1', 'e2']);
});

/**
 * A bare HTTP/2 server that sees the gRPC framing grpc-js's server hides: the request headers and
 * the length-prefixed message (its compressed flag), answering OK with an empty message.
 */
async function rawGrpcServer(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; seen: { headers: Record<string, unknown>; body: Buffer }[] }> {
  const seen: { headers: Record<string, unknown>; body: Buffer }[] = [];
  const server = createSecureLessHttp2Server();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      seen.push({ headers: { ...headers }, body: Buffer.concat(chunks) });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

test('on the wire: path, content-type, gzip-compressed message (flag 1) with compression gzip, plain (flag 0) with none; userinfo becomes Basic authorization', async (t) => {
  const { url, seen } = await rawGrpcServer(t);
  for (const compression of ['gzip', 'none'] as const) {
    const sender = new OtlpGrpcSender(testSettings('exporter', 'otlp/acme', { tenant: 'acme' }), { ...createDefaultConfig(), protocol: 'grpc', compression, endpoint: url.replace('http://', 'http://user:p%40ss@') }, { now: () => NOW });
    await sender.start(new RecordingHost());
    const request = requestOf(sender, events(2));
    assert.equal(await sender.send(request, signal), undefined);
    await sender.shutdown();
    const call = seen.at(-1)!;
    assert.equal(call.headers[':path'], '/opentelemetry.proto.collector.logs.v1.LogsService/Export');
    assert.equal(call.headers['content-type'], 'application/grpc');
    assert.equal(call.headers['authorization'], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    assert.equal(call.headers['grpc-encoding'], compression === 'gzip' ? 'gzip' : undefined);
    assert.equal(call.body[0], compression === 'gzip' ? 1 : 0);
    assert.equal(call.body.readUInt32BE(1), call.body.length - 5);
    const message = compression === 'gzip' ? gunzipSync(call.body.subarray(5)) : call.body.subarray(5);
    assert.deepEqual(message, sender.frame('acme', request.items));
  }
});

test('partial success: counted as dropped by the peer', async (t) => {
  const { server, sender } = await setup(t);
  server.replies.push({ ok: encodeResponse(2, 'two bad') }, { ok: encodeResponse(0, '') });
  assert.deepEqual(await sender.send(requestOf(sender, events(3)), signal), { droppedByPeer: { count: 2, message: 'two bad' } });
  assert.equal(await sender.send(requestOf(sender, events(1)), signal), undefined);
});

test('statuses: retryable, RESOURCE_EXHAUSTED only with RetryInfo, fatal for credentials, permanent otherwise', async (t) => {
  const { server, sender } = await setup(t);
  const cases: [number, Uint8Array | undefined, { code: string; retryable: boolean; fatal: boolean; retryAfterMs: number | undefined }][] = [
    [grpc.status.UNAVAILABLE, undefined, { code: 'grpc_unavailable', retryable: true, fatal: false, retryAfterMs: undefined }],
    [grpc.status.UNAVAILABLE, retryTrailer(14, 2, 500_000_000), { code: 'grpc_unavailable', retryable: true, fatal: false, retryAfterMs: 2500 }],
    [grpc.status.CANCELLED, undefined, { code: 'grpc_cancelled', retryable: true, fatal: false, retryAfterMs: undefined }],
    [grpc.status.DEADLINE_EXCEEDED, undefined, { code: 'grpc_deadline_exceeded', retryable: true, fatal: false, retryAfterMs: undefined }],
    [grpc.status.ABORTED, undefined, { code: 'grpc_aborted', retryable: true, fatal: false, retryAfterMs: undefined }],
    [grpc.status.OUT_OF_RANGE, undefined, { code: 'grpc_out_of_range', retryable: true, fatal: false, retryAfterMs: undefined }],
    [grpc.status.DATA_LOSS, undefined, { code: 'grpc_data_loss', retryable: true, fatal: false, retryAfterMs: undefined }],
    [grpc.status.RESOURCE_EXHAUSTED, retryTrailer(8, 3, 0), { code: 'grpc_resource_exhausted', retryable: true, fatal: false, retryAfterMs: 3000 }],
    [grpc.status.RESOURCE_EXHAUSTED, undefined, { code: 'grpc_resource_exhausted', retryable: false, fatal: false, retryAfterMs: undefined }],
    [grpc.status.UNAUTHENTICATED, undefined, { code: 'grpc_unauthenticated', retryable: false, fatal: true, retryAfterMs: undefined }],
    [grpc.status.PERMISSION_DENIED, undefined, { code: 'grpc_permission_denied', retryable: false, fatal: true, retryAfterMs: undefined }],
    [grpc.status.INVALID_ARGUMENT, undefined, { code: 'grpc_invalid_argument', retryable: false, fatal: false, retryAfterMs: undefined }],
    [grpc.status.UNIMPLEMENTED, undefined, { code: 'grpc_unimplemented', retryable: false, fatal: false, retryAfterMs: undefined }],
    [grpc.status.INTERNAL, undefined, { code: 'grpc_internal', retryable: false, fatal: false, retryAfterMs: undefined }],
  ];
  for (const [code, trailer, expected] of cases) {
    server.replies.push({ code, details: 'said the server', ...(trailer === undefined ? {} : { trailer }) });
    const error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
    assert.deepEqual({ code: error.code, retryable: error.retryable, fatal: error.fatal === true, retryAfterMs: error.retryAfterMs }, expected, `status ${code}`);
  }
  server.replies.push({ code: grpc.status.INVALID_ARGUMENT, details: 'bad\nrecord' });
  const error = await failureOf(sender.send(requestOf(sender, events(1)), signal));
  assert.match(error.message, /^otlp\/acme: gRPC http:\/\/127\.0\.0\.1:\d+ Export: INVALID_ARGUMENT: bad record$/);
});

test('unreachable is retryable (UNAVAILABLE); an aborted attempt is cancelled and retryable as timeout', async (t) => {
  const { server, sender } = await setup(t);
  server.replies.push({ hold: true });
  const controller = new AbortController();
  const pending = failureOf(sender.send(requestOf(sender, events(1)), controller.signal));
  while (server.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort(new Error('attempt timed out'));
  const error = await pending;
  assert.deepEqual([error.code, error.retryable], ['timeout', true]);
  assert.match(error.message, /aborted \(attempt timed out\)$/);
  const closed = new OtlpGrpcSender(testSettings('exporter', 'otlp/acme'), { ...createDefaultConfig(), protocol: 'grpc', endpoint: 'http://127.0.0.1:1' });
  await closed.start(new RecordingHost());
  const unreachable = await failureOf(closed.send(requestOf(closed, events(1)), signal));
  assert.deepEqual([unreachable.code, unreachable.retryable], ['grpc_unavailable', true]);
  await closed.shutdown();
});

test('start refuses OTLP/HTTP-only settings and reserved metadata with protocol grpc', async () => {
  const sender = new OtlpGrpcSender(testSettings('exporter', 'otlp/acme'), {
    ...createDefaultConfig(),
    protocol: 'grpc',
    endpoint: 'http://collector:4317/v1',
    logs_endpoint: 'http://collector:4318/v1/logs',
    encoding: 'json',
    headers: { 'grpc-timeout': '1S', 'x-trace-bin': 'AA==', 'User-Agent': 'me' },
  });
  await assert.rejects(sender.start(new RecordingHost()), {
    code: 'invalid_config',
    message:
      'otlp/acme: logs_endpoint is for OTLP/HTTP; with protocol grpc the endpoint is http(s)://host:port; encoding json is OTLP/HTTP only; gRPC is protobuf; endpoint http://collector:4317/v1: a gRPC endpoint has no path; headers: grpc-timeout, x-trace-bin, User-Agent cannot be sent as gRPC metadata (set by gRPC, or binary)',
  });
  assert.equal(retryDelayMs(undefined), undefined);
});

test('through the exporter helper: protocol grpc from the factory, UNAVAILABLE retried, not_ocsf dead-lettered', async (t) => {
  const server = new GrpcOtlpServer();
  const url = await server.listen();
  const defaults = otlpExporterFactory.createDefaultConfig();
  const exporter = (await otlpExporterFactory.create(testSettings('exporter', 'otlp/acme', { tenant: 'acme' }), {
    ...defaults,
    protocol: 'grpc',
    endpoint: url,
    batch: { ...defaults.batch, timeout: '1ms' },
    retry_on_failure: { ...defaults.retry_on_failure, initial_interval: '10ms', randomization_factor: 0, max_interval: '20ms' },
  })) as QueuedExporter<OtlpItem>;
  const host = new RecordingHost();
  t.after(async () => {
    await exporter.shutdown();
    await server.close();
  });
  await exporter.start(host);
  server.replies.push({ code: grpc.status.UNAVAILABLE, details: 'restarting' });
  await exporter.consume({ tenant: 'acme', records: [...events(2), oktaRaw] });
  await exporter.flush();
  assert.equal(server.calls.length, 2);
  assert.deepEqual(recordsOf(server.calls[1]!.decoded).length, 2);
  assert.deepEqual(host.deadLetters.map((l) => l.reason), ['not_ocsf']);
});
