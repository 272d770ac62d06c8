import test from 'node:test';
import assert from 'node:assert/strict';
import type { OcsfEvent } from '../../../../core/api.js';
import { isFatalSendError } from '../../../../core/exporter/sender.js';
import type { ExportRequest } from '../../../../core/exporter/sender.js';
import { createLogger } from '../../../../core/logger.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/exporters/splunk_hec/config.js';
import type { SplunkHecExporterConfig } from '../../../../plugins/exporters/splunk_hec/config.js';
import { HecSender } from '../../../../plugins/exporters/splunk_hec/sender.js';
import { TOKEN, eventN } from './events.js';
import { HecServer } from './hec-server.js';
import { gzipSync } from 'node:zlib';
import type { HecServerOptions } from './hec-server.js';


interface Setup {
  server: HecServer;
  sender: HecSender;
  url: string;
  logs: string[];
  errors: string[];
}

type ConfigOverrides = Partial<Omit<SplunkHecExporterConfig, 'ack'>> & { ack?: Partial<SplunkHecExporterConfig['ack']> };

async function setup(t: { after(fn: () => Promise<void>): void }, serverOptions: HecServerOptions = {}, overrides: ConfigOverrides = {}, start = true): Promise<Setup> {
  const server = new HecServer({ token: TOKEN, ...serverOptions });
  const url = await server.listen();
  const logs: string[] = [];
  const logger = createLogger({ writeErr: (line) => logs.push(line) }, 'debug');
  const defaults = createDefaultConfig();
  const config: SplunkHecExporterConfig = { ...defaults, endpoint: url, token: TOKEN, host: 'authwire-1', ...overrides, ack: { ...defaults.ack, ...overrides.ack } };
  const sender = new HecSender(testSettings('exporter', 'splunk_hec/acme', { tenant: 'acme', logger }), config, { attemptTimeoutMs: 5000 });
  t.after(async () => {
    await sender.shutdown();
    await server.close();
  });
  if (start) await sender.start(new RecordingHost());
  return { server, sender, url, logs, errors: [] };
}

function requestOf(sender: HecSender, events: OcsfEvent[], attempt = 1): ExportRequest<string> {
  const items = events.map((event) => sender.prepare(event));
  return { tenant: 'acme', items, bytes: items.reduce((sum, item) => sum + sender.sizeOf(item), 0), attempt };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string; retryable: boolean; retryAfterMs?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; retryable: boolean; retryAfterMs?: number };
  }
  assert.fail('expected a rejection');
}

const signal = (): AbortSignal => new AbortController().signal;

