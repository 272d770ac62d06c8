import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Consumer, OcsfEvent, RawRecord } from '../../../../core/api.js';
import { validateAgainst } from '../../../../core/config/schema.js';
import { PermanentError, RetryableError } from '../../../../core/errors.js';
import { openListenerCount } from '../../../../core/listener/shared-http.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { normalizeFactory } from '../../../../plugins/processors/normalize/index.js';
import type { HttpReceiverConfig } from '../../../../plugins/receivers/http/config.js';
import { HttpReceiver } from '../../../../plugins/receivers/http/http.js';
import { httpReceiverFactory } from '../../../../plugins/receivers/http/index.js';
import { waitFor } from '../../../helpers.js';
import { ScriptedConsumer, selfSignedCert, send } from './helpers.js';
import { auth0StreamEntry, oktaEventHook, oktaLogEvent } from './payloads.js';

const ACME_TOKEN = 'acme-7d1e0c2b-token-9f4a';
const GLOBEX_TOKEN = 'globex-51b2a8e0-token-c3d7';

interface Started {
  receiver: HttpReceiver;
  host: RecordingHost;
  port: number;
}

/** Starts an http receiver of `tenant` on 127.0.0.1:0 (shared with the others of this test), stopped after the test. */
async function start(t: TestContext, id: string, tenant: string, config: Partial<HttpReceiverConfig>, next: Consumer = new CollectingConsumer()): Promise<Started> {
  const receiver = new HttpReceiver(testSettings('receiver', id, { tenant }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', ...config }, next);
  const host = new RecordingHost();
  t.after(() => receiver.shutdown());
  await receiver.start(host);
  return { receiver, host, port: receiver.address!.port };
}

const json = (value: unknown): string => JSON.stringify(value);
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

test('config: defaults are valid apart from format; tokens are a list of {token, tenant}; unknown keys are errors', () => {
  const defaults = httpReceiverFactory.createDefaultConfig();
  assert.deepEqual(validateAgainst(httpReceiverFactory.configSchema, structuredClone(defaults)).map((p) => `${p.path.join('::')}: ${p.message}`), ['format: is required']);
  const good = { ...defaults, format: 'auth0', tokens: [{ token: 't', tenant: 'acme' }], hmac: [{ tenant: 'acme', secret: 'a-secret-of-16-chars' }] };
  assert.deepEqual(validateAgainst(httpReceiverFactory.configSchema, good), []);
  const bad = validateAgainst(httpReceiverFactory.configSchema, { ...defaults, format: 'okta', path: 'v1', tokens: { t: 'acme' }, extra: 1 }).map((p) => p.path.join('::'));
  assert.deepEqual(bad.sort(), ['extra', 'path', 'tokens']);
});

test('okta event hook: the one-time verification, then each event of data.events is an okta record of the token\'s tenant, mapped by normalize', async (t) => {
  const normalized = new CollectingConsumer();
  const normalize = await normalizeFactory.create(testSettings('processor', 'normalize', { tenant: 'acme' }), normalizeFactory.createDefaultConfig(), normalized);
  await normalize.start(new RecordingHost());
  const { receiver, port } = await start(t, 'http/acme_okta', 'acme', { path: '/okta', tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, normalize);

  // Okta sends the configured secret verbatim in the Authorization header (no "Bearer").
  const verify = await send(port, '/okta', { method: 'GET', headers: { authorization: ACME_TOKEN, 'x-okta-verification-challenge': 'JYA1c8IIf1G9ZhcPKXWhfCvGhLrtqUyIfnHbm1Ic' } });
  assert.equal(verify.status, 200);
  assert.deepEqual(verify.json, { verification: 'JYA1c8IIf1G9ZhcPKXWhfCvGhLrtqUyIfnHbm1Ic' });

  const events = [oktaLogEvent(1, 'user.session.start', 'FAILURE', 'INVALID_CREDENTIALS'), oktaLogEvent(2, 'user.authentication.auth_via_mfa', 'FAILURE', 'INVALID_CREDENTIALS')];
  const reply = await send(port, '/okta', { headers: { authorization: ACME_TOKEN, 'content-type': 'application/json' }, body: json(oktaEventHook(events)) });
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.json, { accepted: 2 });
  const out = normalized.records as OcsfEvent[];
  assert.deepEqual(out.map((e) => [e.class_uid, e.metadata.uid, e.metadata.event_code, e.metadata.tenant_uid, e.status_id]), [
    [3002, events[0]!.uuid, 'user.session.start', 'acme', 2],
    [3002, events[1]!.uuid, 'user.authentication.auth_via_mfa', 'acme', 2],
  ]);
  assert.equal(receiver.metrics().okta_verifications, 1);
  assert.equal(receiver.metrics().records, 2);
  await normalize.shutdown();
});

test('auth0 log stream: a JSON array and JSON Lines (sent as application/json) of {log_id, data}; each element an auth0 record, mapped by normalize', async (t) => {
  const normalized = new CollectingConsumer();
  const normalize = await normalizeFactory.create(testSettings('processor', 'normalize', { tenant: 'acme' }), normalizeFactory.createDefaultConfig(), normalized);
  await normalize.start(new RecordingHost());
  const { port } = await start(t, 'http/acme_auth0', 'acme', { path: '/auth0', format: 'auth0', tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, normalize);

  const array = [auth0StreamEntry(1, 'fp', 'Wrong email or password.'), auth0StreamEntry(2, 's', 'Successful login')];
  // Auth0 sends its "Authorization Token" setting as the header's value.
  const first = await send(port, '/auth0', { headers: bearer(ACME_TOKEN), body: json(array) });
  assert.equal(first.status, 200);
  assert.deepEqual(first.json, { accepted: 2 });

  const lines = [auth0StreamEntry(3, 'fp', 'Wrong email or password.'), auth0StreamEntry(4, 'f', 'Callback URL mismatch.')].map(json).join('\n') + '\n';
  const second = await send(port, '/auth0', { headers: bearer(ACME_TOKEN), body: lines });
  assert.equal(second.status, 200);
  assert.deepEqual(second.json, { accepted: 2 });

  const out = normalized.records as OcsfEvent[];
  assert.deepEqual(out.map((e) => [e.class_uid, e.metadata.event_code, e.metadata.tenant_uid, e.status_id]), [
    [3002, 'fp', 'acme', 2],
    [3002, 's', 'acme', 1],
    [3002, 'fp', 'acme', 2],
    [3002, 'f', 'acme', 2],
  ]);
  await normalize.shutdown();
});

test('wrong or missing token: 401 and nothing ingested; counted on the listener', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, port } = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, next);
  const body = json(oktaEventHook([oktaLogEvent(1, 'user.session.start', 'FAILURE')]));
  const wrong = await send(port, '/v1/events', { headers: bearer('not-the-token'), body });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.json, { error: 'unauthorized', message: 'invalid credentials' });
  assert.equal(wrong.headers['www-authenticate'], 'Bearer');
  const missing = await send(port, '/v1/events', { headers: { 'content-type': 'application/json' }, body });
  assert.equal(missing.status, 401);
  assert.deepEqual(missing.json, { error: 'unauthorized', message: 'a bearer token or a signature is required' });
  assert.equal(next.batches.length, 0);
  const metrics = receiver.metrics();
  assert.equal(metrics.listener_unauthorized, 2);
  assert.equal(metrics.requests, 0);
  const unknownPath = await send(port, '/v2/events', { headers: bearer(ACME_TOKEN), body });
  assert.equal(unknownPath.status, 404);
  assert.equal(receiver.metrics().listener_not_found, 1);
});

