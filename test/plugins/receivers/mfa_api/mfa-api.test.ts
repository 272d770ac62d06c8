import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Batch, Consumer, RawRecord } from '../../../../core/api.js';
import { createLogger } from '../../../../core/logger.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { validateAgainst } from '../../../../core/config/schema.js';
import { mfaApiReceiverFactory } from '../../../../plugins/receivers/mfa_api/index.js';
import { MfaApiReceiver } from '../../../../plugins/receivers/mfa_api/mfa-api.js';
import type { MfaApiConfig } from '../../../../plugins/receivers/mfa_api/config.js';
import { SseParser } from '../../../../plugins/receivers/mfa_api/sse.js';
import type { OversizedEvent, SseEvent } from '../../../../plugins/receivers/mfa_api/sse.js';
import { waitFor } from '../../../helpers.js';
import { CLIENT_SECRET, FakeMfaApi, STATIC_TOKEN, event } from './fake-api.js';

/** Keeps accepted records; refuses every batch while `refuse` is set (the refused ones are not kept). */
class Downstream implements Consumer {
  readonly accepted: RawRecord[] = [];
  refuse = false;
  refused = 0;
  async consume(batch: Batch): Promise<void> {
    if (this.refuse) {
      this.refused++;
      throw Object.assign(new Error('queue full'), { code: 'queue_full', retryable: true });
    }
    this.accepted.push(...(batch.records as RawRecord[]));
  }
  ids(): string[] {
    return this.accepted.filter((r) => r.format === 'mfa_api').map((r) => (r.payload as { event_id: string }).event_id);
  }
}

const fast = { intervalMs: 5, metricsIntervalMs: 5, initialBackoffMs: 1, maxAttempts: 4, random: () => 0.5 };

async function setup(overrides: Partial<MfaApiConfig> = {}, dataDir?: string) {
  const api = await new FakeMfaApi().listen();
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'authwire-mfa-api-')));
  const lines: string[] = [];
  const logger = createLogger({ writeErr: (line) => lines.push(line) }, 'debug');
  const config: MfaApiConfig = {
    ...mfaApiReceiverFactory.createDefaultConfig(),
    base_url: api.base,
    oauth: { token_url: `${api.base}/oauth/token`, client_id: 'authwire', client_secret: CLIENT_SECRET },
    since: '2024-01-01T00:00:00Z',
    timeout: '300ms',
    ...overrides,
  };
  return { api, dir, lines, logger, config };
}

function receiver(env: Awaited<ReturnType<typeof setup>>, downstream: Consumer, dir = env.dir): MfaApiReceiver {
  return new MfaApiReceiver(testSettings('receiver', 'mfa_api/acme', { tenant: 'acme', dataDir: dir, logger: env.logger }), env.config, downstream, fast);
}

function ids(from: number, to: number): string[] {
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(`ev-${String(n).padStart(4, '0')}`);
  return out;
}

function assertNoSecrets(lines: readonly string[], host: RecordingHost): void {
  const texts = [...lines, ...host.errors.map((e) => `${(e as Error).message} ${JSON.stringify(e)} ${String((e as Error).cause ?? '')}`)];
  for (const text of texts) {
    assert.equal(text.includes(CLIENT_SECRET), false, `secret in: ${text}`);
    assert.equal(text.includes(STATIC_TOKEN), false, `token in: ${text}`);
    assert.equal(/tok-\d/.test(text), false, `access token in: ${text}`);
  }
}

test('config: defaults are valid; token and oauth together are refused; a poll interval under 1s is refused at create', () => {
  const defaults = mfaApiReceiverFactory.createDefaultConfig();
  assert.deepEqual(validateAgainst(mfaApiReceiverFactory.configSchema, { ...defaults, base_url: 'https://mfa.example' }), []);
  assert.notDeepEqual(validateAgainst(mfaApiReceiverFactory.configSchema, { ...defaults, base_url: 'https://mfa.example', token: 'a', oauth: { token_url: 'https://x/t', client_id: 'c', client_secret: 's' } }), []);
  assert.throws(
    () => mfaApiReceiverFactory.create(testSettings('receiver', 'mfa_api/x'), { ...defaults, base_url: 'https://mfa.example', poll_interval: '500ms' }, new Downstream()),
    { code: 'invalid_config', message: 'receivers::mfa_api/x::poll_interval: must be at least 1000 ms' },
  );
});

