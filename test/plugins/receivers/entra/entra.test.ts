import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Batch, Consumer, RawRecord } from '../../../../core/api.js';
import { createLogger } from '../../../../core/logger.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { validateAgainst } from '../../../../core/config/schema.js';
import { entraReceiverFactory } from '../../../../plugins/receivers/entra/index.js';
import { EntraReceiver } from '../../../../plugins/receivers/entra/entra.js';
import type { EntraConfig } from '../../../../plugins/receivers/entra/config.js';
import { waitFor } from '../../../helpers.js';
import { CLIENT_ID, CLIENT_SECRET, FakeGraph, TENANT, audit, guid, signIn } from './fake-graph.js';

class Downstream implements Consumer {
  readonly accepted: RawRecord[] = [];
  readonly batches: number[] = [];
  refuse = false;
  refused = 0;
  /** When set, the batch with this (1-based) number waits for `release()` after being accepted. */
  holdAt: number | undefined;
  private releaseHold: (() => void) | undefined;
  async consume(batch: Batch): Promise<void> {
    if (this.refuse) {
      this.refused++;
      throw Object.assign(new Error('queue full'), { code: 'queue_full', retryable: true });
    }
    this.accepted.push(...(batch.records as RawRecord[]));
    this.batches.push(batch.records.length);
    if (this.batches.length === this.holdAt) await new Promise<void>((resolve) => (this.releaseHold = resolve));
  }
  release(): void {
    this.releaseHold?.();
  }
  ids(format: string): string[] {
    return this.accepted.filter((r) => r.format === format).map((r) => (r.payload as { id: string }).id);
  }
}

const fast = { intervalMs: 5, initialBackoffMs: 1, maxAttempts: 4, random: () => 0.5 };

async function setup(overrides: Partial<EntraConfig> = {}) {
  const graph = await new FakeGraph().listen();
  const dir = await mkdtemp(join(tmpdir(), 'authwire-entra-'));
  const lines: string[] = [];
  const logger = createLogger({ writeErr: (line) => lines.push(line) }, 'debug');
  const config: EntraConfig = {
    ...entraReceiverFactory.createDefaultConfig(),
    tenant_id: TENANT,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    authority: graph.base,
    graph_url: graph.base,
    since: '2024-05-01T00:00:00Z',
    timeout: '300ms',
    ...overrides,
  };
  const create = (downstream: Consumer): EntraReceiver =>
    new EntraReceiver(testSettings('receiver', 'entra/acme', { tenant: 'acme', dataDir: dir, logger }), config, downstream, fast);
  return { graph, dir, lines, config, create };
}

function assertNoSecrets(lines: readonly string[], host: RecordingHost): void {
  const texts = [...lines, ...host.errors.map((e) => `${(e as Error).message} ${JSON.stringify(e)} ${String((e as Error).cause ?? '')}`)];
  for (const text of texts) {
    assert.equal(text.includes(CLIENT_SECRET), false, `secret in: ${text}`);
    assert.equal(text.includes('access-'), false, `access token in: ${text}`);
  }
}

const at = (second: number, fraction = ''): string => `2024-05-01T10:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}${fraction}Z`;

test('config: defaults are valid with the required keys; the token request is client credentials for the Graph scope', () => {
  const defaults = entraReceiverFactory.createDefaultConfig();
  assert.deepEqual(validateAgainst(entraReceiverFactory.configSchema, { ...defaults, tenant_id: TENANT, client_id: CLIENT_ID, client_secret: 'x' }), []);
  assert.deepEqual(validateAgainst(entraReceiverFactory.configSchema, defaults).map((p) => `${p.path.join('::')}: ${p.message}`).sort(), ['client_id: is required', 'client_secret: is required', 'tenant_id: is required']);
});

