/**
 * The OTLP/HTTP receiver: replies, partial success, dead letters, limits, auth, back-pressure.
 * Requests are encoded with the OpenTelemetry JS project's generated code, not our descriptor.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { validateAgainst } from '../../../../core/config/schema.js';
import { PermanentError, RetryableError } from '../../../../core/errors.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { configSchema, createDefaultConfig } from '../../../../plugins/receivers/otlp/config.js';
import { otlpReceiverFactory } from '../../../../plugins/receivers/otlp/index.js';
import { waitFor } from '../../../helpers.js';
import { JSON_TYPE, PROTO, decodeOfficialResponse, encodeOfficial, post, requestOf, startReceiver } from './helpers.js';

const OKTA = '{"uuid":"u1","eventType":"user.session.start"}';

/** Seven records: three usable bodies (string, kvlist, bytes) and four that are not. */
const MIXED = [
  { body: { stringValue: OKTA }, attributes: [{ key: 'n', value: { intValue: 1 } }] },
  { attributes: [{ key: 'n', value: { intValue: 2 } }] },
  { body: { stringValue: '' }, attributes: [{ key: 'n', value: { intValue: 3 } }] },
  { body: { intValue: 42 }, attributes: [{ key: 'n', value: { intValue: 4 } }] },
  { body: { kvlistValue: { values: [{ key: 'eventType', value: { stringValue: 'user.mfa.factor.deny' } }, { key: 'count', value: { intValue: 2 } }] } }, attributes: [{ key: 'n', value: { intValue: 5 } }] },
  { body: { arrayValue: { values: [{ stringValue: 'a' }] } }, attributes: [{ key: 'n', value: { intValue: 6 } }] },
  { body: { bytesValue: Buffer.from(OKTA).toString('base64') }, attributes: [{ key: 'n', value: { intValue: 7 } }] },
];

const MIXED_MESSAGE = '4 of 7 log records rejected (2 empty_body, 2 unsupported_body); first: resourceLogs[0].scopeLogs[0].logRecords[1]: the log record has no body';

const MIXED_LETTERS = [
  { reason: 'empty_body', detail: 'resourceLogs[0].scopeLogs[0].logRecords[1]: the log record has no body', original: { body: null, attributes: { n: 2 } } },
  { reason: 'empty_body', detail: 'resourceLogs[0].scopeLogs[0].logRecords[2]: the body is an empty string', original: { body: '', attributes: { n: 3 } } },
  { reason: 'unsupported_body', detail: 'resourceLogs[0].scopeLogs[0].logRecords[3]: the body is a intValue; a vendor event is a string, kvlist or bytes body', original: { body: 42, attributes: { n: 4 } } },
  { reason: 'unsupported_body', detail: 'resourceLogs[0].scopeLogs[0].logRecords[5]: the body is a arrayValue; a vendor event is a string, kvlist or bytes body', original: { body: ['a'], attributes: { n: 6 } } },
];

function mixedPayloads(records: { payload: unknown }[]): unknown[] {
  return records.map((r) => (Buffer.isBuffer(r.payload) ? `bytes:${r.payload.toString('utf8')}` : r.payload));
}

test('protobuf: usable records go to the pipeline as one batch, the others are dead-lettered and reported as a partial success', async () => {
  const { receiver, host, consumer, url } = await startReceiver({ format: 'okta' });
  try {
    const reply = await post(url, encodeOfficial(requestOf(MIXED, [{ key: 'service.name', value: { stringValue: 'fwd' } }])), PROTO);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/x-protobuf');
    assert.deepEqual(decodeOfficialResponse(reply.body), { partialSuccess: { rejectedLogRecords: '4', errorMessage: MIXED_MESSAGE } });
    assert.equal(consumer.batches.length, 1);
    assert.equal(consumer.batches[0]!.tenant, 'test');
    assert.deepEqual(mixedPayloads(consumer.records), [OKTA, { eventType: 'user.mfa.factor.deny', count: 2 }, `bytes:${OKTA}`]);
    assert.deepEqual(consumer.records.map((r) => r.attributes), [1, 5, 7].map((n) => ({ 'service.name': 'fwd', 'otel.scope.name': 'test-scope', n })));
    assert.deepEqual(consumer.records.map((r) => [r.format, r.source]), [['okta', 'otlp/test'], ['okta', 'otlp/test'], ['okta', 'otlp/test']]);
    assert.deepEqual(host.deadLetters.map(({ reason, detail, original, format, tenant }) => ({ reason, detail, original, format, tenant })), MIXED_LETTERS.map((l) => ({ ...l, format: undefined, tenant: 'test' })));
    assert.equal(host.deadLetters[0]!.observedTime, consumer.records[0]!.observedTime);
    assert.deepEqual(receiver.metrics(), {
      requests: 1, records_accepted: 3, records_rejected: 4, requests_malformed: 0, requests_too_large: 0, requests_unsupported: 0, requests_unauthorized: 0, requests_refused_retryable: 0,
    });
  } finally {
    await receiver.shutdown();
  }
});

