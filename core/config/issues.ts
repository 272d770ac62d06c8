import { relative, isAbsolute } from 'node:path';

/** One problem in a configuration, with where it is. */
export interface ConfigIssue {
  /** The config file, when the problem is inside one. */
  file?: string;
  /** 1-based line and column in `file`. */
  line?: number;
  column?: number;
  /** The key path, e.g. ['exporters', 'splunk_hec/acme', 'endpoint']. */
  path: readonly (string | number)[];
  message: string;
}

function displayFile(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

/** `file:line:column: section::id::key: message` — the form every config error is printed in. */
export function formatIssue(issue: ConfigIssue): string {
  let where = '';
  if (issue.file !== undefined) {
    where = displayFile(issue.file);
    if (issue.line !== undefined) where += `:${issue.line}:${issue.column ?? 1}`;
    where += ': ';
  }
  const path = issue.path.length > 0 ? issue.path.join('::') + ': ' : '';
  return `${where}${path}${issue.message}`;
}

/** Thrown when a configuration is invalid; carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  readonly retryable = false;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration (${issues.length} ${issues.length === 1 ? 'error' : 'errors'}):\n` + issues.map((i) => '  ' + formatIssue(i)).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
