import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Consumer, Exporter, OcsfEvent, RawRecord } from '../../../../core/api.js';
import { validateAgainst } from '../../../../core/config/schema.js';
import { RetryableError } from '../../../../core/errors.js';
import { openListenerCount } from '../../../../core/listener/shared-http.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import type { SplunkHecExporterConfig } from '../../../../plugins/exporters/splunk_hec/config.js';
import { splunkHecExporterFactory } from '../../../../plugins/exporters/splunk_hec/index.js';
import { HttpReceiver } from '../../../../plugins/receivers/http/http.js';
import { httpReceiverFactory } from '../../../../plugins/receivers/http/index.js';
import type { SplunkHecReceiverConfig } from '../../../../plugins/receivers/splunk_hec/config.js';
import { SplunkHecReceiver } from '../../../../plugins/receivers/splunk_hec/hec.js';
import { splunkHecReceiverFactory } from '../../../../plugins/receivers/splunk_hec/index.js';
import { parseHecEvents } from '../../../../plugins/receivers/splunk_hec/parse.js';
import { waitFor } from '../../../helpers.js';
import { authEvent } from '../../exporters/testrecords.js';
import { ScriptedConsumer, selfSignedCert, send } from '../http/helpers.js';

const ACME_TOKEN = '6f0c2f5e-acme-4b1a-9d51-hec000000001';
const GLOBEX_TOKEN = '0d9e8c7b-globex-4c2d-8e62-hec000000002';

async function start(t: TestContext, id: string, tenant: string, config: Partial<SplunkHecReceiverConfig>, next: Consumer = new CollectingConsumer()): Promise<{ receiver: SplunkHecReceiver; host: RecordingHost; port: number }> {
  const receiver = new SplunkHecReceiver(testSettings('receiver', id, { tenant }), { ...splunkHecReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', ...config }, next);
  const host = new RecordingHost();
  t.after(() => receiver.shutdown());
  await receiver.start(host);
  return { receiver, host, port: receiver.address!.port };
}

const splunk = (token: string): Record<string, string> => ({ authorization: `Splunk ${token}` });
const hecEvent = (event: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ time: 1772366401.123, host: 'idp-1', source: 'okta:hook', sourcetype: 'okta:im2', index: 'iam', ...extra, event });

test('config: format and tokens are required; the defaults are otherwise valid', () => {
  const defaults = splunkHecReceiverFactory.createDefaultConfig();
  assert.deepEqual(validateAgainst(splunkHecReceiverFactory.configSchema, structuredClone(defaults)).map((p) => `${p.path.join('::')}: ${p.message}`), ['format: is required', 'tokens: is required']);
  assert.deepEqual(validateAgainst(splunkHecReceiverFactory.configSchema, { ...defaults, format: 'okta', tokens: [{ token: 't', tenant: 'acme' }], sourcetype_formats: { 'linux:auth': 'linux.auth' } }), []);
});

test('a HEC client\'s batches: concatenated events (with and without separators, gzip) → code 0; each event\'s `event` is a record; sourcetype picks the format', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, port } = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], sourcetype_formats: { 'auth0:logs': 'auth0' } }, next);
  const okta = { uuid: 'u-1', eventType: 'user.session.start', published: '2026-03-01T12:00:01.000Z', outcome: { result: 'FAILURE' } };
  const batch1 = hecEvent(okta) + hecEvent('{"uuid":"u-2"}') + '\n' + hecEvent({ log_id: 'l-1', data: { type: 'fp' } }, { sourcetype: 'auth0:logs' });
  const first = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: batch1 });
  assert.deepEqual([first.status, first.json], [200, { text: 'Success', code: 0 }]);
  const batch2 = gzipSync([hecEvent({ uuid: 'u-3' }), hecEvent({ uuid: 'u-4' })].join('\n'));
  const second = await send(port, '/services/collector', { headers: { ...splunk(ACME_TOKEN), 'content-encoding': 'gzip' }, body: batch2 });
  assert.deepEqual([second.status, second.json], [200, { text: 'Success', code: 0 }]);

  assert.deepEqual(next.batches.map((b) => [b.tenant, (b.records as RawRecord[]).map((r) => [r.format, r.payload, r.source])]), [
    ['acme', [['okta', okta, 'splunk_hec/acme'], ['okta', '{"uuid":"u-2"}', 'splunk_hec/acme'], ['auth0', { log_id: 'l-1', data: { type: 'fp' } }, 'splunk_hec/acme']]],
    ['acme', [['okta', { uuid: 'u-3' }, 'splunk_hec/acme'], ['okta', { uuid: 'u-4' }, 'splunk_hec/acme']]],
  ]);
  assert.deepEqual([receiver.metrics().records, receiver.metrics().accepted_requests], [5, 2]);
});

