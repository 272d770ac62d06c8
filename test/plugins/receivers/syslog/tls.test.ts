import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { syslogReceiverFactory } from '../../../../plugins/receivers/syslog/index.js';
import type { SyslogConfig } from '../../../../plugins/receivers/syslog/config.js';
import { SyslogReceiver } from '../../../../plugins/receivers/syslog/syslog.js';
import { opensslSkip, waitFor } from '../../../helpers.js';

const skip = opensslSkip('the syslog TLS tests');

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA (EC keys: fast). */
function makeCertificates(): { dir: string; ca: Buffer; clientCert: Buffer; clientKey: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'authwire-syslog-tls-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=authwire test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  run('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=forwarder');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', 'client.ext');
  return { dir, ca: readFileSync(join(dir, 'ca.crt')), clientCert: readFileSync(join(dir, 'client.crt')), clientKey: readFileSync(join(dir, 'client.key')) };
}

async function start(config: Partial<SyslogConfig>, consumer: CollectingConsumer) {
  const host = new RecordingHost();
  const receiver = new SyslogReceiver(testSettings('receiver', 'syslog/tls', { tenant: 'acme' }), { ...syslogReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', protocol: 'tls', ...config }, consumer);
  await receiver.start(host);
  return { receiver, host, port: receiver.address()!.port };
}

function open(port: number, options: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...options }, () => resolve(socket));
    socket.once('error', reject);
  });
}

const LINE = '<38>1 2026-05-01T19:20:01Z web-01 sshd 4242 - - Accepted publickey for bob from 198.51.100.7 port 50000 ssh2';

test('syslog tls: serves the configured certificate; octet-counted and LF-framed messages arrive', { skip }, async () => {
  const certs = makeCertificates();
  const consumer = new CollectingConsumer();
  const { receiver, port } = await start({ tls: { cert_file: join(certs.dir, 'server.crt'), key_file: join(certs.dir, 'server.key') } }, consumer);
  const socket = await open(port, { ca: certs.ca });
  socket.write(`${Buffer.byteLength(LINE)} ${LINE}${LINE}\n`);
  await waitFor(() => consumer.records.length === 2, 5000, 'records over tls');
  socket.end();
  await receiver.shutdown();
  assert.deepEqual(consumer.records.map((r) => (r as { payload: string }).payload), [LINE, LINE]);
  assert.equal(receiver.metrics().refused_tls_handshake, 0);
});

test('syslog tls: client_auth require refuses a client without a certificate and accepts one with', { skip }, async () => {
  const certs = makeCertificates();
  const consumer = new CollectingConsumer();
  const tls = { cert_file: join(certs.dir, 'server.crt'), key_file: join(certs.dir, 'server.key'), ca_file: join(certs.dir, 'ca.crt'), client_auth: 'require' as const };
  const { receiver, port } = await start({ tls }, consumer);
  // TLS 1.3: the client's handshake completes before the server checks its (missing) certificate,
  // so the refusal shows as the connection being closed with an alert.
  const anonymous = await open(port, { ca: certs.ca }).catch((error: Error) => error);
  if (!(anonymous instanceof Error)) {
    anonymous.on('error', () => {});
    anonymous.write(`${LINE}\n`);
    await new Promise<void>((resolve) => anonymous.once('close', () => resolve()));
  }
  await waitFor(() => receiver.metrics().refused_tls_handshake === 1, 5000, 'handshake refused');
  const trusted = await open(port, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
  trusted.write(`${LINE}\n`);
  await waitFor(() => consumer.records.length === 1, 5000, 'record from the trusted client');
  trusted.end();
  await receiver.shutdown();
  assert.deepEqual(consumer.records.map((r) => (r as { payload: string }).payload), [LINE]);
  assert.equal(receiver.metrics().refused_tls_handshake, 1);
  assert.equal(receiver.metrics().connections_accepted, 1);
});
