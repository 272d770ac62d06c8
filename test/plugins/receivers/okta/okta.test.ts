import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { validateAgainst } from '../../../../core/config/schema.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { CHECKPOINT_FILE } from '../../../../core/poller/checkpoint.js';
import { oktaReceiverFactory } from '../../../../plugins/receivers/okta/index.js';
import type { OktaConfig } from '../../../../plugins/receivers/okta/config.js';
import { OktaReceiver } from '../../../../plugins/receivers/okta/okta.js';
import type { OktaInternals } from '../../../../plugins/receivers/okta/okta.js';
import { waitFor } from '../../../helpers.js';
import { CapturingLogger, Downstream, FakeOkta, leakText, oktaEvents } from './fake-okta.js';

const SSWS = '00aBcD-ssws-s3cr3t-token-XYZ';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const fast: OktaInternals = { initialBackoffMs: 1, maxBackoffMs: 4, maxAttempts: 5, random: () => 0.5, loopMaxBackoffMs: 5 };

interface Setup {
  okta: FakeOkta;
  downstream: Downstream;
  host: RecordingHost;
  logger: CapturingLogger;
  dataDir: string;
  waits: string[];
  create(config?: Partial<OktaConfig>, internals?: OktaInternals): OktaReceiver;
}

async function setup(): Promise<Setup> {
  const okta = await new FakeOkta().listen();
  okta.ssws = SSWS;
  const dataDir = await mkdtemp(join(tmpdir(), 'authwire-okta-'));
  const logger = new CapturingLogger();
  const waits: string[] = [];
  const downstream = new Downstream();
  return {
    okta,
    downstream,
    host: new RecordingHost(),
    logger,
    dataDir,
    waits,
    create: (config = {}, internals = {}) =>
      new OktaReceiver(
        testSettings('receiver', 'okta/acme', { tenant: 'acme', dataDir, logger }),
        { ...oktaReceiverFactory.createDefaultConfig(), org_url: okta.base, token: SSWS, since: '2026-03-01T00:00:00Z', limit: 3, poll_interval: '1s', ...config },
        downstream,
        { ...fast, onWait: (reason, ms) => waits.push(`${reason}:${ms}`), ...internals },
      ),
  };
}

async function checkpoint(dataDir: string): Promise<{ next: string; dedup: { newest_time: number | null; recent: [string, number][] } } | undefined> {
  try {
    return (JSON.parse(await readFile(join(dataDir, CHECKPOINT_FILE), 'utf8')) as { state: { next: string; dedup: { newest_time: number | null; recent: [string, number][] } } }).state;
  } catch {
    return undefined;
  }
}

function uuids(events: readonly { uuid: string }[]): string[] {
  return events.map((event) => event.uuid);
}

function afterOf(path: string): string | null {
  return new URLSearchParams(path.split('?')[1]).get('after');
}

test('okta factory: type, default config valid apart from org_url, schema refuses bad values', () => {
  assert.equal(oktaReceiverFactory.type, 'okta');
  assert.equal(oktaReceiverFactory.kind, 'receiver');
  assert.deepEqual(oktaReceiverFactory.createDefaultConfig(), { scopes: ['okta.logs.read'], poll_interval: '5s', since: 'now', limit: 1000, timeout: '30s' });
  const ok = { ...oktaReceiverFactory.createDefaultConfig(), org_url: 'https://acme.okta.com', token: 'x' };
  assert.deepEqual(validateAgainst(oktaReceiverFactory.configSchema, ok), []);
  const problems = validateAgainst(oktaReceiverFactory.configSchema, { org_url: 'https://acme.okta.com', limit: 5000, since: 'yesterday', client_id: 'abc', tokn: 'x' });
  assert.deepEqual(problems.map((p) => `${p.path.join('::')}: ${p.message}`).sort(), [
    ': must have property private_key when property client_id is present, got a map',
    'limit: must be <= 1000, got number 5000',
    'since: must match pattern "^(?:now|\\d{4}-\\d{2}-\\d{2}T.+|(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+)$", got string "yesterday"',
    'tokn: unknown key (did you mean "token"?)',
  ]);
  const settings = testSettings('receiver', 'okta/acme');
  assert.throws(() => new OktaReceiver(settings, { ...oktaReceiverFactory.createDefaultConfig(), org_url: 'https://a.okta.com', token: 'x', access_token: 'y' }, new Downstream()), /set only one of token \(SSWS\), access_token, or client_id with private_key/);
  assert.throws(() => new OktaReceiver(settings, { ...oktaReceiverFactory.createDefaultConfig(), org_url: 'https://a.okta.com', token: 'x', poll_interval: '500ms' }, new Downstream()), /poll_interval must be at least 1s, got 500ms/);
  assert.throws(() => new OktaReceiver(settings, { ...oktaReceiverFactory.createDefaultConfig(), org_url: 'https://a.okta.com', client_id: 'c', private_key: 'not a key' }, new Downstream()), (error: Error) => error.message === 'okta/acme: private_key is not a PEM or JWK private key');
});