test('OTLP/JSON: the same request, the reply in JSON', async () => {
  const { receiver, host, consumer, url } = await startReceiver({ format: 'okta' });
  try {
    const reply = await post(url, JSON.stringify(requestOf(MIXED)), { 'Content-Type': 'application/json; charset=utf-8' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(reply.body.toString()), { partialSuccess: { rejectedLogRecords: '4', errorMessage: MIXED_MESSAGE } });
    assert.deepEqual(mixedPayloads(consumer.records), [OKTA, { eventType: 'user.mfa.factor.deny', count: 2 }, `bytes:${OKTA}`]);
    assert.deepEqual(host.deadLetters.map((l) => l.reason), ['empty_body', 'empty_body', 'unsupported_body', 'unsupported_body']);
  } finally {
    await receiver.shutdown();
  }
});

test('a fully accepted request: 200 with an empty response (protobuf) or {} (JSON); gzip and deflate bodies', async () => {
  const { receiver, consumer, url } = await startReceiver({ format: 'okta' });
  try {
    const body = encodeOfficial(requestOf([{ body: { stringValue: OKTA } }]));
    const plain = await post(url, body, PROTO);
    assert.deepEqual([plain.status, plain.body.length], [200, 0]);
    const gz = await post(url, gzipSync(body), { ...PROTO, 'Content-Encoding': 'gzip' });
    assert.deepEqual([gz.status, gz.body.length], [200, 0]);
    const { deflateSync } = await import('node:zlib');
    const deflated = await post(url, deflateSync(JSON.stringify(requestOf([{ body: { stringValue: OKTA } }]))), { ...JSON_TYPE, 'Content-Encoding': 'deflate' });
    assert.deepEqual([deflated.status, deflated.body.toString()], [200, '{}']);
    const empty = await post(url, '{}', JSON_TYPE);
    assert.deepEqual([empty.status, empty.body.toString()], [200, '{}']);
    assert.deepEqual(consumer.records.map((r) => r.payload), [OKTA, OKTA, OKTA]);
    assert.equal(consumer.batches.length, 3); // an empty request does not reach the pipeline
  } finally {
    await receiver.shutdown();
  }
});

test('the format: the record attribute, else the scope or resource attribute, else the config; invalid and missing ones are rejected', async () => {
  const fmt = (value: unknown) => [{ key: 'authwire.format', value }];
  const request = {
    resourceLogs: [
      {
        resource: { attributes: fmt({ stringValue: 'entra.signin' }) },
        scopeLogs: [
          { scope: { name: 's1' }, logRecords: [{ body: { stringValue: '{}' }, attributes: fmt({ stringValue: 'okta' }) }, { body: { stringValue: '{}' } }] },
          { scope: { name: 's2', version: '2', attributes: fmt({ stringValue: 'auth0' }) }, logRecords: [{ body: { stringValue: '{}' } }] },
        ],
      },
      { scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }, { body: { stringValue: 'y' }, attributes: fmt({ stringValue: 'Not A Format' }) }, { body: { stringValue: 'z' }, attributes: fmt({ intValue: 5 }) }] }] },
    ],
  };
  const configured = await startReceiver({ format: 'linux.auth' });
  try {
    const reply = await post(configured.url, encodeOfficial(request), PROTO);
    assert.equal(reply.status, 200);
    assert.deepEqual(configured.consumer.records.map((r) => [r.format, r.payload]), [['okta', '{}'], ['entra.signin', '{}'], ['auth0', '{}'], ['linux.auth', 'x']]);
    assert.deepEqual(configured.consumer.records.map((r) => r.attributes), [
      { 'authwire.format': 'okta', 'otel.scope.name': 's1' },
      { 'authwire.format': 'entra.signin', 'otel.scope.name': 's1' },
      { 'authwire.format': 'auth0', 'otel.scope.name': 's2', 'otel.scope.version': '2' },
      {},
    ]);
    assert.deepEqual(configured.host.deadLetters.map((l) => [l.reason, l.detail]), [
      ['invalid_format', 'resourceLogs[1].scopeLogs[0].logRecords[1]: attribute authwire.format is "Not A Format", not a format name (okta, keycloak.event, mapping.<name>)'],
      ['invalid_format', 'resourceLogs[1].scopeLogs[0].logRecords[2]: attribute authwire.format is 5, not a format name (okta, keycloak.event, mapping.<name>)'],
    ]);
  } finally {
    await configured.receiver.shutdown();
  }
  const unconfigured = await startReceiver({ format_attribute: '' });
  try {
    const reply = await post(unconfigured.url, encodeOfficial(request), PROTO);
    assert.deepEqual(decodeOfficialResponse(reply.body), {
      partialSuccess: { rejectedLogRecords: '6', errorMessage: '6 of 6 log records rejected (6 missing_format); first: resourceLogs[0].scopeLogs[0].logRecords[0]: no attribute (format_attribute is off) names the format, and the receiver has no format configured' },
    });
    assert.equal(unconfigured.consumer.batches.length, 0);
  } finally {
    await unconfigured.receiver.shutdown();
  }
});