test('tokens: none → 401 code 2, not "Splunk <token>" → 401 code 3, unknown → 403 code 4, query string → 400 code 16; nothing ingested', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, port } = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, next);
  const body = hecEvent({ uuid: 'u-1' });
  const none = await send(port, '/services/collector/event', { body });
  assert.deepEqual([none.status, none.json], [401, { text: 'Token is required', code: 2 }]);
  const scheme = await send(port, '/services/collector/event', { headers: { authorization: `Bearer ${ACME_TOKEN}` }, body });
  assert.deepEqual([scheme.status, scheme.json], [401, { text: 'Invalid authorization', code: 3 }]);
  const wrong = await send(port, '/services/collector/event', { headers: splunk('00000000-0000-0000-0000-000000000000'), body });
  assert.deepEqual([wrong.status, wrong.json], [403, { text: 'Invalid token', code: 4 }]);
  const query = await send(port, `/services/collector/event?token=${ACME_TOKEN}`, { body });
  assert.deepEqual([query.status, query.json], [400, { text: 'Query string authorization is not enabled', code: 16 }]);
  assert.equal(next.batches.length, 0);
  assert.equal(receiver.metrics().listener_unauthorized, 4);
});

test('malformed data: events before the bad one are taken, the reply names it (code 6 / 12 / 13 with invalid-event-number); no data is code 5', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, host, port } = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, next);
  const broken = hecEvent({ uuid: 'u-1' }) + hecEvent({ uuid: 'u-2' }) + '{"event": {"uuid": "u-3"' + hecEvent({ uuid: 'u-4' });
  const six = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: broken });
  assert.equal(six.status, 400);
  assert.deepEqual(six.json, { text: 'Invalid data format', code: 6, 'invalid-event-number': 2 });
  const twelve = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: JSON.stringify({ time: 1, fields: {} }) + hecEvent({ uuid: 'u-5' }) });
  assert.deepEqual([twelve.status, twelve.json], [400, { text: 'Event field is required', code: 12, 'invalid-event-number': 0 }]);
  const thirteen = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: hecEvent({ uuid: 'u-6' }) + JSON.stringify({ event: '' }) });
  assert.deepEqual([thirteen.status, thirteen.json], [400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 1 }]);
  const notObject = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: '[' + hecEvent({ uuid: 'u-7' }) + ']' });
  assert.deepEqual([notObject.status, notObject.json], [400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 }]);
  const empty = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: ' \n' });
  assert.deepEqual([empty.status, empty.json], [400, { text: 'No data', code: 5 }]);

  assert.deepEqual((next.records as RawRecord[]).map((r) => r.payload), [{ uuid: 'u-1' }, { uuid: 'u-2' }, { uuid: 'u-6' }]);
  const metrics = receiver.metrics();
  assert.deepEqual([metrics.refused_invalid_data, metrics.refused_no_data, metrics.dead_lettered_events], [4, 1, 4]);
  assert.deepEqual(host.deadLetters.map((d) => [d.tenant, d.reason, d.detail.slice(0, 8)]), [
    ['acme', 'hec_invalid_event', 'event 2:'],
    ['acme', 'hec_invalid_event', 'event 0:'],
    ['acme', 'hec_invalid_event', 'event 1:'],
    ['acme', 'hec_invalid_event', 'event 0:'],
  ]);
});

test('parseHecEvents: braces and quotes inside strings do not end an event', () => {
  const parsed = parseHecEvents('{"event":"a } { \\" }"}{"event":{"x":"]"}}  {"event":[1,{"y":2}],"sourcetype":"st"}');
  assert.deepEqual(parsed, { events: [{ event: 'a } { " }', sourcetype: undefined }, { event: { x: ']' }, sourcetype: undefined }, { event: [1, { y: 2 }], sourcetype: 'st' }], error: undefined });
  // A string ending in an escaped backslash ends at the next quote.
  assert.deepEqual(parseHecEvents(String.raw`{"event":"C:\\"}{"event":"\\\\\"}"}`).events.map((e) => e.event), ['C:\\', '\\\\"}']);
  assert.deepEqual(parseHecEvents('{"event":"open').error, { code: 6, index: 0, detail: 'event 0: the JSON object is not closed', text: '{"event":"open' });
});

