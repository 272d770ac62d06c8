import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { RecordingHost } from '../../../../core/testing.js';
import { waitFor } from '../../../helpers.js';
import { BASE_TIME, FakeKeycloak, adminEvent, userEvent } from './fake-keycloak.js';
import { Downstream, makeReceiver, passes, range, tempDir } from './helpers.js';

async function withServer(options: ConstructorParameters<typeof FakeKeycloak>[0], body: (server: FakeKeycloak) => Promise<void>): Promise<void> {
  const server = await new FakeKeycloak(options).listen();
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('Keycloak 26.2+: pages ascending with epoch-ms dateFrom; both kinds tagged for the normalizer, each event once, oldest first', async () => {
  await withServer({}, async (server) => {
    for (let n = 1; n <= 130; n++) server.add('acme', 'events', userEvent(n));
    for (let n = 1; n <= 60; n++) server.add('acme', 'admin-events', adminEvent(n));
    // Before start_at: never delivered.
    server.add('acme', 'events', userEvent(0, Date.UTC(2026, 1, 27)));
    const downstream = new Downstream();
    const { receiver } = makeReceiver(server, downstream);
    const host = new RecordingHost();
    await receiver.start(host);
    try {
      await waitFor(() => downstream.records.length === 190);
      await passes(receiver, 2);
    } finally {
      await receiver.shutdown();
    }
    assert.deepEqual(downstream.ids('keycloak.event'), range('ev-', 1, 130));
    assert.deepEqual(downstream.ids('keycloak.admin_event'), range('ad-', 1, 60));
    assert.equal(downstream.records.length, 190);
    const first = downstream.records[0]!;
    assert.deepEqual(Object.keys(first), ['format', 'payload', 'observedTime', 'source']);
    assert.deepEqual(first.payload, userEvent(1));
    assert.equal(first.source, 'keycloak/acme');
    assert.ok(downstream.batches.every((batch) => batch.tenant === 'acme' && batch.records.length <= 50));
    // Requests: ascending, epoch ms, the configured page size; the first starts at start_at.
    const user = server.requests.filter((r) => r.kind === 'events');
    assert.deepEqual(user[0]!.query, { dateFrom: String(Date.UTC(2026, 2, 1)), first: '0', max: '50', direction: 'asc' });
    // Keyset: the second page starts at the first page's newest millisecond (re-read and dropped as a duplicate).
    assert.deepEqual(user[1]!.query, { dateFrom: String(userEvent(50).time), first: '0', max: '50', direction: 'asc' });
    assert.equal(host.errors.length, 0);
    const metrics = receiver.metrics();
    assert.equal(metrics['records'], 190);
    assert.equal(metrics['token_fetches'], 1);
    assert.equal(metrics['poll_failures'], 0);
  });
});

test('boundary millisecond: events sharing a millisecond across polls are delivered once each, none lost', async () => {
  await withServer({ shuffleTies: true }, async (server) => {
    const t = BASE_TIME + 5000;
    server.add('acme', 'events', userEvent(1, t), userEvent(2, t), userEvent(3, t));
    const downstream = new Downstream();
    const { receiver } = makeReceiver(server, downstream, { config: { events: 'user', page_size: 2 } });
    await receiver.start(new RecordingHost());
    try {
      await waitFor(() => downstream.records.length === 3);
      await passes(receiver, 1);
      // Late arrivals in the same millisecond, and one a millisecond later.
      server.add('acme', 'events', userEvent(4, t), userEvent(5, t), userEvent(6, t + 1));
      await waitFor(() => downstream.records.length === 6);
      await passes(receiver, 2);
      // One just inside the overlap, indexed late.
      server.add('acme', 'events', userEvent(7, t - 9000));
      await waitFor(() => downstream.records.length === 7);
      await passes(receiver, 2);
    } finally {
      await receiver.shutdown();
    }
    assert.deepEqual([...downstream.ids()].slice(0, 3).sort(), range('ev-', 1, 3));
    assert.deepEqual([...downstream.ids()].slice(3, 6).sort(), range('ev-', 4, 6));
    assert.deepEqual(downstream.ids().slice(6), ['ev-00007']);
    assert.ok(receiver.metrics()['duplicates_dropped']! > 0);
  });
});

test('events without an id (older Keycloak) are de-duplicated by a hash of their JSON', async () => {
  await withServer({}, async (server) => {
    const t = BASE_TIME + 100;
    server.add('acme', 'events', userEvent(1, t, false), userEvent(2, t, false));
    const downstream = new Downstream();
    const { receiver } = makeReceiver(server, downstream, { config: { events: 'user' } });
    await receiver.start(new RecordingHost());
    try {
      await waitFor(() => downstream.records.length === 2);
      server.add('acme', 'events', userEvent(3, t, false));
      await waitFor(() => downstream.records.length === 3);
      await passes(receiver, 2);
    } finally {
      await receiver.shutdown();
    }
    assert.deepEqual(downstream.ids(), ['seq-1', 'seq-2', 'seq-3']);
  });
});

test('a server before 26.2 (yyyy-MM-dd only, newest first, direction ignored): detected, the window read to its end and delivered oldest first, events arriving during paging neither skipped nor doubled', async () => {
  await withServer({ mode: 'legacy', shuffleTies: true }, async (server) => {
    // 120 events over 40 milliseconds: every page boundary falls inside a millisecond group.
    for (let n = 1; n <= 120; n++) server.add('acme', 'events', userEvent(n, BASE_TIME + Math.floor((n - 1) / 3)));
    let added = 0;
    server.beforeAnswer = (request) => {
      // New events land at the head of the newest-first list while the receiver pages.
      if (request.query['first'] === '24' && added === 0) {
        added = 1;
        for (let n = 121; n <= 125; n++) server.add('acme', 'events', userEvent(n, BASE_TIME + 40 + n));
      }
    };
    const downstream = new Downstream();
    const { receiver } = makeReceiver(server, downstream, { config: { events: 'user', page_size: 25 } });
    await receiver.start(new RecordingHost());
    try {
      await waitFor(() => downstream.records.length === 125);
      await passes(receiver, 2);
    } finally {
      await receiver.shutdown();
    }
    assert.equal(added, 1, 'events were added while the receiver paged');
    const ids = downstream.ids();
    assert.equal(ids.length, 125);
    assert.deepEqual([...ids].sort(), range('ev-', 1, 125));
    const times = downstream.records.map((record) => (record.payload as { time: number }).time);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'delivered oldest first');
    // The first request tried epoch ms (refused with 400); then yyyy-MM-dd a day before the window, no direction.
    assert.equal(server.requests[0]!.status, 400);
    assert.deepEqual(server.requests[1]!.query, { dateFrom: '2026-02-28', first: '0', max: '25' });
    assert.ok(server.requests.slice(1).every((r) => r.query['direction'] === undefined && /^\d{4}-\d{2}-\d{2}$/.test(r.query['dateFrom']!)));
  });
});

