import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateAgainst } from '../../../../core/config/schema.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { fileReceiverFactory } from '../../../../plugins/receivers/file/index.js';
import { FileReceiver } from '../../../../plugins/receivers/file/file.js';
import { waitFor } from '../../../helpers.js';
import { Downstream, checkpoint, numbered, range, tail, tempDir } from './helpers.js';

test('factory: type file, default config valid apart from include, create and shutdown without start', async () => {
  assert.equal(fileReceiverFactory.kind, 'receiver');
  assert.equal(fileReceiverFactory.type, 'file');
  const config = fileReceiverFactory.createDefaultConfig();
  assert.deepEqual(
    validateAgainst(fileReceiverFactory.configSchema, structuredClone(config)).map((p) => `${p.path.join('::')}: ${p.message}`),
    ['include: is required'],
  );
  const full = { ...config, include: ['/var/log/auth.log'] };
  assert.deepEqual(validateAgainst(fileReceiverFactory.configSchema, structuredClone(full)), []);
  const bad = validateAgainst(fileReceiverFactory.configSchema, { ...structuredClone(full), start_at: 'middle', poll_interval: 'soon', unknown: 1 });
  assert.deepEqual(bad.map((p) => p.path.join('::')), ['unknown', 'start_at', 'poll_interval']);
  const receiver = await fileReceiverFactory.create(testSettings('receiver', 'file'), config, new CollectingConsumer());
  await receiver.shutdown();
  await receiver.shutdown();
});

test('start without include is a config error; a corrupt checkpoint refuses to start', async () => {
  const dataDir = await tempDir('data');
  const { receiver } = await tail(dataDir, {}, { start: false });
  await assert.rejects(receiver.start(new RecordingHost()), { code: 'invalid_config' });
  await writeFile(join(dataDir, 'checkpoint.json'), '{"version":1,"state":{"files":"no"}}');
  const other = await tail(dataDir, { include: [join(dataDir, '*.log')] }, { start: false });
  await assert.rejects(other.receiver.start(new RecordingHost()), { code: 'corrupt_checkpoint' });
});

test('start_at beginning reads what is there; records carry format, the line, observedTime and the receiver id', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, 'Mar  1 12:00:00 host sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2\nsecond\n');
  const before = Date.now();
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning' });
  assert.equal(await t.receiver.pollOnce(), false);
  const records = t.downstream.records;
  assert.equal(t.downstream.batches[0]!.tenant, 'corp');
  assert.deepEqual(records.map((r) => ({ ...r, observedTime: 0 })), [
    { format: 'linux.auth', payload: 'Mar  1 12:00:00 host sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2', observedTime: 0, source: 'file/auth' },
    { format: 'linux.auth', payload: 'second', observedTime: 0, source: 'file/auth' },
  ]);
  assert.ok(records.every((r) => r.observedTime >= before && r.observedTime <= Date.now()));
  assert.deepEqual(Object.keys(records[0]!), ['format', 'payload', 'observedTime', 'source']);
  await t.receiver.shutdown();
});

test('start_at end skips what is there at the first poll; later appends and files created later are read whole', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'a.log');
  await writeFile(log, numbered('old', 1, 3));
  const t = await tail(await tempDir('data'), { include: [join(dir, '*.log')], start_at: 'end' });
  await t.drain();
  assert.deepEqual(t.downstream.take(), []);
  await appendFile(log, numbered('new', 1, 2));
  await writeFile(join(dir, 'b.log'), numbered('b', 1, 2));
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['new 1', 'new 2', 'b 1', 'b 2']);
  await t.receiver.shutdown();
});

test('a line written in pieces is delivered once, whole; the checkpoint stays at its start until then', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'auth.log');
  await writeFile(log, '');
  const t = await tail(dataDir, { include: [log], start_at: 'beginning', force_flush_period: '0s' });
  await t.drain();
  await appendFile(log, 'one\ntw');
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['one']);
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 4);
  await appendFile(log, 'o');
  await t.drain();
  await appendFile(log, '\nthr');
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['two']);
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 8);
  await appendFile(log, 'ee\n\n\nfour\n');
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['three', 'four']);
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 21);
  assert.equal(t.receiver.metrics().empty_lines, 2);
  await t.receiver.shutdown();
});

