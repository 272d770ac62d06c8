import assert from 'node:assert/strict';
import test from 'node:test';
import { validateAgainst } from '../../../../core/config/schema.js';
import { keycloakReceiverFactory } from '../../../../plugins/receivers/keycloak/index.js';
import { legacyDateFrom, nextFirst, oldestFirst, pageOrder, resolveStartAt } from '../../../../plugins/receivers/keycloak/events.js';

const problems = (config: Record<string, unknown>): string[] =>
  validateAgainst(keycloakReceiverFactory.configSchema, config).map((p) => `${p.path.join('::')}: ${p.message}`);

test('config: the defaults lack only what the user must supply; a full config is valid with defaults applied', () => {
  assert.deepEqual(problems(keycloakReceiverFactory.createDefaultConfig() as unknown as Record<string, unknown>), ['base_url: is required', 'client_id: is required', 'client_secret: is required']);
  const config: Record<string, unknown> = { base_url: 'https://sso.acme.example', realm: 'acme', client_id: 'authwire', client_secret: 'x' };
  assert.deepEqual(problems(config), []);
  assert.deepEqual(config, {
    base_url: 'https://sso.acme.example', realm: 'acme', client_id: 'authwire', client_secret: 'x',
    auth_path_prefix: '', poll_interval: '5s', events: 'both', page_size: 100, start_at: 'now', overlap: '10s', timeout: '30s', server_api: 'auto', max_buffered_events: 50_000,
  });
});

test('config: bad values and unknown keys are reported with their paths', () => {
  assert.deepEqual(problems({
    base_url: 'sso.acme.example', realms: [], client_id: 'a', client_secret: 'b', auth_path_prefix: 'auth', events: 'login',
    page_size: 0, start_at: 'yesterday', poll_interval: '5', scret: 1,
  }), [
    'scret: unknown key (valid keys: base_url, realm, realms, token_realm, client_id, client_secret, auth_path_prefix, poll_interval, events, page_size, start_at, overlap, timeout, server_api, max_buffered_events)',
    'base_url: must match pattern "^https?://[^?#]+$", got string "sso.acme.example"',
    'base_url: must be a URL, got string "sso.acme.example"',
    'realms: must NOT have fewer than 1 items, got a list',
    'auth_path_prefix: must match pattern "^(?:/[A-Za-z0-9._~-]+)*$", got string "auth"',
    'poll_interval: must match pattern "^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$", got string "5"',
    'poll_interval: must be a duration such as 250ms, 5s or 1m30s, got string "5"',
    'events: must be one of "user", "admin", "both", got string "login"',
    'page_size: must be >= 1, got number 0',
    'start_at: must match pattern "^(?:now|\\d{4}-\\d{2}-\\d{2}T.+|(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+)$", got string "yesterday"',
  ]);
});

test('paging helpers: the next page re-reads the last millisecond group; order and legacy dates', () => {
  assert.equal(nextFirst(0, [5, 5, 6, 7, 7]), 3);
  assert.equal(nextFirst(10, [9, 8, 8]), 11);
  assert.equal(nextFirst(10, [8, 8, 8]), 13, 'a page that is one group moves on');
  assert.equal(nextFirst(4, []), 4);
  assert.equal(pageOrder([1, 1, 2]), 1);
  assert.equal(pageOrder([3, 3, 2]), -1);
  assert.equal(pageOrder([3, Number.NaN, 3]), 0);
  assert.equal(legacyDateFrom(Date.UTC(2026, 2, 1, 0, 30)), '2026-02-28');
  const now = Date.UTC(2026, 2, 1, 12);
  assert.equal(resolveStartAt('now', now), now);
  assert.equal(resolveStartAt('24h', now), now - 86_400_000);
  assert.equal(resolveStartAt('2026-01-02T03:04:05Z', now), Date.UTC(2026, 0, 2, 3, 4, 5));
  const events = [{ n: 'c', time: 3 }, { n: 'b2', time: 2 }, { n: 'b1', time: 2 }, { n: 'x' }, { n: 'a', time: 1 }];
  assert.deepEqual(oldestFirst(events, [3, 2, 2, Number.NaN, 1], 0, true).map((e) => e.n), ['x', 'a', 'b1', 'b2', 'c']);
});