test('two tenants on one port: the token picks the tenant, each receives only its own records; a token of a tenant not on this path is 401', async (t) => {
  const acmeNext = new CollectingConsumer();
  const globexNext = new CollectingConsumer();
  const acme = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, acmeNext);
  const globex = await start(t, 'http/globex', 'globex', { format: 'auth0', tokens: [{ token: GLOBEX_TOKEN, tenant: 'globex' }] }, globexNext);
  const initech = await start(t, 'http/initech', 'initech', { path: '/initech', tokens: [{ token: 'initech-token-0001', tenant: 'initech' }] });
  assert.equal(acme.port, globex.port);
  assert.equal(acme.port, initech.port);
  assert.equal(openListenerCount(), 1);

  const a = await send(acme.port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json([{ n: 1 }, { n: 2 }]) });
  const g = await send(acme.port, '/v1/events', { headers: bearer(GLOBEX_TOKEN), body: json({ n: 3 }) });
  assert.deepEqual([a.status, g.status], [200, 200]);
  assert.deepEqual(acmeNext.batches.map((b) => [b.tenant, (b.records as RawRecord[]).map((r) => [r.format, r.payload, r.source])]), [['acme', [['okta', { n: 1 }, 'http/acme'], ['okta', { n: 2 }, 'http/acme']]]]);
  assert.deepEqual(globexNext.batches.map((b) => [b.tenant, (b.records as RawRecord[]).map((r) => [r.format, r.payload, r.source])]), [['globex', [['auth0', { n: 3 }, 'http/globex']]]]);

  const elsewhere = await send(acme.port, '/v1/events', { headers: bearer('initech-token-0001'), body: json({ n: 4 }) });
  assert.equal(elsewhere.status, 401);
  assert.equal(acmeNext.records.length + globexNext.records.length, 3);
});

