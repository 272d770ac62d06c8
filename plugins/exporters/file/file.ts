import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Batch, CreateSettings, Exporter, Host } from '../../../core/api.js';
import { AuthwireError, PermanentError, RetryableError, errorCode, errorMessage } from '../../../core/errors.js';
import type { FileExporterConfig } from './config.js';
import { encodeNdjson } from './encoder.js';

type State = 'created' | 'starting' | 'started' | 'shut_down';

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
 * Maps a Node fs error to an AuthwireError with a stable code. Unknown errors are retryable
 * (`io_error`): the exporter helper bounds the retries, and dropping data on an error we do not
 * recognise is worse than retrying it.
 */
export function fileError(error: unknown, action: string, path: string): AuthwireError {
  const sys = errorCode(error);
  const message = `file exporter: cannot ${action} ${path}: ${sys === 'unknown' ? errorMessage(error) : sys}`;
  const permanent = PERMANENT_FS[sys];
  if (permanent !== undefined) return new PermanentError(permanent, message, { cause: error });
  return new RetryableError(RETRYABLE_FS[sys] ?? 'io_error', message, { cause: error });
}

/**
 * Appends NDJSON to one file, rotating by size.
 *
 * Rotation (when `rotate_bytes` > 0): before writing a batch that would take a non-empty file
 * past `rotate_bytes`, the file is closed and renamed `<path>.1`, existing `<path>.N` move to
 * `<path>.N+1`, and those beyond `max_backups` (0: none) are deleted. A batch is never split, so a
 * file exceeds `rotate_bytes` only when one batch alone does.
 *
 * `consume` resolves when the bytes are written to the file (in the OS page cache; the file is
 * fsynced at shutdown). Writes are serialized so concurrent batches never interleave, and a
 * failed partial write is truncated away so a retry does not leave half a line behind.
 */
export class FileExporter implements Exporter {
  readonly mutatesData = false;
  /** The absolute path written to; undefined when the config lacked one (start then fails). */
  readonly path: string | undefined;
  private readonly id: string;
  private readonly logger: CreateSettings['logger'];
  private readonly rotateBytes: number;
  private readonly maxBackups: number;
  private state: State = 'created';
  private host: Host | undefined;
  private handle: FileHandle | undefined;
  private size = 0;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** The last write in the chain; each write waits for the one before. Never rejects. */
  private tail: Promise<void> = Promise.resolve();

  constructor(settings: CreateSettings, config: FileExporterConfig) {
    this.id = settings.id;
    this.logger = settings.logger;
    this.path = typeof config.path === 'string' && config.path !== '' ? resolve(process.cwd(), config.path) : undefined;
    this.rotateBytes = config.rotate_bytes;
    this.maxBackups = config.max_backups;
  }

  start(host: Host): Promise<void> {
    if (this.state === 'shut_down') return Promise.reject(new PermanentError('shut_down', `exporter ${this.id} was shut down; it cannot start again`));
    if (this.starting !== undefined) return this.starting;
    this.host = host;
    this.state = 'starting';
    const starting = this.openCurrent().then(
      () => {
        if (this.state === 'starting') this.state = 'started';
      },
      (error: unknown) => {
        if (this.state === 'starting') this.state = 'created';
        this.starting = undefined;
        throw error;
      },
    );
    this.starting = starting;
    return starting;
  }

  consume(batch: Batch): Promise<void> {
    if (this.state !== 'started') return Promise.reject(this.notRunning());
    const { text, skipped } = encodeNdjson(batch);
    if (skipped > 0) {
      this.host?.reportError(new PermanentError('unencodable_record', `exporter ${this.id}: ${skipped} record(s) could not be encoded as JSON and were skipped`));
    }
    if (text === '') return Promise.resolve();
    const data = Buffer.from(text, 'utf8');
    const run = this.tail.then(() => this.write(data));
    this.tail = run.catch(() => undefined);
    return run;
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.state = 'shut_down';
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    await this.tail;
    const handle = this.handle;
    this.handle = undefined;
    if (handle === undefined) return;
    // Best effort: fsync is refused by some special files (pipes, /dev/*), which is no reason to fail.
    await handle.datasync().catch(() => undefined);
    try {
      await handle.close();
    } catch (error) {
      this.logger.warn('file exporter: close failed', { path: this.path, code: errorCode(error) });
    }
  }

  private notRunning(): PermanentError {
    return this.state === 'shut_down'
      ? new PermanentError('shut_down', `exporter ${this.id} is shut down; consume refused`)
      : new PermanentError('not_started', `exporter ${this.id} is not started; consume refused`);
  }

  private async openCurrent(): Promise<void> {
    const path = this.path;
    if (path === undefined) throw new PermanentError('invalid_config', `exporter ${this.id}: path is required`);
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw fileError(error, 'create the directory of', path);
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'a');
    } catch (error) {
      throw fileError(error, 'open', path);
    }
    try {
      this.size = (await handle.stat()).size;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw fileError(error, 'stat', path);
    }
    this.handle = handle;
  }

  private async write(data: Buffer): Promise<void> {
    const path = this.path!;
    // A rotation that failed half-way left no open file; try again rather than fail forever.
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
      throw fileError(error, 'write to', path);
    }
    this.size = before + data.length;
  }

  private async rotate(): Promise<void> {
    const path = this.path!;
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) {
      try {
        await handle.close();
      } catch (error) {
        throw fileError(error, 'close', path);
      }
    }
    const dir = dirname(path);
    const prefix = basename(path) + '.';
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw fileError(error, 'list the directory of', path);
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
        if (errorCode(error) !== 'ENOENT') throw fileError(error, 'rotate', from);
      }
    }
    try {
      await rename(path, `${path}.1`);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw fileError(error, 'rotate', path);
    }
    this.logger.debug('file exporter: rotated', { path, backups: Math.min(indices.length + 1, this.maxBackups || Infinity) });
    await this.openCurrent();
  }
}