test('force_flush_period: an unterminated line that stopped growing is emitted; its continuation is a line of its own', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  let now = 1_000;
  await writeFile(log, 'done\npart');
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning', force_flush_period: '500ms' }, { internals: { now: () => now } });
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['done']);
  now += 499;
  await t.drain();
  assert.deepEqual(t.downstream.take(), []);
  await appendFile(log, 'ial');
  now += 499;
  await t.drain(); // it grew: the period starts again
  now += 499;
  await t.drain();
  assert.deepEqual(t.downstream.take(), []);
  now += 1;
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['partial']);
  await appendFile(log, ' rest\nnext\n');
  await t.drain();
  assert.deepEqual(t.downstream.take(), [' rest', 'next']);
  assert.equal(t.receiver.metrics().partial_lines_flushed, 1);
  await t.receiver.shutdown();
});

test('CRLF line ends lose their CR; a CR inside a line is kept', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'win.log');
  await writeFile(log, 'one\r\ntwo\r\nx\ry\r\n\r\n');
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning', format: 'windows.security' });
  await t.drain();
  assert.deepEqual(t.downstream.lines, ['one', 'two', 'x\ry']);
  assert.equal(t.downstream.records[0]!.format, 'windows.security');
  await t.receiver.shutdown();
});

test('invalid UTF-8 bytes become U+FFFD and are counted; latin1 decodes every byte', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, Buffer.concat([Buffer.from('Invalid user '), Buffer.from([0xff, 0xfe]), Buffer.from(' from 10.0.0.9\nok \u00e9 \ufffd\n')]));
  const utf8 = await tail(await tempDir('data'), { include: [log], start_at: 'beginning' });
  await utf8.drain();
  assert.deepEqual(utf8.downstream.lines, ['Invalid user \ufffd\ufffd from 10.0.0.9', 'ok \u00e9 \ufffd']);
  assert.equal(utf8.receiver.metrics().invalid_utf8_lines, 1);
  await utf8.receiver.shutdown();
  const latin1 = await tail(await tempDir('data'), { include: [log], start_at: 'beginning', encoding: 'latin1' });
  await latin1.drain();
  assert.equal(latin1.downstream.lines[0], 'Invalid user \u00ff\u00fe from 10.0.0.9');
  assert.equal(latin1.receiver.metrics().invalid_utf8_lines, 0);
  await latin1.receiver.shutdown();
});

test('lines longer than max_line_bytes are dead-lettered with their first max_line_bytes bytes, never split', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, `short\n${'x'.repeat(16)}\r\n${'y'.repeat(17)}\nafter\n`);
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning', max_line_bytes: 16 });
  await t.drain();
  assert.deepEqual(t.downstream.lines, ['short', 'x'.repeat(16), 'after']);
  assert.deepEqual(
    t.host.deadLetters.map((l) => ({ ...l, observedTime: 0 })),
    [{ tenant: 'corp', reason: 'line_too_long', detail: `line at byte 24 of ${log} is longer than max_line_bytes (16); its first 16 bytes are kept`, format: 'linux.auth', original: 'y'.repeat(16), observedTime: 0 }],
  );
  assert.equal(t.receiver.metrics().lines_too_long, 1);
  await t.receiver.shutdown();
});

test('a line longer than the read buffer is skipped to its end across polls and restarts, dead-lettered once', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'auth.log');
  const huge = 'z'.repeat(200 * 1024);
  await writeFile(log, `before\n${huge.slice(0, 150 * 1024)}`);
  const first = await tail(dataDir, { include: [log], start_at: 'beginning', max_line_bytes: 1024 });
  await first.drain();
  assert.deepEqual(first.downstream.lines, ['before']);
  assert.equal(first.host.deadLetters.length, 1);
  assert.equal(first.host.deadLetters[0]!.original, 'z'.repeat(1024));
  await first.receiver.shutdown();
  const saved = (await checkpoint(dataDir))!.files[0]!;
  assert.equal(saved.skipping, true);
  // The rest of the long line arrives while stopped; a new instance keeps skipping it.
  await appendFile(log, `${huge.slice(150 * 1024)}\nnext\n`);
  const second = await tail(dataDir, { include: [log], start_at: 'beginning', max_line_bytes: 1024 });
  await second.drain();
  assert.deepEqual(second.downstream.lines, ['next']);
  assert.equal(second.host.deadLetters.length, 0);
  assert.deepEqual((await checkpoint(dataDir))!.files[0]!.skipping, false);
  await second.receiver.shutdown();
});

