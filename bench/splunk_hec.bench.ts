/**
 * splunk_hec: the pure encoder on 1000 OCSF events (the compact Authentication events of
 * exporters.bench.ts, and full normalized events the size of the normalize goldens), and the
 * Sender's throughput over loopback (encode + join + gzip + POST + reply) against a sink that
 * answers like HEC. Target: the encoder at ≥ 500,000 events/s on one core.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bench } from 'tinybench';
import type { OcsfEvent } from '../core/api.js';
import type { ExportRequest } from '../core/exporter/sender.js';
import { RecordingHost, testSettings } from '../core/testing.js';
import { createDefaultConfig, DEFAULT_SOURCETYPES } from '../plugins/exporters/splunk_hec/config.js';
import { createHecEncoder } from '../plugins/exporters/splunk_hec/encoder.js';
import { HecSender } from '../plugins/exporters/splunk_hec/sender.js';

const T0 = 1714591201123;

function compactEvents(size: number): OcsfEvent[] {
  const events: OcsfEvent[] = [];
  for (let i = 0; i < size; i++) {
    events.push({
      class_uid: 3002,
      activity_id: 1,
      type_uid: 300201,
      category_uid: 3,
      severity_id: 1,
      time: T0 + i,
      status: i % 5 === 1 ? 'Failure' : 'Success',
      status_id: i % 5 === 1 ? 2 : 1,
      metadata: { product: { name: 'Okta' }, version: '1.8.0', uid: `u${i}`, event_code: 'user.session.start', tenant_uid: 'bench', log_name: 'okta' },
      user: { name: `user${i % 97}@example.com` },
      src_endpoint: { ip: `203.0.113.${i % 250}` },
    });
  }
  return events;
}

/** Shaped like the normalizer's output (every field present, absent ones undefined). */
function normalizedEvents(size: number): OcsfEvent[] {
  const events: OcsfEvent[] = [];
  for (let i = 0; i < size; i++) {
    events.push({
      class_uid: 3002, class_name: 'Authentication', category_uid: 3, category_name: 'Identity & Access Management',
      activity_id: 1, activity_name: 'Logon', type_uid: 300201, type_name: 'Authentication: Logon',
      severity_id: 2, severity: 'Low', time: T0 + i, status_id: 2, status: 'Failure', status_code: 'VERIFICATION_TIMEOUT', status_detail: 'push_timeout',
      message: 'Authentication of user via MFA',
      metadata: { version: '1.8.0', product: { name: 'Okta', vendor_name: 'Okta' }, uid: `b1b2b3b6-a9c3-11ef-9a41-${String(i).padStart(12, '0')}`, event_code: 'user.authentication.auth_via_mfa',
        tenant_uid: 'bench', original_time: '2024-11-23T19:20:00.123Z', log_name: 'okta', correlation_uid: 'Z0Jq3X8kP2vR7tYw1nB5cAAABc4', logged_time: T0 + i + 40 },
      actor: undefined,
      user: { name: `user${i % 97}@example.com`, uid: '00u8f3k2jdLq1ZxYb697', full_name: 'Maria Garcia' },
      src_endpoint: { ip: `198.51.100.${i % 250}`, location: { city: 'Austin', country: 'United States', region: 'Texas', postal_code: '78701', lat: 30.2672, long: -97.7431 },
        domain: 'example.net', isp: 'example broadband', autonomous_system: { number: 64512, name: 'example broadband' } },
      dst_endpoint: undefined,
      http_request: { user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' },
      session: { uid: '102Xq8aB3cD4eF5gH6iJ7kL8m' },
      auth_factors: [{ factor_type: 'Push Notification', factor_type_id: 5, provider: 'Okta Verify' }],
      is_mfa: true,
      unmapped: undefined,
    });
  }
  return events;
}

let server: Server | undefined;
const senders: HecSender[] = [];

async function sink(): Promise<string> {
  const reply = Buffer.from('{"text":"Success","code":0}');
  server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': reply.length });
      res.end(reply);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function loopbackSender(url: string, compression: 'gzip' | 'none'): Promise<HecSender> {
  const config = { ...createDefaultConfig(), endpoint: url, token: 'bench-token', host: 'bench', compression, max_content_length: 4_194_304 };
  const sender = new HecSender(testSettings('exporter', `splunk_hec/${compression}`, { tenant: 'bench' }), config, { attemptTimeoutMs: 10_000 });
  await sender.start(new RecordingHost());
  senders.push(sender);
  return sender;
}

export async function register(bench: Bench): Promise<void> {
  const encode = createHecEncoder({ host: 'authwire-1', source: undefined, sourcetype: 'authwire:ocsf', sourcetypeByClass: DEFAULT_SOURCETYPES, index: 'iam_bench' });
  const compact = compactEvents(1000);
  const normalized = normalizedEvents(1000);
  bench.add('splunk_hec: encode 1000 compact events', () => {
    for (let i = 0; i < compact.length; i++) encode(compact[i]!);
  });
  bench.add('splunk_hec: encode 1000 normalized events', () => {
    for (let i = 0; i < normalized.length; i++) encode(normalized[i]!);
  });

  const url = await sink();
  const gzipSender = await loopbackSender(url, 'gzip');
  const plainSender = await loopbackSender(url, 'none');
  const signal = new AbortController().signal;
  const request = (sender: HecSender): ExportRequest<string> => {
    const items = normalized.map((event) => sender.prepare(event));
    return { tenant: 'bench', items, bytes: items.reduce((sum, item) => sum + sender.sizeOf(item), 0), attempt: 1 };
  };
  bench.add('splunk_hec: prepare + POST 1000 normalized events, gzip, loopback', async () => {
    await gzipSender.send(request(gzipSender), signal);
  });
  bench.add('splunk_hec: prepare + POST 1000 normalized events, no compression, loopback', async () => {
    await plainSender.send(request(plainSender), signal);
  });
}

export async function teardown(): Promise<void> {
  for (const sender of senders.splice(0)) await sender.shutdown();
  if (server !== undefined) {
    server.closeAllConnections();
    server.close();
    server = undefined;
  }
}

export const eventsPerTask: Record<string, number> = {
  'splunk_hec: encode 1000 compact events': 1000,
  'splunk_hec: encode 1000 normalized events': 1000,
  'splunk_hec: prepare + POST 1000 normalized events, gzip, loopback': 1000,
  'splunk_hec: prepare + POST 1000 normalized events, no compression, loopback': 1000,
};
