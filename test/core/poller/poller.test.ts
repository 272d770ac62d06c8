import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nopLogger } from '../../../core/logger.js';
import { RecordingHost } from '../../../core/testing.js';
import { CheckpointStore } from '../../../core/poller/checkpoint.js';
import { OverlapDeduper, contentId } from '../../../core/poller/dedup.js';
import { PollHttpClient, rateLimitResetMs, retryAfterMs } from '../../../core/poller/http.js';
import { ClientCredentialsToken, safeUrl } from '../../../core/poller/oauth.js';
import { PollLoop } from '../../../core/poller/loop.js';
import { waitFor } from '../../helpers.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ server: Server; base: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => handler(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    base,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const fastHttp = { name: 'test/poller', timeoutMs: 2000, maxBodyBytes: 4096, maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 4, random: () => 0.5 };

test('checkpoint: nothing saved reads undefined; save replaces atomically and leaves no temp file; a corrupt file is a clear permanent error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'authwire-checkpoint-'));
  const store = new CheckpointStore<{ next: string }>(join(dir, 'nested'), 'keycloak/acme');
  assert.equal(await store.load(), undefined);
  await store.save({ next: 'a' }, new Date(Date.UTC(2026, 0, 1)));
  await store.save({ next: 'b' }, new Date(Date.UTC(2026, 0, 2)));
  assert.deepEqual(await store.load(), { next: 'b' });
  assert.deepEqual(await readdir(join(dir, 'nested')), ['checkpoint.json']);
  assert.equal(await readFile(store.path, 'utf8'), '{"version":1,"saved_at":"2026-01-02T00:00:00.000Z","state":{"next":"b"}}\n');
  await writeFile(store.path, '{"version":1,"st');
  await assert.rejects(store.load(), (error: Error & { code?: string }) => error.code === 'corrupt_checkpoint' && error.message.includes('keycloak/acme') && error.message.includes(store.path));
  await writeFile(store.path, '{"version":2,"state":{}}');
  await assert.rejects(store.load(), { code: 'corrupt_checkpoint' });
});

test('dedup: the boundary millisecond is neither lost nor doubled across overlapping windows; uncommitted selections are forgotten', () => {
  const dedup = new OverlapDeduper(1000);
  assert.equal(dedup.windowStart(500), 500);
  const first = dedup.select([{ id: 'a', t: 10_000 }, { id: 'b', t: 10_000 }, { id: 'a', t: 10_000 }], (r) => r.id, (r) => r.t);
  assert.deepEqual(first.fresh.map((r) => r.id), ['a', 'b']);
  assert.equal(first.duplicates, 1);
  first.commit();
  assert.equal(dedup.windowStart(0), 9000);
  // The next window overlaps: a and b again, c shares their millisecond, d is newer.
  const second = dedup.select([{ id: 'a', t: 10_000 }, { id: 'b', t: 10_000 }, { id: 'c', t: 10_000 }, { id: 'd', t: 10_500 }], (r) => r.id, (r) => r.t);
  assert.deepEqual(second.fresh.map((r) => r.id), ['c', 'd']);
  assert.equal(second.duplicates, 2);
  // Not committed (downstream refused): the same records are fresh again.
  const retry = dedup.select([{ id: 'c', t: 10_000 }, { id: 'd', t: 10_500 }], (r) => r.id, (r) => r.t);
  assert.deepEqual(retry.fresh.map((r) => r.id), ['c', 'd']);
  retry.commit();
  assert.equal(dedup.newestTime, 10_500);
  // State round-trips; ids older than newest − overlap are pruned.
  const later = dedup.select([{ id: 'e', t: 11_600 }], (r) => r.id, (r) => r.t);
  later.commit();
  assert.deepEqual(dedup.state(), { newest_time: 11_600, recent: [['e', 11_600]] });
  const restored = new OverlapDeduper(1000);
  restored.restore({ newest_time: 10_500, recent: [['c', 10_000], ['d', 10_500], ['old', 9000]] });
  assert.deepEqual(restored.state(), { newest_time: 10_500, recent: [['c', 10_000], ['d', 10_500]] });
  assert.equal(restored.has('c'), true);
});

