import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigIssue } from '../core/config/issues.js';

/** The repository root (tests run from dist/test/...). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A path in the source tree (testdata is not copied into dist). */
export function sourcePath(...segments: string[]): string {
  return join(repoRoot, ...segments);
}

/** An issue as printed, with the file relative to the repository root. */
export function issueLine(issue: ConfigIssue): string {
  const file = issue.file ? relative(repoRoot, issue.file) : '';
  const where = issue.line !== undefined ? `${file}:${issue.line}:${issue.column}: ` : file ? `${file}: ` : '';
  return `${where}${issue.path.join('::')}${issue.path.length ? ': ' : ''}${issue.message}`;
}

/** Waits until `condition` holds, checking every 5 ms; fails after `timeoutMs` (a deadlock guard, not a timing assertion). */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Writes config files into a new temporary directory and returns its path. */
export async function writeConfigDir(files: Record<string, string>): Promise<string> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'authwire-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * Whether a TLS test can make its certificates: false when openssl is installed, else the reason
 * to skip. Under CI=true a missing openssl throws instead (CI installs it; a skip there proves nothing).
 */
export function opensslSkip(what: string): false | string {
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0) return false;
  if (process.env.CI === 'true') throw new Error(`openssl is needed for ${what} and is required when CI=true`);
  return `openssl is not installed: ${what} skipped`;
}

/** A small deterministic PRNG (mulberry32) in [0, 1), so a randomized test's failure reproduces. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What `fn` throws, as the error fields the tests look at; fails the test when it does not throw. */
export function thrownBy(fn: () => unknown): { code: string; retryable: boolean; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; retryable: boolean; message: string };
  }
  throw new Error('expected a throw');
}
