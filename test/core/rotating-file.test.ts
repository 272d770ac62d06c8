import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { PermanentError, RetryableError } from '../../core/errors.js';
import { RotatingFile, fileError } from '../../core/rotating-file.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'authwire-rotating-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function rotating(path: string, rotateBytes = 0, maxBackups = 0): RotatingFile {
  return new RotatingFile({ path, rotateBytes, maxBackups, name: 'test file' });
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

test('fileError: errno codes map to stable codes and retryability; unknown errors are a retryable io_error', () => {
  const sys = (code: string): Error => Object.assign(new Error(`${code}: boom`), { code });
  const cases: [string, string, boolean][] = [
    ['ENOSPC', 'disk_full', true],
    ['EDQUOT', 'disk_full', true],
    ['EMFILE', 'too_many_open_files', true],
    ['EIO', 'io_error', true],
    ['EACCES', 'permission_denied', false],
    ['EROFS', 'read_only_file_system', false],
    ['EISDIR', 'is_directory', false],
    ['ENOTDIR', 'bad_path', false],
    ['EFBIG', 'file_too_large', false],
    ['EWHATEVER', 'io_error', true],
  ];
  for (const [errno, code, retryable] of cases) {
    const error = fileError(sys(errno), 'open', '/x/y', 'my file');
    assert.deepEqual([error.code, error.retryable, error.message], [code, retryable, `my file: cannot open /x/y: ${errno}`], errno);
    assert.ok(retryable ? error instanceof RetryableError : error instanceof PermanentError);
  }
  const plain = fileError(new Error('no code here'), 'write to', '/x', 'f');
  assert.deepEqual([plain.code, plain.retryable, plain.message], ['io_error', true, 'f: cannot write to /x: no code here']);
});

test('nothing touches the disk before the first append, which creates the directories', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a', 'b', 'out.ndjson');
  const file = rotating(path);
  assert.equal(file.path, path);
  assert.deepEqual(await readdir(dir), []);
  await file.append(bytes('one\n'));
  assert.equal(await readFile(path, 'utf8'), 'one\n'); // resolved: the bytes are in the file
  await file.append(bytes('two\n'));
  await file.close();
  assert.equal(await readFile(path, 'utf8'), 'one\ntwo\n');

  const unused = rotating(join(dir, 'never', 'out.ndjson'));
  await unused.close();
  assert.equal(existsSync(join(dir, 'never')), false);
});

test('open() fails early with the mapped error, and a later append tries again', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'plain'), '');
  const path = join(dir, 'plain', 'out.ndjson');
  const file = rotating(path);
  await assert.rejects(file.open(), (error: unknown) => {
    assert.ok(error instanceof PermanentError);
    assert.equal(error.code, 'bad_path');
    assert.match(error.message, new RegExp(`^test file: cannot (create the directory of|open) ${path}: E(NOTDIR|EXIST)$`));
    return true;
  });
  await rm(join(dir, 'plain'));
  await file.append(bytes('after\n'));
  await file.close();
  assert.equal(await readFile(path, 'utf8'), 'after\n');
});

test('appends are written whole and in call order; rotation keeps max backups, newest first', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  await writeFile(`${path}.9`, 'stale\n'); // beyond maxBackups: deleted at the first rotation
  const file = rotating(path, 10, 2);
  const lines = ['aaaa\n', 'bbbb\n', 'cccc\n', 'dddd\n', 'eeeeeeeeeeeeeeeeeeee\n', 'ffff\n'];
  await Promise.all(lines.map((line) => file.append(bytes(line))));
  await file.close();
  // 'aaaa\nbbbb\n' fills 10 bytes exactly (no rotation), as do 'cccc\ndddd\n' after the first
  // rotation; the 21-byte append is written whole into a fresh file. 'aaaa\nbbbb\n' ends up the
  // third backup, beyond maxBackups, and is deleted.
  assert.deepEqual((await readdir(dir)).sort(), ['out.ndjson', 'out.ndjson.1', 'out.ndjson.2']);
  assert.equal(await readFile(path, 'utf8'), 'ffff\n');
  assert.equal(await readFile(`${path}.1`, 'utf8'), 'eeeeeeeeeeeeeeeeeeee\n');
  assert.equal(await readFile(`${path}.2`, 'utf8'), 'cccc\ndddd\n');
});

test('close waits for pending appends; appends and open after close are refused; close is idempotent', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const file = rotating(path);
  const pending = Array.from({ length: 50 }, (_, i) => file.append(bytes(`${i}\n`)));
  const closing = file.close();
  assert.equal(file.close(), closing);
  await closing;
  await Promise.all(pending);
  assert.equal(await readFile(path, 'utf8'), Array.from({ length: 50 }, (_, i) => `${i}\n`).join(''));
  await assert.rejects(file.append(bytes('late\n')), { code: 'closed', retryable: false, message: `test file: ${path} is closed` });
  await assert.rejects(file.open(), { code: 'closed' });
});

test('a failed append rejects with the mapped error and does not block the next', { skip: !existsSync('/dev/full') && process.env.CI !== 'true' && 'no /dev/full (in CI the test runs, and fails without it)' }, async () => {
  const file = rotating('/dev/full');
  await assert.rejects(file.append(bytes('x\n')), { code: 'disk_full', retryable: true, message: 'test file: cannot write to /dev/full: ENOSPC' });
  await assert.rejects(file.append(bytes('y\n')), { code: 'disk_full' });
  await file.close();
});

test('a write that fails part-way is truncated back, so no partial line stays', { skip: process.platform !== 'linux' && process.env.CI !== 'true' && 'needs ulimit -f (in CI the test runs, and fails without it)' }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const moduleUrl = new URL('../../core/rotating-file.js', import.meta.url).href;
  // The file size limit (1 KiB) makes the kernel write only the bytes that fit, then refuse
  // (EFBIG): the partial write the truncation exists for. Node ignores SIGXFSZ.
  const script = `
    const { RotatingFile } = await import(${JSON.stringify(moduleUrl)});
    const file = new RotatingFile({ path: ${JSON.stringify(path)}, rotateBytes: 0, maxBackups: 0, name: 'f' });
    const out = [];
    await file.append(Buffer.alloc(1000, 97)).then(() => out.push('ok'), (e) => out.push(e.code));
    await file.append(Buffer.alloc(100, 98)).then(() => out.push('ok'), (e) => out.push(e.code));
    await file.append(Buffer.alloc(20, 99)).then(() => out.push('ok'), (e) => out.push(e.code));
    await file.close();
    console.log(JSON.stringify(out));
  `;
  const child = spawnSync('bash', ['-c', `ulimit -f 1 && exec "$0" --input-type=module -e "$1"`, process.execPath, script], { encoding: 'utf8' });
  assert.equal(child.stderr, '');
  assert.equal(child.stdout, '["ok","file_too_large","ok"]\n');
  assert.equal(await readFile(path, 'utf8'), 'a'.repeat(1000) + 'c'.repeat(20));
});