test('a consume rejection does not advance the checkpoint; the same lines are delivered by the next poll, once', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('line', 1, 5));
  const t = await tail(dataDir, { include: [log], start_at: 'beginning', batch_size: 2 });
  await t.drain();
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 35);
  await appendFile(log, numbered('line', 6, 10));
  // The first batch (6, 7) is accepted, the second (8, 9) refused: the position stays after 7.
  const reject = t.downstream.consume.bind(t.downstream);
  let call = 0;
  t.downstream.consume = async (batch) => {
    if (++call === 2) throw Object.assign(new Error('queue full'), { code: 'queue_full', retryable: true });
    return reject(batch);
  };
  await assert.rejects(t.receiver.pollOnce(), { code: 'queue_full' });
  assert.deepEqual(t.downstream.lines, range('line', 1, 7));
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 49);
  assert.equal(t.receiver.metrics().consume_failures, 1);
  await t.drain();
  assert.deepEqual(t.downstream.lines, range('line', 1, 10));
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 71);
  await t.receiver.shutdown();
});

test('a refusal on the very first batch saves no position; a restart reads the same lines', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('line', 1, 3));
  const downstream = new Downstream();
  downstream.failNext = 1;
  const t = await tail(dataDir, { include: [log], start_at: 'beginning' }, { downstream });
  await assert.rejects(t.receiver.pollOnce(), { code: 'queue_full' });
  await t.receiver.shutdown();
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 0);
  const again = await tail(dataDir, { include: [log], start_at: 'end' });
  await again.drain();
  assert.deepEqual(again.downstream.lines, range('line', 1, 3));
  await again.receiver.shutdown();
});

test('max_bytes_per_poll: a large file is read in rounds, every line once and in order, other files interleaved', async () => {
  const dir = await tempDir('logs');
  const big = join(dir, 'big.log');
  const small = join(dir, 'small.log');
  await writeFile(big, numbered('big line with some padding to make it longer', 1, 10_000));
  await writeFile(small, numbered('small', 1, 2));
  const t = await tail(await tempDir('data'), { include: [join(dir, '*.log')], start_at: 'beginning', batch_size: 500, max_bytes_per_poll: 65_536, max_line_bytes: 1024 });
  const more: boolean[] = [];
  do more.push(await t.receiver.pollOnce());
  while (more.at(-1) === true);
  // 498,894 bytes, at most 65,536 a poll (a held partial line is read again): 8 polls, the last reaching the end.
  assert.deepEqual(more, [true, true, true, true, true, true, true, false]);
  const lines = t.downstream.lines;
  assert.deepEqual(lines.filter((l) => l.startsWith('big')), range('big line with some padding to make it longer', 1, 10_000));
  assert.deepEqual(lines.filter((l) => l.startsWith('small')), ['small 1', 'small 2']);
  assert.ok(lines.indexOf('small 1') < 2000, 'the small file is not kept waiting behind the big one');
  assert.ok(t.downstream.batches.every((b) => b.records.length <= 500));
  await t.receiver.shutdown();
});

test('many files, more than max_concurrent_files: all read once, at most half that left open', async () => {
  const dir = await tempDir('logs');
  for (let f = 0; f < 25; f++) await writeFile(join(dir, `f${String(f).padStart(2, '0')}.log`), numbered(`f${f}`, 1, 3));
  const t = await tail(await tempDir('data'), { include: [join(dir, '*.log')], start_at: 'beginning', max_concurrent_files: 8 });
  await t.drain();
  assert.equal(t.downstream.lines.length, 75);
  assert.deepEqual(new Set(t.downstream.lines).size, 75);
  assert.equal(t.receiver.metrics().files_open, 1); // 25 = 6 groups of 4 and one of 1
  for (let f = 0; f < 25; f++) await appendFile(join(dir, `f${String(f).padStart(2, '0')}.log`), `f${f} 4\n`);
  await t.drain();
  assert.equal(t.downstream.lines.length, 100);
  assert.equal(t.receiver.metrics().files_tracked, 25);
  await t.receiver.shutdown();
  assert.equal(t.receiver.metrics().files_open, 0);
});

test('the poll loop: lines appended while running are delivered and checkpointed; shutdown drains and saves', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'auth.log');
  await mkdir(dir, { recursive: true });
  await writeFile(log, 'first\n');
  const downstream = new Downstream();
  const receiver = new FileReceiver(
    testSettings('receiver', 'file/auth', { tenant: 'corp', dataDir }),
    { ...fileReceiverFactory.createDefaultConfig(), include: [log], start_at: 'beginning', poll_interval: '5ms' },
    downstream,
  );
  await receiver.start(new RecordingHost());
  await waitFor(() => downstream.lines.length === 1, 5000, 'first line');
  await appendFile(log, 'second\nthird\n');
  await waitFor(() => downstream.lines.length === 3, 5000, 'appended lines');
  await receiver.shutdown();
  assert.deepEqual(downstream.lines, ['first', 'second', 'third']);
  assert.equal((await checkpoint(dataDir))!.files[0]!.offset, 19);
  assert.ok(receiver.metrics().polls >= 2);
});
