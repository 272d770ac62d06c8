import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { Exporter } from '../../../../core/api.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import type { CefExporterConfig } from '../../../../plugins/exporters/cef/config.js';
import { cefExporterFactory } from '../../../../plugins/exporters/cef/index.js';
import { CefSender } from '../../../../plugins/exporters/cef/sender.js';
import { opensslSkip, waitFor } from '../../../helpers.js';
import { openObjects } from '../schema.js';
import { authEvent, oktaRaw } from '../testrecords.js';
import { parseCef, parseRfc5424 } from './cef-parser.js';

const settings = testSettings('exporter', 'cef/t', { tenant: 'acme' });

function config(overrides: Partial<CefExporterConfig>): CefExporterConfig {
  return { ...cefExporterFactory.createDefaultConfig(), hostname: 'h', ...overrides };
}

/** Collects octet-counted frames from every connection. */
function frameCollector(): { frames: string[]; onConnection(socket: Socket): void } {
  const frames: string[] = [];
  return {
    frames,
    onConnection(socket: Socket) {
      let pending = Buffer.alloc(0);
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const space = pending.indexOf(0x20);
          if (space < 0) break;
          const length = Number(pending.subarray(0, space).toString('latin1'));
          if (pending.length < space + 1 + length) break;
          frames.push(pending.subarray(space + 1, space + 1 + length).toString('utf8'));
          pending = pending.subarray(space + 1 + length);
        }
      });
    },
  };
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function request(sender: CefSender, ...times: number[]): { tenant: string; items: Buffer[]; bytes: number; attempt: number } {
  const items = times.map((time) => sender.prepare({ ...authEvent, time }));
  return { tenant: 'acme', items, bytes: items.reduce((sum, item) => sum + item.length, 0), attempt: 1 };
}

test('factory: type, closed schema, defaults, config errors at create', () => {
  assert.equal(cefExporterFactory.type, 'cef');
  assert.deepEqual(openObjects(cefExporterFactory.configSchema), []);
  assert.deepEqual(cefExporterFactory.configSchema['required'], ['endpoint']);
  const defaults = cefExporterFactory.createDefaultConfig();
  assert.equal(defaults.syslog_format, 'rfc5424');
  assert.equal(defaults.framing, 'octet_counting');
  assert.equal(defaults.facility, 'local4');
  assert.equal(defaults.max_message_bytes, 8192);
  // A forwarder's defaults, not the helper's: send at once, hold at most 10,000 records.
  assert.deepEqual(defaults.batch, { max_events: 1000, max_bytes: 1_048_576, timeout: '0s' });
  assert.equal(defaults.sending_queue.queue_size, 2_000);
  assert.equal(defaults.sending_queue.num_consumers, 4);
  const schemaBatch = (cefExporterFactory.configSchema['properties'] as Record<string, { properties: Record<string, { default?: unknown }> }>)['batch']!;
  assert.equal(schemaBatch.properties['timeout']!.default, '0s');
  assert.throws(() => cefExporterFactory.create(settings, config({ endpoint: 'http://x:1' })), { code: 'invalid_config' });
  assert.throws(() => cefExporterFactory.create(settings, config({ endpoint: 'tcp://x:1', tls: {} })), /tls is set but the endpoint is not tls/);
  assert.throws(() => cefExporterFactory.create(settings, config({ endpoint: 'tls://x:1', tls: { cert_file: 'c' } })), /go together/);
  assert.equal(new CefSender(settings, config({ endpoint: 'tcp://[::1]:514' })).endpoint.host, '::1');
});

test('default config: create and shutdown without start; start says the endpoint is missing', async () => {
  const exporter = (await cefExporterFactory.create(settings, cefExporterFactory.createDefaultConfig())) as Exporter;
  await exporter.shutdown();
  await exporter.shutdown();
  const sender = new CefSender(settings, cefExporterFactory.createDefaultConfig());
  await assert.rejects(sender.start(), { code: 'invalid_config', message: 'cef exporter: endpoint is required' });
});

test('prepare refuses raw records (not_ocsf); missing TLS files fail start without their contents', async () => {
  const sender = new CefSender(settings, config({ endpoint: 'tcp://127.0.0.1:9' }));
  assert.throws(() => sender.prepare(oktaRaw), { code: 'not_ocsf' });
  const tls = new CefSender(settings, config({ endpoint: 'tls://127.0.0.1:9', tls: { ca_file: '/nonexistent/ca.pem' } }));
  await assert.rejects(tls.start(), { code: 'invalid_config', message: 'cef exporter: cannot read tls.ca_file /nonexistent/ca.pem: ENOENT' });
});

