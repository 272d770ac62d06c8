/**
 * The receiver's OTLP/gRPC listener (grpc_endpoint): against a plain grpc-js client sending
 * requests encoded by the official OTLP code, and against authwire's otlp exporter (protocol grpc),
 * in plain text and over TLS (with HTTPS on the HTTP listener).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { RetryableError } from '../../../../core/errors.js';
import { retryDelayMs } from '../../../../plugins/exporters/otlp/grpc-sender.js';
import { authEvent } from '../../exporters/testrecords.js';
import { decodeOfficialResponse, encodeOfficial, requestOf, startReceiver } from './helpers.js';
import { opensslSkip } from '../../../helpers.js';
import { EVENTS, assertBodyMode, exportEvents } from './exporting.js';

const METHOD = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const identity = (bytes: Buffer): Buffer => bytes;
const OKTA = '{"uuid":"u1"}';

interface CallResult {
  error: ServiceError | null;
  response: Buffer | undefined;
}

async function call(target: string, body: Buffer, metadata: Record<string, string> = {}, options: Record<string, unknown> = {}): Promise<CallResult> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), options);
  const meta = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) meta.set(key, value);
  try {
    return await new Promise<CallResult>((resolve) => {
      client.makeUnaryRequest<Buffer, Buffer>(METHOD, identity, identity, body, meta, {}, (error, response) => resolve({ error: error ?? null, response }));
    });
  } finally {
    client.close();
  }
}

test('gRPC Export: records to the pipeline, partial success in the response, refused records dead-lettered', async () => {
  const { receiver, host, consumer, grpcTarget } = await startReceiver({ format: 'okta', grpc_endpoint: '127.0.0.1:0' });
  try {
    const body = encodeOfficial(requestOf([{ body: { stringValue: OKTA }, attributes: [{ key: 'k', value: { stringValue: 'v' } }] }, { body: { boolValue: true } }], [{ key: 'service.name', value: { stringValue: 'fwd' } }]));
    const result = await call(grpcTarget!, body, {}, { 'grpc.default_compression_algorithm': 2 });
    assert.equal(result.error, null);
    assert.deepEqual(decodeOfficialResponse(result.response!), {
      partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 of 2 log records rejected (1 unsupported_body); first: resourceLogs[0].scopeLogs[0].logRecords[1]: the body is a boolValue; a vendor event is a string, kvlist or bytes body' },
    });
    assert.deepEqual(consumer.records.map((r) => [r.format, r.payload, r.attributes]), [['okta', OKTA, { 'service.name': 'fwd', 'otel.scope.name': 'test-scope', k: 'v' }]]);
    assert.deepEqual(host.deadLetters.map((l) => l.reason), ['unsupported_body']);
    const accepted = await call(grpcTarget!, encodeOfficial(requestOf([{ body: { stringValue: OKTA } }])));
    assert.deepEqual([accepted.error, accepted.response?.length], [null, 0]);
  } finally {
    await receiver.shutdown();
  }
});

test('gRPC statuses: UNAUTHENTICATED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED (size; queue full with RetryInfo), UNAVAILABLE with RetryInfo, UNIMPLEMENTED', async () => {
  const { receiver, host, consumer, grpcTarget } = await startReceiver({ format: 'okta', grpc_endpoint: '127.0.0.1:0', tokens: ['grpc-token-0123456789'], max_request_bytes: 4096 });
  const auth = { authorization: 'Bearer grpc-token-0123456789' };
  try {
    const body = encodeOfficial(requestOf([{ body: { stringValue: OKTA } }]));
    const anonymous = await call(grpcTarget!, body);
    assert.deepEqual([anonymous.error?.code, anonymous.error?.details], [grpc.status.UNAUTHENTICATED, 'missing or unknown bearer token']);
    const garbage = await call(grpcTarget!, Buffer.from([0x0a, 0xff, 0xff]), auth);
    assert.equal(garbage.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(garbage.error!.details, /^not a protobuf ExportLogsServiceRequest: /);
    const big = await call(grpcTarget!, encodeOfficial(requestOf([{ body: { stringValue: 'x'.repeat(5000) } }])), auth);
    assert.equal(big.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    const bomb = await call(grpcTarget!, encodeOfficial(requestOf([{ body: { stringValue: ' '.repeat(100_000) } }])), auth, { 'grpc.default_compression_algorithm': 2 });
    assert.equal(bomb.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(retryDelayMs(bomb.error?.metadata), undefined); // not retried by OTLP clients
    consumer.fail = new RetryableError('queue_full', 'the sending queue is full');
    const full = await call(grpcTarget!, body, auth);
    assert.deepEqual([full.error?.code, full.error?.details, retryDelayMs(full.error?.metadata)], [grpc.status.RESOURCE_EXHAUSTED, 'otlp/test: the pipeline cannot take the records now: the sending queue is full', 1000]);
    consumer.fail = new RetryableError('unreachable', 'down', { retryAfterMs: 2500 });
    const down = await call(grpcTarget!, body, auth);
    assert.deepEqual([down.error?.code, retryDelayMs(down.error?.metadata)], [grpc.status.UNAVAILABLE, 2500]);
    const client = new grpc.Client(grpcTarget!, grpc.credentials.createInsecure());
    const traces = await new Promise<ServiceError | null>((resolve) => {
      client.makeUnaryRequest<Buffer, Buffer>('/opentelemetry.proto.collector.trace.v1.TraceService/Export', identity, identity, Buffer.alloc(0), new grpc.Metadata(), {}, (error) => resolve(error ?? null));
    });
    client.close();
    assert.equal(traces?.code, grpc.status.UNIMPLEMENTED);
    assert.equal(consumer.batches.length, 2); // the two refused by the consumer; nothing else reached it
    assert.deepEqual(host.deadLetters.map((l) => l.reason), ['malformed_request']);
    assert.deepEqual([receiver.metrics()['requests_unauthorized'], receiver.metrics()['requests_malformed'], receiver.metrics()['requests_refused_retryable']], [1, 1, 2]);
  } finally {
    await receiver.shutdown();
  }
});

test('otlp exporter (protocol grpc, gzip) → otlp receiver (grpc_endpoint): each event arrives as the payload', async () => {
  const started = await startReceiver({ format: 'ocsf', grpc_endpoint: '127.0.0.1:0' }, 'otlp/in');
  try {
    const exporterHost = await exportEvents({ protocol: 'grpc', endpoint: `http://${started.grpcTarget!}`, ocsf_as: 'body' });
    assertBodyMode(started, exporterHost);
  } finally {
    await started.receiver.shutdown();
  }
});

test('otlp exporter (protocol grpc) → receiver: queue_full is retried after the RetryInfo delay, then delivered', async () => {
  const started = await startReceiver({ format: 'ocsf', grpc_endpoint: '127.0.0.1:0' }, 'otlp/in');
  try {
    started.consumer.fail = new RetryableError('queue_full', 'full', { retryAfterMs: 10 });
    const exporterHost = await exportEvents({ protocol: 'grpc', endpoint: `http://${started.grpcTarget!}`, ocsf_as: 'body' }, [authEvent]);
    assert.deepEqual(exporterHost.deadLetters, []);
    assert.deepEqual(started.consumer.batches.map((b) => b.records.length), [1, 1]);
    assert.deepEqual(started.consumer.records[1]!.payload, authEvent);
  } finally {
    await started.receiver.shutdown();
  }
});

test('TLS: HTTPS and gRPC over TLS with the same certificate; the exporter verifies it with ca_file', { skip: opensslSkip('the otlp TLS test') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'authwire-otlp-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const started = await startReceiver({ format: 'ocsf', grpc_endpoint: '127.0.0.1:0', tls: { cert_file: cert, key_file: key, client_auth: 'none' } }, 'otlp/in');
  try {
    const grpcHost = await exportEvents({ protocol: 'grpc', endpoint: `https://localhost:${started.grpcTarget!.split(':')[1]}`, tls: { ca_file: cert, insecure_skip_verify: false }, ocsf_as: 'body' }, [EVENTS[0]!]);
    assert.deepEqual(grpcHost.deadLetters, []);
    const httpHost = await exportEvents({ endpoint: started.url.replace('http:', 'https:'), tls: { ca_file: cert, insecure_skip_verify: false }, ocsf_as: 'body' }, [EVENTS[1]!]);
    assert.deepEqual(httpHost.deadLetters, []);
    assert.deepEqual(started.consumer.records.map((r) => r.payload), EVENTS);
    // Any HTTPS client trusting the certificate is served.
    const { readFileSync } = await import('node:fs');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: started.url.split(':')[2], path: '/v1/logs', method: 'POST', ca: readFileSync(cert), headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    assert.equal(status, 200);
  } finally {
    await started.receiver.shutdown();
  }
});