test('okta: follows Link rel="next" page by page, drops boundary duplicates by uuid, keeps polling the empty page\'s next link', async () => {
  const s = await setup();
  // Events 3 and 4 share a millisecond across a page boundary; the server re-serves one event before each cursor.
  const events = oktaEvents(7, T0);
  events[3]!.published = events[2]!.published;
  s.okta.events.push(...events);
  s.okta.overlap = 1;
  let now = T0 + 60_000;
  const receiver = s.create({}, { now: () => now });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().polls >= 1 && receiver.metrics().records === 7 && receiver.metrics().pages === 4, 5000, 'the first pass');
    assert.deepEqual(s.downstream.ids('uuid'), uuids(events));
    assert.deepEqual(s.downstream.records.map((r) => [r.format, r.source]), events.map(() => ['okta', 'okta/acme']));
    assert.deepEqual(s.downstream.records[0]!.payload, events[0]);
    // Pages [0,1,2] [2,3,4] [4,5,6] [6]: three re-served events dropped; the short page ends the pass.
    assert.deepEqual(s.downstream.batches.map((b) => b.records.length), [3, 2, 2]);
    assert.equal(receiver.metrics().duplicates_dropped, 3);
    // The first request is a polling request: since, oldest first, no until.
    const first = new URL(s.okta.requests[0]!.path, s.okta.base);
    assert.deepEqual([...first.searchParams.keys()].sort(), ['limit', 'since', 'sortOrder']);
    assert.equal(first.searchParams.get('since'), '2026-03-01T00:00:00.000Z');
    assert.equal(first.searchParams.get('sortOrder'), 'ASCENDING');
    assert.deepEqual(s.okta.requests.slice(0, 4).map((r) => afterOf(r.path)), [null, 'Yzoz', 'Yzo1', 'Yzo3']);
    assert.ok(s.okta.requests.every((r) => r.authorization === `SSWS ${SSWS}`));
    const saved = await checkpoint(s.dataDir);
    assert.equal(afterOf(saved!.next), 'Yzo3');
    assert.equal(saved!.dedup.newest_time, T0 + 6000);
    assert.equal(receiver.metrics().lag_ms, 54_000);

    // Caught up: the next pass asks the saved next link, gets [6] again (dropped), then new events.
    s.okta.events.push(...oktaEvents(2, T0 + 7000, 1000, 7));
    now = T0 + 120_000;
    receiver.pollNow();
    await waitFor(() => receiver.metrics().records === 9 && receiver.metrics().pages === 6, 5000, 'the new events');
    assert.deepEqual(s.downstream.ids('uuid'), uuids(s.okta.events));
    assert.equal(receiver.metrics().duplicates_dropped, 5);
    assert.equal(receiver.metrics().lag_ms, 120_000 - 8000);
    // An empty page keeps the cursor: the next poll asks the same next link again.
    receiver.pollNow();
    await waitFor(() => receiver.metrics().pages >= 7);
    receiver.pollNow();
    await waitFor(() => receiver.metrics().pages >= 8);
    const last = s.okta.requests.slice(-2).map((r) => afterOf(r.path));
    assert.equal(last[0], last[1]);
    assert.equal(receiver.metrics().records, 9);
  } finally {
    await receiver.shutdown();
    await s.okta.close();
  }
  assert.deepEqual(s.host.errors, []);
  assert.equal(leakText(s.logger, s.host.errors).includes(SSWS), false);
});

