/**
 * The dead-letter output: records a component could not process, kept per tenant with why.
 *
 * Each tenant's letters are appended to `<data dir>/<tenant>/dead-letter.ndjson`, one JSON
 * object per line, keys in this order:
 *
 *   time               ISO 8601, when the letter was written
 *   tenant
 *   component          the id of the component that gave up on the record
 *   pipeline           the processor's pipeline id; left out for receivers and exporters
 *   format             the record's format; left out when unknown (undefined or null)
 *   reason             stable lower_snake_case code
 *   detail             human-readable detail
 *   observed_time      ISO 8601, when authwire received the record (null if not a valid time)
 *   original           the record as received, always a JSON string (see below)
 *   original_encoding  'text'   a string, or bytes that are valid UTF-8 (decoded)
 *                      'base64' bytes that are not valid UTF-8
 *                      'json'   a parsed value, as JSON.stringify wrote it
 *                      (a value JSON cannot serialize, a cycle or a BigInt, is written as
 *                      String(value) with 'text')
 *   original_truncated true, only when `original` was cut to ORIGINAL_MAX_BYTES
 *
 * The file is rotated at DEAD_LETTER_ROTATE_BYTES into `<file>.1` (newest) … `<file>.N`, keeping
 * DEAD_LETTER_MAX_BACKUPS, as the file exporter rotates. Nothing is created on disk until a
 * tenant's first letter, so a clean tenant has no file.
 */
import { isUtf8 } from 'node:buffer';
import { dirname, resolve } from 'node:path';
import type { DeadLetter, Logger } from './api.js';
import { TENANT_PATTERN } from './config/load.js';
import { PermanentError, RetryableError, errorMessage } from './errors.js';
import { RotatingFile } from './rotating-file.js';

/** The file name inside the tenant's data directory. */
export const DEAD_LETTER_FILE = 'dead-letter.ndjson';
/** Rotate before a write would take the file past 64 MiB. */
export const DEAD_LETTER_ROTATE_BYTES = 64 * 1024 * 1024;
/** Rotated files kept: `dead-letter.ndjson.1` (newest) to `.5`. */
export const DEAD_LETTER_MAX_BACKUPS = 5;
/**
 * `original` keeps at most this many bytes of text (UTF-8, cut at a character boundary; for
 * base64, this many base64 characters, which decode to the first 768 KiB of the bytes). A record
 * can be arbitrarily large, and the output must stay bounded.
 */
export const ORIGINAL_MAX_BYTES = 1024 * 1024;
/** Lines are appended in chunks of about this many characters, so a large batch of letters is never one buffer. */
const CHUNK_CHARS = 1024 * 1024;

const TENANT = new RegExp(TENANT_PATTERN);
/** Bytes whose base64 is exactly ORIGINAL_MAX_BYTES characters (a multiple of 3, so it decodes to a prefix). */
const BASE64_MAX_INPUT = (ORIGINAL_MAX_BYTES / 4) * 3;

export type OriginalEncoding = 'text' | 'base64' | 'json';

/** Who dead-lettered: the component id, and the pipeline for a processor. */
export interface DeadLetterSource {
  readonly component: string;
  readonly pipeline?: string | undefined;
}

interface EncodedOriginal {
  text: string;
  encoding: OriginalEncoding;
  truncated: boolean;
}

const utf8Encoder = new TextEncoder();
/** Scratch space for cutting long text; allocated on first need, then reused. */
let cutBuffer: Uint8Array | undefined;

function capText(text: string, encoding: OriginalEncoding): EncodedOriginal {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no measuring.
  if (text.length * 3 <= ORIGINAL_MAX_BYTES || Buffer.byteLength(text, 'utf8') <= ORIGINAL_MAX_BYTES) return { text, encoding, truncated: false };
  cutBuffer ??= new Uint8Array(ORIGINAL_MAX_BYTES);
  // encodeInto stops before the first character that does not fit, never inside one.
  const { read } = utf8Encoder.encodeInto(text, cutBuffer);
  return { text: text.slice(0, read), encoding, truncated: true };
}

function capBytes(bytes: Uint8Array): EncodedOriginal {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(view)) {
    if (view.length <= ORIGINAL_MAX_BYTES) return { text: view.toString('utf8'), encoding: 'text', truncated: false };
    let cut = ORIGINAL_MAX_BYTES;
    while (cut > 0 && (view[cut]! & 0xc0) === 0x80) cut--; // back to the start of a character
    return { text: view.toString('utf8', 0, cut), encoding: 'text', truncated: true };
  }
  const keep = Math.min(view.length, BASE64_MAX_INPUT);
  return { text: view.toString('base64', 0, keep), encoding: 'base64', truncated: keep < view.length };
}

