import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { validateAgainst } from '../../../../core/config/schema.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { CHECKPOINT_FILE } from '../../../../core/poller/checkpoint.js';
import { auth0ReceiverFactory } from '../../../../plugins/receivers/auth0/index.js';
import type { Auth0Config } from '../../../../plugins/receivers/auth0/config.js';
import { Auth0Receiver } from '../../../../plugins/receivers/auth0/auth0.js';
import type { Auth0Checkpoint, Auth0Internals } from '../../../../plugins/receivers/auth0/auth0.js';
import { waitFor } from '../../../helpers.js';
import { CapturingLogger, Downstream, FakeAuth0, auth0Log, auth0Logs, leakText } from './fake-auth0.js';
import type { Auth0Log } from './fake-auth0.js';

const T = Date.UTC(2026, 2, 1, 12, 0, 0);
const fast: Auth0Internals = { initialBackoffMs: 1, maxBackoffMs: 4, maxAttempts: 5, random: () => 0.5, loopMaxBackoffMs: 5 };
/** Timers run on a monotonic clock that can be a few ms behind the wall clock. */
const SLACK = 25;

interface Setup {
  auth0: FakeAuth0;
  downstream: Downstream;
  host: RecordingHost;
  logger: CapturingLogger;
  dataDir: string;
  waits: string[];
  create(config?: Partial<Auth0Config>, internals?: Auth0Internals, dataDir?: string): Auth0Receiver;
}

async function setup(): Promise<Setup> {
  const auth0 = await new FakeAuth0().listen();
  const dataDir = await mkdtemp(join(tmpdir(), 'authwire-auth0-'));
  const logger = new CapturingLogger();
  const waits: string[] = [];
  const downstream = new Downstream();
  return {
    auth0,
    downstream,
    host: new RecordingHost(),
    logger,
    dataDir,
    waits,
    create: (config = {}, internals = {}, dir = dataDir) =>
      new Auth0Receiver(
        testSettings('receiver', 'auth0/corp', { tenant: 'corp', dataDir: dir, logger }),
        {
          ...auth0ReceiverFactory.createDefaultConfig(),
          domain: 'corp.eu.auth0.com',
          base_url: auth0.base,
          client_id: auth0.clientId,
          client_secret: auth0.clientSecret,
          take: 3,
          poll_interval: '1s',
          ...config,
        },
        downstream,
        { ...fast, onWait: (reason, ms) => waits.push(`${reason}:${ms}`), ...internals },
      ),
  };
}

async function checkpoint(dataDir: string): Promise<Auth0Checkpoint | undefined> {
  try {
    return (JSON.parse(await readFile(join(dataDir, CHECKPOINT_FILE), 'utf8')) as { state: Auth0Checkpoint }).state;
  } catch {
    return undefined;
  }
}

function ids(logs: readonly Auth0Log[]): string[] {
  return logs.map((log) => log.log_id);
}

function query(path: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(path.split('?')[1]));
}

test('auth0 factory: type, default config valid apart from the credentials, schema refuses bad values', () => {
  assert.equal(auth0ReceiverFactory.type, 'auth0');
  assert.deepEqual(auth0ReceiverFactory.createDefaultConfig(), { poll_interval: '5s', take: 100, since: 'now', timeout: '30s' });
  assert.deepEqual(validateAgainst(auth0ReceiverFactory.configSchema, { ...auth0ReceiverFactory.createDefaultConfig(), domain: 'corp.eu.auth0.com', client_id: 'a', client_secret: 'b' }), []);
  const problems = validateAgainst(auth0ReceiverFactory.configSchema, { domain: 'https://corp.eu.auth0.com', client_id: 'a', take: 500, secret: 'x' });
  assert.deepEqual(problems.map((p) => `${p.path.join('::')}: ${p.message}`).sort(), [
    'client_secret: is required',
    'domain: must match pattern "^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$", got string "https://corp.eu.auth0.com"',
    'secret: unknown key (valid keys: domain, client_id, client_secret, audience, base_url, poll_interval, take, from, since, timeout)',
    'take: must be <= 100, got number 500',
  ]);
  assert.throws(() => new Auth0Receiver(testSettings('receiver', 'auth0/corp'), { ...auth0ReceiverFactory.createDefaultConfig(), domain: 'corp.eu.auth0.com', client_id: 'a', client_secret: 'b', poll_interval: '10ms' }, new Downstream()), /auth0\/corp: poll_interval must be at least 1s, got 10ms/);
});