test('server_api: legacy starts newest first at once; the newest-first read stops at the first page older than the window', async () => {
  await withServer({ mode: 'legacy' }, async (server) => {
    // One a second: after the first pass, the window (newest − 10 s) holds the newest 11.
    for (let n = 1; n <= 100; n++) server.add('acme', 'events', userEvent(n, Date.UTC(2026, 2, 1, 9) + n * 1000));
    const downstream = new Downstream();
    const { receiver } = makeReceiver(server, downstream, { config: { events: 'user', page_size: 10, server_api: 'legacy' } });
    await receiver.start(new RecordingHost());
    try {
      await waitFor(() => downstream.records.length === 100);
      await passes(receiver, 1);
    } finally {
      await receiver.shutdown();
    }
    // A pass is a run of requests from first=0. Each page starts again at the previous page's last
    // millisecond (first = 0, 9, 18, ...): the first pass needs 12 requests for 100 events; later
    // ones stop at the second page, which reaches events older than the window.
    const runs: number[] = [];
    for (const request of server.requests) {
      if (request.query['first'] === '0') runs.push(0);
      runs[runs.length - 1]!++;
    }
    assert.equal(runs[0], 12);
    assert.deepEqual(server.requests.slice(0, 3).map((r) => r.query['first']), ['0', '9', '18']);
    assert.ok(runs.length >= 2 && runs.slice(1).every((count) => count <= 2), JSON.stringify(runs));
    assert.deepEqual(downstream.ids(), range('ev-', 1, 100));
    assert.equal(server.requests.filter((r) => r.status === 400).length, 0);
  });
});