test('/raw: one record per line, the format by ?sourcetype=', async (t) => {
  const next = new CollectingConsumer();
  const { port } = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], sourcetype_formats: { 'linux_secure': 'linux.auth' } }, next);
  const body = 'Mar  1 12:00:01 web1 sshd[9]: Failed password for root from 198.51.100.23 port 4242 ssh2\r\n\nMar  1 12:00:02 web1 sshd[9]: Failed password for root from 198.51.100.23 port 4243 ssh2\n';
  const reply = await send(port, '/services/collector/raw?sourcetype=linux_secure&channel=11111111-2222-3333-4444-555555555555', { headers: splunk(ACME_TOKEN), body });
  assert.deepEqual([reply.status, reply.json], [200, { text: 'Success', code: 0 }]);
  assert.deepEqual((next.records as RawRecord[]).map((r) => [r.format, r.payload]), [
    ['linux.auth', 'Mar  1 12:00:01 web1 sshd[9]: Failed password for root from 198.51.100.23 port 4242 ssh2'],
    ['linux.auth', 'Mar  1 12:00:02 web1 sshd[9]: Failed password for root from 198.51.100.23 port 4243 ssh2'],
  ]);
  const empty = await send(port, '/services/collector/raw', { headers: splunk(ACME_TOKEN), body: '' });
  assert.deepEqual([empty.status, empty.json], [400, { text: 'No data', code: 5 }]);
});

test('health (17, with or without a token; a wrong token is 403 code 4), ack (14), busy (503 code 9 with Retry-After), too large (413), gzip bomb (413)', async (t) => {
  const next = new ScriptedConsumer();
  const { receiver, port } = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], max_request_bytes: 4096, retry_after: '3s' }, next);
  const health = await send(port, '/services/collector/health', { method: 'GET' });
  assert.deepEqual([health.status, health.json], [200, { text: 'HEC is healthy', code: 17 }]);
  const tokenHealth = await send(port, '/services/collector/health/1.0', { method: 'GET', headers: splunk(ACME_TOKEN) });
  assert.deepEqual([tokenHealth.status, tokenHealth.json], [200, { text: 'HEC is healthy', code: 17 }]);
  const badHealth = await send(port, '/services/collector/health', { method: 'GET', headers: splunk('nope') });
  assert.deepEqual([badHealth.status, badHealth.json], [403, { text: 'Invalid token', code: 4 }]);
  const ack = await send(port, '/services/collector/ack?channel=11111111-2222-3333-4444-555555555555', { headers: splunk(ACME_TOKEN), body: '{"acks":[0]}' });
  assert.deepEqual([ack.status, ack.json], [400, { text: 'ACK is disabled', code: 14 }]);

  next.failWith = new RetryableError('queue_full', 'full');
  const busy = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: hecEvent({ uuid: 'u-1' }) });
  assert.deepEqual([busy.status, busy.headers['retry-after'], busy.json], [503, '3', { text: 'Server is busy', code: 9 }]);
  next.failWith = undefined;

  const big = hecEvent({ pad: 'x'.repeat(5000) });
  const tooLarge = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: big });
  assert.deepEqual([tooLarge.status, tooLarge.json], [413, { text: `Content-Length of ${big.length} too large (maximum is 4096)` }]);
  const bomb = await send(port, '/services/collector/event', { headers: { ...splunk(ACME_TOKEN), 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)) });
  assert.deepEqual([bomb.status, bomb.json], [413, { text: 'Request entity too large (maximum is 4096 bytes)' }]);
  const badGzip = await send(port, '/services/collector/event', { headers: { ...splunk(ACME_TOKEN), 'content-encoding': 'gzip' }, body: 'plain' });
  assert.deepEqual([badGzip.status, badGzip.json], [400, { text: 'Invalid data format', code: 6 }]);

  assert.equal(next.batches.length, 0);
  const metrics = receiver.metrics();
  assert.deepEqual([metrics.health_checks, metrics.refused_ack, metrics.refused_unavailable, metrics.refused_too_large, metrics.refused_invalid_data], [1, 1, 1, 2, 1]);
});

