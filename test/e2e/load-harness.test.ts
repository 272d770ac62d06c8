/**
 * Issue 8's acceptance for the load harness (bench/e2e), as a CI smoke test: the harness runs with
 * a tiny load (one run per variant, a short fixed-rate phase) and every event must reach the sink
 * exactly once and well formed, through authwire (with and without detect) and through rsyslog.
 * Correctness only: no timing is asserted. The rsyslog part skips when rsyslogd is not installed,
 * except in CI (CI=true), where it fails: .ci/run installs rsyslog.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { MalformedCef, readCef } from '../../bench/e2e/cef.js';
import { EventLines } from '../../bench/e2e/events.js';
import type { HarnessResult, VariantResult } from '../../bench/e2e/harness.js';
import { findRsyslogd } from '../../bench/e2e/servers.js';

const HARNESS = fileURLToPath(new URL('../../bench/e2e/harness.js', import.meta.url));
const EVENTS = 2000;
const RATE = 2000;
const LATENCY_SECONDS = 0.5;
const AUTHWIRE_VARIANTS = ['authwire', 'authwire-detect-w1', 'authwire-detect-w2'];

const rsyslog = findRsyslogd();
const rsyslogMissing = 'missing' in rsyslog ? rsyslog.missing : undefined;
const inCi = process.env['CI'] === 'true';

let harness: Promise<{ result: HarnessResult; output: string }> | undefined;

/** Runs the harness once (every test of this file shares the run) and reads its JSON result. */
function runHarness(): Promise<{ result: HarnessResult; output: string }> {
  harness ??= new Promise((resolve, reject) => {
    const dir = mkdtempSync(join(tmpdir(), 'authwire-load-harness-'));
    const out = join(dir, 'result.json');
    const variants = rsyslogMissing === undefined ? [...AUTHWIRE_VARIANTS, 'rsyslog'] : AUTHWIRE_VARIANTS;
    const args = [HARNESS, '--events', String(EVENTS), '--runs', '1', '--warmup', '0', '--rate', String(RATE), '--latency-seconds', String(LATENCY_SECONDS), '--idle-timeout', '10', '--variants', variants.join(','), '--out', out];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A deadlock guard, not a timing assertion.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', () => {
      clearTimeout(timer);
      try {
        const result = JSON.parse(readFileSync(out, 'utf8')) as HarnessResult;
        resolve({ result, output });
      } catch (error) {
        reject(new Error(`the harness wrote no result (${(error as Error).message}):\n${output}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  return harness;
}

function variantOf(result: HarnessResult, name: string, output: string): VariantResult {
  const variant = result.variants.find((v) => v.variant === name);
  assert.ok(variant, `variant ${name} is missing from the result:\n${output}`);
  return variant;
}

/** Every run of the variant: every event once, well formed, nothing foreign. */
function assertExactlyOnce(variant: VariantResult, output: string): void {
  assert.equal(variant.error, undefined, `${variant.variant}: ${variant.error}\n${output}`);
  assert.deepEqual(variant.exit, { code: 0, signal: null }, `${variant.variant} did not exit 0 after SIGTERM`);
  assert.deepEqual(variant.runs.map((run) => run.kind), ['throughput', 'latency']);
  for (const run of variant.runs) {
    const expected = run.kind === 'latency' ? RATE * LATENCY_SECONDS : EVENTS;
    const where = `${variant.variant} ${run.kind} run ${run.tag}`;
    assert.equal(run.generatorError, undefined, `${where}: generator: ${run.generatorError}`);
    assert.deepEqual(
      { events: run.events, received: run.received, lost: run.lost, duplicates: run.duplicates, late: run.late, malformed: run.malformed, foreign: run.foreign, timedOut: run.timedOut },
      { events: expected, received: expected, lost: 0, duplicates: 0, late: 0, malformed: 0, foreign: 0, timedOut: false },
      `${where}: ${run.malformedSamples.join('\n')}\n${output}`,
    );
  }
  assert.equal(variant.summary.correct, true);
  const latencyRun = variant.runs.find((run) => run.kind === 'latency')!;
  assert.ok(latencyRun.latency, `${variant.variant}: the latency run has a latency summary`);
}

test('authwire (normalize; with detect on 1 and 2 workers): every event reaches the sink once, as well-formed CEF', async () => {
  const { result, output } = await runHarness();
  for (const name of AUTHWIRE_VARIANTS) assertExactlyOnce(variantOf(result, name, output), output);
  assert.deepEqual(result.outsideRuns, { malformed: 0, foreign: 0 }, output);
  // Failed logins from a small pool of users and addresses: the detector finds something.
  for (const name of ['authwire-detect-w1', 'authwire-detect-w2']) assert.ok(variantOf(result, name, output).summary.detections > 0, `${name} reported no detections`);
  assert.equal(variantOf(result, 'authwire', output).summary.detections, 0);
});

test(
  'rsyslog (imptcp → mmjsonparse → CEF template → omfwd): every event reaches the sink once, as well-formed CEF',
  { skip: rsyslogMissing !== undefined && !inCi ? `${rsyslogMissing}; CI installs rsyslog and runs this test` : false },
  async () => {
    assert.equal(rsyslogMissing, undefined, 'rsyslogd is required in CI (.ci/run installs the rsyslog package)');
    const { result, output } = await runHarness();
    assertExactlyOnce(variantOf(result, 'rsyslog', output), output);
    assert.deepEqual(result.outsideRuns, { malformed: 0, foreign: 0 });
    assert.equal(result.correct, true);
    assert.deepEqual(Object.keys(result.ratios).sort(), [...AUTHWIRE_VARIANTS].sort());
  },
);

test('the generator writes RFC 5424 lines with a Keycloak event in MSG, stamped with the send time', () => {
  const text = new EventLines('r7').chunk(41, 2, 1767225600123);
  const lines = text.split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  const [header, json] = [lines[0]!.slice(0, lines[0]!.indexOf('{')), lines[0]!.slice(lines[0]!.indexOf('{'))];
  assert.equal(header, '<86>1 2026-01-01T00:00:00.123Z kc-01 keycloak - - - ');
  const event = JSON.parse(json) as Record<string, unknown>;
  assert.equal(event['id'], 'r7-41');
  assert.equal(event['time'], 1767225600123);
  assert.equal(event['type'], 'LOGIN_ERROR');
  assert.equal((JSON.parse(lines[1]!.slice(lines[1]!.indexOf('{'))) as Record<string, unknown>)['id'], 'r7-42');
});

test('the sink\'s CEF reader takes well-formed messages and refuses malformed ones', () => {
  const head = '<165>1 2026-01-01T00:00:00.123Z bench authwire - - - CEF:0|authwire|authwire|0.1.0|300201|Authentication: Logon|3|';
  const good = `${head}rt=1767225600123 externalId=r1-5 cat=Authentication duser=a\\=b\\\\c d cs1Label=product cs1=Keycloak msg=two words`;
  assert.deepEqual(readCef(good), { hostname: 'bench', externalId: 'r1-5', rt: 1767225600123, category: 'Authentication' });
  assert.deepEqual(readCef(`${head}rt=1 externalId=x\\=y`), { hostname: 'bench', externalId: 'x=y', rt: 1, category: '' });
  const bad = [
    `${head.replace('|3|', '|')}rt=1 externalId=a`, // 6 header fields
    `${head.replace('|3|', '|11|')}rt=1 externalId=a`, // severity out of range
    `${head.replace('authwire|0.1.0', 'auth\\wire|0.1.0')}rt=1 externalId=a`, // unknown header escape
    `${head}rt=1 externalId=a=b`, // unescaped = in a value
    `${head}rt=1 externalId=a\\tb`, // unknown extension escape
    `${head}rt=1 externalId=a\nb`, // raw LF
    `${head}rt=1 externalId=a rt=2`, // duplicate key
    `${head}rt=1 externalId=a cs1=Keycloak`, // custom field without its label
    `${head}rt=1 externalId=a cs2Label=x`, // label without its field
    `${head}externalId=a`, // no rt
    `${head}rt=yesterday externalId=a`, // rt not epoch ms
    `${head}rt=1`, // no externalId
    `${head.replace('<165>1 ', '<165>')}rt=1 externalId=a`, // not RFC 5424
    `${head.replace('<165>', '<192>')}rt=1 externalId=a`, // PRI out of range
    `${head.replace(' - - - ', ' - - [x] ')}rt=1 externalId=a`, // structured data
    `${head.replace('2026-01-01T00:00:00.123Z', '2026-01-01 00:00:00')}rt=1 externalId=a`, // timestamp
    `${head.replace('CEF:0', 'LEEF:0')}rt=1 externalId=a`, // not CEF
  ];
  for (const message of bad) assert.throws(() => readCef(message), MalformedCef, JSON.stringify(message));
});
