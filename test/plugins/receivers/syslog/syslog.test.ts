import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { Batch, Consumer } from '../../../../core/api.js';
import { validateAgainst } from '../../../../core/config/schema.js';
import { PermanentError, RetryableError } from '../../../../core/errors.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { syslogReceiverFactory } from '../../../../plugins/receivers/syslog/index.js';
import type { SyslogConfig } from '../../../../plugins/receivers/syslog/config.js';
import { SyslogReceiver } from '../../../../plugins/receivers/syslog/syslog.js';
import type { SyslogInternals } from '../../../../plugins/receivers/syslog/syslog.js';
import { normalizeFactory } from '../../../../plugins/processors/normalize/index.js';
import { waitFor } from '../../../helpers.js';

const fast: SyslogInternals = { initialBackoffMs: 1, maxBackoffMs: 2, random: () => 0.5 };

async function start(config: Partial<SyslogConfig>, next: Consumer = new CollectingConsumer(), internals: SyslogInternals = fast) {
  const host = new RecordingHost();
  const receiver = new SyslogReceiver(
    testSettings('receiver', 'syslog/test', { tenant: 'acme' }),
    { ...syslogReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', ...config },
    next,
    internals,
  );
  await receiver.start(host);
  const port = receiver.address()!.port;
  return { receiver, host, port };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

async function writeBytes(socket: Socket, data: string | Buffer): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let i = 0; i < bytes.length; i++) {
    await write(socket, bytes.subarray(i, i + 1));
    // Let the receiver read between writes so chunks really are split.
    if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

function close(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.end();
  });
}

/** Records as plain objects, without the receive time (the only value a test cannot know). */
function seen(consumer: CollectingConsumer): Record<string, unknown>[] {
  return consumer.records.map((record) => {
    const { observedTime, ...rest } = record as unknown as Record<string, unknown>;
    assert.equal(typeof observedTime, 'number');
    return rest;
  });
}

function letters(host: RecordingHost): { reason: string; detail: string; original: unknown }[] {
  return host.deadLetters.map((l) => ({ reason: l.reason, detail: l.detail, original: l.original }));
}

const nil = { timestamp: undefined, hostname: undefined, appName: undefined, procId: undefined, msgId: undefined, structuredData: undefined };
const RFC5424_LINE = '<38>1 2026-05-01T19:20:01.123Z web-01 sshd 4242 - - Failed password for invalid user admin from 203.0.113.9 port 50000 ssh2';
const RFC3164_LINE = '<86>May  1 19:20:02 bastion-1 sudo[77]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls';
const EMBEDDED = '<38>1 2026-05-01T19:20:03Z web-01 app - - - first line\nsecond line';
const counted = (text: string): string => `${Buffer.byteLength(text)} ${text}`;

