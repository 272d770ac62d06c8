import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { Terminal } from '../../../../core/terminal.js';
import { PermanentError } from '../../../../core/errors.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { stdoutExporterFactory } from '../../../../plugins/exporters/stdout/index.js';
import { StdoutExporter, shouldColor } from '../../../../plugins/exporters/stdout/stdout.js';
import { openObjects, schemaDefaults } from '../schema.js';
import { T0, authEvent, batchOf, detectionEvent, oktaRaw, sshdRaw } from '../testrecords.js';

/** A stdout that records each write call separately. */
function recordingOut(): { stream: PassThrough; writes: string[] } {
  const stream = new PassThrough();
  const writes: string[] = [];
  const original = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: never[]) => {
    writes.push(String(chunk));
    return original(chunk as string, ...rest);
  }) as typeof stream.write;
  stream.resume();
  return { stream, writes };
}

function exporter(format: 'pretty' | 'ndjson', out: PassThrough | Writable, color?: boolean): StdoutExporter {
  const terminal = new Terminal(out, new PassThrough());
  return new StdoutExporter(testSettings('exporter', 'stdout/t', { tenant: 'acme' }), { format }, terminal, color === undefined ? {} : { color });
}

test('factory: type, defaults, closed schema', () => {
  assert.equal(stdoutExporterFactory.kind, 'exporter');
  assert.equal(stdoutExporterFactory.type, 'stdout');
  assert.deepEqual(stdoutExporterFactory.createDefaultConfig(), { format: 'pretty' });
  assert.notEqual(stdoutExporterFactory.createDefaultConfig(), stdoutExporterFactory.createDefaultConfig());
  assert.deepEqual(schemaDefaults(stdoutExporterFactory.configSchema), { format: 'pretty' });
  assert.deepEqual(openObjects(stdoutExporterFactory.configSchema), []);
});

test('pretty: a whole batch in one write, exact text', async () => {
  const { stream, writes } = recordingOut();
  const exp = exporter('pretty', stream);
  await exp.start(new RecordingHost());
  await exp.consume(batchOf(oktaRaw, sshdRaw, authEvent, detectionEvent));
  assert.deepEqual(writes, [
    '2024-05-01T19:20:01.123Z  acme  okta  user.session.start  alice@example.com  203.0.113.7  FAILURE\n' +
      '2024-05-01T19:20:01.123Z  acme  linux.auth  sshd.password  bob  198.51.100.23  FAILURE\n' +
      '2024-05-01T19:20:02.000Z  acme  Okta  Authentication  Logon  alice@example.com  203.0.113.7  Failure  user.session.start\n' +
      '2024-05-01T19:20:03.500Z  acme  authwire  Detection Finding  Create  High  MFA failures across 12 accounts in 5m\n',
  ]);
  await exp.shutdown();
});

test('ndjson: exact lines; an empty batch writes nothing', async () => {
  const { stream, writes } = recordingOut();
  const exp = exporter('ndjson', stream);
  await exp.start(new RecordingHost());
  await exp.consume(batchOf(sshdRaw));
  await exp.consume(batchOf());
  assert.deepEqual(writes, [
    `{"tenant":"acme","format":"linux.auth","source":"syslog/acme","observed_time":${T0},"payload":"May  1 19:20:01 bastion sshd[4242]: Failed password for invalid user bob from 198.51.100.23 port 50022 ssh2"}\n`,
  ]);
  await exp.shutdown();
});

test('ndjson: unencodable records are reported to the host, the rest is written', async () => {
  const { stream, writes } = recordingOut();
  const exp = exporter('ndjson', stream);
  const host = new RecordingHost();
  await exp.start(host);
  await exp.consume({ tenant: 'acme', records: [{ format: 'x', payload: { n: 1n }, observedTime: 1, source: 's' }, { format: 'x', payload: 'ok', observedTime: 2, source: 's' }] });
  assert.deepEqual(writes, ['{"tenant":"acme","format":"x","source":"s","observed_time":2,"payload":"ok"}\n']);
  assert.equal(host.errors.length, 1);
  assert.equal((host.errors[0] as PermanentError).code, 'unencodable_record');
});

test('colour: explicit option, TTY detection and NO_COLOR', async () => {
  const { stream, writes } = recordingOut();
  const exp = exporter('pretty', stream, true);
  await exp.start(new RecordingHost());
  await exp.consume(batchOf(authEvent));
  assert.equal(writes[0], '\x1b[2m2024-05-01T19:20:02.000Z\x1b[0m  \x1b[36macme\x1b[0m  Okta  Authentication  Logon  alice@example.com  203.0.113.7  \x1b[31mFailure\x1b[0m  user.session.start\n');

  const tty = Object.assign(new PassThrough(), { isTTY: true });
  const pipe = new PassThrough();
  assert.equal(shouldColor(new Terminal(tty, new PassThrough()), {}), true);
  assert.equal(shouldColor(new Terminal(tty, new PassThrough()), { NO_COLOR: '1' }), false);
  assert.equal(shouldColor(new Terminal(tty, new PassThrough()), { NO_COLOR: '' }), true);
  assert.equal(shouldColor(new Terminal(pipe, new PassThrough()), {}), false);
});

test('consume resolves only after the stream drains (backpressure)', async () => {
  let release: (() => void) | undefined;
  const slow = new Writable({
    highWaterMark: 16,
    write(_chunk, _encoding, callback) {
      release = () => callback();
    },
  });
  const exp = exporter('ndjson', slow);
  await exp.start(new RecordingHost());
  let resolved = false;
  const done = exp.consume(batchOf(sshdRaw)).then(() => {
    resolved = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false);
  // Shutdown drains: it waits for the write in flight.
  let stopped = false;
  const stopping = exp.shutdown().then(() => {
    stopped = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false);
  release!();
  await done;
  await stopping;
  assert.equal(resolved, true);
  assert.equal(stopped, true);
});

test('a failing stream rejects with a permanent write_failed', async () => {
  const broken = new Writable({
    highWaterMark: 1,
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const exp = exporter('ndjson', broken);
  await exp.start(new RecordingHost());
  await assert.rejects(exp.consume(batchOf(sshdRaw)), (error: unknown) => {
    assert.ok(error instanceof PermanentError);
    assert.equal(error.code, 'write_failed');
    assert.equal(error.retryable, false);
    assert.equal(error.message, 'exporter stdout/t: stdout write failed: EPIPE');
    return true;
  });
  await exp.shutdown();
});

test('lifecycle: consume before start and after shutdown reject with codes; shutdown is idempotent and safe without start', async () => {
  const { stream, writes } = recordingOut();
  const exp = exporter('pretty', stream);
  await assert.rejects(exp.consume(batchOf(oktaRaw)), { code: 'not_started', retryable: false });
  await exp.shutdown();
  await exp.shutdown();
  await assert.rejects(exp.consume(batchOf(oktaRaw)), { code: 'shut_down', retryable: false });
  await assert.rejects(exp.start(new RecordingHost()), { code: 'shut_down' });
  assert.deepEqual(writes, []);

  const created = await stdoutExporterFactory.create(testSettings('exporter', 'stdout'), stdoutExporterFactory.createDefaultConfig());
  assert.equal(created.mutatesData, false);
  await created.shutdown();
});

test('the batch is not modified', async () => {
  const { stream } = recordingOut();
  const exp = exporter('pretty', stream, true);
  await exp.start(new RecordingHost());
  const batch = batchOf(structuredClone(oktaRaw), structuredClone(authEvent));
  const before = structuredClone(batch);
  await exp.consume(batch);
  assert.deepEqual(batch, before);
  await exp.shutdown();
});