test('reconnect: the server drops the connection; later requests arrive on a new one after back-off', { timeout: 10_000 }, async (t) => {
  const collector = frameCollector();
  const sockets: Socket[] = [];
  let server = createServer((socket) => {
    sockets.push(socket);
    collector.onConnection(socket);
  });
  const port = await listen(server);
  const sender = new CefSender(settings, config({ endpoint: `tcp://127.0.0.1:${port}` }), { reconnectInitialMs: 20, reconnectMaxMs: 50 });
  t.after(() => sender.shutdown());
  await sender.start();
  const signal = new AbortController().signal;
  await sender.send(request(sender, 1000, 2000), signal);
  await waitFor(() => collector.frames.length === 2, 5000, 'two frames');

  // The server goes away: the connection drops, and connecting is refused for a while.
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await waitFor(() => sender.disconnects === 1, 5000, 'the sender to see the drop');
  await assert.rejects(sender.send(request(sender, 3000), signal), { code: 'connection_failed', retryable: true });
  await assert.rejects(sender.send(request(sender, 3000), signal), (error: { code: string; retryAfterMs?: number }) => {
    // Either still backing off, or the next attempt was refused again.
    assert.ok(error.code === 'reconnect_backoff' || error.code === 'connection_failed', error.code);
    assert.ok((error.retryAfterMs ?? 0) > 0);
    return true;
  });

  // It comes back on the same port: after the back-off the request goes through.
  server = createServer((socket) => collector.onConnection(socket));
  await listen(server, port);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  for (let attempt = 0; ; attempt++) {
    try {
      await sender.send(request(sender, 3000), signal);
      break;
    } catch (error) {
      assert.ok((error as { retryable?: boolean }).retryable === true);
      assert.ok(attempt < 100, 'never reconnected');
      await new Promise((resolve) => setTimeout(resolve, (error as { retryAfterMs?: number }).retryAfterMs ?? 20));
    }
  }
  await waitFor(() => collector.frames.length === 3, 5000, 'the third frame');
  assert.deepEqual(collector.frames.map((frame) => parseCef(parseRfc5424(frame).msg).extension['rt']), ['1000', '2000', '3000']);
  assert.equal(sender.connects, 2);
});

test('abort while the peer does not read: the write rejects retryably and the connection is dropped', { timeout: 10_000 }, async (t) => {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.pause();
  });
  const port = await listen(server);
  t.after(async () => {
    // A paused socket never reads the client's FIN, so close it here or server.close() waits for ever.
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const sender = new CefSender(settings, config({ endpoint: `tcp://127.0.0.1:${port}` }), { closeTimeoutMs: 50 });
  t.after(() => sender.shutdown());
  await sender.start();
  // Far more than the socket buffers hold, so the write cannot complete.
  const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
  const controller = new AbortController();
  const sending = sender.send({ tenant: 'acme', items: [big], bytes: big.length, attempt: 1 }, controller.signal);
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(sending, { code: 'timeout', retryable: true });
  await waitFor(() => sender.disconnects === 1, 5000, 'the connection to be dropped');
});

test('TLS: verified against a CA file with server_name; refused without it; through the exporter', { skip: opensslSkip('the cef TLS test'), timeout: 12_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authwire-cef-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=siem.test', '-addext', 'subjectAltName=DNS:siem.test'], { stdio: 'ignore' });
  const collector = frameCollector();
  const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => collector.onConnection(socket as unknown as Socket));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const signal = new AbortController().signal;

  const untrusted = new CefSender(settings, config({ endpoint: `tls://127.0.0.1:${port}`, tls: { server_name: 'siem.test' } }));
  await untrusted.start();
  await assert.rejects(untrusted.send(request(untrusted, 1), signal), { code: 'connection_failed', retryable: true });
  await untrusted.shutdown();

  const wrongName = new CefSender(settings, config({ endpoint: `tls://127.0.0.1:${port}`, tls: { ca_file: cert, server_name: 'other.test' } }));
  await wrongName.start();
  await assert.rejects(wrongName.send(request(wrongName, 1), signal), { code: 'connection_failed' });
  await wrongName.shutdown();

  const insecure = new CefSender(settings, config({ endpoint: `tls://127.0.0.1:${port}`, tls: { insecure_skip_verify: true } }));
  await insecure.start();
  await insecure.send(request(insecure, 5), signal);
  await insecure.shutdown();

  const exporter = cefExporterFactory.create(settings, config({ endpoint: `tls://127.0.0.1:${port}`, tls: { ca_file: cert, server_name: 'siem.test' }, batch: { max_events: 10, max_bytes: 1_048_576, timeout: '10ms' } })) as unknown as Exporter & { flush(): Promise<void> };
  const host = new RecordingHost();
  await exporter.start(host);
  await exporter.consume({ tenant: 'acme', records: [{ ...authEvent, time: 10 }, oktaRaw, { ...authEvent, time: 11 }] });
  await exporter.flush();
  await exporter.shutdown();
  await waitFor(() => collector.frames.length === 3, 5000, 'three frames over TLS');
  assert.deepEqual(collector.frames.map((frame) => parseCef(parseRfc5424(frame).msg).extension['rt']), ['5', '10', '11']);
  assert.deepEqual(host.deadLetters.map((letter) => letter.reason), ['not_ocsf']);
});