test('two tenants and an http receiver on one port: each HEC token reaches only its tenant; an http token is not a HEC token', async (t) => {
  const acmeNext = new CollectingConsumer();
  const globexNext = new CollectingConsumer();
  const acme = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, acmeNext);
  const globex = await start(t, 'splunk_hec/globex', 'globex', { format: 'auth0', tokens: [{ token: GLOBEX_TOKEN, tenant: 'globex' }] }, globexNext);
  const http = new HttpReceiver(testSettings('receiver', 'http/acme', { tenant: 'acme' }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', tokens: [{ token: 'acme-http-token-0001', tenant: 'acme' }] }, new CollectingConsumer());
  t.after(() => http.shutdown());
  await http.start(new RecordingHost());
  assert.deepEqual([globex.port, http.address!.port], [acme.port, acme.port]);
  assert.equal(openListenerCount(), 1);

  const a = await send(acme.port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: hecEvent({ n: 1 }) });
  const g = await send(acme.port, '/services/collector/event', { headers: splunk(GLOBEX_TOKEN), body: hecEvent({ n: 2 }) + hecEvent({ n: 3 }) });
  const h = await send(acme.port, '/services/collector/event', { headers: splunk('acme-http-token-0001'), body: hecEvent({ n: 4 }) });
  assert.deepEqual([a.status, g.status, h.status], [200, 200, 403]);
  assert.deepEqual(acmeNext.batches.map((b) => [b.tenant, (b.records as RawRecord[]).map((r) => [r.format, r.payload])]), [['acme', [['okta', { n: 1 }]]]]);
  assert.deepEqual(globexNext.batches.map((b) => [b.tenant, (b.records as RawRecord[]).map((r) => [r.format, r.payload])]), [['globex', [['auth0', { n: 2 }], ['auth0', { n: 3 }]]]]);

  // A tenant's config cannot claim another tenant's HEC token.
  const thief = new SplunkHecReceiver(testSettings('receiver', 'splunk_hec/initech', { tenant: 'initech' }), { ...splunkHecReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, new CollectingConsumer());
  await assert.rejects(thief.start(new RecordingHost()), { code: 'tenant_mismatch', message: 'splunk_hec/initech: tokens[0] maps a credential to tenant "acme" but splunk_hec/initech serves tenant "initech"; a tenant\'s receiver can only claim its own tenant\'s credentials' });
  await thief.shutdown();

  await acme.receiver.shutdown();
  const after = await send(acme.port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: hecEvent({ n: 5 }) });
  assert.deepEqual([after.status, after.json], [403, { text: 'Invalid token', code: 4 }]);
  const still = await send(acme.port, '/services/collector/event', { headers: splunk(GLOBEX_TOKEN), body: hecEvent({ n: 6 }) });
  assert.equal(still.status, 200);
});

test('authwire\'s own splunk_hec exporter as the client: health check at start, gzip batches of concatenated events, all delivered', async (t) => {
  const next = new CollectingConsumer();
  const { receiver, port } = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }] }, next);
  const defaults = splunkHecExporterFactory.createDefaultConfig();
  const config: SplunkHecExporterConfig = { ...defaults, endpoint: `http://127.0.0.1:${port}`, token: ACME_TOKEN, compression: 'gzip', batch: { ...defaults.batch, timeout: '5ms' } };
  const exporter = (await splunkHecExporterFactory.create(testSettings('exporter', 'splunk_hec/siem', { tenant: 'acme' }), config)) as Exporter;
  t.after(() => exporter.shutdown());
  await exporter.start(new RecordingHost());
  const events: OcsfEvent[] = Array.from({ length: 250 }, (_, i) => ({ ...authEvent, time: authEvent.time + i, metadata: { ...authEvent.metadata, uid: `e${i}` } }));
  await exporter.consume({ tenant: 'acme', records: events.slice(0, 100) });
  await exporter.consume({ tenant: 'acme', records: events.slice(100) });
  await waitFor(() => next.records.length === 250, 5000, 'all 250 events to arrive');
  await exporter.shutdown();
  const uids = (next.records as RawRecord[]).map((r) => ((r.payload as OcsfEvent).metadata as { uid: string }).uid);
  assert.deepEqual(uids, events.map((e) => e.metadata.uid));
  assert.equal(receiver.metrics().health_checks, 1);
});

test('TLS: HEC over https with a self-signed certificate', async (t) => {
  const tls = await selfSignedCert();
  if (tls === undefined) {
    t.skip('openssl is not installed: TLS not tested');
    return;
  }
  const next = new CollectingConsumer();
  const { port } = await start(t, 'splunk_hec/acme', 'acme', { tokens: [{ token: ACME_TOKEN, tenant: 'acme' }], tls: { cert_file: tls.cert, key_file: tls.key } }, next);
  const reply = await send(port, '/services/collector/event', { headers: splunk(ACME_TOKEN), body: hecEvent({ n: 1 }), ca: tls.pem });
  assert.deepEqual([reply.status, reply.json], [200, { text: 'Success', code: 0 }]);
  assert.equal(next.records.length, 1);
});