test('auth0: starts at since via a date search, then pages by from=<log_id>&take, dropping boundary duplicates by log_id', async () => {
  const s = await setup();
  // The day before (not found by the day search), the same day before since (skipped), then e1..e7; e3 and e4 share a millisecond.
  const before = [auth0Log(100, '2026-02-28T23:00:00.000Z'), auth0Log(101, '2026-03-01T08:00:00.000Z')];
  const logs = auth0Logs(7, T, 1000, 1);
  logs[3]!.date = logs[2]!.date;
  s.auth0.logs.push(...before, ...logs);
  s.auth0.overlap = 1;
  let now = T + 60_000;
  const receiver = s.create({ since: '2026-03-01T12:00:00Z' }, { now: () => now });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 7 && receiver.metrics().checkpoint_saves === 5, 5000, 'the first pass');
    assert.deepEqual(s.downstream.ids(), ids(logs));
    assert.deepEqual(s.downstream.batches.map((b) => b.records.length), [2, 2, 2, 1]);
    assert.deepEqual(s.downstream.records.map((r) => [r.format, r.source]), logs.map(() => ['auth0', 'auth0/corp']));
    assert.deepEqual(s.downstream.records[0]!.payload, logs[0]);
    assert.deepEqual(query(s.auth0.requests[0]!.path), { per_page: '1', page: '0', q: 'date:[2026-03-01 TO *]', sort: 'date:1' });
    assert.deepEqual(s.auth0.requests.slice(1, 5).map((r) => query(r.path)), [
      { from: before[1]!.log_id, take: '3' },
      { from: logs[1]!.log_id, take: '3' },
      { from: logs[3]!.log_id, take: '3' },
      { from: logs[5]!.log_id, take: '3' },
    ]);
    const metrics = receiver.metrics();
    assert.equal(metrics.duplicates_dropped, 3);
    assert.equal(metrics.skipped_before_start, 2);
    assert.equal(metrics.lag_ms, 60_000 - 6000);
    assert.equal(metrics.tokens_fetched, 1);
    const saved = await checkpoint(s.dataDir);
    assert.equal(saved!.from, logs[6]!.log_id);
    assert.equal(saved!.skip_before, null);

    s.auth0.logs.push(...auth0Logs(2, T + 7000, 1000, 8));
    now = T + 120_000;
    receiver.pollNow();
    await waitFor(() => receiver.metrics().records === 9 && receiver.metrics().pages === 7 && receiver.metrics().checkpoint_saves === 6, 5000, 'the new logs');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(2)));
    assert.equal(receiver.metrics().duplicates_dropped, 5);
    assert.equal(receiver.metrics().lag_ms, 120_000 - 8000);
  } finally {
    await receiver.shutdown();
    await s.auth0.close();
  }
  assert.deepEqual(s.host.errors, []);
});

test('auth0: since now starts after the newest log without delivering it; from starts after the given log_id', async () => {
  const s = await setup();
  s.auth0.logs.push(...auth0Logs(3, T));
  const receiver = s.create();
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().pages === 2, 5000, 'the start');
    assert.deepEqual(query(s.auth0.requests[0]!.path), { per_page: '1', page: '0', sort: 'date:-1' });
    assert.equal((await checkpoint(s.dataDir))!.from, s.auth0.logs[2]!.log_id);
    assert.equal(receiver.metrics().records, 0);
    s.auth0.logs.push(...auth0Logs(2, T + 3000, 1000, 3));
    receiver.pollNow();
    await waitFor(() => receiver.metrics().records === 2, 5000, 'the new logs');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(3)));
  } finally {
    await receiver.shutdown();
  }
  s.downstream.batches.length = 0;
  const fromReceiver = s.create({ from: s.auth0.logs[1]!.log_id }, {}, await mkdtemp(join(tmpdir(), 'authwire-auth0-')));
  try {
    await fromReceiver.start(s.host);
    await waitFor(() => fromReceiver.metrics().records === 3, 5000, 'the logs after from');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(2)));
  } finally {
    await fromReceiver.shutdown();
    await s.auth0.close();
  }
  assert.deepEqual(s.host.errors, []);
});