/** String(value), or `[object Object]` for an object that has no string form (no prototype, a throwing toString). */
export function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** `original` and `original_encoding` for any value a record may carry. */
export function encodeOriginal(original: unknown): EncodedOriginal {
  if (typeof original === 'string') return capText(original, 'text');
  if (original instanceof Uint8Array) return capBytes(original);
  let json: string | undefined;
  try {
    json = JSON.stringify(original);
  } catch {
    json = undefined; // a cycle, a BigInt, a throwing toJSON
  }
  return json === undefined ? capText(stringOf(original), 'text') : capText(json, 'json');
}

function isoTime(epochMs: number): string | null {
  if (!Number.isFinite(epochMs)) return null;
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** One dead-letter line, without the newline; the format is described at the top of this file. */
export function deadLetterLine(time: Date, tenant: string, source: DeadLetterSource, letter: DeadLetter): string {
  const original = encodeOriginal(letter.original);
  // Built in key order: JSON.stringify keeps insertion order.
  const line: Record<string, unknown> = { time: time.toISOString(), tenant, component: source.component };
  if (source.pipeline !== undefined) line.pipeline = source.pipeline;
  // The contract says strings; a plugin in plain JavaScript may still pass something else.
  if (letter.format !== undefined && letter.format !== null) line.format = stringOf(letter.format);
  line.reason = stringOf(letter.reason);
  line.detail = stringOf(letter.detail);
  line.observed_time = isoTime(letter.observedTime);
  line.original = original.text;
  line.original_encoding = original.encoding;
  if (original.truncated) line.original_truncated = true;
  return JSON.stringify(line);
}

export interface DeadLetterWriterOptions {
  /** The host's data directory; the file goes in its `<tenant>` folder. */
  readonly dataDir: string;
  readonly tenant: string;
  /** When a letter is written (`time`); tests pass a fixed one. */
  readonly clock?: () => Date;
  readonly logger?: Logger;
}

/**
 * Appends one tenant's dead letters to its file. Shared by all of the tenant's components:
 * writes are serialized, a chunk of lines is never interleaved with another, and nothing is
 * opened before the first letter.
 */
export class DeadLetterWriter {
  readonly tenant: string;
  /** The absolute path of the tenant's dead-letter file. */
  readonly path: string;
  private readonly clock: () => Date;
  private readonly file: RotatingFile;

  /** Throws a permanent `invalid_tenant` when `tenant` is not a plain folder name. */
  constructor(options: DeadLetterWriterOptions) {
    const { dataDir, tenant } = options;
    // The config already allows only such tenants; checked again because this becomes a path.
    const root = resolve(dataDir);
    const dir = resolve(root, tenant);
    if (!TENANT.test(tenant) || dirname(dir) !== root) {
      throw new PermanentError('invalid_tenant', `dead letters: tenant ${JSON.stringify(tenant)} is not a valid folder name`);
    }
    this.tenant = tenant;
    this.path = resolve(dir, DEAD_LETTER_FILE);
    this.clock = options.clock ?? (() => new Date());
    const name = `dead letters of tenant ${tenant}`;
    this.file = new RotatingFile({ path: this.path, rotateBytes: DEAD_LETTER_ROTATE_BYTES, maxBackups: DEAD_LETTER_MAX_BACKUPS, name, logger: options.logger });
  }

  /**
   * Appends one line per letter and resolves once they are written. Rejects with a retryable
   * `dead_letter_unavailable` when they cannot be (whatever the disk said: someone can free
   * space or fix a permission, and the caller should refuse its batch rather than lose it).
   * Letters of one call may be split into several writes; if one fails, the earlier ones stay,
   * so a retry of the batch may write them twice (at least once, never lost).
   */
  async write(source: DeadLetterSource, letters: readonly DeadLetter[]): Promise<void> {
    let chunk = '';
    for (const letter of letters) {
      chunk += deadLetterLine(this.clock(), this.tenant, source, letter) + '\n';
      if (chunk.length >= CHUNK_CHARS) {
        await this.append(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') await this.append(chunk);
  }

  /** Waits for pending writes, fsyncs and closes; later writes are refused. Idempotent. */
  close(): Promise<void> {
    return this.file.close();
  }

  private async append(text: string): Promise<void> {
    try {
      await this.file.append(Buffer.from(text, 'utf8'));
    } catch (error) {
      throw new RetryableError('dead_letter_unavailable', errorMessage(error), { cause: error });
    }
  }
}