test('sse parser: fields, comments, CRLF split across chunks, multi-line data, oversized events dropped and reported', () => {
  const parser = new SseParser(1024);
  const out: SseEvent[] = [];
  const big: OversizedEvent[] = [];
  const enc = new TextEncoder();
  parser.push(enc.encode(': keep-alive\r'), out, big);
  parser.push(enc.encode('\nid: a1\r\ndata: {"x":\r'), out, big);
  parser.push(enc.encode('\ndata: 1}\r\n\r\nevent: ping\ndata: -\n\nid: a3\ndata: '), out, big);
  parser.push(enc.encode('x'.repeat(3000) + '\n\nid: a4\ndata: ok\n\n'), out, big);
  assert.deepEqual(out, [
    { id: 'a1', event: 'message', data: '{"x":\n1}' },
    { id: undefined, event: 'ping', data: '-' },
    { id: 'a4', event: 'message', data: 'ok' },
  ]);
  assert.equal(big.length, 1);
  assert.equal(big[0]!.id, 'a3');
  assert.equal(big[0]!.prefix, 'x'.repeat(1024));
  assert.equal(parser.oversized, 1);
});

test('poll: pagination, boundary-millisecond duplicates, 429, 500, malformed JSON, a slow response and a 401 after token expiry: every event exactly once, in order', async () => {
  const env = await setup({ page_size: 3 });
  const { api } = env;
  const host = new RecordingHost();
  const downstream = new Downstream();
  for (let n = 1; n <= 7; n++) api.events.push(event(n, `2024-05-01T10:00:0${n < 5 ? n : 5}.250Z`));
  // Faults on the first requests, in order: a rate limit, a 500, malformed JSON, a slow answer, then the token expires.
  api.faults.push('429', '500', 'malformed', 'slow', 'expire_token');
  const rx = receiver(env, downstream);
  try {
    await rx.start(host);
    await waitFor(() => downstream.accepted.length >= 7, 8000, 'first 7 events');
    // Late-indexed events that share the boundary millisecond (10:00:05.250), and a newer one.
    api.events.push(event(8, '2024-05-01T10:00:05.250Z'), event(9, '2024-05-01T10:00:05.250Z'), event(10, '2024-05-01T10:00:06.000Z'));
    await waitFor(() => downstream.accepted.length >= 10, 8000, '10 events');
    const polls = rx.metrics()['polls']!;
    await waitFor(() => rx.metrics()['polls']! >= polls + 3, 8000, 'three more polls');
  } finally {
    await rx.shutdown();
    await api.close();
  }
  assert.deepEqual(downstream.ids(), ids(1, 10));
  assert.equal(api.tokensIssued, 2, 'one token, refreshed once after the 401');
  // Pages of 3 follow the cursor.
  assert.ok(api.requests.some((r) => r.includes('cursor=3')));
  assert.ok(api.requests.every((r) => r.startsWith('/v1/events?since=')));
  const metrics = rx.metrics();
  assert.equal(metrics['events_delivered'], 10);
  assert.ok(metrics['duplicates_dropped']! > 0);
  assert.equal(metrics['token_fetches'], 2);
  assert.equal(metrics['lag_ms']! > 0, true);
  assertNoSecrets(env.lines, host);
  const saved = JSON.parse(await readFile(join(env.dir, 'checkpoint.json'), 'utf8')) as { state: { dedup: { newest_time: number } } };
  assert.equal(saved.state.dedup.newest_time, Date.parse('2024-05-01T10:00:06.000Z'));
});