test('a receiver cannot claim another tenant\'s token, nor a token already claimed; errors name the component, never the token', async (t) => {
  await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] });
  const thief = new HttpReceiver(testSettings('receiver', 'http/globex', { tenant: 'globex' }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', tokens: [{ token: 'globex-own-token', tenant: 'globex' }, { token: ACME_TOKEN, tenant: 'acme' }] }, new CollectingConsumer());
  const rejected = await thief.start(new RecordingHost()).then(() => undefined, (error: unknown) => error as PermanentError);
  assert.ok(rejected instanceof PermanentError);
  assert.equal(rejected.code, 'tenant_mismatch');
  assert.equal(rejected.message, 'http/globex: tokens[1] maps a credential to tenant "acme" but http/globex serves tenant "globex"; a tenant\'s receiver can only claim its own tenant\'s credentials');
  await thief.shutdown();

  const copycat = new HttpReceiver(testSettings('receiver', 'http/globex', { tenant: 'globex' }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', tokens: [{ token: ACME_TOKEN, tenant: 'globex' }] }, new CollectingConsumer());
  const duplicate = await copycat.start(new RecordingHost()).then(() => undefined, (error: unknown) => error as PermanentError);
  assert.equal(duplicate?.code, 'duplicate_credential');
  assert.match(duplicate!.message, /^http\/globex: tokens\[0\] is already claimed by http\/acme on 127\.0\.0\.1:0; each credential must identify exactly one receiver$/);
  assert.ok(!duplicate!.message.includes(ACME_TOKEN));
  await copycat.shutdown();

  const weak = new HttpReceiver(testSettings('receiver', 'http/weak', { tenant: 'weak' }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', hmac: [{ tenant: 'weak', secret: 'short-secret', header: 'x-sig', algorithm: 'sha256', encoding: 'hex', prefix: '' }] }, new CollectingConsumer());
  await assert.rejects(weak.start(new RecordingHost()), { code: 'invalid_config', message: 'http/weak: hmac[0].secret must be at least 16 characters' });
  await weak.shutdown();

  const unauthenticated = new HttpReceiver(testSettings('receiver', 'http/none', { tenant: 'none' }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta' }, new CollectingConsumer());
  await assert.rejects(unauthenticated.start(new RecordingHost()), { code: 'invalid_config', message: 'http/none: configure tokens or hmac: requests are only accepted with a credential' });
  await unauthenticated.shutdown();
});

test('oversized body: 413 whether declared by Content-Length or streamed chunked; nothing ingested', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, port } = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], max_request_bytes: 1024 }, next);
  const big = json([{ pad: 'x'.repeat(2000) }]);
  const declared = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: big });
  assert.equal(declared.status, 413);
  assert.deepEqual(declared.json, { error: 'too_large', message: 'the body is larger than 1024 bytes' });
  const chunked = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), chunks: [Buffer.from(big.slice(0, 800)), Buffer.from(big.slice(800))] });
  assert.equal(chunked.status, 413);
  const fits = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json([{ pad: 'x'.repeat(900) }]) });
  assert.equal(fits.status, 200);
  assert.equal(next.records.length, 1);
  assert.equal(receiver.metrics().refused_too_large, 2);
});