/** A blocking consumer: each consume waits for release(); records every batch and how many run at once. */
class Gate implements Consumer {
  readonly batches: Batch[] = [];
  calls = 0;
  active = 0;
  maxActive = 0;
  private waiting: (() => void)[] = [];
  async consume(batch: Batch): Promise<void> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active--;
    this.batches.push(batch);
  }
  get records(): unknown[] {
    return this.batches.flatMap((b) => b.records);
  }
  release(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

test('syslog: config defaults are valid; tls and protocol must agree; a bad endpoint fails at create', () => {
  const config = syslogReceiverFactory.createDefaultConfig();
  assert.deepEqual(validateAgainst(syslogReceiverFactory.configSchema, structuredClone(config)), []);
  assert.deepEqual(config, {
    endpoint: '127.0.0.1:5514', protocol: 'tcp', format: 'linux.auth', payload: 'auto', max_message_bytes: 65536,
    batch_size: 1000, batch_timeout: '10ms', max_connections: 1000, idle_timeout: '5m',
  });
  assert.deepEqual(validateAgainst(syslogReceiverFactory.configSchema, { ...config, protocol: 'relp', bogus: 1 }).map((p) => `${p.path.join('::')}: ${p.message}`).length, 2);
  const settings = testSettings('receiver', 'syslog/x');
  const next = new CollectingConsumer();
  assert.throws(() => syslogReceiverFactory.create(settings, { ...config, protocol: 'tls' }, next), { code: 'invalid_config', message: 'syslog/x: protocol tls needs the tls section (cert_file, key_file)' });
  assert.throws(() => syslogReceiverFactory.create(settings, { ...config, tls: { cert_file: 'a', key_file: 'b' } }, next), {
    code: 'invalid_config',
    message: 'syslog/x: the tls section is only used with protocol: tls (protocol is tcp)',
  });
  assert.throws(() => syslogReceiverFactory.create(settings, { ...config, endpoint: '5514' }, next), { code: 'invalid_endpoint' });
});

test('syslog tcp: RFC 5424, RFC 3164, octet-counted and LF-framed, an embedded newline, garbage and an oversized frame on one connection', async () => {
  const consumer = new CollectingConsumer();
  const { receiver, host, port } = await start({ max_message_bytes: 200 }, consumer);
  const socket = await open(port);
  const local = socket.localPort!;
  await write(socket, `${RFC5424_LINE}\n${counted(RFC3164_LINE)}${counted(EMBEDDED)}`);
  await write(socket, 'hello from a misconfigured forwarder\r\n\x00\x01\x02\n');
  await write(socket, `${counted('x'.repeat(201))}${'y'.repeat(300)}\n`);
  // The connection survived all that: a last message gets through.
  await write(socket, `${RFC3164_LINE}\r\n`);
  await close(socket);
  await waitFor(() => consumer.records.length === 4 && host.deadLetters.length === 4, 5000, 'records and dead letters');
  await receiver.shutdown();
  const sender = { format: 'linux.auth', source: 'syslog/test', senderAddress: '127.0.0.1', senderPort: local };
  const r5424 = { ...sender, ...nil, rfc: 5424, facility: 4, severity: 6, timestamp: '2026-05-01T19:20:01.123Z', hostname: 'web-01', appName: 'sshd', procId: '4242' };
  const r3164 = { ...sender, ...nil, payload: RFC3164_LINE, rfc: 3164, facility: 10, severity: 6, timestamp: 'May  1 19:20:02', hostname: 'bastion-1', appName: 'sudo', procId: '77' };
  assert.deepEqual(seen(consumer), [
    { ...r5424, payload: RFC5424_LINE },
    r3164,
    { ...sender, ...nil, payload: EMBEDDED, rfc: 5424, facility: 4, severity: 6, timestamp: '2026-05-01T19:20:03Z', hostname: 'web-01', appName: 'app' },
    r3164,
  ]);
  assert.deepEqual(consumer.batches.map((b) => b.tenant), consumer.batches.map(() => 'acme'));
  assert.deepEqual(letters(host), [
    { reason: 'malformed', detail: 'not a syslog message: no <PRI> and no timestamp', original: 'hello from a misconfigured forwarder' },
    { reason: 'malformed', detail: 'not a syslog message: no <PRI> and no timestamp', original: '\x01\x02' },
    { reason: 'oversized', detail: 'message of 201 bytes exceeds max_message_bytes 200; original holds its first 256 bytes', original: 'x'.repeat(201) },
    { reason: 'oversized', detail: 'message of 300 bytes exceeds max_message_bytes 200; original holds its first 256 bytes', original: 'y'.repeat(256) },
  ]);
  const m = receiver.metrics();
  assert.deepEqual(
    { messages: m.messages, delivered: m.records_delivered, malformed: m.refused_malformed, oversized: m.refused_oversized, accepted: m.connections_accepted, open: m.connections_open, pending: m.records_pending },
    { messages: 4, delivered: 4, malformed: 2, oversized: 2, accepted: 1, open: 0, pending: 0 },
  );
  assert.equal(m.bytes, Buffer.byteLength(`${RFC5424_LINE}\n${counted(RFC3164_LINE)}${counted(EMBEDDED)}hello from a misconfigured forwarder\r\n\x00\x01\x02\n${counted('x'.repeat(201))}${'y'.repeat(300)}\n${RFC3164_LINE}\r\n`));
});

test('syslog tcp: the same mixed stream written one byte at a time, max_message_bytes exactly, a NUL trailer and an unterminated last line', async () => {
  const consumer = new CollectingConsumer();
  const { receiver, host, port } = await start({ max_message_bytes: 128, format: 'keycloak.event' }, consumer);
  const json = '{"type":"LOGIN_ERROR","realmId":"acme","error":"invalid_user_credentials"}';
  const exact = `<134>1 2026-05-01T19:20:01Z kc keycloak - - - ${'j'.repeat(128 - '<134>1 2026-05-01T19:20:01Z kc keycloak - - - '.length)}`;
  assert.equal(Buffer.byteLength(exact), 128);
  const socket = await open(port);
  await writeBytes(socket, `${counted(`<134>1 2026-05-01T19:20:01Z kc keycloak 1 - - ${json}`)}<134>May  1 19:20:01 kc keycloak: ${json}\0${exact}\n${exact}j\n${counted(`${exact}j`)}<134>1 - kc keycloak - - - ${json}`);
  await close(socket);
  await waitFor(() => consumer.records.length === 4 && host.deadLetters.length === 2, 5000, 'records');
  await receiver.shutdown();
  // keycloak.event gets MSG only: the JSON text the normalizer parses.
  assert.deepEqual(consumer.records.map((r) => (r as { payload: string }).payload), [json, json, 'j'.repeat(128 - 46), json]);
  assert.deepEqual(letters(host).map((l) => l.reason), ['oversized', 'oversized']);
  assert.equal(receiver.metrics().refused_oversized, 2);
});

test('syslog tcp: linux.auth lines reach the normalizer as lines it maps, RFC 5424 and RFC 3164 alike', async () => {
  const out = new CollectingConsumer();
  const normalize = await normalizeFactory.create(testSettings('processor', 'normalize', { tenant: 'acme' }), normalizeFactory.createDefaultConfig(), out);
  await normalize.start(new RecordingHost());
  const { receiver, port } = await start({}, normalize);
  const socket = await open(port);
  await write(socket, `${counted(RFC5424_LINE)}${RFC3164_LINE}\n`);
  await close(socket);
  await waitFor(() => out.records.length === 2, 5000, 'normalized events');
  await receiver.shutdown();
  await normalize.shutdown();
  const events = out.records as { metadata: { event_code: string }; dst_endpoint: { hostname: string }; user: { name: string }; unmapped: { pid: string } }[];
  assert.deepEqual(events.map((e) => [e.metadata.event_code, e.dst_endpoint.hostname, e.user.name, e.unmapped.pid]), [
    ['sshd.failed_password', 'web-01', 'admin', '4242'],
    ['sudo.command', 'bastion-1', 'root', '77'],
  ]);
});

test('syslog tcp: batches hold at most batch_size records, and a connection has one consume in flight, paused meanwhile', async () => {
  const gate = new Gate();
  const { receiver, port } = await start({ batch_size: 10 }, gate);
  const socket = await open(port);
  const lines = Array.from({ length: 35 }, (_, i) => `<13>1 - h app - - - message ${i}\n`).join('');
  await write(socket, lines);
  await waitFor(() => gate.calls === 1, 5000, 'first consume');
  for (let round = 0; round < 10 && gate.records.length < 35; round++) {
    gate.release();
    await waitFor(() => gate.active === 1 || gate.records.length === 35, 5000, 'next consume');
  }
  await close(socket);
  await receiver.shutdown();
  assert.equal(gate.maxActive, 1);
  assert.deepEqual(gate.batches.map((b) => b.records.length), [10, 10, 10, 5]);
  assert.deepEqual(gate.records.map((r) => (r as { payload: string }).payload.slice(-2).trim()), Array.from({ length: 35 }, (_, i) => String(i)));
});

test('syslog tcp: a slow pipeline stops the reading, so the sender is held back instead of memory growing', async () => {
  const gate = new Gate();
  const { receiver, port } = await start({ batch_size: 100, max_message_bytes: 2048 }, gate);
  const socket = await open(port);
  const line = `<13>1 - h app - - - ${'x'.repeat(1000)}\n`;
  const total = 3000;
  for (let i = 0; i < 1000; i++) socket.write(line);
  await waitFor(() => gate.calls === 1 && receiver.metrics().connections_paused === 1, 5000, 'first consume, connection paused');
  const held = receiver.metrics().records_pending!;
  const read = receiver.metrics().bytes;
  // A paused connection reads nothing more, however much the sender writes.
  for (let i = 1000; i < total; i++) socket.write(line);
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(receiver.metrics().records_pending, held);
  assert.equal(receiver.metrics().bytes, read);
  // At most a batch and one read's worth (64 KiB of 1 KiB lines) wait in memory.
  assert.ok(held <= 100 + 64, `records held while paused: ${held}`);
  const closed = close(socket);
  while (gate.records.length < total) {
    gate.release();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await closed;
  await receiver.shutdown();
  assert.equal(gate.records.length, total);
  assert.equal(gate.maxActive, 1);
  assert.ok(gate.batches.every((b) => b.records.length <= 100));
});

test('syslog tcp: a retryable rejection is retried with the connection paused; a permanent one dead-letters the batch', async () => {
  let failures = 2;
  const consumer = new CollectingConsumer();
  const flaky: Consumer = {
    async consume(batch) {
      if (failures-- > 0) throw new RetryableError('queue_full', 'exporter queue is full');
      await consumer.consume(batch);
    },
  };
  const { receiver, host, port } = await start({}, flaky);
  const socket = await open(port);
  await write(socket, `${RFC5424_LINE}\n`);
  await waitFor(() => consumer.records.length === 1, 5000, 'delivery after retries');
  await close(socket);
  await receiver.shutdown();
  assert.equal(receiver.metrics().consume_retries, 2);
  assert.equal(host.errors.length, 2);
  assert.deepEqual(host.deadLetters, []);

  const refusing: Consumer = { consume: async () => { throw new PermanentError('tenant_mismatch', 'wrong tenant'); } };
  const second = await start({}, refusing);
  const s2 = await open(second.port);
  await write(s2, `${RFC5424_LINE}\n${RFC3164_LINE}\n`);
  await close(s2);
  await waitFor(() => second.host.deadLetters.length === 2, 5000, 'dead letters');
  await second.receiver.shutdown();
  assert.deepEqual(letters(second.host), [
    { reason: 'pipeline', detail: 'refused by the pipeline (tenant_mismatch): wrong tenant', original: RFC5424_LINE },
    { reason: 'pipeline', detail: 'refused by the pipeline (tenant_mismatch): wrong tenant', original: RFC3164_LINE },
  ]);
  assert.equal(second.receiver.metrics().refused_pipeline, 2);
});

test('syslog tcp: shutdown waits for the in-flight consume and delivers what is pending', async () => {
  const gate = new Gate();
  const { receiver, port } = await start({ batch_size: 2 }, gate);
  const socket = await open(port);
  await write(socket, `${RFC5424_LINE}\n${RFC5424_LINE}\n${RFC3164_LINE}\n`);
  await waitFor(() => gate.calls === 1, 5000, 'first consume');
  let done = false;
  const stopping = receiver.shutdown().then(() => {
    done = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(done, false);
  gate.release();
  await waitFor(() => gate.calls === 2, 5000, 'the pending record sent at shutdown');
  gate.release();
  await stopping;
  assert.deepEqual(gate.batches.map((b) => b.records.length), [2, 1]);
  assert.equal(receiver.metrics().connections_open, 0);
  await receiver.shutdown();
});

test('syslog tcp: max_connections refuses the extra connection; idle connections are closed', async () => {
  const consumer = new CollectingConsumer();
  const { receiver, port } = await start({ max_connections: 1, idle_timeout: '100ms' }, consumer);
  const first = await open(port);
  await write(first, `${RFC3164_LINE}\n`);
  await waitFor(() => consumer.records.length === 1, 5000, 'first record');
  const second = connect({ host: '127.0.0.1', port });
  second.on('error', () => {});
  await new Promise<void>((resolve) => second.once('close', () => resolve()));
  assert.equal(receiver.metrics().refused_max_connections, 1);
  await new Promise<void>((resolve) => first.once('close', () => resolve()));
  await waitFor(() => receiver.metrics().connections_open === 0, 5000, 'idle close');
  assert.equal(receiver.metrics().connections_idle_closed, 1);
  await receiver.shutdown();
});

test('syslog udp: one message per datagram with its sender; oversized refused; a saturated queue drops and counts', async () => {
  const consumer = new CollectingConsumer();
  const { receiver, host, port } = await start({ protocol: 'udp', max_message_bytes: 200, format: 'keycloak.event' }, consumer);
  const client = createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
  const send = (text: string): Promise<void> => new Promise((resolve, reject) => client.send(text, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  await send('<134>1 2026-05-01T19:20:01Z kc keycloak - - - {"type":"LOGIN"}\n');
  await send('<134>May  1 19:20:01 kc keycloak: {"type":"LOGOUT"}');
  await send('z'.repeat(201));
  await send('garbage');
  await waitFor(() => consumer.records.length === 2 && host.deadLetters.length === 2, 5000, 'udp records');
  await receiver.shutdown();
  assert.deepEqual(seen(consumer), [
    { format: 'keycloak.event', source: 'syslog/test', senderAddress: '127.0.0.1', senderPort: client.address().port, ...nil, payload: '{"type":"LOGIN"}', rfc: 5424, facility: 16, severity: 6, timestamp: '2026-05-01T19:20:01Z', hostname: 'kc', appName: 'keycloak' },
    { format: 'keycloak.event', source: 'syslog/test', senderAddress: '127.0.0.1', senderPort: client.address().port, ...nil, payload: '{"type":"LOGOUT"}', rfc: 3164, facility: 16, severity: 6, timestamp: 'May  1 19:20:01', hostname: 'kc', appName: 'keycloak' },
  ]);
  assert.deepEqual(letters(host).map((l) => l.reason), ['oversized', 'malformed']);

  // Saturation: batch_size 1, the first consume blocked: 4 batches wait, the rest are dropped.
  const gate = new Gate();
  const udp = await start({ protocol: 'udp', batch_size: 1 }, gate);
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => client.send(`<13>1 - h app - - - m${i}`, udp.port, '127.0.0.1', () => resolve()));
  await waitFor(() => udp.receiver.metrics().bytes === 10 * '<13>1 - h app - - - m0'.length, 5000, 'all datagrams read');
  assert.equal(udp.receiver.metrics().refused_queue_full, 5);
  const stopping = udp.receiver.shutdown();
  while (gate.records.length < 5) {
    gate.release();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await stopping;
  assert.deepEqual(gate.records.map((r) => (r as { payload: string }).payload.slice(-2)), ['m0', 'm1', 'm2', 'm3', 'm4']);
  client.close();
});