test('415 for other content types and encodings, 404 other paths, 405 other methods; nothing reaches the pipeline', async () => {
  const { receiver, consumer, url } = await startReceiver({ format: 'okta' });
  try {
    const text = await post(url, 'hello', { 'Content-Type': 'text/plain' });
    assert.deepEqual([text.status, text.headers['content-type'], JSON.parse(text.body.toString())], [415, 'application/json', { code: 3, message: 'Content-Type "text/plain" is not supported; send application/x-protobuf or application/json' }]);
    const brotli = await post(url, 'x', { ...PROTO, 'Content-Encoding': 'br' });
    assert.equal(brotli.status, 415);
    const other = await post(url, '{}', JSON_TYPE, '/v1/traces');
    assert.deepEqual([other.status, JSON.parse(other.body.toString())], [404, { code: 5, message: '/v1/traces is not served; OTLP logs go to POST /v1/logs' }]);
    const get = await post(url, '', JSON_TYPE, '/v1/logs', 'GET');
    assert.deepEqual([get.status, get.headers['allow']], [405, 'POST']);
    assert.equal(consumer.batches.length, 0);
    assert.equal(receiver.metrics()['requests_unsupported'], 2);
  } finally {
    await receiver.shutdown();
  }
});

test('413 for a body over max_request_bytes, declared or after gunzip (a gzip bomb); 400 for undecodable bodies, dead-lettered', async () => {
  const { receiver, host, consumer, url } = await startReceiver({ format: 'okta', max_request_bytes: 4096 });
  try {
    const big = await post(url, Buffer.alloc(5000), PROTO);
    assert.deepEqual([big.status, big.headers['connection']], [413, 'close']);
    const bomb = gzipSync(Buffer.alloc(1_000_000));
    assert.ok(bomb.length < 4096);
    const bombed = await post(url, bomb, { ...PROTO, 'Content-Encoding': 'gzip' });
    assert.equal(bombed.status, 413);
    assert.deepEqual(StatusOf(bombed.body), { code: 8, message: 'the decompressed body is over max_request_bytes (4096)' });
    const garbage = await post(url, Buffer.from([0x0a, 0xff, 0xff]), PROTO);
    assert.equal(garbage.status, 400);
    const notJson = await post(url, '[1]', JSON_TYPE);
    assert.deepEqual([notJson.status, JSON.parse(notJson.body.toString())], [400, { code: 3, message: 'an OTLP/JSON request is a JSON object' }]);
    const badShape = await post(url, '{"resourceLogs":[{"scopeLogs":{"logRecords":[]}}]}', JSON_TYPE);
    assert.deepEqual([badShape.status, JSON.parse(badShape.body.toString()).message], [400, 'resourceLogs[0].scopeLogs is not an array']);
    const badGzip = await post(url, 'not gzip', { ...JSON_TYPE, 'Content-Encoding': 'gzip' });
    assert.equal(badGzip.status, 400);
    assert.deepEqual(host.deadLetters.map((l) => [l.reason, Buffer.isBuffer(l.original) ? (l.original as Buffer).toString('hex') : l.original]), [
      ['malformed_request', '0affff'],
      ['malformed_request', Buffer.from('[1]').toString('hex')],
      ['malformed_request', Buffer.from('{"resourceLogs":[{"scopeLogs":{"logRecords":[]}}]}').toString('hex')],
      ['malformed_request', Buffer.from('not gzip').toString('hex')],
    ]);
    assert.equal(consumer.batches.length, 0);
    assert.deepEqual([receiver.metrics()['requests_too_large'], receiver.metrics()['requests_malformed']], [2, 4]);
  } finally {
    await receiver.shutdown();
  }
});

