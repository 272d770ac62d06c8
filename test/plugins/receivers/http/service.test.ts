/**
 * The receivers in a running Service built from per-tenant YAML files: two tenants' http and
 * splunk_hec receivers on one port, each tenant's events in its own exporter's file, normalized.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../../../core/config/load.js';
import { sharedListenerAddress } from '../../../../core/listener/shared-http.js';
import { nopLogger } from '../../../../core/logger.js';
import { Service } from '../../../../core/service.js';
import { createBuiltinRegistry } from '../../../../plugins/index.js';
import { httpReceiverFactory } from '../../../../plugins/receivers/http/index.js';
import { splunkHecReceiverFactory } from '../../../../plugins/receivers/splunk_hec/index.js';
import { waitFor, writeConfigDir } from '../../../helpers.js';
import { send } from './helpers.js';
import { auth0StreamEntry, oktaEventHook, oktaLogEvent } from './payloads.js';

function registry(): ReturnType<typeof createBuiltinRegistry> {
  const built = createBuiltinRegistry();
  // Once plugins/index.ts registers them, the built-in registry already has them.
  if (built.get('receiver', 'http') === undefined) built.register(httpReceiverFactory);
  if (built.get('receiver', 'splunk_hec') === undefined) built.register(splunkHecReceiverFactory);
  return built;
}

function lines(path: string): Record<string, any>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, any>);
}

test('two tenants\' config files, one port: each tenant\'s events end normalized in its own file; a token in the other tenant\'s config is refused at start', async () => {
  const out = mkdtempSync(join(tmpdir(), 'authwire-http-service-'));
  const dir = await writeConfigDir({
    'acme.yaml': `
receivers:
  http/acme:
    endpoint: 127.0.0.1:0
    path: /okta
    format: okta
    tokens: [{ token: "\${env:ACME_TOKEN}", tenant: acme }]
  splunk_hec/acme:
    endpoint: 127.0.0.1:0
    format: okta
    tokens: [{ token: "\${env:ACME_HEC_TOKEN}", tenant: acme }]
processors:
  normalize/acme: {}
exporters:
  file/acme: { path: ${join(out, 'acme.jsonl')} }
service:
  pipelines:
    logs/acme: { tenant: acme, receivers: [http/acme, splunk_hec/acme], processors: [normalize/acme], exporters: [file/acme] }
`,
    'globex.yaml': `
receivers:
  http/globex:
    endpoint: 127.0.0.1:0
    path: /auth0
    format: auth0
    tokens: [{ token: "\${env:GLOBEX_TOKEN}", tenant: globex }]
processors:
  normalize/globex: {}
exporters:
  file/globex: { path: ${join(out, 'globex.jsonl')} }
service:
  pipelines:
    logs/globex: { tenant: globex, receivers: [http/globex], processors: [normalize/globex], exporters: [file/globex] }
`,
  });
  const env = { ACME_TOKEN: 'acme-service-token-1', ACME_HEC_TOKEN: 'acme-service-hec-token-2', GLOBEX_TOKEN: 'globex-service-token-3' };
  const config = await loadConfig([dir], { registry: registry(), env });
  const service = new Service(config, { logger: nopLogger, dataDir: mkdtempSync(join(tmpdir(), 'authwire-http-data-')), workers: 1 });
  await service.start();
  try {
    const port = sharedListenerAddress('127.0.0.1:0')!.port;
    const okta = await send(port, '/okta', { headers: { authorization: env.ACME_TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(oktaEventHook([oktaLogEvent(1, 'user.session.start', 'FAILURE', 'INVALID_CREDENTIALS')])) });
    const auth0 = await send(port, '/auth0', { headers: { authorization: `Bearer ${env.GLOBEX_TOKEN}` }, body: JSON.stringify([auth0StreamEntry(1, 'fp', 'Wrong email or password.')]) });
    const hec = await send(port, '/services/collector/event', { headers: { authorization: `Splunk ${env.ACME_HEC_TOKEN}` }, body: JSON.stringify({ event: oktaLogEvent(2, 'user.authentication.auth_via_mfa', 'FAILURE') }) });
    // globex's token on acme's path: refused, nothing crosses.
    const crossing = await send(port, '/okta', { headers: { authorization: env.GLOBEX_TOKEN }, body: '{}' });
    assert.deepEqual([okta.status, auth0.status, hec.status, crossing.status], [200, 200, 200, 401]);
    await waitFor(() => lines(join(out, 'acme.jsonl')).length === 2 && lines(join(out, 'globex.jsonl')).length === 1, 5000, 'the files to be written');
    assert.deepEqual(lines(join(out, 'acme.jsonl')).map((e) => [e.class_uid, e.metadata.tenant_uid, e.metadata.event_code]).sort(), [[3002, 'acme', 'user.authentication.auth_via_mfa'], [3002, 'acme', 'user.session.start']]);
    assert.deepEqual(lines(join(out, 'globex.jsonl')).map((e) => [e.class_uid, e.metadata.tenant_uid, e.metadata.event_code]), [[3002, 'globex', 'fp']]);
    const receivers = service.stats().filter((s) => s.kind === 'receiver').map((s) => [s.id, s.tenant, s.records, s.metrics?.listener_unauthorized]);
    assert.deepEqual(receivers, [['http/acme', 'acme', 1, 1], ['splunk_hec/acme', 'acme', 1, 1], ['http/globex', 'globex', 1, 1]]);
  } finally {
    assert.deepEqual(await service.shutdown(), []);
  }
  assert.equal(sharedListenerAddress('127.0.0.1:0'), undefined);

  // globex's file claiming acme's token for itself: the start fails, naming the component.
  const thief = await writeConfigDir({
    'globex.yaml': `
receivers:
  http/globex:
    endpoint: 127.0.0.1:0
    format: auth0
    tokens: [{ token: "\${env:ACME_TOKEN}", tenant: acme }]
exporters:
  file/globex: { path: ${join(out, 'thief.jsonl')} }
service:
  pipelines:
    logs/globex: { tenant: globex, receivers: [http/globex], exporters: [file/globex] }
`,
  });
  const stolen = new Service(await loadConfig([thief], { registry: registry(), env }), { logger: nopLogger, dataDir: mkdtempSync(join(tmpdir(), 'authwire-http-data-')), workers: 1 });
  await assert.rejects(stolen.start(), { message: 'receiver http/globex failed to start: http/globex: tokens[0] maps a credential to tenant "acme" but http/globex serves tenant "globex"; a tenant\'s receiver can only claim its own tenant\'s credentials' });
  assert.equal(sharedListenerAddress('127.0.0.1:0'), undefined);
});
