/**
 * Rotation and restart: no line lost, none repeated. Each test drives pollOnce() by hand, so
 * where a rotation falls between two polls is exact.
 */
import assert from 'node:assert/strict';
import { appendFile, copyFile, open, rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpoint, numbered, range, tail, tempDir } from './helpers.js';

test('rename rotation (logrotate default): lines written to the old file just before the rename come before the new file', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('old', 1, 2));
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning' });
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['old 1', 'old 2']);
  await appendFile(log, numbered('old', 3, 4));
  await rename(log, `${log}.1`);
  await writeFile(log, numbered('new', 1, 2));
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['old 3', 'old 4', 'new 1', 'new 2']);
  assert.equal(t.receiver.metrics().rotated_files_drained, 1);
  await appendFile(log, numbered('new', 3, 3));
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['new 3']);
  assert.deepEqual(t.downstream.lines, [...range('old', 1, 4), ...range('new', 1, 3)]);
  await t.receiver.shutdown();
});

test('rename rotation before the new file exists, and a new file created empty: nothing lost, nothing read twice', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('a', 1, 1));
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning' });
  await t.drain();
  await appendFile(log, numbered('a', 2, 2));
  await rename(log, `${log}.1`);
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['a 1', 'a 2']);
  await writeFile(log, '');
  await t.drain();
  assert.deepEqual(t.downstream.take(), []);
  await appendFile(log, numbered('b', 1, 2));
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['b 1', 'b 2']);
  await t.receiver.shutdown();
});

test('rotated files still matched by the glob: recognised by fingerprint under their new names, over several rotations', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  const t = await tail(await tempDir('data'), { include: [join(dir, 'auth.log*')], exclude: ['**/*.gz'], start_at: 'beginning' });
  const expected: string[] = [];
  await writeFile(log, numbered('gen0', 1, 3));
  expected.push(...range('gen0', 1, 3));
  await t.drain();
  assert.deepEqual(t.downstream.take(), range('gen0', 1, 3));
  for (let gen = 1; gen <= 4; gen++) {
    // A writer still holding the old file appends after the rename; logrotate shifts the older ones.
    const late = await open(log, 'a');
    for (let k = 3; k >= 1; k--) await rename(`${log}.${k}`, `${log}.${k + 1}`).catch(() => undefined);
    await rename(log, `${log}.1`);
    await late.appendFile(`gen${gen - 1} late\n`);
    await late.close();
    await writeFile(log, numbered(`gen${gen}`, 1, 2));
    if (gen === 4) await rename(`${log}.4`, `${log}.4.gz`);
    expected.push(`gen${gen - 1} late`, ...range(`gen${gen}`, 1, 2));
    await t.drain();
    assert.deepEqual(t.downstream.take(), [`gen${gen - 1} late`, ...range(`gen${gen}`, 1, 2)]);
  }
  assert.deepEqual(t.downstream.lines, expected);
  assert.equal(t.receiver.metrics().files_matched, 4);
  await t.receiver.shutdown();
});

test('copytruncate: detected when the content changes or the file shrinks; the new lines are read from the start', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('first', 1, 2));
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning', fingerprint_size: 16 });
  await t.drain();
  await copyFile(log, `${log}.1`);
  await truncate(log, 0);
  await appendFile(log, numbered('second', 1, 1));
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['first 1', 'first 2', 'second 1']);
  // Same first 16 bytes, but shorter than the position: shrunk, so truncated and rewritten.
  await writeFile(log, '2026-03-01T12:00:00 host sshd: one\n2026-03-01T12:00:00 host sshd: two\n');
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['2026-03-01T12:00:00 host sshd: one', '2026-03-01T12:00:00 host sshd: two']);
  await truncate(log, 0);
  await appendFile(log, '2026-03-01T12:00:00 host sshd: 3\n');
  await t.drain();
  assert.deepEqual(t.downstream.take(), ['2026-03-01T12:00:00 host sshd: 3']);
  assert.equal(t.receiver.metrics().truncations, 1);
  await t.receiver.shutdown();
});

test('copytruncate with the copy matched by the glob: lines written just before the copy are read from it, once', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('a', 1, 2));
  const t = await tail(await tempDir('data'), { include: [join(dir, 'auth.log*')], start_at: 'beginning' });
  await t.drain();
  await appendFile(log, numbered('a', 3, 4));
  await copyFile(log, `${log}.1`);
  // A poll between the copy and the truncation reads one of the two identical files.
  await t.drain();
  assert.equal(t.receiver.metrics().duplicate_files, 1);
  await truncate(log, 0);
  await appendFile(log, numbered('b', 1, 2));
  await t.drain();
  assert.deepEqual(t.downstream.lines, [...range('a', 1, 4), ...range('b', 1, 2)]);
  // And the same without the poll in between.
  await appendFile(log, numbered('b', 3, 3));
  await copyFile(log, `${log}.1`);
  await truncate(log, 0);
  await appendFile(log, numbered('c', 1, 1));
  await t.drain();
  assert.deepEqual(t.downstream.lines, [...range('a', 1, 4), ...range('b', 1, 3), 'c 1']);
  await t.receiver.shutdown();
});