test('poll: a refusing downstream does not move the checkpoint; once it accepts, every event arrives once', async () => {
  const env = await setup({ token: STATIC_TOKEN, oauth: undefined });
  const { api } = env;
  api.requireAuth = 'static';
  delete (env.config as { oauth?: unknown }).oauth;
  for (let n = 1; n <= 4; n++) api.events.push(event(n, `2024-05-01T10:00:0${n}.000Z`));
  const host = new RecordingHost();
  const downstream = new Downstream();
  downstream.refuse = true;
  const rx = receiver(env, downstream);
  try {
    await rx.start(host);
    const initial = await readFile(join(env.dir, 'checkpoint.json'), 'utf8');
    await waitFor(() => downstream.refused >= 3, 8000, 'three refusals');
    const state = JSON.parse(await readFile(join(env.dir, 'checkpoint.json'), 'utf8')) as { state: unknown };
    assert.deepEqual(state.state, JSON.parse(initial).state);
    assert.equal(rx.metrics()['events_delivered'], 0);
    downstream.refuse = false;
    await waitFor(() => downstream.accepted.length >= 4, 8000, 'delivery');
    await waitFor(() => rx.metrics()['polls']! >= 8, 8000, 'more polls');
  } finally {
    await rx.shutdown();
    await api.close();
  }
  assert.deepEqual(downstream.ids(), ids(1, 4));
  assert.equal((host.errors[0] as { code: string }).code, 'queue_full');
  assertNoSecrets(env.lines, host);
});

test('stream: a disconnect mid-event resumes from the last delivered id (Last-Event-ID) with no loss and no duplicate, even when the server replays', async () => {
  const env = await setup({ mode: 'stream' });
  const { api } = env;
  for (let n = 1; n <= 6; n++) api.events.push(event(n, `2024-05-01T10:00:0${n}.000Z`));
  api.streamCuts.push(4, undefined);
  api.replayOnResume = 2;
  api.faults.push('500'); // the first connection attempt fails
  const host = new RecordingHost();
  const downstream = new Downstream();
  const rx = receiver(env, downstream);
  try {
    await rx.start(host);
    await waitFor(() => downstream.accepted.length >= 6, 8000, 'six events');
    api.events.push(event(7, '2024-05-01T10:00:07.000Z'), event(8, '2024-05-01T10:00:08.000Z'));
    api.publish();
    await waitFor(() => downstream.accepted.length >= 8, 8000, 'eight events');
  } finally {
    await rx.shutdown();
    await api.close();
  }
  assert.deepEqual(downstream.ids(), ids(1, 8));
  // First connection after the 500: no id; the second resumes after ev-0004, the last delivered.
  assert.deepEqual(api.lastEventIds, [undefined, 'ev-0004']);
  const metrics = rx.metrics();
  assert.equal(metrics['stream_connects'], 2);
  assert.equal(metrics['duplicates_dropped'], 2);
  assert.equal(metrics['events_delivered'], 8);
  assertNoSecrets(env.lines, host);
});

test('stream: stopped mid-stream and started again from the checkpoint (new instance, same dataDir): the union is every event exactly once', async () => {
  const env = await setup({ mode: 'stream' });
  const { api } = env;
  for (let n = 1; n <= 5; n++) api.events.push(event(n, `2024-05-01T10:00:0${n}.000Z`));
  const host = new RecordingHost();
  const first = new Downstream();
  const rx1 = receiver(env, first);
  try {
    await rx1.start(host);
    await waitFor(() => first.accepted.length >= 5, 8000, 'first run');
    await rx1.shutdown();
    // Events that arrive while nothing runs.
    for (let n = 6; n <= 9; n++) api.events.push(event(n, `2024-05-01T10:00:0${n}.000Z`));
    const second = new Downstream();
    const rx2 = receiver(env, second);
    await rx2.start(host);
    await waitFor(() => second.accepted.length >= 4, 8000, 'second run');
    api.events.push(event(10, '2024-05-01T10:00:10.000Z'));
    api.publish();
    await waitFor(() => second.accepted.length >= 5, 8000, 'second run, live');
    await rx2.shutdown();
    assert.deepEqual([...first.ids(), ...second.ids()], ids(1, 10));
    assert.deepEqual(api.lastEventIds, [undefined, 'ev-0005']);
  } finally {
    await rx1.shutdown();
    await api.close();
  }
  assertNoSecrets(env.lines, host);
});