test('both logs: pages newest first are delivered oldest first; boundary-second duplicates, 429, 500, malformed JSON, a slow page and a 401 after token expiry lose and double nothing', async () => {
  const env = await setup({ page_size: 3 });
  const { graph } = env;
  // Sign-ins in whole seconds, several sharing 10:00:05; audits with Graph's 7-digit fractions.
  for (let n = 1; n <= 7; n++) graph.signIns.push(signIn(n, at(Math.min(n, 5))));
  for (let n = 1; n <= 4; n++) graph.audits.push(audit(n, at(n, '.1234567')));
  graph.faults.push('429', '500', 'malformed', 'slow', 'expire_token');
  const host = new RecordingHost();
  const downstream = new Downstream();
  const rx = env.create(downstream);
  try {
    await rx.start(host);
    await waitFor(() => downstream.accepted.length >= 11, 8000, 'first records');
    // Late arrivals in the boundary second, and newer ones.
    graph.signIns.push(signIn(8, at(5)), signIn(9, at(6)));
    graph.audits.push(audit(5, at(4, '.1234567')), audit(6, at(7)));
    await waitFor(() => downstream.accepted.length >= 15, 8000, 'later records');
    const polls = rx.metrics()['polls']!;
    await waitFor(() => rx.metrics()['polls']! >= polls + 3, 8000, 'more polls');
  } finally {
    await rx.shutdown();
    await graph.close();
  }
  // Equal times keep Graph's order reversed (ids ascending here); 8 came late in second 5.
  assert.deepEqual(downstream.ids('entra.signin'), [1, 2, 3, 4, 5, 6, 7, 8, 9].map(guid));
  assert.deepEqual(downstream.ids('entra.audit'), [1, 2, 3, 4, 5, 6].map((n) => `Directory_${guid(n)}`));
  assert.equal(downstream.accepted.every((r) => r.source === 'entra/acme'), true);
  assert.equal(graph.tokensIssued, 2, 'refreshed once after the 401');
  const form = graph.tokenForms[0]!;
  assert.deepEqual([form.get('grant_type'), form.get('client_id'), form.get('scope')], ['client_credentials', CLIENT_ID, 'https://graph.microsoft.com/.default']);
  assert.ok(graph.requests.includes(`/v1.0/auditLogs/signIns?$filter=createdDateTime ge 2024-05-01T00:00:00Z&$top=3`));
  assert.ok(graph.requests.includes(`/v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge 2024-05-01T00:00:00Z&$top=3`));
  assert.ok(graph.requests.some((r) => r.includes('$skiptoken=3')));
  // Later windows start the overlap (5 min) before the newest delivered event, in whole seconds.
  assert.ok(graph.requests.includes(`/v1.0/auditLogs/signIns?$filter=createdDateTime ge 2024-05-01T09:55:06Z&$top=3`));
  const metrics = rx.metrics();
  assert.equal(metrics['signins_delivered'], 9);
  assert.equal(metrics['audits_delivered'], 6);
  assert.ok(metrics['signins_duplicates_dropped']! > 0);
  assert.ok(metrics['lag_ms']! > 0);
  assertNoSecrets(env.lines, host);
  const saved = JSON.parse(await readFile(join(env.dir, 'checkpoint.json'), 'utf8')) as { state: { logs: { signins: { newest_time: number }; audits: { newest_time: number } } } };
  assert.equal(saved.state.logs.signins.newest_time, Date.parse(at(6)));
  assert.equal(saved.state.logs.audits.newest_time, Date.parse(at(7)));
});

test('page budget: a window larger than max_pages is narrowed, still delivered oldest first, exactly once', async () => {
  const env = await setup({ logs: 'signins', page_size: 2, max_pages: 2, overlap: '5s' });
  const { graph } = env;
  for (let n = 1; n <= 15; n++) graph.signIns.push(signIn(n, at(n * 10)));
  const host = new RecordingHost();
  const downstream = new Downstream();
  const rx = env.create(downstream);
  try {
    await rx.start(host);
    await waitFor(() => downstream.accepted.length >= 15, 8000, 'all records');
    const polls = rx.metrics()['polls']!;
    await waitFor(() => rx.metrics()['polls']! >= polls + 2, 8000, 'more polls');
  } finally {
    await rx.shutdown();
    await graph.close();
  }
  assert.deepEqual(downstream.ids('entra.signin'), Array.from({ length: 15 }, (_, i) => guid(i + 1)));
  assert.ok(downstream.batches.every((size) => size <= 2));
  const metrics = rx.metrics();
  assert.ok(metrics['windows_narrowed']! > 0);
  assert.equal(metrics['page_budget_exceeded'], 0);
  assert.equal(host.errors.length, 0);
});

