import { resolve } from 'node:path';
import type { Batch, CreateSettings, Exporter, Host } from '../../../core/api.js';
import { PermanentError, errorCode } from '../../../core/errors.js';
import { RotatingFile } from '../../../core/rotating-file.js';
import type { FileExporterConfig } from './config.js';
import { encodeNdjson } from './encoder.js';

type State = 'created' | 'starting' | 'started' | 'shut_down';

/**
 * Appends NDJSON to one file, rotating by size (core/rotating-file.ts does the file work).
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
  private readonly file: RotatingFile | undefined;
  private state: State = 'created';
  private host: Host | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(settings: CreateSettings, config: FileExporterConfig) {
    this.id = settings.id;
    this.logger = settings.logger;
    this.path = typeof config.path === 'string' && config.path !== '' ? resolve(process.cwd(), config.path) : undefined;
    this.file =
      this.path === undefined
        ? undefined
        : new RotatingFile({ path: this.path, rotateBytes: config.rotate_bytes, maxBackups: config.max_backups, name: 'file exporter', logger: this.logger });
  }

  start(host: Host): Promise<void> {
    if (this.state === 'shut_down') return Promise.reject(new PermanentError('shut_down', `exporter ${this.id} was shut down; it cannot start again`));
    if (this.starting !== undefined) return this.starting;
    const file = this.file;
    if (file === undefined) return Promise.reject(new PermanentError('invalid_config', `exporter ${this.id}: path is required`));
    this.host = host;
    this.state = 'starting';
    const starting = file.open().then(
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
    return this.file!.append(Buffer.from(text, 'utf8'));
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.state = 'shut_down';
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    if (this.file === undefined) return;
    try {
      await this.file.close();
    } catch (error) {
      this.logger.warn('file exporter: close failed', { path: this.path, code: errorCode(error) });
    }
  }

  private notRunning(): PermanentError {
    return this.state === 'shut_down'
      ? new PermanentError('shut_down', `exporter ${this.id} is shut down; consume refused`)
      : new PermanentError('not_started', `exporter ${this.id} is not started; consume refused`);
  }
}