test('auth0: 429 with Retry-After, 429 with X-RateLimit-Remaining 0 and a reset, and an exhausted budget on a 200 are waited out', async () => {
  const s = await setup();
  s.auth0.logs.push(...auth0Logs(6, T));
  let reset = 0;
  const limited =
    (headers: Record<string, string>): ((response: ServerResponse) => void) =>
    (response) =>
      response.writeHead(429, { 'content-type': 'application/json', ...headers }).end('{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached","errorCode":"too_many_requests"}');
  s.auth0.faults.push(limited({ 'retry-after': '0' }));
  s.auth0.faults.push((response) => {
    reset = Math.floor(Date.now() / 1000) + 1;
    limited({ 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })(response);
  });
  s.auth0.rateLimit = 1;
  const receiver = s.create({ from: s.auth0.logs[0]!.log_id });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 5, 8000, 'all logs');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(1)));
    assert.equal(s.waits[0], 'rate_limit:0');
    assert.ok(s.waits.length >= 3 && s.waits.every((w) => /^rate_limit:\d+$/.test(w) && Number(w.slice(11)) <= 1000), s.waits.join(','));
    assert.ok(s.auth0.requests[2]!.at >= reset * 1000 - SLACK, `request at ${s.auth0.requests[2]!.at}, reset ${reset * 1000}`);
    assert.ok(s.auth0.requests[3]!.at >= s.auth0.resets[0]! * 1000 - SLACK, `request at ${s.auth0.requests[3]!.at}, reset ${s.auth0.resets[0]! * 1000}`);
    assert.equal(receiver.metrics().backoff_waits, 0);
  } finally {
    await receiver.shutdown();
    await s.auth0.close();
  }
  assert.deepEqual(s.host.errors, []);
});

test('auth0: 500s, a slow response and malformed JSON are retried with backoff; past the attempts the pass fails and the next resumes', async () => {
  const s = await setup();
  s.auth0.logs.push(...auth0Logs(5, T));
  s.auth0.faults.push(
    (r) => r.writeHead(500).end('{"statusCode":500,"error":"Internal Server Error"}'),
    (r) => r.writeHead(503).end(),
    (r) => setTimeout(() => r.writeHead(200, { 'content-type': 'application/json' }).end('[]'), 1000),
    (r) => r.writeHead(200, { 'content-type': 'application/json' }).end('[{"log_id":'),
  );
  const receiver = s.create({ from: s.auth0.logs[0]!.log_id, timeout: '100ms' });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 4, 8000, 'all logs');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(1)));
    assert.deepEqual(s.waits, ['backoff:1', 'backoff:2', 'backoff:4', 'backoff:4']);
    assert.deepEqual(s.host.errors, []);
    s.auth0.logs.push(...auth0Logs(2, T + 5000, 1000, 5));
    for (let i = 0; i < 5; i++) s.auth0.faults.push((r) => r.writeHead(502).end());
    receiver.pollNow();
    await waitFor(() => receiver.metrics().records === 6, 8000, 'the logs after the failed pass');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(1)));
    assert.equal(s.host.errors.length, 1);
    const error = s.host.errors[0] as unknown as { code: string; retryable: boolean; message: string };
    assert.equal(error.code, 'http_502');
    assert.equal(error.retryable, true);
    assert.match(error.message, /^auth0\/corp: GET http:\/\/127\.0\.0\.1:\d+\/api\/v2\/logs failed 5 times; last: GET http:\/\/127\.0\.0\.1:\d+\/api\/v2\/logs answered 502$/);
  } finally {
    await receiver.shutdown();
    await s.auth0.close();
  }
});

test('auth0: the client-credentials token is cached, refreshed once after a 401 on expiry; secrets never reach logs or errors', async () => {
  const s = await setup();
  s.auth0.logs.push(...auth0Logs(7, T));
  s.downstream.onBatch = (count) => {
    if (count === 1) s.auth0.expireTokens();
  };
  const receiver = s.create({ from: s.auth0.logs[0]!.log_id });
  try {
    await receiver.start(s.host);
    await waitFor(() => receiver.metrics().records === 6, 5000, 'all logs');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(1)));
    assert.equal(s.auth0.tokensIssued, 2);
    assert.deepEqual(Object.fromEntries(s.auth0.tokenRequests[0]!), { grant_type: 'client_credentials', client_id: 'm2m-client-id', client_secret: 'm2m-s3cr3t-value', audience: 'https://corp.eu.auth0.com/api/v2/' });
    assert.deepEqual(s.auth0.requests.slice(0, 3).map((r) => r.authorization), ['Bearer eyJhbGciOiJSUzI1NiJ9.m2m-1.sig', 'Bearer eyJhbGciOiJSUzI1NiJ9.m2m-1.sig', 'Bearer eyJhbGciOiJSUzI1NiJ9.m2m-2.sig']);
  } finally {
    await receiver.shutdown();
  }
  assert.deepEqual(s.host.errors, []);

  // A wrong secret: the token endpoint refuses; a permanent error that names neither secret nor token.
  s.auth0.clientSecret = 'rotated-secret';
  const refused = s.create({ from: s.auth0.logs[0]!.log_id, client_secret: 'm2m-s3cr3t-value' }, {}, await mkdtemp(join(tmpdir(), 'authwire-auth0-')));
  try {
    await refused.start(s.host);
    await waitFor(() => s.host.errors.length >= 1);
  } finally {
    await refused.shutdown();
    await s.auth0.close();
  }
  const error = s.host.errors[0] as unknown as { code: string; retryable: boolean; message: string };
  assert.equal(error.code, 'token_refused');
  assert.equal(error.retryable, false);
  assert.match(error.message, /^auth0\/corp: token endpoint http:\/\/127\.0\.0\.1:\d+\/oauth\/token refused the client credentials \(401: access_denied\)$/);
  const leaks = leakText(s.logger, s.host.errors);
  assert.equal(leaks.includes('m2m-s3cr3t-value'), false);
  assert.equal(leaks.includes('m2m-1.sig'), false);
  assert.equal(leaks.includes('m2m-2.sig'), false);
});