test('gzip: a compressed NDJSON body is taken; a gzip bomb stops at max_request_bytes of output (413); a broken gzip is 400', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, host, port } = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], max_request_bytes: 64 * 1024 }, next);
  const ndjson = Array.from({ length: 100 }, (_, i) => json({ i })).join('\n');
  const ok = await send(port, '/v1/events', { headers: { ...bearer(ACME_TOKEN), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: gzipSync(ndjson) });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { accepted: 100 });
  assert.deepEqual((next.records as RawRecord[]).slice(98).map((r) => r.payload), [{ i: 98 }, { i: 99 }]);

  // 64 MiB of zeros: about 64 KiB compressed... make it fit under the limit compressed.
  const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x20), { level: 9 });
  assert.ok(bomb.length < 64 * 1024, `the bomb is ${bomb.length} bytes compressed`);
  const exploded = await send(port, '/v1/events', { headers: { ...bearer(ACME_TOKEN), 'content-encoding': 'gzip' }, body: bomb });
  assert.equal(exploded.status, 413);
  assert.deepEqual(exploded.json, { error: 'too_large', message: 'decompressed body is larger than 65536 bytes' });

  const broken = await send(port, '/v1/events', { headers: { ...bearer(ACME_TOKEN), 'content-encoding': 'gzip' }, body: Buffer.from('not gzip at all') });
  assert.equal(broken.status, 400);
  assert.equal((broken.json as { error: string }).error, 'bad_gzip');

  const brotli = await send(port, '/v1/events', { headers: { ...bearer(ACME_TOKEN), 'content-encoding': 'br' }, body: Buffer.from('x') });
  assert.equal(brotli.status, 415);
  assert.deepEqual(brotli.json, { error: 'unsupported_encoding', message: 'Content-Encoding "br" is not supported (use gzip or none)' });

  assert.equal(next.records.length, 100);
  const metrics = receiver.metrics();
  assert.deepEqual([metrics.refused_too_large, metrics.bad_request_bad_gzip, metrics.refused_encoding], [1, 1, 1]);
  assert.deepEqual(host.deadLetters.map((d) => [d.tenant, d.reason]), [['acme', 'bad_gzip']]);
});

