import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../../../../core/api.js';
import { PermanentError, RetryableError } from '../../../../core/errors.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import type { FileExporterConfig } from '../../../../plugins/exporters/file/config.js';
import { fileExporterFactory } from '../../../../plugins/exporters/file/index.js';
import { FileExporter } from '../../../../plugins/exporters/file/file.js';
import { openObjects, schemaDefaults } from '../schema.js';
import { authEvent, batchOf, sshdRaw } from '../testrecords.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'authwire-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function fileExporter(config: Partial<FileExporterConfig>): FileExporter {
  return new FileExporter(testSettings('exporter', 'file/t', { tenant: 'acme' }), { ...fileExporterFactory.createDefaultConfig(), ...config });
}

/** A batch whose single NDJSON line is exactly `n` bytes long (newline included). */
function sized(tag: string, n: number): { batch: Batch; line: string } {
  const prefix = `{"tenant":"acme","format":"t","source":"s","observed_time":0,"payload":"${tag}`;
  const suffix = '"}\n';
  const pad = 'x'.repeat(n - prefix.length - suffix.length);
  return { batch: { tenant: 'acme', records: [{ format: 't', payload: tag + pad, observedTime: 0, source: 's' }] }, line: prefix + pad + suffix };
}

test('factory: type, defaults, required path, closed schema', () => {
  assert.equal(fileExporterFactory.kind, 'exporter');
  assert.equal(fileExporterFactory.type, 'file');
  assert.deepEqual(fileExporterFactory.createDefaultConfig(), { rotate_bytes: 104857600, max_backups: 10, format: 'ndjson' });
  assert.deepEqual(schemaDefaults(fileExporterFactory.configSchema), { rotate_bytes: 104857600, max_backups: 10, format: 'ndjson' });
  assert.deepEqual(fileExporterFactory.configSchema['required'], ['path']);
  assert.deepEqual(openObjects(fileExporterFactory.configSchema), []);
});

test('writes exact NDJSON bytes, creating parent directories', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a', 'b', 'events.ndjson');
  const exp = fileExporter({ path });
  await exp.start(new RecordingHost());
  await exp.consume(batchOf(sshdRaw, authEvent));
  // consume resolved: the bytes are in the file already, before shutdown.
  const expected =
    '{"tenant":"acme","format":"linux.auth","source":"syslog/acme","observed_time":1714591201123,"payload":"May  1 19:20:01 bastion sshd[4242]: Failed password for invalid user bob from 198.51.100.23 port 50022 ssh2"}\n' +
    JSON.stringify(authEvent) +
    '\n';
  assert.equal(await readFile(path, 'utf8'), expected);
  await exp.shutdown();
  assert.equal(await readFile(path, 'utf8'), expected);
});

test('appends across restarts', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const one = sized('one', 100);
  const two = sized('two', 100);
  const first = fileExporter({ path });
  await first.start(new RecordingHost());
  await first.consume(one.batch);
  await first.shutdown();
  const second = fileExporter({ path });
  await second.start(new RecordingHost());
  await second.consume(two.batch);
  await second.shutdown();
  assert.equal(await readFile(path, 'utf8'), one.line + two.line);
});

test('rotates exactly when the next batch would pass rotate_bytes', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const a = sized('a', 100);
  const b = sized('b', 100);
  const c = sized('c', 100);
  const exp = fileExporter({ path, rotate_bytes: 200 });
  await exp.start(new RecordingHost());
  await exp.consume(a.batch);
  await exp.consume(b.batch); // 200 bytes: exactly at the limit, no rotation
  assert.deepEqual(await readdir(dir), ['out.ndjson']);
  assert.equal(await readFile(path, 'utf8'), a.line + b.line);
  await exp.consume(c.batch); // 300 > 200: rotate first
  assert.deepEqual((await readdir(dir)).sort(), ['out.ndjson', 'out.ndjson.1']);
  assert.equal(await readFile(`${path}.1`, 'utf8'), a.line + b.line);
  assert.equal(await readFile(path, 'utf8'), c.line);
  await exp.shutdown();
});

