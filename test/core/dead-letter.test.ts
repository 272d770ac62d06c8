import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import type { DeadLetter } from '../../core/api.js';
import {
  DEAD_LETTER_FILE, DEAD_LETTER_MAX_BACKUPS, DEAD_LETTER_ROTATE_BYTES, DeadLetterWriter, ORIGINAL_MAX_BYTES, deadLetterLine,
} from '../../core/dead-letter.js';
import { PermanentError, RetryableError } from '../../core/errors.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'authwire-dead-letter-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const NOW = new Date('2026-05-01T12:00:00.000Z');
const clock = (): Date => NOW;
const OBSERVED = 1714591201123; // 2024-05-01T19:20:01.123Z

function letter(original: unknown, overrides: Partial<DeadLetter> = {}): DeadLetter {
  return { reason: 'bad_record', detail: 'cannot use it', format: 'okta', original, observedTime: OBSERVED, ...overrides };
}

const normalize = { component: 'normalize', pipeline: 'logs/acme' };
const syslog = { component: 'syslog/acme' };
const line = (original: unknown, overrides: Partial<DeadLetter> = {}): string => deadLetterLine(NOW, 'acme', normalize, letter(original, overrides));

test('the constants: 64 MiB rotation, 5 backups, 1 MiB originals, dead-letter.ndjson', () => {
  assert.deepEqual([DEAD_LETTER_ROTATE_BYTES, DEAD_LETTER_MAX_BACKUPS, ORIGINAL_MAX_BYTES, DEAD_LETTER_FILE], [67108864, 5, 1048576, 'dead-letter.ndjson']);
});

test('line format: keys in order; pipeline and format left out when undefined', () => {
  assert.equal(
    line('{"a":1}}', { reason: 'malformed_json', detail: 'unexpected token } at 7' }),
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"normalize","pipeline":"logs/acme","format":"okta","reason":"malformed_json","detail":"unexpected token } at 7","observed_time":"2024-05-01T19:20:01.123Z","original":"{\\"a\\":1}}","original_encoding":"text"}',
  );
  assert.equal(
    deadLetterLine(NOW, 'acme', syslog, letter('May  1 19:20:01 bastion sshd[4242]: garbage\n', { format: undefined, observedTime: Number.NaN })),
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"syslog/acme","reason":"bad_record","detail":"cannot use it","observed_time":null,"original":"May  1 19:20:01 bastion sshd[4242]: garbage\\n","original_encoding":"text"}',
  );
});

test('originals: text, UTF-8 bytes as text, other bytes as base64, parsed values as JSON, the unserializable as String()', () => {
  const tail = (original: unknown): string => line(original).replace(/^.*"observed_time":"2024-05-01T19:20:01.123Z",/, '');
  assert.equal(tail('plain'), '"original":"plain","original_encoding":"text"}');
  assert.equal(tail(Buffer.from('héllo ✓', 'utf8')), '"original":"héllo ✓","original_encoding":"text"}');
  assert.equal(tail(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), '"original":"\ufeffA","original_encoding":"text"}'); // a BOM is kept
  assert.equal(tail(new Uint8Array([0xff, 0xfe, 0x00, 0x41])), '"original":"//4AQQ==","original_encoding":"base64"}');
  assert.equal(tail(new Uint8Array(new Uint8Array([0x41, 0xc3, 0x28, 0x42]).buffer, 1, 2)), '"original":"wyg=","original_encoding":"base64"}'); // a view: only its bytes
  assert.equal(tail({ user: 'bob', n: 1, ok: true }), '"original":"{\\"user\\":\\"bob\\",\\"n\\":1,\\"ok\\":true}","original_encoding":"json"}');
  assert.equal(tail([1, 'two']), '"original":"[1,\\"two\\"]","original_encoding":"json"}');
  assert.equal(tail(42), '"original":"42","original_encoding":"json"}');
  assert.equal(tail(null), '"original":"null","original_encoding":"json"}');
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  assert.equal(tail(cycle), '"original":"[object Object]","original_encoding":"text"}');
  assert.equal(tail(10n), '"original":"10","original_encoding":"text"}');
  assert.equal(tail(undefined), '"original":"undefined","original_encoding":"text"}');
  assert.equal(tail(Object.create(null)), '"original":"{}","original_encoding":"json"}');
  const noString = Object.assign(Object.create(null), { toJSON() { throw new Error('no'); } }) as object;
  assert.equal(tail(noString), '"original":"[object Object]","original_encoding":"text"}');
  assert.equal(tail('\u0000\ud800'), '"original":"\\u0000\\ud800","original_encoding":"text"}'); // still one valid JSON line
});

test('a letter whose fields are not strings (a plain-JavaScript plugin) still makes one valid line', () => {
  const odd = { reason: 42, detail: Object.create(null), format: null, original: 'x', observedTime: 'soon' } as unknown as DeadLetter;
  assert.equal(
    deadLetterLine(NOW, 'acme', syslog, odd),
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"syslog/acme","reason":"42","detail":"[object Object]","observed_time":null,"original":"x","original_encoding":"text"}',
  );
});

