/**
 * splunk_hec: the pure encoder on 1000 OCSF events (the compact Authentication events of
 * exporters.bench.ts, hand-made full normalized events, and the real set: the normalizer's own
 * output for every golden input of every format with one Detection Finding from buildFinding in
 * twenty, ~1.1 KB of JSON each), and the Sender's throughput over loopback (encode + join + gzip +
 * POST + reply) against a sink that answers like HEC. Target: the encoder at ≥ 500,000 events/s
 * on one core. The encode tasks also take each event's UTF-8 length (what the sender's `sizeOf`
 * does), because that is where a concatenated string is flattened: without it an encoder that
 * only links strings together would look faster than it is.
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
import { builtinFindings, normalizedGoldens } from '../test/plugins/exporters/normalized.js';
import { T0, normalizedEvents } from './fixtures.js';

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

/**
 * `size` real events: the normalizer's output for every golden input of every format (the ones
 * that map; 275 distinct events of 9 formats), every 20th a Detection Finding of a built-in rule
 * built by the detector's buildFinding. Shared with cef.bench.ts.
 */
export function normalizedSet(size: number): OcsfEvent[] {
  const goldens = normalizedGoldens('bench', 'bench');
  const findings = builtinFindings('bench', T0, { values: ['a@example.com', 'b@example.com'], firstSeen: T0 - 200_000, lastSeen: T0, related: ['e1', 'e2', 'e3'] });
  const events: OcsfEvent[] = [];
  for (let i = 0; i < size; i++) events.push(i % 20 === 19 ? findings[i % findings.length]! : goldens[i % goldens.length]!);
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
  const real = normalizedSet(1000);
  let bytes = 0;
  bench.add('splunk_hec: encode 1000 compact events', () => {
    for (let i = 0; i < compact.length; i++) bytes += Buffer.byteLength(encode(compact[i]!), 'utf8');
  });
  bench.add('splunk_hec: encode 1000 normalized events', () => {
    for (let i = 0; i < normalized.length; i++) bytes += Buffer.byteLength(encode(normalized[i]!), 'utf8');
  });
  bench.add('splunk_hec: encode 1000 full normalized events + findings (real normalizer)', () => {
    for (let i = 0; i < real.length; i++) bytes += Buffer.byteLength(encode(real[i]!), 'utf8');
  });
  // The floor under the row above: any HEC encoder writes each whole event as JSON once, and on
  // Node 20 (V8 11.3) nothing writes it faster than JSON.stringify (see the README, "Performance").
  bench.add('splunk_hec: floor, JSON.stringify + UTF-8 length alone of the same 1000 real events', () => {
    for (let i = 0; i < real.length; i++) bytes += Buffer.byteLength(JSON.stringify(real[i]!), 'utf8');
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
  'splunk_hec: encode 1000 full normalized events + findings (real normalizer)': 1000,
  'splunk_hec: floor, JSON.stringify + UTF-8 length alone of the same 1000 real events': 1000,
  'splunk_hec: prepare + POST 1000 normalized events, gzip, loopback': 1000,
  'splunk_hec: prepare + POST 1000 normalized events, no compression, loopback': 1000,
};
