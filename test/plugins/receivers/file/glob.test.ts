import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { compileGlob, findFiles, matchesGlob } from '../../../../plugins/receivers/file/glob.js';
import { tempDir } from './helpers.js';

async function tree(root: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await writeFile(join(root, file), 'x\n');
  }
}

async function find(root: string, include: string[], exclude: string[] = []): Promise<string[]> {
  const found = await findFiles(
    include.map((p) => compileGlob(p, root)),
    exclude.map((p) => compileGlob(p, root)),
  );
  return found.map((path) => relative(root, path));
}

const FILES = [
  'auth.log',
  'auth.log.1',
  'auth.log.2.gz',
  'secure',
  '.hidden.log',
  'a/x.log',
  'a/b/y.log',
  'a/b/c/z.log',
  'a/b/c/z.gz',
  'a/skip/s.log',
  'b/x.log',
  'b1/x.log',
  'bb/x.log',
  'lit[1].log',
];

test('glob: *, ?, [...] and [!...] match within one segment', async () => {
  const root = await tempDir('glob');
  await tree(root, FILES);
  assert.deepEqual(await find(root, ['auth.log*']), ['auth.log', 'auth.log.1', 'auth.log.2.gz']);
  assert.deepEqual(await find(root, ['auth.log.?']), ['auth.log.1']);
  assert.deepEqual(await find(root, ['*.log']), ['.hidden.log', 'auth.log', 'lit[1].log']);
  assert.deepEqual(await find(root, ['b?/x.log']), ['b1/x.log', 'bb/x.log']);
  assert.deepEqual(await find(root, ['b[0-9]/x.log']), ['b1/x.log']);
  assert.deepEqual(await find(root, ['b[!0-9]/x.log']), ['bb/x.log']);
  assert.deepEqual(await find(root, ['b[^0-9]/x.log']), ['bb/x.log']);
  assert.deepEqual(await find(root, ['*/x.log']), ['a/x.log', 'b/x.log', 'b1/x.log', 'bb/x.log']);
  assert.deepEqual(await find(root, ['lit\\[1\\].log']), ['lit[1].log']);
  assert.deepEqual(await find(root, ['lit[[]1].log']), ['lit[1].log']);
  assert.deepEqual(await find(root, ['secure']), ['secure']);
  assert.deepEqual(await find(root, ['missing/*.log', 'nothing']), []);
});

test('glob: ** matches zero or more directories; a trailing ** every file below', async () => {
  const root = await tempDir('glob');
  await tree(root, FILES);
  assert.deepEqual(await find(root, ['a/**/*.log']), ['a/b/c/z.log', 'a/b/y.log', 'a/skip/s.log', 'a/x.log']);
  assert.deepEqual(await find(root, ['**/z.*']), ['a/b/c/z.gz', 'a/b/c/z.log']);
  assert.deepEqual(await find(root, ['a/**/c/*']), ['a/b/c/z.gz', 'a/b/c/z.log']);
  assert.deepEqual(await find(root, ['a/b/**']), ['a/b/c/z.gz', 'a/b/c/z.log', 'a/b/y.log']);
  assert.deepEqual(await find(root, ['a/**/**/y.log']), ['a/b/y.log']);
});

test('glob: exclude is matched against absolute paths; overlapping includes give each file once, sorted', async () => {
  const root = await tempDir('glob');
  await tree(root, FILES);
  assert.deepEqual(await find(root, ['**/*.log', 'a/**'], ['**/*.gz', '**/skip/**', '**/.*']), ['a/b/c/z.log', 'a/b/y.log', 'a/x.log', 'auth.log', 'b/x.log', 'b1/x.log', 'bb/x.log', 'lit[1].log']);
  assert.deepEqual(await find(root, ['auth.log*'], ['*.gz']), ['auth.log', 'auth.log.1']);
  assert.deepEqual(await find(root, ['auth.log*'], [join(root, 'auth.log.[0-9]')]), ['auth.log', 'auth.log.2.gz']);
});

test('glob: symbolic links to files match; ** does not follow links to directories (no cycles)', async () => {
  const root = await tempDir('glob');
  await tree(root, ['logs/real.log']);
  await symlink(join(root, 'logs/real.log'), join(root, 'logs/link.log'));
  await symlink(root, join(root, 'logs/loop'));
  assert.deepEqual(await find(root, ['**/*.log']), ['logs/link.log', 'logs/real.log']);
  // Named explicitly, a linked directory is entered.
  assert.deepEqual(await find(root, ['logs/loop/logs/real.log']), ['logs/loop/logs/real.log']);
});

test('compileGlob: the walk starts at the literal prefix; matchesGlob uses the whole pattern', () => {
  const glob = compileGlob('/var/log/**/auth.log*');
  assert.equal(glob.base, '/var/log');
  assert.equal(compileGlob('/var/log/auth.log').base, '/var/log');
  assert.equal(compileGlob('logs/*.log', '/srv/app').source, '/srv/app/logs/*.log');
  assert.equal(matchesGlob(glob, '/var/log/auth.log'), true);
  assert.equal(matchesGlob(glob, '/var/log/a/b/auth.log.1'), true);
  assert.equal(matchesGlob(glob, '/var/log/a/secure'), false);
  assert.equal(matchesGlob(compileGlob('/x/a?c'), '/x/a/c'), false);
  assert.equal(matchesGlob(compileGlob('/x/[a-c]z'), '/x/bz'), true);
  assert.equal(matchesGlob(compileGlob('/x/[a-c]z'), '/x/dz'), false);
  assert.equal(matchesGlob(compileGlob('/x/[]a]'), '/x/]'), true);
  assert.equal(matchesGlob(compileGlob('/x/[a-]'), '/x/-'), true);
  assert.equal(matchesGlob(compileGlob('/x/a.b'), '/x/aXb'), false);
  assert.equal(matchesGlob(compileGlob('/x/(a|b)+'), '/x/(a|b)+'), true);
});