test('originals over 1 MiB are cut at a character boundary and marked original_truncated', () => {
  const parsed = (original: unknown): { original: string; original_encoding: string; original_truncated?: boolean } => {
    const { original: text, original_encoding, original_truncated } = JSON.parse(line(original)) as Record<string, unknown>;
    return { original: text as string, original_encoding: original_encoding as string, ...(original_truncated === undefined ? {} : { original_truncated: original_truncated as boolean }) };
  };
  const MiB = 1048576;
  assert.deepEqual(parsed('x'.repeat(MiB)), { original: 'x'.repeat(MiB), original_encoding: 'text' });
  assert.deepEqual(parsed('x'.repeat(MiB + 1)), { original: 'x'.repeat(MiB), original_encoding: 'text', original_truncated: true });
  assert.deepEqual(parsed('é'.repeat(600_000)), { original: 'é'.repeat(524_288), original_encoding: 'text', original_truncated: true });
  assert.deepEqual(parsed('a' + '€'.repeat(400_000)), { original: 'a' + '€'.repeat(349_525), original_encoding: 'text', original_truncated: true });
  // A surrogate pair (4 UTF-8 bytes) is never split: 2 + 4 * 262143 = 1048574.
  assert.deepEqual(parsed('ab' + '😀'.repeat(300_000)), { original: 'ab' + '😀'.repeat(262_143), original_encoding: 'text', original_truncated: true });
  assert.deepEqual(parsed(Buffer.from('€'.repeat(400_000))), { original: '€'.repeat(349_525), original_encoding: 'text', original_truncated: true });
  // base64: 786432 bytes are exactly 1 MiB of base64 and decode to the first bytes.
  assert.deepEqual(parsed(Buffer.alloc(786_432, 0xff)), { original: '/'.repeat(MiB), original_encoding: 'base64' });
  assert.deepEqual(parsed(Buffer.alloc(786_433, 0xff)), { original: '/'.repeat(MiB), original_encoding: 'base64', original_truncated: true });
  assert.deepEqual(parsed(Buffer.alloc(3_000_000, 0xff)), { original: '/'.repeat(MiB), original_encoding: 'base64', original_truncated: true });
  assert.deepEqual(parsed({ big: 'y'.repeat(MiB) }), { original: '{"big":"' + 'y'.repeat(MiB - 8), original_encoding: 'json', original_truncated: true });
});

test('the file is <dataDir>/<tenant>/dead-letter.ndjson, created at the first letter, one line per letter', async (t) => {
  const dataDir = await tempDir(t);
  const writer = new DeadLetterWriter({ dataDir, tenant: 'acme', clock });
  assert.equal(writer.path, join(dataDir, 'acme', 'dead-letter.ndjson'));
  await writer.write(normalize, []);
  assert.deepEqual(await readdir(dataDir), []); // no letters, no directory, no empty file
  await writer.write(normalize, [letter('one', { reason: 'r1' }), letter(Buffer.from([0xff]), { reason: 'r2', format: undefined })]);
  await writer.write(syslog, [letter({ k: 'v' }, { detail: 'd' })]);
  // Resolved: already in the file, before close.
  const expected =
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"normalize","pipeline":"logs/acme","format":"okta","reason":"r1","detail":"cannot use it","observed_time":"2024-05-01T19:20:01.123Z","original":"one","original_encoding":"text"}\n' +
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"normalize","pipeline":"logs/acme","reason":"r2","detail":"cannot use it","observed_time":"2024-05-01T19:20:01.123Z","original":"/w==","original_encoding":"base64"}\n' +
    '{"time":"2026-05-01T12:00:00.000Z","tenant":"acme","component":"syslog/acme","format":"okta","reason":"bad_record","detail":"d","observed_time":"2024-05-01T19:20:01.123Z","original":"{\\"k\\":\\"v\\"}","original_encoding":"json"}\n';
  assert.equal(await readFile(writer.path, 'utf8'), expected);
  await writer.close();
  assert.equal(await readFile(writer.path, 'utf8'), expected);
  assert.deepEqual(await readdir(dataDir), ['acme']);
  assert.deepEqual(await readdir(join(dataDir, 'acme')), ['dead-letter.ndjson']);
});

