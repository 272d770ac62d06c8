/**
 * The cef exporter: the pure encoder (OCSF event -> framed syslog bytes) on 1000 hand-made
 * Authentication events and on 1000 full normalized events (the real normalizer's output for
 * every golden input of every format, one in twenty a Detection Finding from the detector's
 * buildFinding), and the sender writing 1000 messages as one request over loopback TCP to a
 * server that only counts bytes. The encoder's budget is 500,000 events/s on one core.
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import type { Bench } from 'tinybench';
import type { OcsfEvent } from '../core/api.js';
import { testSettings } from '../core/testing.js';
import { createDefaultConfig } from '../plugins/exporters/cef/config.js';
import type { CefExporterConfig } from '../plugins/exporters/cef/config.js';
import { CefSender } from '../plugins/exporters/cef/sender.js';
import { normalizedSet } from './splunk_hec.bench.js';

const BATCH = 1000;

function events(size: number): OcsfEvent[] {
  const out: OcsfEvent[] = [];
  const t0 = 1714591201123;
  for (let i = 0; i < size; i++) {
    const failed = i % 5 === 0;
    out.push({
      class_uid: 3002,
      class_name: 'Authentication',
      category_uid: 3,
      category_name: 'Identity & Access Management',
      activity_id: 1,
      activity_name: 'Logon',
      type_uid: 300201,
      type_name: 'Authentication: Logon',
      severity_id: failed ? 2 : 1,
      severity: failed ? 'Low' : 'Informational',
      time: t0 + i * 7,
      status_id: failed ? 2 : 1,
      status: failed ? 'Failure' : 'Success',
      status_code: failed ? 'INVALID_CREDENTIALS' : undefined,
      status_detail: failed ? 'Invalid credentials' : undefined,
      message: failed ? 'User login to Okta failed' : 'User login to Okta',
      metadata: {
        version: '1.8.0',
        product: { name: 'Okta', vendor_name: 'Okta' },
        uid: `b6a1f2c4-${String(i).padStart(4, '0')}-4c55-9a3e-7d2c1f0e8a61`,
        event_code: 'user.session.start',
        tenant_uid: 'acme',
        log_name: 'okta',
      },
      actor: undefined,
      user: { name: `user${i % 97}@example.com`, uid: `00u${i % 97}abcdef`, type_id: 1, type: 'User' },
      src_endpoint: { ip: `203.0.113.${i % 250}` },
      http_request: { user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36' },
      session: { uid: `102${i}` },
      auth_factors: i % 3 === 0 ? [{ factor_type: 'Push Notification', factor_type_id: 5 }] : undefined,
    });
  }
  return out;
}

let server: Server | undefined;
let sender: CefSender | undefined;
let received = 0;
let sent = false;

export async function register(bench: Bench): Promise<void> {
  const batch = events(BATCH);
  server = createServer((socket) => socket.on('data', (chunk: Buffer) => (received += chunk.length)));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const config: CefExporterConfig = { ...createDefaultConfig(), endpoint: `tcp://127.0.0.1:${port}`, hostname: 'bench-host' };
  sender = new CefSender(testSettings('exporter', 'cef/bench', { tenant: 'acme' }), config);
  await sender.start();
  const encoder = sender.encoder;
  const s = sender;
  const signal = new AbortController().signal;

  const normalized = normalizedSet(BATCH);
  bench.add('cef: encode 1000 events (rfc5424, octet counting)', () => {
    for (let i = 0; i < BATCH; i++) encoder.encode(batch[i]!);
  });
  bench.add('cef: encode 1000 full normalized events + findings (rfc5424, octet counting)', () => {
    for (let i = 0; i < BATCH; i++) encoder.encode(normalized[i]!);
  });
  bench.add('cef: encode + send 1000 events over loopback TCP', async () => {
    const items: Buffer[] = new Array<Buffer>(BATCH);
    let bytes = 0;
    for (let i = 0; i < BATCH; i++) {
      const item = s.prepare(batch[i]!);
      items[i] = item;
      bytes += item.length;
    }
    sent = true;
    await s.send({ tenant: 'acme', items, bytes, attempt: 1 }, signal);
  });
}

export async function teardown(): Promise<void> {
  await sender?.shutdown();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  // Only when the send task ran (a filter can leave it out).
  if (sent && received === 0) throw new Error('cef bench: the loopback server received nothing');
}

export const eventsPerTask: Record<string, number> = {
  'cef: encode 1000 events (rfc5424, octet counting)': BATCH,
  'cef: encode 1000 full normalized events + findings (rfc5424, octet counting)': BATCH,
  'cef: encode + send 1000 events over loopback TCP': BATCH,
};