test('several realms per instance, /auth prefix, token from the master realm; one checkpoint file with a stream per realm and kind', async () => {
  await withServer({ prefix: '/auth', tokenRealm: 'master' }, async (server) => {
    server.add('acme', 'events', userEvent(1), userEvent(2));
    server.add('acme', 'admin-events', adminEvent(1));
    server.add('globex corp', 'events', userEvent(3));
    const downstream = new Downstream();
    const dataDir = tempDir();
    const { receiver } = makeReceiver(server, downstream, { dataDir, config: { realm: undefined, realms: ['acme', 'globex corp'], auth_path_prefix: '/auth' } });
    await receiver.start(new RecordingHost());
    try {
      await waitFor(() => downstream.records.length === 4);
      await passes(receiver, 1);
    } finally {
      await receiver.shutdown();
    }
    assert.deepEqual(downstream.ids().sort(), ['ad-00001', 'ev-00001', 'ev-00002', 'ev-00003']);
    assert.deepEqual([...new Set(server.tokenRequests.map((r) => r.realm))], ['master']);
    assert.deepEqual([...new Set(server.requests.map((r) => `${r.realm}/${r.kind}`))].sort(), ['acme/admin-events', 'acme/events', 'globex corp/admin-events', 'globex corp/events']);
    const checkpoint = JSON.parse(readFileSync(join(dataDir, 'checkpoint.json'), 'utf8')) as { version: number; state: { streams: Record<string, { start: number; newest_time: number | null; recent: [string, number][] }> } };
    assert.equal(checkpoint.version, 1);
    assert.deepEqual(Object.keys(checkpoint.state.streams).sort(), ['acme/admin', 'acme/user', 'globex corp/admin', 'globex corp/user']);
    assert.deepEqual(checkpoint.state.streams['acme/user'], { start: Date.UTC(2026, 2, 1), newest_time: userEvent(2).time, recent: [['ev-00001', userEvent(1).time], ['ev-00002', userEvent(2).time]] });
    assert.deepEqual(checkpoint.state.streams['globex corp/admin'], { start: Date.UTC(2026, 2, 1), newest_time: null, recent: [] });
  });
});

test('metrics: lag is now minus the newest delivered event; counters are exact', async () => {
  await withServer({}, async (server) => {
    server.add('acme', 'events', userEvent(1), userEvent(2));
    const downstream = new Downstream();
    const now = userEvent(2).time + 1500;
    const { receiver } = makeReceiver(server, downstream, { config: { events: 'user' }, tuning: { now: () => now } });
    assert.equal(receiver.metrics()['lag_ms'], -1);
    await receiver.start(new RecordingHost());
    try {
      await waitFor(() => downstream.records.length === 2);
      await passes(receiver, 1);
    } finally {
      await receiver.shutdown();
    }
    const metrics = receiver.metrics();
    assert.equal(metrics['lag_ms'], 1500);
    assert.equal(metrics['records'], 2);
    assert.equal(metrics['consume_failures'], 0);
    assert.equal(metrics['token_fetches'], 1);
  });
});

test('start refuses a config without realm or with both realm and realms, and a poll_interval under 1s', async () => {
  const server = new FakeKeycloak();
  const cases: [Record<string, unknown>, string][] = [
    [{ realm: undefined }, 'keycloak/acme: set realm (one realm) or realms (a list), neither is set'],
    [{ realms: ['globex'] }, 'keycloak/acme: set realm (one realm) or realms (a list), not both'],
    [{ poll_interval: '500ms' }, 'keycloak/acme: poll_interval must be at least 1s, got 500ms'],
  ];
  for (const [config, message] of cases) {
    const { receiver } = makeReceiver(server, new Downstream(), { config, tuning: { intervalMs: undefined } });
    await assert.rejects(receiver.start(new RecordingHost()), { code: 'config', message });
    await receiver.shutdown();
  }
});