test('okta: 429 with Retry-After, 429 with X-Rate-Limit-Remaining 0 and a reset, and an exhausted budget on a 200 are all waited out', async () => {
  const s = await setup();
  s.okta.events.push(...oktaEvents(5, T0));
  let reset = 0;
  const rateLimited =
    (headers: Record<string, string>): ((response: ServerResponse) => void) =>
    (response) =>
      response.writeHead(429, { 'content-type': 'application/json', ...headers }).end('{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}');
  s.okta.faults.push(rateLimited({ 'retry-after': '0' }));
  s.okta.faults.push((response) => {
    reset = Math.floor(Date.now() / 1000) + 1;
    rateLimited({ 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) })(response);
  });
  // The first page then spends the last request of the budget.
  s.okta.rateLimit = 1;
  s.okta.resetAt = () => Math.floor(Date.now() / 1000) + 1;
  const receiver = s.create();
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 5, 8000, 'all events');
    assert.deepEqual(s.downstream.ids('uuid'), uuids(s.okta.events));
    assert.equal(s.downstream.batches.length, 2);
    assert.equal(s.waits[0], 'rate_limit:0');
    assert.ok(s.waits.length >= 3 && s.waits.every((w) => /^rate_limit:\d+$/.test(w) && Number(w.slice(11)) <= 1000), s.waits.join(','));
    // Nothing was sent before the resets X-Rate-Limit-Reset named: after the 429, and after the 200 with Remaining 0.
    // (Timers run on a monotonic clock that can be a few ms behind the wall clock, hence the slack.)
    const SLACK = 25;
    assert.ok(s.okta.requests[2]!.at >= reset * 1000 - SLACK, `request at ${s.okta.requests[2]!.at}, reset ${reset * 1000}`);
    assert.ok(s.okta.requests[3]!.at >= s.okta.resets[0]! * 1000 - SLACK, `request at ${s.okta.requests[3]!.at}, reset ${s.okta.resets[0]! * 1000}`);
    assert.equal(receiver.metrics().backoff_waits, 0);
  } finally {
    await receiver.shutdown();
    await s.okta.close();
  }
  assert.deepEqual(s.host.errors, []);
});

test('okta: 500s, a slow response and malformed JSON are retried with backoff; past the attempts the pass fails and the next one resumes', async () => {
  const s = await setup();
  s.okta.events.push(...oktaEvents(4, T0));
  s.okta.faults.push(
    (r) => r.writeHead(500).end('{"errorCode":"E0000009","errorSummary":"Internal Server Error"}'),
    (r) => r.writeHead(503).end(),
    (r) => setTimeout(() => r.writeHead(200, { 'content-type': 'application/json' }).end('[]'), 1000),
    (r) => r.writeHead(200, { 'content-type': 'application/json' }).end('[{"uuid": "5d0e'),
  );
  const receiver = s.create({ timeout: '100ms' });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 4, 8000, 'all events');
    assert.deepEqual(s.downstream.ids('uuid'), uuids(s.okta.events));
    // Exponential backoff 1, 2, 4, 4 ms (cap 4; jitter fixed at the middle).
    assert.deepEqual(s.waits, ['backoff:1', 'backoff:2', 'backoff:4', 'backoff:4']);
    assert.deepEqual(s.host.errors, []);

    // Five 500s in a row exhaust a page's attempts: the pass fails (reported, retryable), the checkpoint stays, the next pass gets the page.
    s.okta.events.push(...oktaEvents(2, T0 + 4000, 1000, 4));
    const before = await checkpoint(s.dataDir);
    for (let i = 0; i < 5; i++) s.okta.faults.push((r) => r.writeHead(500).end());
    receiver.pollNow();
    await waitFor(() => receiver.metrics().records === 6, 8000, 'the events after the failed pass');
    assert.deepEqual(s.downstream.ids('uuid'), uuids(s.okta.events));
    assert.equal(s.host.errors.length, 1);
    const error = s.host.errors[0] as unknown as Error & { code: string; retryable: boolean };
    assert.equal(error.code, 'http_500');
    assert.equal(error.retryable, true);
    assert.match(error.message, /^okta\/acme: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/logs failed 5 times; last: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/logs answered 500$/);
    assert.ok(before !== undefined);
  } finally {
    await receiver.shutdown();
    await s.okta.close();
  }
});