test('NDJSON by Content-Type, blank lines and CRLF allowed; a malformed line refuses the whole body with 400 and its line number, counted and dead-lettered', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, host, port } = await start(t, 'http/acme', 'acme', { format: 'auth0', tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, next);
  const headers = { ...bearer(ACME_TOKEN), 'content-type': 'application/x-ndjson' };
  const ok = await send(port, '/v1/events', { headers, body: '{"a":1}\r\n\r\n{"a":2}\r\n' });
  assert.deepEqual([ok.status, ok.json], [200, { accepted: 2 }]);

  const body = '{"a":3}\n{"a":4,}\n{"a":5}\n';
  const bad = await send(port, '/v1/events', { headers, body });
  assert.equal(bad.status, 400);
  const reply = bad.json as { error: string; message: string };
  assert.equal(reply.error, 'malformed_json');
  assert.match(reply.message, /^line 2: /);

  const notJson = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: '{"a": tru' });
  assert.equal(notJson.status, 400);
  assert.equal((notJson.json as { error: string }).error, 'malformed_json');
  const empty = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: '  ' });
  assert.deepEqual([empty.status, empty.json], [400, { error: 'empty_body', message: 'the body is empty' }]);
  const scalar = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: '42' });
  assert.deepEqual([scalar.status, scalar.json], [400, { error: 'unexpected_json', message: 'the body is a number; expected a JSON object, an array or NDJSON' }]);
  const hook = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ eventType: 'com.okta.event_hook', data: {} }) });
  assert.deepEqual([hook.status, hook.json], [400, { error: 'invalid_okta_hook', message: 'an Okta event hook without a data.events array' }]);
  const latin1 = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]) });
  assert.deepEqual([latin1.status, latin1.json], [400, { error: 'invalid_utf8', message: 'the body is not UTF-8 text' }]);

  assert.deepEqual((next.records as RawRecord[]).map((r) => r.payload), [{ a: 1 }, { a: 2 }]);
  const metrics = receiver.metrics();
  assert.deepEqual(
    [metrics.refused_bad_request, metrics.bad_request_malformed_json, metrics.bad_request_empty_body, metrics.bad_request_unexpected_json, metrics.bad_request_invalid_okta_hook, metrics.bad_request_invalid_utf8, metrics.dead_lettered_bodies],
    [6, 2, 1, 1, 1, 1, 6],
  );
  const letter = host.deadLetters[0]!;
  assert.deepEqual([letter.tenant, letter.reason, letter.format, letter.original], ['acme', 'malformed_json', 'auth0', body]);
});

test('text payload: each non-blank line is a string record', async (t) => {
  const next = new CollectingConsumer();
  const { port } = await start(t, 'http/acme', 'acme', { format: 'linux.auth', payload: 'text', tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, next);
  const reply = await send(port, '/v1/events', { headers: { authorization: `Bearer ${ACME_TOKEN}`, 'content-type': 'text/plain' }, body: 'Mar  1 12:00:01 web1 sshd[1]: Failed password for root\n\nMar  1 12:00:02 web1 sshd[1]: Accepted password for ops\r\n' });
  assert.deepEqual([reply.status, reply.json], [200, { accepted: 2 }]);
  assert.deepEqual((next.records as RawRecord[]).map((r) => [r.format, r.payload]), [
    ['linux.auth', 'Mar  1 12:00:01 web1 sshd[1]: Failed password for root'],
    ['linux.auth', 'Mar  1 12:00:02 web1 sshd[1]: Accepted password for ops'],
  ]);
});

test('saturation: a retryable refusal is 503 with the pipeline\'s Retry-After (else retry_after); too many requests in flight is 429; nothing is acknowledged early', async (t) => {
  const next = new ScriptedConsumer();
  const { receiver, port } = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], max_concurrent_requests: 1, retry_after: '7s' }, next);
  next.failWith = new RetryableError('queue_full', 'the exporter queue is full', { retryAfterMs: 2500 });
  const hinted = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 1 }) });
  assert.equal(hinted.status, 503);
  assert.equal(hinted.headers['retry-after'], '3');
  assert.deepEqual(hinted.json, { error: 'unavailable', reason: 'queue_full', message: 'the pipeline cannot take more now; retry later' });
  next.failWith = new RetryableError('queue_full', 'the exporter queue is full');
  const unhinted = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 1 }) });
  assert.deepEqual([unhinted.status, unhinted.headers['retry-after']], [503, '7']);

  next.failWith = undefined;
  next.hold = true;
  const first = send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 2 }) });
  await waitFor(() => next.waiting === 1, 5000, 'the first request to reach consume');
  const second = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 3 }) });
  assert.deepEqual([second.status, second.headers['retry-after'], second.json], [429, '7', { error: 'too_many_requests', message: 'more than 1 requests in flight' }]);
  next.release();
  const firstReply = await first;
  assert.deepEqual([firstReply.status, firstReply.json], [200, { accepted: 1 }]);
  assert.deepEqual(next.records.map((r) => (r as RawRecord).payload), [{ n: 2 }]);
  const metrics = receiver.metrics();
  assert.deepEqual([metrics.refused_unavailable, metrics.refused_busy, metrics.accepted_requests], [2, 1, 1]);
});