test('login_metrics: snapshots are emitted as mfa_api.login_metrics records, an unchanged one only once', async () => {
  const env = await setup({ mode: 'off', login_metrics: { enabled: true, path: '/v1/metrics/logins', interval: '1m' } });
  const { api } = env;
  const snapshot = (timestamp: string, total: number) => ({
    timestamp,
    window: '24h',
    total_logins: total,
    successful_logins: total - 40,
    failed_logins: 40,
    success_rate: (total - 40) / total,
    failure_rate: 40 / total,
    trend_24h: [{ hour: '2024-05-01T09:00:00.000Z', total: 500, success: 480, failure: 20 }],
  });
  api.metrics = snapshot('2024-05-01T10:00:00.000Z', 1000);
  const host = new RecordingHost();
  const downstream = new Downstream();
  const rx = receiver(env, downstream);
  try {
    await rx.start(host);
    await waitFor(() => rx.metrics()['login_metrics_unchanged']! >= 2, 8000, 'unchanged snapshots');
    api.metrics = snapshot('2024-05-01T10:01:00.000Z', 1100);
    await waitFor(() => downstream.accepted.length >= 2, 8000, 'second snapshot');
  } finally {
    await rx.shutdown();
    await api.close();
  }
  assert.deepEqual(downstream.accepted.map((r) => [r.format, r.source, r.payload]), [
    ['mfa_api.login_metrics', 'mfa_api/acme', snapshot('2024-05-01T10:00:00.000Z', 1000)],
    ['mfa_api.login_metrics', 'mfa_api/acme', snapshot('2024-05-01T10:01:00.000Z', 1100)],
  ]);
  assert.equal(rx.metrics()['lag_ms'], -1);
  assert.deepEqual(JSON.parse(await readFile(join(env.dir, 'login_metrics.json'), 'utf8')).state, { last_time: Date.parse('2024-05-01T10:01:00.000Z') });
  assert.deepEqual(api.requests.every((r) => r === '/v1/metrics/logins'), true);
});

test('secrets: a refused client secret and a refused static token name neither in logs nor errors', async () => {
  const env = await setup({ oauth: { token_url: '', client_id: 'authwire', client_secret: 'wrong-' + CLIENT_SECRET } });
  env.config.oauth = { token_url: `${env.api.base}/oauth/token`, client_id: 'authwire', client_secret: 'wrong-' + CLIENT_SECRET };
  const host = new RecordingHost();
  const rx = receiver(env, new Downstream());
  try {
    await rx.start(host);
    await waitFor(() => host.errors.length >= 2, 8000, 'errors');
  } finally {
    await rx.shutdown();
  }
  assert.equal((host.errors[0] as { code: string }).code, 'token_refused');
  for (const text of [...env.lines, ...host.errors.map((e) => (e as Error).message)]) assert.equal(text.includes('wrong-'), false, text);
  assertNoSecrets(env.lines, host);

  const env2 = await setup({ token: 'wrong-' + STATIC_TOKEN });
  delete (env2.config as { oauth?: unknown }).oauth;
  env2.api.requireAuth = 'static';
  const host2 = new RecordingHost();
  const rx2 = receiver(env2, new Downstream());
  try {
    await rx2.start(host2);
    await waitFor(() => host2.errors.length >= 1, 8000, 'errors');
  } finally {
    await rx2.shutdown();
    await env.api.close();
    await env2.api.close();
  }
  assert.equal((host2.errors[0] as { code: string }).code, 'unauthorized');
  for (const text of [...env2.lines, ...host2.errors.map((e) => (e as Error).message)]) assert.equal(text.includes('wrong-'), false, text);
});