test('concurrent writes and letters larger than one write chunk keep every line whole and in call order', async (t) => {
  const dataDir = await tempDir(t);
  const writer = new DeadLetterWriter({ dataDir, tenant: 'acme', clock });
  const big = Array.from({ length: 3 }, (_, i) => letter(String(i).repeat(700_000)));
  const small = Array.from({ length: 20 }, (_, i) => letter(`s${i}`));
  await Promise.all([writer.write(normalize, big), ...small.map((l) => writer.write(syslog, [l]))]);
  await writer.close();
  const lines = (await readFile(writer.path, 'utf8')).split('\n');
  assert.equal(lines.pop(), '');
  // The big call's first chunk (two letters, past 1 MiB) is queued before any small call's; its
  // last letter is queued after them, as the big call awaits its first chunk.
  const originals = lines.map((text) => (JSON.parse(text) as { original: string }).original);
  assert.deepEqual(originals.map((o) => (o.length > 100 ? `big${o[0]}:${o.length}` : o)), [
    'big0:700000', 'big1:700000', ...small.map((_, i) => `s${i}`), 'big2:700000',
  ]);
});

test('rotates before passing 64 MiB, keeping 5 backups, newest as .1', async (t) => {
  const dataDir = await tempDir(t);
  const dir = join(dataDir, 'acme');
  const path = join(dir, DEAD_LETTER_FILE);
  await mkdir(dir);
  for (let n = 1; n <= 5; n++) await writeFile(`${path}.${n}`, `backup ${n}\n`);
  // A sparse file just under the limit stands in for 64 MiB of letters.
  await writeFile(path, '');
  await truncate(path, DEAD_LETTER_ROTATE_BYTES - 400);
  const writer = new DeadLetterWriter({ dataDir, tenant: 'acme', clock });
  const first = letter('fits'); // about 250 bytes: still under the limit
  await writer.write(normalize, [first]);
  assert.equal((await stat(path)).size, DEAD_LETTER_ROTATE_BYTES - 400 + Buffer.byteLength(deadLetterLine(NOW, 'acme', normalize, first)) + 1);
  assert.equal(existsSync(`${path}.6`), false);
  const second = letter('x'.repeat(200)); // would pass the limit: rotate first
  await writer.write(normalize, [second]);
  await writer.close();
  assert.deepEqual((await readdir(dir)).sort(), ['dead-letter.ndjson', 'dead-letter.ndjson.1', 'dead-letter.ndjson.2', 'dead-letter.ndjson.3', 'dead-letter.ndjson.4', 'dead-letter.ndjson.5']);
  assert.equal(await readFile(path, 'utf8'), deadLetterLine(NOW, 'acme', normalize, second) + '\n');
  assert.equal((await stat(`${path}.1`)).size, DEAD_LETTER_ROTATE_BYTES - 400 + Buffer.byteLength(deadLetterLine(NOW, 'acme', normalize, first)) + 1);
  assert.deepEqual(
    await Promise.all([2, 3, 4, 5].map((n) => readFile(`${path}.${n}`, 'utf8'))),
    ['backup 1\n', 'backup 2\n', 'backup 3\n', 'backup 4\n'], // backup 5 was the oldest: deleted
  );
});

test('a write that fails rejects with a retryable dead_letter_unavailable; the next write tries again', async (t) => {
  const dataDir = await tempDir(t);
  await writeFile(join(dataDir, 'acme'), 'a file where the tenant directory should be');
  const writer = new DeadLetterWriter({ dataDir, tenant: 'acme', clock });
  await assert.rejects(writer.write(normalize, [letter('kept?')]), (error: unknown) => {
    assert.ok(error instanceof RetryableError);
    assert.equal(error.code, 'dead_letter_unavailable');
    assert.equal(error.retryable, true);
    assert.equal(error.message, `dead letters of tenant acme: cannot create the directory of ${join(dataDir, 'acme', 'dead-letter.ndjson')}: EEXIST`);
    assert.equal((error.cause as { code?: string }).code, 'bad_path');
    return true;
  });
  await rm(join(dataDir, 'acme'));
  await writer.write(normalize, [letter('kept')]);
  await writer.close();
  assert.equal(await readFile(writer.path, 'utf8'), line('kept') + '\n');
  // After close, letters are refused the same way rather than lost quietly.
  await assert.rejects(writer.write(normalize, [letter('late')]), {
    code: 'dead_letter_unavailable', retryable: true, message: `dead letters of tenant acme: ${writer.path} is closed`,
  });
  await writer.close(); // idempotent
});

test('a tenant that is not a plain folder name is refused before any path is built', () => {
  for (const tenant of ['', '.', '..', '../acme', 'a/b', 'a\\b', '/abs', '.hidden', 'a b', 'x'.repeat(65)]) {
    assert.throws(() => new DeadLetterWriter({ dataDir: '/tmp/authwire-nowhere', tenant }), (error: unknown) => {
      assert.ok(error instanceof PermanentError);
      assert.equal(error.code, 'invalid_tenant');
      assert.equal(error.message, `dead letters: tenant ${JSON.stringify(tenant)} is not a valid folder name`);
      return true;
    }, tenant);
  }
  assert.equal(new DeadLetterWriter({ dataDir: '/tmp/authwire-nowhere', tenant: 'Acme-1.eu_west' }).path, '/tmp/authwire-nowhere/Acme-1.eu_west/dead-letter.ndjson');
});