test('a permanent refusal downstream: the records are dead-lettered with the error code and the reply is 200 (re-sending cannot help)', async (t) => {
  const next = new ScriptedConsumer();
  next.failWith = new PermanentError('invalid_batch', 'the processor refused the batch');
  const { receiver, host, port } = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, next);
  const reply = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json([{ n: 1 }, { n: 2 }]) });
  assert.deepEqual([reply.status, reply.json], [200, { accepted: 0, dead_lettered: 2, reason: 'invalid_batch' }]);
  assert.deepEqual(host.deadLetters.map((d) => [d.tenant, d.reason, d.original]), [['acme', 'invalid_batch', { n: 1 }], ['acme', 'invalid_batch', { n: 2 }]]);
  assert.equal(host.errors.length, 1);
  assert.equal(receiver.metrics().dead_lettered_records, 2);
});

test('HMAC: hex HMAC-SHA256 of the raw body (as sent, gzip included) in the configured header; a bad signature is 401', async (t) => {
  const acmeSecret = 'acme-hmac-secret-0123456789';
  const globexSecret = 'globex-hmac-secret-9876543210';
  const acmeNext = new CollectingConsumer();
  const globexNext = new CollectingConsumer();
  const { port } = await start(t, 'http/acme', 'acme', { hmac: [{ tenant: 'acme', secret: acmeSecret, header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' }] }, acmeNext);
  await start(t, 'http/globex', 'globex', { hmac: [{ tenant: 'globex', secret: globexSecret, header: 'x-signature', algorithm: 'sha512', encoding: 'base64', prefix: '' }] }, globexNext);
  const body = Buffer.from(json([{ n: 1 }]));
  const sign = (secret: string, algorithm: string, data: Buffer, encoding: 'hex' | 'base64'): string => createHmac(algorithm, secret).update(data).digest(encoding);

  const good = await send(port, '/v1/events', { headers: { 'content-type': 'application/json', 'x-signature': `sha256=${sign(acmeSecret, 'sha256', body, 'hex')}` }, body });
  assert.deepEqual([good.status, good.json], [200, { accepted: 1 }]);
  const zipped = gzipSync(json([{ n: 2 }]));
  const gz = await send(port, '/v1/events', { headers: { 'content-encoding': 'gzip', 'x-signature': sign(globexSecret, 'sha512', zipped, 'base64') }, body: zipped });
  assert.deepEqual([gz.status, gz.json], [200, { accepted: 1 }]);

  const tampered = await send(port, '/v1/events', { headers: { 'x-signature': `sha256=${sign(acmeSecret, 'sha256', body, 'hex')}` }, body: json([{ n: 666 }]) });
  assert.deepEqual([tampered.status, tampered.json], [401, { error: 'unauthorized', message: 'invalid signature' }]);
  const wrongKey = await send(port, '/v1/events', { headers: { 'x-signature': `sha256=${sign('someone-elses-secret', 'sha256', body, 'hex')}` }, body });
  assert.equal(wrongKey.status, 401);

  assert.deepEqual(acmeNext.batches.map((b) => [b.tenant, (b.records as RawRecord[]).map((r) => r.payload)]), [['acme', [{ n: 1 }]]]);
  assert.deepEqual(globexNext.batches.map((b) => [b.tenant, (b.records as RawRecord[]).map((r) => r.payload)]), [['globex', [{ n: 2 }]]]);
});

test('TLS: a self-signed certificate made with openssl; https POST accepted; plain text on the TLS port fails', async (t) => {
  const tls = await selfSignedCert();
  if (tls === undefined) {
    t.skip('openssl is not installed: TLS not tested');
    return;
  }
  const next = new CollectingConsumer();
  const { receiver, port } = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], tls: { cert_file: tls.cert, key_file: tls.key } }, next);
  const reply = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 1 }), ca: tls.pem });
  assert.deepEqual([reply.status, reply.json], [200, { accepted: 1 }]);
  await assert.rejects(send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 2 }) }));
  assert.equal(next.records.length, 1);
  await waitFor(() => receiver.metrics().listener_tls_errors === 1, 5000, 'the plain-text handshake to be counted');

  // Another receiver on the same endpoint must use the same tls section.
  const plain = new HttpReceiver(testSettings('receiver', 'http/globex', { tenant: 'globex' }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', tokens: [{ token: GLOBEX_TOKEN, tenant: 'globex' }] }, new CollectingConsumer());
  await assert.rejects(plain.start(new RecordingHost()), { code: 'tls_conflict', message: 'http/globex: endpoint 127.0.0.1:0 is already served with another tls section; receivers sharing an endpoint need identical tls sections' });
  await plain.shutdown();
});