test('okta: a 401 on the SSWS token is a permanent error with a clear message and no token in it; nothing is delivered or saved', async () => {
  const s = await setup();
  s.okta.events.push(...oktaEvents(3, T0));
  s.okta.ssws = 'another-token';
  const receiver = s.create();
  try {
    await receiver.start(s.host);
    await waitFor(() => s.host.errors.length >= 1);
  } finally {
    await receiver.shutdown();
    await s.okta.close();
  }
  const error = s.host.errors[0] as Error & { code: string; retryable: boolean };
  assert.equal(error.code, 'unauthorized');
  assert.equal(error.retryable, false);
  assert.match(error.message, /^okta\/acme: Okta refused the SSWS API token: it is revoked, expired \(unused for 30 days\) or its admin lost access to the System Log; update the credential and restart \(okta\/acme: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/logs answered 401: the credentials are refused or lack the needed permission\)$/);
  assert.equal(s.okta.requests.length >= 1, true);
  assert.equal(s.downstream.records.length, 0);
  assert.equal(await checkpoint(s.dataDir), undefined);
  assert.equal(leakText(s.logger, s.host.errors).includes(SSWS), false);
});

test('okta: OAuth for Okta signs a private_key_jwt assertion (EC JWK), caches the token and refreshes it once after a 401', async () => {
  const s = await setup();
  s.okta.ssws = undefined;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'authwire-key-1' });
  s.okta.oauth = { clientId: '0oa1svc2app3', publicKey, alg: 'ES256' };
  s.okta.events.push(...oktaEvents(6, T0));
  let expired = false;
  s.downstream.onBatch = (count) => {
    if (count === 1 && !expired) {
      expired = true;
      s.okta.expireTokens();
    }
  };
  const receiver = s.create({ token: undefined, client_id: '0oa1svc2app3', private_key: jwk });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 6, 5000, 'all events');
    assert.deepEqual(s.downstream.ids('uuid'), uuids(s.okta.events));
    assert.equal(s.okta.tokensIssued, 2);
    assert.equal(receiver.metrics().tokens_fetched, 2);
    const form = s.okta.tokenRequests[0]!;
    assert.deepEqual([...form.keys()].sort(), ['client_assertion', 'client_assertion_type', 'grant_type', 'scope']);
    assert.equal(form.get('scope'), 'okta.logs.read');
    const header = JSON.parse(Buffer.from(form.get('client_assertion')!.split('.')[0]!, 'base64url').toString()) as unknown;
    assert.deepEqual(header, { alg: 'ES256', typ: 'JWT', kid: 'authwire-key-1' });
    assert.deepEqual(s.okta.requests.slice(0, 3).map((r) => r.authorization), ['Bearer okta-at-1-opaque', 'Bearer okta-at-1-opaque', 'Bearer okta-at-2-opaque']);
  } finally {
    await receiver.shutdown();
    await s.okta.close();
  }
  assert.deepEqual(s.host.errors, []);
  const leaks = leakText(s.logger, s.host.errors);
  assert.equal(leaks.includes('okta-at-'), false);
  assert.equal(leaks.includes(JSON.parse(jwk).d as string), false);
});

test('okta: RSA PEM keys sign RS256 assertions the token endpoint verifies', async () => {
  const s = await setup();
  s.okta.ssws = undefined;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  s.okta.oauth = { clientId: '0oa9rsa', publicKey, alg: 'RS256' };
  s.okta.events.push(...oktaEvents(2, T0));
  const receiver = s.create({ token: undefined, client_id: '0oa9rsa', private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, key_id: 'k2' });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 2, 5000, 'all events');
    assert.equal(s.okta.tokensIssued, 1);
  } finally {
    await receiver.shutdown();
    await s.okta.close();
  }
  assert.deepEqual(s.host.errors, []);
});

