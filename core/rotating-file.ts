import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from './api.js';
import { AuthwireError, PermanentError, RetryableError, errorCode, errorMessage } from './errors.js';

/** Disk errors a later attempt can get past (space freed, descriptors released, device back). */
const RETRYABLE_FS: Record<string, string> = {
  ENOSPC: 'disk_full',
  EDQUOT: 'disk_full',
  EMFILE: 'too_many_open_files',
  ENFILE: 'too_many_open_files',
  EAGAIN: 'io_error',
  EBUSY: 'io_error',
  EINTR: 'io_error',
  EIO: 'io_error',
};

/** Disk errors that stay until someone changes the configuration or the file system. */
const PERMANENT_FS: Record<string, string> = {
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  EROFS: 'read_only_file_system',
  EISDIR: 'is_directory',
  ENOTDIR: 'bad_path',
  ENOENT: 'bad_path',
  EEXIST: 'bad_path',
  ENAMETOOLONG: 'bad_path',
  ELOOP: 'bad_path',
  EFBIG: 'file_too_large',
};

/**
 * Maps a Node fs error to an AuthwireError with a stable code; the message reads
 * `<name>: cannot <action> <path>: <errno code>`. Unknown errors are retryable (`io_error`):
 * retries are bounded by whoever retries, and dropping data on an error we do not recognise is
 * worse than retrying it.
 */
export function fileError(error: unknown, action: string, path: string, name: string): AuthwireError {
  const sys = errorCode(error);
  const message = `${name}: cannot ${action} ${path}: ${sys === 'unknown' ? errorMessage(error) : sys}`;
  const permanent = PERMANENT_FS[sys];
  if (permanent !== undefined) return new PermanentError(permanent, message, { cause: error });
  return new RetryableError(RETRYABLE_FS[sys] ?? 'io_error', message, { cause: error });
}

export interface RotatingFileOptions {
  /** The file to append to; resolve it to an absolute path before passing it. */
  readonly path: string;
  /** Rotate before an append would take a non-empty file past this many bytes; 0 never rotates. */
  readonly rotateBytes: number;
  /** How many rotated files (`<path>.1` newest … `<path>.N` oldest) to keep; 0 keeps all. */
  readonly maxBackups: number;
  /** Starts every error message and log line (`file exporter`, `dead letters of tenant acme`). */
  readonly name: string;
  /** Gets a debug line per rotation and a warning when close fails. */
  readonly logger?: Logger;
}

/**
 * Appends bytes to one file, rotating by size. The one implementation behind the `file`
 * exporter and the dead-letter output.
 *
 * - Nothing touches the disk before the first `open()` or `append()`: the parent directories
 *   are created and the file opened (for appending; existing bytes count towards the size) then.
 * - Appends are serialized in call order, so concurrent callers never interleave, and one
 *   append is never split across files. An append resolves when its bytes are written (in the
 *   OS page cache); `close()` fsyncs. A failed partial write is truncated away, so a retry does
 *   not leave half a line behind; a failed append does not block the ones after it.
 * - Rotation (when `rotateBytes` > 0): before an append that would take a non-empty file past
 *   `rotateBytes`, the file is closed and renamed `<path>.1`, existing `<path>.N` move to
 *   `<path>.N+1`, and those beyond `maxBackups` (0: none) are deleted. So a file exceeds
 *   `rotateBytes` only when one append alone does. A rotation that failed half-way leaves no file
 *   open; the next append opens one again rather than failing forever.
 * - Errors are AuthwireErrors from `fileError`. After `close()`, `open()` and `append()` reject
 *   with a permanent `closed`.
 */
export class RotatingFile {
  readonly path: string;
  private readonly rotateBytes: number;
  private readonly maxBackups: number;
  private readonly name: string;
  private readonly logger: Logger | undefined;
  private handle: FileHandle | undefined;
  private size = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The last operation in the chain; each waits for the one before. Never rejects. */
  private tail: Promise<void> = Promise.resolve();

  constructor(options: RotatingFileOptions) {
    this.path = options.path;
    this.rotateBytes = options.rotateBytes;
    this.maxBackups = options.maxBackups;
    this.name = options.name;
    this.logger = options.logger;
  }

  /** Creates the parent directories and opens the file, if not open yet: to fail early, at start. */
  open(): Promise<void> {
    return this.enqueue(() => this.openCurrent());
  }

  /** Appends `data` whole, rotating first when it would pass the size limit. */
  append(data: Uint8Array): Promise<void> {
    return this.enqueue(() => this.write(data));
  }

  /** Waits for every append already called, fsyncs (best effort) and closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new PermanentError('closed', `${this.name}: ${this.path} is closed`));
    const run = this.tail.then(operation);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async closeAll(): Promise<void> {
    this.closed = true;
    await this.tail;
    const handle = this.handle;
    this.handle = undefined;
    if (handle === undefined) return;
    // Best effort: fsync is refused by some special files (pipes, /dev/*), which is no reason to fail.
    await handle.datasync().catch(() => undefined);
    try {
      await handle.close();
    } catch (error) {
      throw fileError(error, 'close', this.path, this.name);
    }
  }

  private async openCurrent(): Promise<void> {
    if (this.handle !== undefined) return;
    const path = this.path;
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw fileError(error, 'create the directory of', path, this.name);
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'a');
    } catch (error) {
      throw fileError(error, 'open', path, this.name);
    }
    try {
      this.size = (await handle.stat()).size;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw fileError(error, 'stat', path, this.name);
    }
    this.handle = handle;
  }

  private async write(data: Uint8Array): Promise<void> {
    if (this.handle === undefined) await this.openCurrent();
    if (this.rotateBytes > 0 && this.size > 0 && this.size + data.length > this.rotateBytes) await this.rotate();
    const handle = this.handle!;
    const before = this.size;
    let offset = 0;
    try {
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      if (offset > 0) await handle.truncate(before).catch(() => undefined);
      throw fileError(error, 'write to', this.path, this.name);
    }
    this.size = before + data.length;
  }

  private async rotate(): Promise<void> {
    const path = this.path;
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) {
      try {
        await handle.close();
      } catch (error) {
        throw fileError(error, 'close', path, this.name);
      }
    }
    const dir = dirname(path);
    const prefix = basename(path) + '.';
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw fileError(error, 'list the directory of', path, this.name);
    }
    const indices: number[] = [];
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      if (/^[1-9]\d*$/.test(rest)) indices.push(Number(rest));
    }
    indices.sort((a, b) => b - a); // oldest first, so every rename target is already free
    for (const index of indices) {
      const from = `${path}.${index}`;
      try {
        if (this.maxBackups > 0 && index >= this.maxBackups) await unlink(from);
        else await rename(from, `${path}.${index + 1}`);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw fileError(error, 'rotate', from, this.name);
      }
    }
    try {
      await rename(path, `${path}.1`);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw fileError(error, 'rotate', path, this.name);
    }
    this.logger?.debug(`${this.name}: rotated`, { path, backups: Math.min(indices.length + 1, this.maxBackups || Infinity) });
    await this.openCurrent();
  }
}