function StatusOf(body: Buffer): unknown {
  // google.rpc.Status: field 1 varint code, field 2 string message (decoded by hand: two fields).
  let offset = 0;
  const out: { code?: number; message?: string } = {};
  while (offset < body.length) {
    const tag = body[offset++]!;
    if (tag === 0x08) out.code = body[offset++]!;
    else if (tag === 0x12) {
      const length = body[offset++]!;
      out.message = body.subarray(offset, offset + length).toString('utf8');
      offset += length;
    } else throw new Error(`unexpected tag ${tag}`);
  }
  return out;
}

test('bearer tokens: 401 without one or with an unknown one, 200 with any configured one', async () => {
  const { receiver, consumer, url } = await startReceiver({ format: 'okta', tokens: ['first-token-0123456789', 'second-token-0123456789'] });
  try {
    const body = encodeOfficial(requestOf([{ body: { stringValue: OKTA } }]));
    const none = await post(url, body, PROTO);
    assert.deepEqual([none.status, none.headers['www-authenticate']], [401, 'Bearer']);
    assert.equal((await post(url, body, { ...PROTO, Authorization: 'Bearer first-token-012345678' })).status, 401);
    assert.equal((await post(url, body, { ...PROTO, Authorization: 'Basic Zmlyc3QtdG9rZW4tMDEyMzQ1Njc4OQ==' })).status, 401);
    assert.equal((await post(url, body, { ...PROTO, Authorization: 'Bearer second-token-0123456789' })).status, 200);
    assert.equal((await post(url, body, { ...PROTO, Authorization: 'bearer first-token-0123456789' })).status, 200);
    assert.equal(consumer.records.length, 2);
    assert.equal(receiver.metrics()['requests_unauthorized'], 3);
  } finally {
    await receiver.shutdown();
  }
});

test('a retryable refusal is 429 (queue full) or 503, with Retry-After; a permanent one dead-letters the batch and is a partial success', async () => {
  const { receiver, host, consumer, url } = await startReceiver({ format: 'okta' });
  try {
    const body = encodeOfficial(requestOf([{ body: { stringValue: OKTA } }, { body: { stringValue: '{"b":1}' } }]));
    consumer.fail = new RetryableError('queue_full', 'the sending queue is full');
    const full = await post(url, body, PROTO);
    assert.deepEqual([full.status, full.headers['retry-after'], StatusOf(full.body)], [429, '1', { code: 8, message: 'otlp/test: the pipeline cannot take the records now: the sending queue is full' }]);
    consumer.fail = new RetryableError('dead_letter_unavailable', 'disk', { retryAfterMs: 2500 });
    const unavailable = await post(url, JSON.stringify(requestOf([{ body: { stringValue: OKTA } }])), JSON_TYPE);
    assert.deepEqual([unavailable.status, unavailable.headers['retry-after'], JSON.parse(unavailable.body.toString()).code], [503, '3', 14]);
    consumer.fail = new PermanentError('tenant_mismatch', 'batch of tenant test refused');
    const refused = await post(url, body, PROTO);
    assert.equal(refused.status, 200);
    assert.deepEqual(decodeOfficialResponse(refused.body), { partialSuccess: { rejectedLogRecords: '2', errorMessage: '2 of 2 log records rejected: the pipeline refused the batch: batch of tenant test refused' } });
    assert.deepEqual(host.deadLetters.map((l) => [l.reason, l.format, l.original]), [['tenant_mismatch', 'okta', OKTA], ['tenant_mismatch', 'okta', '{"b":1}']]);
    assert.equal(host.errors.length, 1);
    assert.deepEqual([receiver.metrics()['requests_refused_retryable'], receiver.metrics()['records_accepted'], receiver.metrics()['records_rejected']], [2, 0, 2]);
  } finally {
    await receiver.shutdown();
  }
});