test('dedup: the id cap forgets the oldest first and counts them', () => {
  const dedup = new OverlapDeduper(60_000, 3);
  dedup.select(['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ id, t: 1000 + i })), (r) => r.id, (r) => r.t).commit();
  assert.deepEqual(dedup.state().recent.map(([id]) => id), ['c', 'd', 'e']);
  assert.equal(dedup.overflowed, 2);
  assert.equal(contentId('{"a":1}'), contentId('{"a":1}'));
  assert.equal(contentId('{"a":1}').length, 32);
});

test('http: Retry-After and X-Rate-Limit-Reset parse to milliseconds', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' }), now), 3000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now), 5000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '2.128' }), now), 2128);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(retryAfterMs(new Headers(), now), undefined);
  assert.equal(rateLimitResetMs(new Headers({ 'x-rate-limit-reset': String(now / 1000 + 7) }), now), 7000);
  assert.equal(safeUrl('https://user:pw@okta.example/api/v1/logs?token=secret&after=1'), 'https://okta.example/api/v1/logs');
});

test('http: 429 waits for Retry-After, 5xx and malformed JSON back off and retry, then the page arrives', async () => {
  const answers = [
    (r: ServerResponse) => r.writeHead(429, { 'retry-after': '0' }).end(),
    (r: ServerResponse) => r.writeHead(503).end('busy'),
    (r: ServerResponse) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"not json'),
    (r: ServerResponse) => r.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":1}]'),
  ];
  const peer = await serve((_request, response) => answers.shift()!(response));
  const waits: string[] = [];
  try {
    const client = new PollHttpClient({ ...fastHttp, onWait: (reason, ms) => waits.push(`${reason}:${ms}`) });
    const page = await client.getJson(`${peer.base}/logs`);
    assert.deepEqual(page.body, [{ id: 1 }]);
    assert.equal(client.requests, 4);
    // 429: Retry-After 0 s; 503: backoff 1 ms × 2^0 at jitter 0.5 (no spread) = 1; malformed: attempt 2 → 2 ms.
    assert.deepEqual(waits, ['rate_limit:0', 'backoff:1', 'backoff:2']);
  } finally {
    await peer.close();
  }
});

test('http: gives up after maxAttempts with a retryable error naming the URL without its query', async () => {
  const peer = await serve((_request, response) => response.writeHead(500).end());
  try {
    const client = new PollHttpClient(fastHttp);
    await assert.rejects(client.getJson(`${peer.base}/logs?api_token=s3cr3t`), (error: Error & { code?: string; retryable?: boolean }) => {
      assert.equal(error.code, 'http_500');
      assert.equal(error.retryable, true);
      assert.equal(error.message, `test/poller: GET ${peer.base}/logs failed 3 times; last: GET ${peer.base}/logs answered 500`);
      return true;
    });
    assert.equal(client.requests, 3);
  } finally {
    await peer.close();
  }
});

test('http: X-Rate-Limit-Remaining 0 holds the next request until the reset', async () => {
  let now = 1_000_000;
  const peer = await serve((_request, response) =>
    response.writeHead(200, { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(now / 1000 + 2) }).end('[]'),
  );
  const waits: string[] = [];
  try {
    const client = new PollHttpClient({ ...fastHttp, now: () => now, maxRateLimitWaitMs: 5, onWait: (reason, ms) => waits.push(`${reason}:${ms}`) });
    await client.getJson(`${peer.base}/a`);
    assert.deepEqual(waits, []);
    await client.getJson(`${peer.base}/b`);
    // Reset 2000 ms ahead, cut to maxRateLimitWaitMs for the test.
    assert.deepEqual(waits, ['rate_limit:5']);
    // Past the reset, the next request goes at once.
    now += 3000;
    await client.getJson(`${peer.base}/c`);
    assert.deepEqual(waits, ['rate_limit:5']);
    assert.equal(client.requests, 3);
  } finally {
    await peer.close();
  }
});

test('http: a response larger than maxBodyBytes is refused; 403 and 404 are permanent', async () => {
  const peer = await serve((request, response) => {
    if (request.url === '/big') response.writeHead(200).end('x'.repeat(10_000));
    else if (request.url === '/forbidden') response.writeHead(403).end();
    else response.writeHead(404).end();
  });
  try {
    const client = new PollHttpClient(fastHttp);
    await assert.rejects(client.getJson(`${peer.base}/big`), { code: 'response_too_large' });
    await assert.rejects(client.getJson(`${peer.base}/forbidden`), { code: 'unauthorized', retryable: false });
    await assert.rejects(client.getJson(`${peer.base}/missing`), { code: 'http_404', retryable: false });
  } finally {
    await peer.close();
  }
});

test('oauth: the token is cached, refreshed before expiry and once after a 401; the secret never appears in errors', async () => {
  let issued = 0;
  const forms: string[] = [];
  const peer = await serve((request, response, body) => {
    if (request.url === '/token') {
      forms.push(body);
      issued++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `t${issued}`, expires_in: 300, token_type: 'Bearer' }));
      return;
    }
    if (request.url === '/bad-token') {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client","error_description":"secret s3cr3t is wrong"}');
      return;
    }
    // The API: the first token is treated as expired server-side.
    const auth = request.headers.authorization;
    if (auth === 'Bearer t1') response.writeHead(401).end();
    else response.writeHead(200).end(JSON.stringify({ auth }));
  });
  let now = 0;
  try {
    const token = new ClientCredentialsToken({ name: 'keycloak/acme', tokenUrl: `${peer.base}/token`, clientId: 'authwire', clientSecret: 's3cr3t', scope: 'events', now: () => now });
    assert.equal(await token.get(), 't1');
    assert.equal(await token.get(), 't1');
    assert.equal(token.fetched, 1);
    assert.deepEqual(forms, ['grant_type=client_credentials&client_id=authwire&client_secret=s3cr3t&scope=events']);
    // 300 s lifetime, refreshed 60 s before: at 240 s a new one is fetched.
    now = 239_999;
    assert.equal(await token.get(), 't1');
    now = 240_000;
    assert.equal(await token.get(), 't2');
    token.invalidate();
    now = 0;
    // A 401 from the API invalidates and retries once with a fresh token.
    const fresh = new ClientCredentialsToken({ name: 'keycloak/acme', tokenUrl: `${peer.base}/token`, clientId: 'authwire', clientSecret: 's3cr3t' });
    issued = 0;
    const client = new PollHttpClient({ ...fastHttp, token: fresh });
    const page = await client.getJson(`${peer.base}/events`);
    assert.deepEqual(page.body, { auth: 'Bearer t2' });
    const refused = new ClientCredentialsToken({ name: 'keycloak/acme', tokenUrl: `${peer.base}/bad-token`, clientId: 'authwire', clientSecret: 's3cr3t' });
    await assert.rejects(refused.get(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'token_refused');
      assert.equal(error.message, `keycloak/acme: token endpoint ${peer.base}/bad-token refused the client credentials (401: invalid_client)`);
      assert.equal(error.message.includes('s3cr3t'), false);
      return true;
    });
  } finally {
    await peer.close();
  }
});

test('poll loop: a failing pass is reported and retried after a backoff; stop() ends it promptly; lag follows the newest event', async () => {
  const host = new RecordingHost();
  let calls = 0;
  let now = 100_000;
  const loop = new PollLoop({
    name: 'test',
    intervalMs: 1,
    maxBackoffMs: 4,
    logger: nopLogger,
    now: () => now,
    poll: async () => {
      calls++;
      if (calls === 2) throw Object.assign(new Error('downstream refused'), { code: 'queue_full', retryable: true });
      if (calls === 3) loop.observeEventTime(99_000);
    },
  });
  assert.equal(loop.metrics().lag_ms, -1);
  loop.start(host);
  await waitFor(() => calls >= 4);
  await loop.stop();
  const metrics = loop.metrics();
  assert.equal(metrics.poll_failures, 1);
  assert.equal(metrics.lag_ms, 1000);
  assert.equal(host.errors.length, 1);
  assert.equal((host.errors[0] as { code: string }).code, 'queue_full');
  const after = calls;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(calls, after);
  now = 105_000;
  assert.equal(loop.metrics().lag_ms, 6000);
});
