import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { RetryableError } from '../../../../core/errors.js';
import { RecordingHost } from '../../../../core/testing.js';
import { waitFor } from '../../../helpers.js';
import { FakeKeycloak, adminEvent, userEvent } from './fake-keycloak.js';
import { CapturingLogger, Downstream, SECRET, makeReceiver, passes, range, tempDir } from './helpers.js';

async function serve(options: ConstructorParameters<typeof FakeKeycloak>[0] = {}): Promise<FakeKeycloak> {
  return new FakeKeycloak(options).listen();
}

/** Runs a receiver (user events only, page 20) until `count` records arrived and two more passes completed. */
async function runUntil(server: FakeKeycloak, count: number, options: Parameters<typeof makeReceiver>[2] = {}): Promise<{ downstream: Downstream; host: RecordingHost; metrics: Readonly<Record<string, number>> }> {
  const downstream = new Downstream();
  const { receiver } = makeReceiver(server, downstream, { ...options, config: { events: 'user', page_size: 20, ...options.config } });
  const host = new RecordingHost();
  await receiver.start(host);
  try {
    await waitFor(() => downstream.records.length >= count, 8000, `${count} records`);
    await passes(receiver, 2);
  } finally {
    await receiver.shutdown();
  }
  return { downstream, host, metrics: receiver.metrics() };
}

test('429 with Retry-After is waited out, then paging resumes: every event once', async () => {
  const server = await serve();
  try {
    for (let n = 1; n <= 50; n++) server.add('acme', 'events', userEvent(n));
    server.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const { downstream, host } = await runUntil(server, 50);
    assert.deepEqual(downstream.ids(), range('ev-', 1, 50));
    assert.equal(server.requests.filter((r) => r.status === 429).length, 1);
    assert.equal(host.errors.length, 0);
  } finally {
    await server.close();
  }
});

test('a 401 after the token expired server-side: the token is fetched again once and the request retried', async () => {
  const server = await serve();
  try {
    for (let n = 1; n <= 30; n++) server.add('acme', 'events', userEvent(n));
    let expired = false;
    server.beforeAnswer = () => {
      // Once the first page is answered, the token dies server-side.
      if (!expired) {
        expired = true;
        queueMicrotask(() => server.expireTokens());
      }
    };
    const { downstream, host, metrics } = await runUntil(server, 30);
    assert.equal(expired, true);
    assert.deepEqual(downstream.ids(), range('ev-', 1, 30));
    assert.equal(server.requests.filter((r) => r.status === 401).length, 1);
    assert.equal(server.tokensIssued, 2);
    assert.equal(metrics['token_fetches'], 2);
    assert.equal(host.errors.length, 0);
  } finally {
    await server.close();
  }
});

test('500s back off and retry; malformed JSON is retried; a slow answer times out and is retried: every event once', async () => {
  const server = await serve();
  try {
    for (let n = 1; n <= 45; n++) server.add('acme', 'events', userEvent(n));
    server.faults.push(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503, headers: { 'retry-after': '0' } },
      { kind: 'malformed' },
      { kind: 'slow', delayMs: 1500 },
    );
    const { downstream, metrics } = await runUntil(server, 45, { config: { timeout: '300ms' }, tuning: { maxAttempts: 6 } });
    assert.deepEqual(downstream.ids(), range('ev-', 1, 45));
    assert.equal(server.faults.length, 0);
    assert.equal(metrics['poll_failures'], 0, 'four faults fit in the six attempts of one page');
  } finally {
    await server.close();
  }
});

test('faults beyond the retries fail the pass; the next pass starts from the checkpoint and loses nothing', async () => {
  const server = await serve();
  try {
    for (let n = 1; n <= 45; n++) server.add('acme', 'events', userEvent(n));
    // After page 1, five 502s in a row: more than one pass's 4 attempts.
    let answered = 0;
    server.beforeAnswer = () => {
      if (++answered === 1) for (let i = 0; i < 5; i++) server.faults.push({ kind: 'status', status: 502 });
    };
    const { downstream, host, metrics } = await runUntil(server, 45);
    assert.deepEqual(downstream.ids(), range('ev-', 1, 45));
    assert.equal(metrics['poll_failures'], 1);
    assert.equal(host.errors.length, 1);
    assert.equal((host.errors[0] as { code: string }).code, 'http_502');
  } finally {
    await server.close();
  }
});