test('shutdown of one tenant\'s receiver keeps the other\'s working; the last one closes the server; shutdown waits for consume', async (t) => {
  const acmeNext = new ScriptedConsumer();
  const globexNext = new CollectingConsumer();
  const acme = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, acmeNext);
  const globex = await start(t, 'http/globex', 'globex', { tokens: [{ token: GLOBEX_TOKEN, tenant: 'globex' }] }, globexNext);
  const port = acme.port;

  acmeNext.hold = true;
  const inFlight = send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 1 }) });
  await waitFor(() => acmeNext.waiting === 1, 5000, 'acme\'s request to reach consume');
  let stopped = false;
  const stopping = acme.receiver.shutdown().then(() => {
    stopped = true;
  });
  // While acme drains, its new requests are told to come back; globex is untouched.
  const during = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 2 }) });
  assert.deepEqual([during.status, during.headers['retry-after']], [503, '1']);
  assert.equal(stopped, false);
  acmeNext.release();
  assert.deepEqual((await inFlight).status, 200);
  await stopping;
  assert.deepEqual(acmeNext.records.map((r) => (r as RawRecord).payload), [{ n: 1 }]);

  const afterAcme = await send(port, '/v1/events', { headers: bearer(ACME_TOKEN), body: json({ n: 3 }) });
  assert.equal(afterAcme.status, 401);
  const stillGlobex = await send(port, '/v1/events', { headers: bearer(GLOBEX_TOKEN), body: json({ n: 4 }) });
  assert.deepEqual([stillGlobex.status, stillGlobex.json], [200, { accepted: 1 }]);
  assert.equal(openListenerCount(), 1);
  await globex.receiver.shutdown();
  await globex.receiver.shutdown();
  assert.equal(openListenerCount(), 0);
  await assert.rejects(send(port, '/v1/events', { headers: bearer(GLOBEX_TOKEN), body: json({ n: 5 }) }), { code: 'ECONNREFUSED' });
});

test('methods: GET without the Okta challenge and PUT are 405; unauthenticated verification is 401', async (t) => {
  const { receiver, port } = await start(t, 'http/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] });
  const get = await send(port, '/v1/events', { method: 'GET', headers: { authorization: `Bearer ${ACME_TOKEN}` } });
  assert.deepEqual([get.status, get.headers.allow], [405, 'GET, POST']);
  const put = await send(port, '/v1/events', { method: 'PUT', headers: bearer(ACME_TOKEN), body: '{}' });
  assert.equal(put.status, 405);
  const challenge = await send(port, '/v1/events', { method: 'GET', headers: { 'x-okta-verification-challenge': 'abc' } });
  assert.equal(challenge.status, 401);
  assert.equal(receiver.metrics().refused_method, 2);
});

test('create and shutdown without start; start is needed for a port', async () => {
  const receiver = await httpReceiverFactory.create(testSettings('receiver', 'http'), httpReceiverFactory.createDefaultConfig(), new CollectingConsumer());
  await receiver.shutdown();
  await receiver.shutdown();
  assert.equal((receiver as HttpReceiver).address, undefined);
});
