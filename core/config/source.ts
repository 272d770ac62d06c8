import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parse as parseYamlValue, parseDocument, visit } from 'yaml';
import type { Document, Node, Scalar } from 'yaml';
import type { ConfigIssue } from './issues.js';

/** One parsed config file, kept so that any later error can point at its line. */
export interface SourceFile {
  readonly path: string;
  readonly document: Document;
  readonly lines: LineCounter;
  /** The file's content after substitution, as plain data. */
  readonly data: unknown;
  /** Key paths (joined with '::') whose `${...}` reference could not be resolved. */
  readonly unresolved: ReadonlySet<string>;
}

export interface SourceOptions {
  /** Environment used for `${env:...}`; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Expands directories to the YAML files directly inside them, sorted by name. */
export function expandConfigPaths(paths: readonly string[], issues: ConfigIssue[]): string[] {
  const files: string[] = [];
  for (const given of paths) {
    const path = resolve(given);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      issues.push({ file: given, path: [], message: 'config file or directory not found' });
      continue;
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const inside = readdirSync(path)
      .filter((name) => CONFIG_EXTENSIONS.has(extname(name)))
      .sort()
      .map((name) => join(path, name));
    if (inside.length === 0) issues.push({ file: given, path: [], message: 'directory holds no .yaml or .yml config files' });
    files.push(...inside);
  }
  return [...new Set(files)];
}

// `$${` escapes a literal `${`; otherwise `${scheme:rest}`.
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const FILE_REFERENCE = /^file:(.+)$/s;
/** `${` not right after a quote: a reference YAML reads as a plain scalar. */
const UNQUOTED_REFERENCE = /(?:^|[^"'])\$\{/;

/** Parses and substitutes one file; problems go to `issues`, never thrown. */
export function readSourceFile(path: string, issues: ConfigIssue[], options: SourceOptions = {}): SourceFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    issues.push({ file: path, path: [], message: `cannot read config file: ${(error as Error).message}` });
    return undefined;
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const textLines = text.split('\n');
    let hinted = false;
    for (const error of document.errors) {
      const position = lines.linePos(error.pos[0]);
      let message = `YAML: ${error.message.split('\n')[0]}`;
      if (!hinted && UNQUOTED_REFERENCE.test(textLines[position.line - 1] ?? '')) {
        // The OpenTelemetry Collector's configs put `${env:...}` unquoted everywhere; inside
        // `{ }` or `[ ]` YAML then reads its `}` as the end of the collection, and the parser's
        // own words say nothing of the reason.
        message += ' (a ${...} reference inside a { } or [ ] flow collection must be quoted, as in "${env:NAME}": unquoted, its } ends the collection)';
        hinted = true;
      }
      issues.push({ file: path, line: position.line, column: position.col, path: [], message });
    }
    return undefined;
  }
  const unresolved = new Set<string>();
  substitute(document, path, lines, issues, options.env ?? process.env, unresolved);
  const data = document.toJS({ maxAliasCount: 100 }) as unknown;
  return { path, document, lines, data, unresolved };
}

function substitute(document: Document, file: string, lines: LineCounter, issues: ConfigIssue[], env: NodeJS.ProcessEnv, unresolved: Set<string>): void {
  visit(document, {
    Scalar(key, node, ancestry) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const original = node.value;
      const problems: string[] = [];
      let whole: string | undefined;
      const replaced = original.replace(REFERENCE, (match, inner: string | undefined, offset: number) => {
        if (inner === undefined) return '${';
        const value = resolveReference(inner, file, env, problems);
        if (offset === 0 && match.length === original.length) whole = value;
        return value ?? '';
      });
      if (problems.length > 0) {
        const position = lines.linePos(node.range?.[0] ?? 0);
        const path = keyPath(ancestry, node);
        for (const message of problems) issues.push({ file, line: position.line, column: position.col, path, message });
        unresolved.add(path.join('::'));
        return;
      }
      // A value that is one `${env:...}` reference takes the type its text has in YAML (a port
      // stays a number), as in the OpenTelemetry Collector; file contents stay strings (secrets).
      if (whole !== undefined && original.startsWith('${env:')) {
        const typed = typedScalar(whole);
        node.value = typed;
      } else {
        node.value = replaced;
      }
    },
  });
}

function typedScalar(text: string): unknown {
  try {
    const value = parseYamlValue(text) as unknown;
    if (typeof value === 'number' || typeof value === 'boolean') return value;
  } catch {
    // not a YAML scalar: keep the text
  }
  return text;
}

function resolveReference(inner: string, file: string, env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const envMatch = ENV_REFERENCE.exec(inner);
  if (envMatch) {
    const name = envMatch[1]!;
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (envMatch[2] !== undefined) return envMatch[2];
    problems.push(`environment variable ${name} is not set (use \${env:${name}:-default} to give a default)`);
    return undefined;
  }
  const fileMatch = FILE_REFERENCE.exec(inner);
  if (fileMatch) {
    const target = resolve(dirname(file), fileMatch[1]!);
    try {
      // Secret files usually end with a newline that is not part of the secret.
      return readFileSync(target, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`cannot read \${file:${fileMatch[1]}}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return undefined;
    }
  }
  problems.push(`unsupported reference \${${inner}}: use \${env:NAME}, \${env:NAME:-default} or \${file:path} ($\${ writes a literal \${)`);
  return undefined;
}

function keyPath(ancestry: readonly unknown[], node: Scalar): (string | number)[] {
  const path: (string | number)[] = [];
  const chain = [...ancestry, node];
  for (let i = 0; i < chain.length; i++) {
    const item = chain[i];
    if (isPair(item)) path.push(String(isScalar(item.key) ? item.key.value : item.key));
    else if (isSeq(item)) {
      const child = chain[i + 1];
      const index = item.items.indexOf(child as never);
      if (index >= 0) path.push(index);
    }
  }
  return path;
}

/** Where a key path is in a source file: the key itself when `atKey`, else its value. */
export function locate(source: SourceFile, path: readonly (string | number)[], atKey = false): { line: number; column: number } {
  let node: unknown = source.document.contents;
  let best: number | undefined = (node as Node | null)?.range?.[0];
  // When a segment is missing (a required key), point at the key of the map that lacks it.
  let lastKey: number | undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) {
        best = lastKey ?? best;
        break;
      }
      const keyStart = (pair.key as Node | null)?.range?.[0];
      lastKey = keyStart;
      const valueStart = (pair.value as Node | null)?.range?.[0];
      best = last && atKey ? keyStart : (valueStart ?? keyStart ?? best);
      if (last && atKey) break;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      best = item.range?.[0] ?? best;
      node = item;
    } else break;
  }
  const position = source.lines.linePos(best ?? 0);
  return { line: position.line, column: position.col };
}