test('auth0: a refusing downstream does not move the checkpoint; the page is delivered once it accepts', async () => {
  const s = await setup();
  s.auth0.logs.push(...auth0Logs(6, T));
  s.downstream.onBatch = (count) => {
    if (count === 1) s.downstream.refuse = 2;
  };
  const receiver = s.create({ from: s.auth0.logs[0]!.log_id });
  try {
    await receiver.start(s.host);
    await waitFor(() => s.downstream.refused === 1);
    assert.equal((await checkpoint(s.dataDir))!.from, s.auth0.logs[3]!.log_id);
    await waitFor(() => receiver.metrics().records === 5 && receiver.metrics().checkpoint_saves === 2, 5000, 'all logs');
    assert.deepEqual(s.downstream.ids(), ids(s.auth0.logs.slice(1)));
    assert.equal(receiver.metrics().consume_failures, 2);
    assert.deepEqual(s.host.errors.map((e) => (e as { code: string }).code), ['queue_full', 'queue_full']);
    assert.equal((await checkpoint(s.dataDir))!.from, s.auth0.logs[5]!.log_id);
  } finally {
    await receiver.shutdown();
    await s.auth0.close();
  }
});

test('auth0: stopped mid-stream and started again from the checkpoint, the two runs together deliver every log exactly once', async () => {
  const s = await setup();
  s.auth0.logs.push(...auth0Logs(10, T));
  const first = s.create({ since: '2026-03-01T00:00:00Z', take: 2 });
  s.downstream.onBatch = (count) => {
    if (count === 2) void first.shutdown();
  };
  await first.start(s.host);
  await waitFor(() => s.downstream.batches.length === 2);
  await first.shutdown();
  const firstRun = s.downstream.ids();
  // The search found the first log (delivered alone), then one checkpoint page.
  assert.deepEqual(firstRun, ids(s.auth0.logs.slice(0, 3)));
  assert.equal((await checkpoint(s.dataDir))!.from, s.auth0.logs[2]!.log_id);

  s.downstream.onBatch = undefined;
  s.downstream.batches.length = 0;
  const firstOfSecond = s.auth0.requests.length;
  const second = s.create({ since: 'now', take: 2 });
  try {
    await second.start(s.host);
    await waitFor(() => second.metrics().records === 7, 5000, 'the rest');
  } finally {
    await second.shutdown();
    await s.auth0.close();
  }
  const secondRun = s.downstream.ids();
  assert.deepEqual(secondRun, ids(s.auth0.logs.slice(3)));
  assert.deepEqual([...firstRun, ...secondRun], ids(s.auth0.logs));
  assert.deepEqual(query(s.auth0.requests[firstOfSecond]!.path), { from: s.auth0.logs[2]!.log_id, take: '2' });
  assert.deepEqual(s.host.errors, []);
});

test('auth0: create and shutdown without start; start without domain fails clearly', async () => {
  const settings = testSettings('receiver', 'auth0/none', { dataDir: await mkdtemp(join(tmpdir(), 'authwire-auth0-')) });
  const bare = auth0ReceiverFactory.create(settings, auth0ReceiverFactory.createDefaultConfig(), new Downstream()) as Auth0Receiver;
  await bare.shutdown();
  await bare.shutdown();
  await assert.rejects(bare.start(new RecordingHost()), /auth0\/none: domain is required/);
});
