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