test('the size limit counts bytes already in the file after a restart', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  await writeFile(path, 'x'.repeat(150) + '\n');
  const exp = fileExporter({ path, rotate_bytes: 250 });
  await exp.start(new RecordingHost());
  const a = sized('a', 100);
  await exp.consume(a.batch); // 151 + 100 > 250
  assert.equal(await readFile(`${path}.1`, 'utf8'), 'x'.repeat(150) + '\n');
  assert.equal(await readFile(path, 'utf8'), a.line);
  await exp.shutdown();
});

test('a batch larger than rotate_bytes is written whole, never split', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const big = sized('big', 500);
  const exp = fileExporter({ path, rotate_bytes: 100 });
  await exp.start(new RecordingHost());
  await exp.consume(big.batch);
  assert.deepEqual(await readdir(dir), ['out.ndjson']);
  assert.equal(await readFile(path, 'utf8'), big.line);
  await exp.shutdown();
});

test('keeps max_backups rotated files, newest as .1, and prunes the rest', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  await writeFile(`${path}.7`, 'stale\n'); // left over from a larger max_backups
  const lines = ['b1', 'b2', 'b3', 'b4', 'b5'].map((tag) => sized(tag, 80));
  const exp = fileExporter({ path, rotate_bytes: 100, max_backups: 2 });
  await exp.start(new RecordingHost());
  for (const { batch } of lines) await exp.consume(batch);
  await exp.shutdown();
  assert.deepEqual((await readdir(dir)).sort(), ['out.ndjson', 'out.ndjson.1', 'out.ndjson.2']);
  assert.equal(await readFile(path, 'utf8'), lines[4]!.line);
  assert.equal(await readFile(`${path}.1`, 'utf8'), lines[3]!.line);
  assert.equal(await readFile(`${path}.2`, 'utf8'), lines[2]!.line);
});

test('max_backups 0 keeps every rotated file; rotate_bytes 0 never rotates', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'keep.ndjson');
  const lines = ['k1', 'k2', 'k3', 'k4'].map((tag) => sized(tag, 80));
  const exp = fileExporter({ path, rotate_bytes: 100, max_backups: 0 });
  await exp.start(new RecordingHost());
  for (const { batch } of lines) await exp.consume(batch);
  await exp.shutdown();
  assert.deepEqual((await readdir(dir)).sort(), ['keep.ndjson', 'keep.ndjson.1', 'keep.ndjson.2', 'keep.ndjson.3']);
  assert.equal(await readFile(`${path}.3`, 'utf8'), lines[0]!.line);
  assert.equal(await readFile(path, 'utf8'), lines[3]!.line);

  const never = join(dir, 'never.ndjson');
  const exp2 = fileExporter({ path: never, rotate_bytes: 0 });
  await exp2.start(new RecordingHost());
  for (const { batch } of lines) await exp2.consume(batch);
  await exp2.shutdown();
  assert.equal(existsSync(`${never}.1`), false);
  assert.equal(await readFile(never, 'utf8'), lines.map((l) => l.line).join(''));
});

test('concurrent batches are written whole and in call order', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const exp = fileExporter({ path, rotate_bytes: 1000, max_backups: 0 });
  await exp.start(new RecordingHost());
  const batches = Array.from({ length: 30 }, (_, i) => sized(`c${String(i).padStart(2, '0')}`, 100));
  await Promise.all(batches.map(({ batch }) => exp.consume(batch)));
  await exp.shutdown();
  const names = (await readdir(dir)).sort();
  assert.deepEqual(names, ['out.ndjson', 'out.ndjson.1', 'out.ndjson.2']);
  const all = (await readFile(`${path}.2`, 'utf8')) + (await readFile(`${path}.1`, 'utf8')) + (await readFile(path, 'utf8'));
  assert.equal(all, batches.map((b) => b.line).join(''));
});