test('a dead-letter output that cannot be written refuses the request (503), before the pipeline sees it', async () => {
  const { receiver, host, consumer, url } = await startReceiver({ format: 'okta' });
  host.deadLetter = async () => {
    throw new RetryableError('dead_letter_unavailable', 'disk full');
  };
  try {
    const reply = await post(url, encodeOfficial(requestOf([{ body: { stringValue: OKTA } }, {}])), PROTO);
    assert.deepEqual([reply.status, reply.headers['retry-after']], [503, '1']);
    assert.equal(consumer.batches.length, 0);
  } finally {
    await receiver.shutdown();
  }
});

test('the reply waits for consume; shutdown waits for the request in flight, then refuses connections', async () => {
  const { receiver, consumer, url } = await startReceiver({ format: 'okta' });
  let release!: () => void;
  consumer.gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let replied = false;
  const pending = post(url, encodeOfficial(requestOf([{ body: { stringValue: OKTA } }])), PROTO).then((reply) => {
    replied = true;
    return reply;
  });
  await waitFor(() => consumer.batches.length === 1, 5000, 'the batch');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(replied, false);
  let shutDown = false;
  const stopping = receiver.shutdown().then(() => {
    shutDown = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(shutDown, false);
  release();
  assert.equal((await pending).status, 200);
  await stopping;
  await assert.rejects(post(url, '{}', JSON_TYPE), /ECONNREFUSED/);
  await receiver.shutdown(); // idempotent
});

test('config: the default validates, keys are checked, endpoints are parsed at create', async () => {
  assert.deepEqual(validateAgainst(configSchema, createDefaultConfig()), []);
  assert.deepEqual(createDefaultConfig(), { endpoint: '127.0.0.1:4318', format_attribute: 'authwire.format', max_request_bytes: 4_194_304, tokens: [] });
  assert.equal(validateAgainst(configSchema, { ...createDefaultConfig(), format: 'Okta Logs' }).length, 1);
  assert.equal(validateAgainst(configSchema, { ...createDefaultConfig(), tokens: [''] }).length, 1);
  const settings = testSettings('receiver', 'otlp/bad');
  assert.throws(() => otlpReceiverFactory.create(settings, { ...createDefaultConfig(), endpoint: 'localhost' }, new CollectingConsumer()), /otlp\/bad: endpoint "localhost" is not host:port/);
  assert.throws(() => otlpReceiverFactory.create(settings, { ...createDefaultConfig(), grpc_endpoint: '127.0.0.1:4318' }, new CollectingConsumer()), /gRPC needs its own port/);
  assert.throws(
    () => otlpReceiverFactory.create(settings, { ...createDefaultConfig(), grpc_endpoint: '127.0.0.1:4317', tls: { cert_file: 'c', key_file: 'k', ca_file: 'a', client_auth: 'request' } }, new CollectingConsumer()),
    /client_auth request cannot be served on grpc_endpoint/,
  );
  // create starts nothing; shutdown without start is safe.
  const receiver = await otlpReceiverFactory.create(settings, createDefaultConfig(), new CollectingConsumer());
  await receiver.shutdown();
  await receiver.shutdown();
});

test('start fails (listen_failed) when the port is taken', async () => {
  const first = await startReceiver({ format: 'okta' });
  try {
    const port = first.receiver.httpAddress()!.port;
    const second = await otlpReceiverFactory.create(testSettings('receiver', 'otlp/second'), { ...createDefaultConfig(), endpoint: `127.0.0.1:${port}` }, new CollectingConsumer());
    await assert.rejects(second.start(new RecordingHost()), (error: Error & { code?: string }) => error.code === 'listen_failed' && /otlp\/second: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/.test(error.message));
    await second.shutdown();
  } finally {
    await first.receiver.shutdown();
  }
});