test('restart: stopped mid-catch-up and started again from the checkpoint (new instance, same dataDir): every record exactly once', async () => {
  const env = await setup({ logs: 'signins', page_size: 2, max_pages: 100 });
  const { graph } = env;
  for (let n = 1; n <= 9; n++) graph.signIns.push(signIn(n, at(n)));
  const host = new RecordingHost();
  const first = new Downstream();
  first.holdAt = 2;
  const rx1 = env.create(first);
  const second = new Downstream();
  try {
    await rx1.start(host);
    await waitFor(() => first.batches.length >= 2, 8000, 'two batches');
    const stopping = rx1.shutdown();
    first.release();
    await stopping;
    assert.deepEqual(first.ids('entra.signin'), [1, 2, 3, 4].map(guid));
    for (let n = 10; n <= 12; n++) graph.signIns.push(signIn(n, at(n)));
    const rx2 = env.create(second);
    await rx2.start(host);
    await waitFor(() => second.accepted.length >= 8, 8000, 'second run');
    const polls = rx2.metrics()['polls']!;
    await waitFor(() => rx2.metrics()['polls']! >= polls + 2, 8000, 'more polls');
    await rx2.shutdown();
  } finally {
    await rx1.shutdown();
    await graph.close();
  }
  assert.deepEqual([...first.ids('entra.signin'), ...second.ids('entra.signin')], Array.from({ length: 12 }, (_, i) => guid(i + 1)));
  assertNoSecrets(env.lines, host);
});

test('a refusing downstream does not move the checkpoint; once it accepts, every record arrives once', async () => {
  const env = await setup({ logs: 'audits' });
  const { graph } = env;
  for (let n = 1; n <= 3; n++) graph.audits.push(audit(n, at(n)));
  const host = new RecordingHost();
  const downstream = new Downstream();
  downstream.refuse = true;
  const rx = env.create(downstream);
  try {
    await rx.start(host);
    const initial = JSON.parse(await readFile(join(env.dir, 'checkpoint.json'), 'utf8')) as { state: unknown };
    await waitFor(() => downstream.refused >= 3, 8000, 'refusals');
    assert.deepEqual((JSON.parse(await readFile(join(env.dir, 'checkpoint.json'), 'utf8')) as { state: unknown }).state, initial.state);
    assert.deepEqual(initial.state, { start_time: Date.parse('2024-05-01T00:00:00Z'), logs: { audits: { newest_time: null, recent: [] } } });
    downstream.refuse = false;
    await waitFor(() => downstream.accepted.length >= 3, 8000, 'delivery');
    const polls = rx.metrics()['polls']!;
    await waitFor(() => rx.metrics()['polls']! >= polls + 2, 8000, 'more polls');
  } finally {
    await rx.shutdown();
    await graph.close();
  }
  assert.deepEqual(downstream.ids('entra.audit'), [1, 2, 3].map((n) => `Directory_${guid(n)}`));
  assert.equal((host.errors[0] as { code: string }).code, 'queue_full');
});

test('secrets and safety: a wrong client secret is reported without it; an @odata.nextLink to another host is not followed', async () => {
  const env = await setup({ client_secret: 'wrong-' + CLIENT_SECRET });
  const host = new RecordingHost();
  const rx = env.create(new Downstream());
  try {
    await rx.start(host);
    await waitFor(() => host.errors.length >= 2, 8000, 'errors');
  } finally {
    await rx.shutdown();
    await env.graph.close();
  }
  assert.equal((host.errors[0] as { code: string }).code, 'token_refused');
  assert.equal((host.errors[0] as Error).message, `entra/acme: token endpoint ${env.graph.base}/${TENANT}/oauth2/v2.0/token refused the client credentials (401: invalid_client)`);
  for (const text of [...env.lines, ...host.errors.map((e) => (e as Error).message)]) assert.equal(text.includes('wrong-'), false, text);

  const env2 = await setup({ logs: 'signins', page_size: 1 });
  env2.graph.signIns.push(signIn(1, at(1)), signIn(2, at(2)));
  env2.graph.faults.push('foreign_next');
  const host2 = new RecordingHost();
  const downstream = new Downstream();
  const rx2 = env2.create(downstream);
  try {
    await rx2.start(host2);
    await waitFor(() => downstream.accepted.length >= 2, 8000, 'records after the refused link');
  } finally {
    await rx2.shutdown();
    await env2.graph.close();
  }
  assert.equal((host2.errors[0] as { code: string }).code, 'foreign_next_link');
  assert.deepEqual(downstream.ids('entra.signin'), [guid(1), guid(2)]);
  assertNoSecrets(env2.lines, host2);
});