test('start checks health; a request is one gzip POST with the token, a channel, and concatenated events', async (t) => {
  const { server, sender } = await setup(t);
  assert.equal(server.healthChecks, 1);
  const outcome = await sender.send(requestOf(sender, [eventN(0), eventN(1), eventN(2)]), signal());
  assert.equal(outcome, undefined);
  const post = server.requests.at(-1)!;
  assert.equal(post.path, '/services/collector/event');
  assert.equal(post.headers.authorization, `Splunk ${TOKEN}`);
  assert.equal(post.headers['content-encoding'], 'gzip');
  assert.equal(post.headers['content-type'], 'application/json');
  assert.equal(post.headers['x-splunk-request-channel'], sender.channel);
  assert.match(sender.channel, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(post.events, 3);
  assert.deepEqual(server.uids(), ['e0', 'e1', 'e2']);
  assert.equal(server.indexed[1]!.time, 1714591202.001);
  assert.equal(server.indexed[1]!.sourcetype, 'authwire:ocsf:authentication');
  assert.deepEqual(server.indexed[1]!.fields, { ocsf_class: '3002', tenant: 'acme', outcome: 'Failure', user: 'alice@example.com', src_ip: '203.0.113.7', event_code: 'user.session.start' });
});

test('gzip at compression_params.level: the body is exactly zlib\'s gzip of the events at that level, 1 unless set', async (t) => {
  const events = Array.from({ length: 40 }, (_, i) => eventN(i));
  const text = (sender: HecSender): Buffer => Buffer.from(events.map((event) => sender.prepare(event)).join(''), 'utf8');
  // The two levels give different bytes for these events, so each assertion below can tell them apart.
  const fast = await setup(t);
  assert.notDeepEqual(gzipSync(text(fast.sender), { level: 1 }), gzipSync(text(fast.sender), { level: 9 }));
  await fast.sender.send(requestOf(fast.sender, events), signal());
  assert.deepEqual(fast.server.requests.at(-1)!.wire, gzipSync(text(fast.sender), { level: 1 }));
  const small = await setup(t, {}, { compression_params: { level: 9 } });
  await small.sender.send(requestOf(small.sender, events), signal());
  assert.deepEqual(small.server.requests.at(-1)!.wire, gzipSync(text(small.sender), { level: 9 }));
  assert.deepEqual(small.server.uids(), events.map((_, i) => `e${i}`));
});

test('compression none sends plain JSON; an endpoint given as the full event URL is trimmed to the base', async (t) => {
  const { server, sender, url } = await setup(t, {}, { compression: 'none' });
  await sender.send(requestOf(sender, [eventN(0)]), signal());
  assert.equal(server.requests.at(-1)!.headers['content-encoding'], undefined);
  const other = new HecSender(testSettings('exporter', 'splunk_hec/b'), { ...createDefaultConfig(), endpoint: `${url}/services/collector/event`, token: TOKEN }, { attemptTimeoutMs: 5000 });
  t.after(() => other.shutdown());
  await other.start(new RecordingHost());
  await other.send(requestOf(other, [eventN(1)]), signal());
  assert.deepEqual(server.uids(), ['e0', 'e1']);
});

test('code 6 with invalid-event-number: the events before it are done, it is rejected, the rest are handed back', async (t) => {
  const { server, sender } = await setup(t, { invalid: (e) => (e.event?.['metadata'] as { uid: string }).uid === 'bad' });
  const outcome = await sender.send(requestOf(sender, [eventN(0), eventN(1), eventN(2, 'bad'), eventN(3), eventN(4)]), signal());
  assert.deepEqual(outcome, {
    rejected: [{ index: 2, reason: 'invalid_event', detail: 'HEC code 6 "Invalid data format" for event 2 of 5 in the request' }],
    resend: [3, 4],
  });
  assert.deepEqual(server.uids(), ['e0', 'e1']);
});

test('code 6 on the last event: rejected, nothing to re-send; without invalid-event-number the request is refused', async (t) => {
  const { sender } = await setup(t, {
    invalid: (e) => (e.event?.['metadata'] as { uid: string }).uid === 'bad',
    override: (path, n) => (path.endsWith('/event') && n === 1 ? { status: 400, body: '{"text":"Invalid data format","code":6}' } : undefined),
  });
  assert.deepEqual(await sender.send(requestOf(sender, [eventN(0), eventN(1, 'bad')]), signal()), {
    rejected: [{ index: 1, reason: 'invalid_event', detail: 'HEC code 6 "Invalid data format" for event 1 of 2 in the request' }],
  });
  const error = await rejection(sender.send(requestOf(sender, [eventN(0)]), signal()));
  assert.equal(error.code, 'invalid_event');
  assert.equal(error.retryable, false);
  assert.equal(isFatalSendError(error), false);
});

test('code 9 (503) and other 5xx are retryable; Retry-After is passed on', async (t) => {
  let busy = true;
  const { sender, url } = await setup(t, {
    busy: () => busy,
    override: (path, n) => (path.endsWith('/event') && n === 0 ? { status: 503, body: '{"text":"Server is busy","code":9}', headers: { 'Retry-After': '3' } } : undefined),
  });
  const first = await rejection(sender.send(requestOf(sender, [eventN(0)]), signal()));
  assert.equal(first.code, 'server_busy');
  assert.equal(first.retryable, true);
  assert.equal(first.retryAfterMs, 3000);
  assert.equal(first.message, `splunk_hec/acme: POST ${url}/services/collector/event: HTTP 503, HEC code 9 "Server is busy"`);
  const second = await rejection(sender.send(requestOf(sender, [eventN(0)]), signal()));
  assert.equal(second.code, 'server_busy');
  assert.equal(second.retryAfterMs, undefined);
  busy = false;
  assert.equal(await sender.send(requestOf(sender, [eventN(0)]), signal()), undefined);
});

test('a 502 without a HEC body is retryable; a 404 is fatal (wrong endpoint)', async (t) => {
  const { sender } = await setup(t, { override: (path, n) => (n === 0 ? { status: 502, body: '<html>bad gateway</html>' } : n === 1 ? { status: 404, body: 'not found' } : undefined) });
  const bad = await rejection(sender.send(requestOf(sender, [eventN(0)]), signal()));
  assert.equal(bad.code, 'server_error');
  assert.equal(bad.retryable, true);
  const missing = await rejection(sender.send(requestOf(sender, [eventN(0)]), signal()));
  assert.equal(missing.code, 'not_found');
  assert.equal(isFatalSendError(missing), true);
});

test('refused credentials: wrong token (403, code 4), disabled token (403, code 1), wrong scheme (401, code 3) are fatal', async (t) => {
  const wrong = await setup(t, { token: 'another-token' });
  const invalid = await rejection(wrong.sender.send(requestOf(wrong.sender, [eventN(0)]), signal()));
  assert.equal(isFatalSendError(invalid), true);
  assert.equal(invalid.code, 'invalid_token');
  assert.equal(invalid.message, `splunk_hec/acme: POST ${wrong.url}/services/collector/event: HTTP 403, HEC code 4 "Invalid token"; sending stopped: check token`);
  const disabled = await setup(t, { tokenDisabled: true });
  const off = await rejection(disabled.sender.send(requestOf(disabled.sender, [eventN(0)]), signal()));
  assert.equal(isFatalSendError(off), true);
  assert.equal(off.code, 'token_disabled');
  const proxied = await setup(t, { override: () => ({ status: 401, body: '{"text":"Invalid authorization","code":3}' }) });
  const scheme = await rejection(proxied.sender.send(requestOf(proxied.sender, [eventN(0)]), signal()));
  assert.equal(isFatalSendError(scheme), true);
  assert.equal(scheme.code, 'invalid_authorization');
  const bare = await setup(t, { override: () => ({ status: 401, body: 'Unauthorized' }) });
  const plain = await rejection(bare.sender.send(requestOf(bare.sender, [eventN(0)]), signal()));
  assert.equal(isFatalSendError(plain), true);
  assert.equal(plain.code, 'unauthorized');
  for (const error of [invalid, off, scheme, plain]) assert.equal(error.message.includes(TOKEN), false);
});

test('code 7 (incorrect index) is fatal and names the fix', async (t) => {
  const { sender } = await setup(t, { override: () => ({ status: 400, body: '{"text":"Incorrect index","code":7}' }) }, { index: 'nope' });
  const error = await rejection(sender.send(requestOf(sender, [eventN(0)]), signal()));
  assert.equal(isFatalSendError(error), true);
  assert.equal(error.code, 'incorrect_index');
  assert.match(error.message, /HTTP 400, HEC code 7 "Incorrect index"; sending stopped: check index: it must exist and be in the token's allowed indexes$/);
});

test('max_content_length: a request is cut where it would exceed the limit and the rest handed back; an event alone too large is rejected', async (t) => {
  const { server, sender } = await setup(t, { maxContentLength: 1400 }, { max_content_length: 1400 });
  const events = [0, 1, 2, 3, 4].map((i) => eventN(i));
  const request = requestOf(sender, events);
  const size = sender.sizeOf(request.items[0]!);
  assert.equal(size, 664);
  assert.deepEqual(await sender.send(request, signal()), { resend: [2, 3, 4] });
  assert.equal(server.requests.at(-1)!.bytes, 1328);
  const huge = { ...eventN(9), message: 'x'.repeat(2000) };
  assert.deepEqual(await sender.send(requestOf(sender, [huge, eventN(5)]), signal()), {
    rejected: [{ index: 0, reason: 'record_too_large', detail: 'the event is 2647 bytes; max_content_length is 1400' }],
    resend: [1],
  });
  assert.deepEqual(server.uids(), ['e0', 'e1']);
  assert.equal(Math.max(...server.requests.map((r) => r.bytes)), 1328);
});

test('ack: a request counts as sent once acknowledged; one never acknowledged fails retryably and is sent again', async (t) => {
  const { server, sender } = await setup(t, { ack: true, lostAcks: new Set([0]) }, { ack: { enabled: true, poll_interval: '10ms', timeout: '150ms' } });
  const request = requestOf(sender, [eventN(0), eventN(1)]);
  const lost = await rejection(sender.send(request, signal()));
  assert.equal(lost.code, 'ack_timeout');
  assert.equal(lost.retryable, true);
  assert.equal(isFatalSendError(lost), false);
  assert.match(lost.message, new RegExp(`ackId 0 on channel ${sender.channel} not acknowledged within 150ms \\(ackId 0 not yet indexed\\); the request is sent again$`));
  assert.deepEqual(server.uids(), []);
  assert.equal(await sender.send({ ...request, attempt: 2 }, signal()), undefined);
  assert.deepEqual(server.uids(), ['e0', 'e1']);
  assert.deepEqual(server.ackQueries.at(-1), [1]);
  const polls = server.requests.filter((r) => r.path === '/services/collector/ack');
  assert.ok(polls.every((r) => r.headers['x-splunk-request-channel'] === sender.channel));
});

test('ack enabled against a token without acknowledgement is fatal, with the fix', async (t) => {
  const { sender } = await setup(t, {}, { ack: { enabled: true, poll_interval: '10ms', timeout: '1s' } });
  const error = await rejection(sender.send(requestOf(sender, [eventN(0)]), signal()));
  assert.equal(isFatalSendError(error), true);
  assert.equal(error.code, 'ack_disabled');
});

test('start: ack.timeout must be shorter than the per-attempt timeout', async (t) => {
  const { sender } = await setup(t, { ack: true }, { ack: { enabled: true, timeout: '5s' }, timeout: '5s' }, false);
  const error = await rejection(sender.start(new RecordingHost()));
  assert.equal(error.code, 'invalid_config');
  assert.equal(error.message, 'splunk_hec/acme: ack.timeout (5s) must be shorter than timeout (5s), which bounds the POST and the wait for its acknowledgement together');
});

test('health check: an unhealthy, refusing or unreachable HEC fails start with a clear error', async (t) => {
  const sick = await setup(t, { health: { status: 503, body: '{"text":"HEC is unhealthy, queues are full","code":18}' } }, {}, false);
  const unhealthy = await rejection(sick.sender.start(new RecordingHost()));
  assert.equal(unhealthy.code, 'unhealthy');
  assert.equal(unhealthy.message, `splunk_hec/acme: health check failed: GET ${sick.url}/services/collector/health: HTTP 503, HEC code 18 "HEC is unhealthy, queues are full"`);
  const refusing = await setup(t, { health: { status: 403, body: '{"text":"Invalid token","code":4}' } }, {}, false);
  const refused = await rejection(refusing.sender.start(new RecordingHost()));
  assert.equal(isFatalSendError(refused), true);
  assert.equal(refused.message, `splunk_hec/acme: health check failed: GET ${refusing.url}/services/collector/health: HTTP 403, HEC code 4 "Invalid token"; the HEC refuses the token (check token)`);
  const gone = await setup(t, {}, {}, false);
  await gone.server.close();
  const unreachable = await rejection(gone.sender.start(new RecordingHost()));
  assert.equal(unreachable.code, 'unreachable');
  assert.match(unreachable.message, new RegExp(`^splunk_hec/acme: health check failed: GET ${gone.url}/services/collector/health: .*ECONNREFUSED`));
  const skipped = await setup(t, { health: { status: 503, body: '' } }, { health_check: false }, false);
  await skipped.sender.start(new RecordingHost());
  assert.equal(skipped.server.healthChecks, 0);
  for (const error of [unhealthy, refused, unreachable]) assert.equal(error.message.includes(TOKEN), false);
});

test('an aborted attempt rejects retryably', async (t) => {
  const { sender } = await setup(t);
  const controller = new AbortController();
  controller.abort(new Error('attempt timed out after 10s'));
  const error = await rejection(sender.send(requestOf(sender, [eventN(0)]), controller.signal));
  assert.equal(error.code, 'timeout');
  assert.equal(error.retryable, true);
});

test('the token never appears in logs or errors', async (t) => {
  const { sender, logs } = await setup(t, { invalid: (e) => (e.event?.['metadata'] as { uid: string }).uid === 'bad', token: 'other' });
  const messages: string[] = [];
  try {
    await sender.send(requestOf(sender, [eventN(0, 'bad')]), signal());
  } catch (error) {
    messages.push((error as Error).message, String((error as Error).stack));
  }
  assert.equal(messages.length, 2);
  for (const text of [...logs, ...messages]) assert.equal(text.includes(TOKEN), false, text);
});
