/**
 * A small glob matcher over directory listings (Node 20 has no fs.glob). Paths use `/`.
 *
 * Syntax, as the OpenTelemetry Collector's filelog receiver (doublestar) reads it:
 *   *       any run of characters within one path segment (dot files included)
 *   ?       one character within a segment
 *   [abc] [a-z] [!a-z] [^a-z]   one character of (or not of) a set; `]` first in the set is literal
 *   **      as a whole segment: zero or more directories (symbolic links to directories are not
 *           followed by it, so a link cycle cannot loop)
 *   \x      the character x, literally
 * A pattern is resolved against a base directory (the working directory) when relative.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'pattern'; readonly re: RegExp }
  | { readonly kind: 'globstar' };

export interface CompiledGlob {
  /** The pattern as given, resolved to an absolute path. */
  readonly source: string;
  /** The directory the walk starts from: the pattern's longest prefix without glob characters. */
  readonly base: string;
  readonly segments: readonly Segment[];
  /** The whole pattern as one expression over absolute paths (for exclude). */
  readonly full: RegExp;
}

const SPECIAL = /[*?[\\]/;

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * Translates one segment (no `/`) into regular-expression source. `[` without a closing `]` is a
 * literal `[`, as in the shells.
 */
function segmentSource(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '\\' && i + 1 < segment.length) {
      out += escapeRegExp(segment[++i]!);
    } else if (ch === '*') {
      while (segment[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      let j = i + 1;
      let negate = false;
      if (segment[j] === '!' || segment[j] === '^') {
        negate = true;
        j++;
      }
      let body = '';
      let first = true;
      let closed = false;
      for (; j < segment.length; j++) {
        const c = segment[j]!;
        if (c === ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (c === '\\' && j + 1 < segment.length) body += escapeRegExp(segment[++j]!);
        else if (c === '-' && body !== '' && segment[j + 1] !== ']' && j + 1 < segment.length) body += '-';
        else body += escapeRegExp(c);
      }
      if (!closed) {
        out += '\\[';
      } else {
        // A set never matches the separator, negated or not.
        out += negate ? `[^/${body}]` : `[${body}]`;
        i = j;
      }
    } else {
      out += escapeRegExp(ch);
    }
  }
  return out;
}

function hasMagic(segment: string): boolean {
  return SPECIAL.test(segment);
}

function unescape(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}

/** Compiles a pattern; relative patterns resolve against `cwd`. */
export function compileGlob(pattern: string, cwd: string = process.cwd()): CompiledGlob {
  // resolve() also drops `.` and `..` segments and a trailing slash; it leaves glob characters alone.
  const absolute = resolve(cwd, pattern);
  const parts = absolute.split('/').filter((part, index) => part !== '' || index === 0);
  // parts[0] is '' for the root.
  const baseParts: string[] = [''];
  let i = 1;
  for (; i < parts.length; i++) {
    const part = parts[i]!;
    if (hasMagic(part) || part === '**') break;
    if (i === parts.length - 1) break; // the last segment names files, even when literal
    baseParts.push(part);
  }
  const base = resolve('/', ...baseParts.slice(1).map(unescape));
  const segments: Segment[] = [];
  for (; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '**') {
      if (segments.at(-1)?.kind !== 'globstar') segments.push({ kind: 'globstar' });
    } else if (hasMagic(part)) {
      segments.push({ kind: 'pattern', re: new RegExp(`^${segmentSource(part)}$`, 's') });
    } else {
      segments.push({ kind: 'literal', text: part });
    }
  }
  // The full-path expression: `**/` is zero or more directories, a trailing `/**` anything below.
  let full = '';
  const all = parts.slice(1);
  for (let k = 0; k < all.length; k++) {
    const part = all[k]!;
    const last = k === all.length - 1;
    if (part === '**') full += last ? '/.*' : '(?:/[^/]+)*';
    else full += `/${segmentSource(part)}`;
  }
  return { source: absolute, base, segments, full: new RegExp(`^${full}$`, 's') };
}

/** True when the absolute path matches the compiled pattern. */
export function matchesGlob(glob: CompiledGlob, path: string): boolean {
  return glob.full.test(path);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Walks the file system for the pattern's regular files (symbolic links to files included). */
async function expand(dir: string, segments: readonly Segment[], index: number, out: Set<string>): Promise<void> {
  const segment = segments[index];
  if (segment === undefined) return;
  const last = index === segments.length - 1;
  if (segment.kind === 'globstar') {
    if (last) {
      // A trailing `**`: every file below.
      await walkAll(dir, out);
      return;
    }
    await expand(dir, segments, index + 1, out);
    for (const entry of await list(dir)) {
      if (entry.isDirectory()) await expand(join(dir, entry.name), segments, index, out);
    }
    return;
  }
  if (segment.kind === 'literal') {
    const path = join(dir, segment.text);
    if (last) {
      if (await isFile(path)) out.add(path);
    } else if (await isDirectory(path)) {
      await expand(path, segments, index + 1, out);
    }
    return;
  }
  for (const entry of await list(dir)) {
    if (!segment.re.test(entry.name)) continue;
    const path = join(dir, entry.name);
    if (last) {
      if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path)))) out.add(path);
    } else if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(path)))) {
      await expand(path, segments, index + 1, out);
    }
  }
}

async function walkAll(dir: string, out: Set<string>): Promise<void> {
  for (const entry of await list(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walkAll(path, out);
    else if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path)))) out.add(path);
  }
}

async function list(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    // A directory that vanished or cannot be read matches nothing (it may appear later).
    return [];
  }
}

/** Every regular file matching one of `include` and none of `exclude`, sorted, without duplicates. */
export async function findFiles(include: readonly CompiledGlob[], exclude: readonly CompiledGlob[]): Promise<string[]> {
  const found = new Set<string>();
  for (const glob of include) {
    if (glob.segments.length === 0) continue;
    await expand(glob.base, glob.segments, 0, found);
  }
  const out: string[] = [];
  for (const path of found) {
    if (!exclude.some((glob) => glob.full.test(path))) out.push(path);
  }
  return out.sort();
}