test('a relative path resolves against the working directory', async (t) => {
  const dir = await realpath(await tempDir(t));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const exp = fileExporter({ path: 'rel/out.ndjson' });
    assert.equal(exp.path, join(dir, 'rel', 'out.ndjson'));
    await exp.start(new RecordingHost());
    await exp.consume(batchOf(sshdRaw));
    await exp.shutdown();
  } finally {
    process.chdir(cwd);
  }
  assert.equal((await readFile(join(dir, 'rel', 'out.ndjson'), 'utf8')).split('\n').length, 2);
});

test('a path that is a directory fails start with a permanent is_directory', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'adir');
  await mkdir(path);
  const exp = fileExporter({ path });
  await assert.rejects(exp.start(new RecordingHost()), (error: unknown) => {
    assert.ok(error instanceof PermanentError);
    assert.equal(error.code, 'is_directory');
    assert.equal(error.retryable, false);
    assert.equal(error.message, `file exporter: cannot open ${path}: EISDIR`);
    return true;
  });
  await assert.rejects(exp.consume(batchOf(sshdRaw)), { code: 'not_started' });
  await exp.shutdown();
});

test('a parent that is a file fails start with a permanent bad_path', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'plain'), '');
  const exp = fileExporter({ path: join(dir, 'plain', 'out.ndjson') });
  await assert.rejects(exp.start(new RecordingHost()), { code: 'bad_path', retryable: false });
  await exp.shutdown();
});

test('a full disk rejects consume with a retryable disk_full', { skip: !existsSync('/dev/full') && process.env.CI !== 'true' && 'no /dev/full (in CI the test runs, and fails without it)' }, async () => {
  const exp = fileExporter({ path: '/dev/full' });
  await exp.start(new RecordingHost());
  await assert.rejects(exp.consume(batchOf(sshdRaw)), (error: unknown) => {
    assert.ok(error instanceof RetryableError);
    assert.equal(error.code, 'disk_full');
    assert.equal(error.message, 'file exporter: cannot write to /dev/full: ENOSPC');
    return true;
  });
  // The failed write does not block the ones after it.
  await assert.rejects(exp.consume(batchOf(sshdRaw)), { code: 'disk_full' });
  await exp.shutdown();
});

test('lifecycle: codes before start and after shutdown; shutdown idempotent and safe without start', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const exp = fileExporter({ path });
  await assert.rejects(exp.consume(batchOf(sshdRaw)), { code: 'not_started', retryable: false });
  await exp.start(new RecordingHost());
  await exp.consume(batchOf(sshdRaw));
  await Promise.all([exp.shutdown(), exp.shutdown()]);
  await exp.shutdown();
  await assert.rejects(exp.consume(batchOf(sshdRaw)), { code: 'shut_down', retryable: false });
  await assert.rejects(exp.start(new RecordingHost()), { code: 'shut_down' });

  // The default config has no path: create and shutdown still work, start says why it cannot.
  const noPath = await fileExporterFactory.create(testSettings('exporter', 'file'), fileExporterFactory.createDefaultConfig());
  assert.equal(noPath.mutatesData, false);
  await noPath.shutdown();
  const noPath2 = await fileExporterFactory.create(testSettings('exporter', 'file'), fileExporterFactory.createDefaultConfig());
  await assert.rejects(noPath2.start(new RecordingHost()), { code: 'invalid_config' });
  await noPath2.shutdown();
  assert.deepEqual(await readdir(dir), ['out.ndjson']);
});

test('shutdown waits for accepted writes', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.ndjson');
  const exp = fileExporter({ path });
  await exp.start(new RecordingHost());
  const lines = Array.from({ length: 20 }, (_, i) => sized(`w${i}`, 100));
  const writes = lines.map(({ batch }) => exp.consume(batch));
  await exp.shutdown();
  await Promise.all(writes);
  assert.equal(await readFile(path, 'utf8'), lines.map((l) => l.line).join(''));
});