test('a failing downstream: consume rejects, nothing advances (checkpoint unchanged), the same events are offered again and delivered once', async () => {
  const server = await serve();
  try {
    for (let n = 1; n <= 25; n++) server.add('acme', 'events', userEvent(n));
    const dataDir = tempDir();
    const downstream = new Downstream();
    let checkpointAtRefusal: unknown;
    downstream.refuse = (call) => {
      if (call === 2 || call === 3) {
        checkpointAtRefusal ??= JSON.parse(readFileSync(join(dataDir, 'checkpoint.json'), 'utf8')).state;
        return new RetryableError('queue_full', 'exporter queue is full');
      }
      return undefined;
    };
    const { receiver } = makeReceiver(server, downstream, { dataDir, config: { events: 'user', page_size: 20 } });
    const host = new RecordingHost();
    await receiver.start(host);
    try {
      await waitFor(() => downstream.records.length === 25);
      await passes(receiver, 2);
    } finally {
      await receiver.shutdown();
    }
    // The first page (20) was accepted and committed before the refusals; the refused second page did not move it.
    assert.deepEqual((checkpointAtRefusal as { streams: Record<string, { newest_time: number }> }).streams['acme/user']!.newest_time, userEvent(20).time);
    assert.deepEqual(downstream.ids(), range('ev-', 1, 25));
    assert.equal(receiver.metrics()['consume_failures'], 2);
    assert.deepEqual(host.errors.map((e) => (e as { code: string }).code), ['queue_full', 'queue_full']);
    const saved = JSON.parse(readFileSync(join(dataDir, 'checkpoint.json'), 'utf8')).state as { streams: Record<string, { newest_time: number }> };
    assert.equal(saved.streams['acme/user']!.newest_time, userEvent(25).time);
  } finally {
    await server.close();
  }
});

test('restart: stopped mid-stream, a new instance with the same data directory resumes from the checkpoint; the union is every event exactly once', async () => {
  const server = await serve({ shuffleTies: true });
  try {
    // Several events per millisecond, so the restart lands inside groups.
    for (let n = 1; n <= 200; n++) server.add('acme', 'events', userEvent(n, Date.UTC(2026, 2, 1, 9) + Math.floor(n / 4)));
    for (let n = 1; n <= 40; n++) server.add('acme', 'admin-events', adminEvent(n));
    const dataDir = tempDir();
    const first = new Downstream();
    const run1 = makeReceiver(server, first, { dataDir, config: { page_size: 30 } });
    let stopping: Promise<void> | undefined;
    first.onAccept = () => {
      if (first.batches.length === 3) stopping = run1.receiver.shutdown();
    };
    await run1.receiver.start(new RecordingHost());
    await waitFor(() => stopping !== undefined);
    await stopping;
    const firstCount = first.records.length;
    assert.ok(firstCount > 0 && firstCount < 240, `run 1 stopped mid-stream (${firstCount})`);
    // More events while it was down.
    for (let n = 201; n <= 230; n++) server.add('acme', 'events', userEvent(n, Date.UTC(2026, 2, 1, 9) + Math.floor(n / 4)));
    const second = new Downstream();
    const run2 = makeReceiver(server, second, { dataDir, config: { page_size: 30 } });
    await run2.receiver.start(new RecordingHost());
    try {
      await waitFor(() => firstCount + second.records.length >= 270);
      await passes(run2.receiver, 2);
    } finally {
      await run2.receiver.shutdown();
    }
    const union = [...first.ids(), ...second.ids()];
    assert.equal(union.length, 270);
    assert.deepEqual(union.filter((id) => id.startsWith('ev-')).sort(), range('ev-', 1, 230));
    assert.deepEqual(union.filter((id) => id.startsWith('ad-')).sort(), range('ad-', 1, 40));
  } finally {
    await server.close();
  }
});

test('the client secret never appears in a log line, an attribute or a reported error, whatever fails', async () => {
  const server = await serve();
  try {
    server.add('acme', 'events', userEvent(1));
    server.faults.push({ kind: 'status', status: 500, body: `{"error":"boom"}` }, { kind: 'malformed' });
    const lines: string[] = [];
    const logger = new CapturingLogger(lines);
    // A working run, with faults, at debug level.
    const { host } = await runUntil(server, 1, { logger });
    // A refused secret: the token endpoint's answer echoes it.
    const wrong = `${SECRET}-wrong`;
    const downstream = new Downstream();
    const { receiver } = makeReceiver(server, downstream, { logger, config: { client_secret: wrong } });
    const refusedHost = new RecordingHost();
    await receiver.start(refusedHost);
    await waitFor(() => refusedHost.errors.length >= 1);
    await receiver.shutdown();
    assert.equal((refusedHost.errors[0] as { code: string }).code, 'token_refused');
    assert.ok(lines.length > 0);
    const everything = [...lines, ...[...host.errors, ...refusedHost.errors].map((e) => `${(e as Error).message} ${(e as Error).stack} ${JSON.stringify(e)} ${String((e as Error).cause)}`)].join('\n');
    assert.equal(everything.includes(SECRET), false, everything);
    assert.equal(everything.includes('tok-'), false, 'access tokens are not logged either');
  } finally {
    await server.close();
  }
});