test('a deleted file is read to its end through the handle kept open since the last poll', async () => {
  const dir = await tempDir('logs');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('x', 1, 1));
  const t = await tail(await tempDir('data'), { include: [log], start_at: 'beginning' });
  await t.drain();
  await appendFile(log, numbered('x', 2, 3));
  await unlink(log);
  await t.drain();
  assert.deepEqual(t.downstream.lines, range('x', 1, 3));
  assert.equal(t.receiver.metrics().files_open, 0);
  await t.receiver.shutdown();
});

test('a copy of a tailed file (same fingerprint) is not read again; a file growing past fingerprint_size keeps its identity', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'a.log');
  await writeFile(log, 'short\n');
  const t = await tail(dataDir, { include: [join(dir, '*.log')], start_at: 'beginning', fingerprint_size: 32 });
  await t.drain();
  await appendFile(log, numbered('a longer line that takes the file past the fingerprint', 1, 2));
  await t.drain();
  await copyFile(log, join(dir, 'b.log'));
  await t.drain();
  assert.deepEqual(t.downstream.lines, ['short', ...range('a longer line that takes the file past the fingerprint', 1, 2)]);
  await t.receiver.shutdown();
  const saved = (await checkpoint(dataDir))!.files;
  assert.equal(saved.length, 1);
  assert.equal(Buffer.from(saved[0]!.fingerprint, 'base64').length, 32);
});

test('restart: a new instance on the same data directory resumes exactly, with lines appended while stopped', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('line', 1, 3));
  const config = { include: [log], start_at: 'beginning' as const, force_flush_period: '0s' };
  const first = await tail(dataDir, config);
  await first.drain();
  await appendFile(log, `${numbered('line', 4, 5)}line 6 (unfinished`);
  await first.drain();
  await first.receiver.shutdown();
  assert.deepEqual(first.downstream.lines, range('line', 1, 5));
  const saved = (await checkpoint(dataDir))!.files;
  assert.deepEqual(saved.map((f) => ({ offset: f.offset, path: f.path, skipping: f.skipping })), [{ offset: 35, path: log, skipping: false }]);
  await appendFile(log, `)\n${numbered('line', 7, 8)}`);
  // start_at applies only to files without a checkpoint: `end` does not skip what was appended.
  const second = await tail(dataDir, { ...config, start_at: 'end' });
  await second.drain();
  assert.deepEqual(second.downstream.lines, ['line 6 (unfinished)', ...range('line', 7, 8)]);
  await second.receiver.shutdown();
  const third = await tail(dataDir, config);
  await third.drain();
  assert.deepEqual(third.downstream.lines, []);
  await third.receiver.shutdown();
});

test('restart across a rename rotation while stopped: the rotated file is finished first, files new since the stop are read whole', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const log = join(dir, 'auth.log');
  await writeFile(log, numbered('a', 1, 2));
  const config = { include: [join(dir, 'auth.log*')], start_at: 'end' as const };
  const first = await tail(dataDir, { ...config, start_at: 'beginning' });
  await first.drain();
  await first.receiver.shutdown();
  await appendFile(log, numbered('a', 3, 4));
  await rename(log, `${log}.1`);
  await writeFile(log, numbered('b', 1, 2));
  await writeFile(join(dir, 'auth.log.other'), numbered('u', 1, 1));
  // start_at is for the first run: with a checkpoint, start_at end does not skip files that appeared while stopped.
  const second = await tail(dataDir, config);
  await second.drain();
  await second.receiver.shutdown();
  assert.deepEqual([...first.downstream.lines, ...second.downstream.lines], [...range('a', 1, 4), ...range('b', 1, 2), 'u 1']);
  // A first run (no checkpoint) with start_at end skips everything there.
  const fresh = await tail(await tempDir('data'), config);
  await fresh.drain();
  assert.deepEqual(fresh.downstream.lines, []);
  await fresh.receiver.shutdown();
});

test('a first run that found no file still leaves a checkpoint: a file created while stopped is read whole', async () => {
  const dir = await tempDir('logs');
  const dataDir = await tempDir('data');
  const config = { include: [join(dir, '*.log')], start_at: 'end' as const };
  const first = await tail(dataDir, config);
  await first.drain();
  await first.receiver.shutdown();
  assert.deepEqual(await checkpoint(dataDir), { files: [] });
  await writeFile(join(dir, 'auth.log'), numbered('n', 1, 2));
  const second = await tail(dataDir, config);
  await second.drain();
  assert.deepEqual(second.downstream.lines, range('n', 1, 2));
  await second.receiver.shutdown();
});