test('okta: a refusing downstream does not move the checkpoint; the page is delivered once it accepts', async () => {
  const s = await setup();
  s.okta.events.push(...oktaEvents(5, T0));
  s.downstream.onBatch = (count) => {
    if (count === 1) s.downstream.refuse = 2;
  };
  const receiver = s.create();
  try {
    await receiver.start(s.host);
    await waitFor(() => s.downstream.refused === 1);
    // Page 1 was accepted and saved; page 2 was refused: the checkpoint still points at page 2.
    const saved = await checkpoint(s.dataDir);
    assert.equal(afterOf(saved!.next), 'Yzoz');
    assert.deepEqual(saved!.dedup.recent.map(([id]) => id), uuids(s.okta.events.slice(0, 3)));
    await waitFor(() => receiver.metrics().records === 5 && receiver.metrics().checkpoint_saves === 2, 5000, 'all events');
    assert.deepEqual(s.downstream.ids('uuid'), uuids(s.okta.events));
    assert.equal(s.downstream.refused, 2);
    assert.equal(receiver.metrics().consume_failures, 2);
    assert.deepEqual(s.host.errors.map((e) => (e as { code: string }).code), ['queue_full', 'queue_full']);
    assert.equal(afterOf((await checkpoint(s.dataDir))!.next), 'Yzo1');
  } finally {
    await receiver.shutdown();
    await s.okta.close();
  }
});

test('okta: stopped mid-stream and started again from the checkpoint, the two runs together deliver every event exactly once', async () => {
  const s = await setup();
  s.okta.events.push(...oktaEvents(10, T0));
  const first = s.create({ limit: 2 });
  s.downstream.onBatch = (count) => {
    if (count === 2) void first.shutdown();
  };
  await first.start(s.host);
  await waitFor(() => s.downstream.batches.length === 2);
  await first.shutdown();
  const firstRun = s.downstream.ids('uuid');
  assert.deepEqual(firstRun, uuids(s.okta.events.slice(0, 4)));
  assert.equal(afterOf((await checkpoint(s.dataDir))!.next), 'Yzo0');

  s.downstream.onBatch = undefined;
  s.downstream.batches.length = 0;
  const firstOfSecond = s.okta.requests.length;
  const second = s.create({ limit: 2, since: 'now' });
  try {
    await second.start(s.host);
    await waitFor(() => second.metrics().records === 6, 5000, 'the rest');
  } finally {
    await second.shutdown();
    await s.okta.close();
  }
  const secondRun = s.downstream.ids('uuid');
  assert.deepEqual(secondRun, uuids(s.okta.events.slice(4)));
  assert.deepEqual([...firstRun, ...secondRun], uuids(s.okta.events));
  // The second run resumed from the saved link, not from its own start position (since: now).
  const resumed = new URLSearchParams(s.okta.requests[firstOfSecond]!.path.split('?')[1]);
  assert.equal(resumed.get('after'), 'Yzo0');
  assert.equal(resumed.get('since'), null);
  assert.deepEqual(s.host.errors, []);
});

test('okta: create and shutdown without start; start without org_url or credentials fails clearly', async () => {
  const settings = testSettings('receiver', 'okta/none', { dataDir: await mkdtemp(join(tmpdir(), 'authwire-okta-')) });
  const bare = oktaReceiverFactory.create(settings, oktaReceiverFactory.createDefaultConfig(), new Downstream()) as OktaReceiver;
  await bare.shutdown();
  await bare.shutdown();
  await assert.rejects(bare.start(new RecordingHost()), /okta\/none: org_url is required/);
  const noAuth = new OktaReceiver(settings, { ...oktaReceiverFactory.createDefaultConfig(), org_url: 'https://acme.okta.com' }, new Downstream());
  await assert.rejects(noAuth.start(new RecordingHost()), /okta\/none: set token \(SSWS API token\), access_token, or client_id with private_key/);
  await noAuth.shutdown();
});
