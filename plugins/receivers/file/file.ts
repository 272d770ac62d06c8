import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Consumer, CreateSettings, DeadLetter, Host, RawRecord, Receiver } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError } from '../../../core/errors.js';
import { CheckpointStore } from '../../../core/poller/checkpoint.js';
import { createDefaultConfig } from './config.js';
import type { FileReceiverConfig } from './config.js';
import { compileGlob, findFiles } from './glob.js';
import type { CompiledGlob } from './glob.js';

/** One file in checkpoint.json. */
export interface FileCheckpointEntry {
  /** The file's first bytes (at most fingerprint_size), base64: its identity. */
  fingerprint: string;
  /** Every line that ends before this byte offset was delivered (consume resolved). */
  offset: number;
  /** The offset is inside a line longer than max_line_bytes, already dead-lettered: skip to its LF. */
  skipping: boolean;
  /** Where the file was last seen; informational only (identity is the fingerprint). */
  path: string;
}

/** What checkpoint.json holds. */
export interface FileCheckpoint {
  files: FileCheckpointEntry[];
}

/** Seams for tests and benchmarks; not user configuration. */
export interface FileReceiverInternals {
  /** No poll loop: the caller drives `pollOnce()`. */
  readonly manual?: boolean;
  /** The clock of force_flush_period. */
  readonly now?: () => number;
  readonly maxBackoffMs?: number;
  /** Relative patterns resolve against this directory (default: the working directory). */
  readonly cwd?: string;
}

/** What metrics() shows (a type literal, so it stays assignable to Component.metrics' record). */
export type FileReceiverMetrics = {
  polls: number;
  poll_failures: number;
  files_matched: number;
  files_tracked: number;
  files_open: number;
  lines: number;
  bytes: number;
  batches: number;
  empty_lines: number;
  lines_too_long: number;
  invalid_utf8_lines: number;
  partial_lines_flushed: number;
  rotated_files_drained: number;
  truncations: number;
  duplicate_files: number;
  open_failures: number;
  consume_failures: number;
  checkpoint_saves: number;
};

/** A known file: its identity, its committed position, and, while it is open, its handle. */
interface Tracked {
  fp: Buffer;
  offset: number;
  skipping: boolean;
  path: string;
  ino: number;
  handle: FileHandle | undefined;
  /** The poll that last matched it (0: loaded from the checkpoint, not matched yet). */
  seen: number;
  /** The unterminated last line held back: where it starts, how long it was, since when unchanged. */
  partialOffset: number;
  partialLength: number;
  partialSince: number;
}

/** A file opened in this poll, before it is matched to what is known. */
interface Opened {
  path: string;
  handle: FileHandle;
  ino: number;
  size: number;
  mtimeMs: number;
  fp: Buffer;
}

/** Lines of one file on their way downstream; `endOffset`/`endSkipping` become the file's position once delivered. */
interface PendingBatch {
  records: RawRecord[];
  letters: DeadLetter[];
  endOffset: number;
  endSkipping: boolean;
}

/** Files seen neither matched nor open are forgotten after this many polls (and leave the checkpoint). */
const RETENTION_POLLS = 3;
/** The read buffer is never smaller than this. */
const MIN_BUFFER_BYTES = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return prefix.length > 0 && value.length >= prefix.length && value.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Tails files matched by globs, the way the OpenTelemetry Collector's filelog receiver does:
 * every poll lists the globs, opens each file, identifies it by its first `fingerprint_size`
 * bytes, and reads what was appended since its checkpointed offset, line by line. Handles stay
 * open until the next poll, so a file renamed away (logrotate's default) or deleted in between is
 * read to its end through the old handle before the new file is read. Offsets are committed, and
 * saved atomically in the data directory, only after `consume` resolved for the lines before them.
 */
export class FileReceiver implements Receiver {
  private readonly settings: CreateSettings;
  private readonly config: FileReceiverConfig;
  private readonly next: Consumer;
  private readonly internals: FileReceiverInternals;
  private readonly include: CompiledGlob[];
  private readonly exclude: CompiledGlob[];
  private readonly store: CheckpointStore<FileCheckpoint>;
  private readonly intervalMs: number;
  private readonly forceFlushMs: number;
  private readonly maxBackoffMs: number;
  private readonly budget: number;
  private readonly encoding: BufferEncoding;
  private readonly utf8: boolean;
  private readonly now: () => number;
  /** Shared by every file: reads happen one at a time. Allocated at start. */
  private buffer: Buffer = Buffer.alloc(0);
  private readonly fpScratch: Buffer;
  private tracked: Tracked[] = [];
  private host: Host | undefined;
  private started = false;
  private stopping = false;
  private firstPollDone = false;
  private pollNumber = 0;
  private dirty = false;
  private loop: Promise<void> | undefined;
  private pollChain: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private readonly counts = {
    polls: 0,
    poll_failures: 0,
    files_matched: 0,
    lines: 0,
    bytes: 0,
    batches: 0,
    empty_lines: 0,
    lines_too_long: 0,
    invalid_utf8_lines: 0,
    partial_lines_flushed: 0,
    rotated_files_drained: 0,
    truncations: 0,
    duplicate_files: 0,
    open_failures: 0,
    consume_failures: 0,
    checkpoint_saves: 0,
  };

  constructor(settings: CreateSettings, userConfig: FileReceiverConfig, next: Consumer, internals: FileReceiverInternals = {}) {
    const config: FileReceiverConfig = { ...createDefaultConfig(), ...userConfig };
    this.settings = settings;
    this.config = config;
    this.next = next;
    this.internals = internals;
    const name = settings.id;
    this.intervalMs = parseDuration(config.poll_interval);
    if (this.intervalMs <= 0) throw new PermanentError('invalid_config', `${name}: poll_interval must be greater than 0`);
    this.forceFlushMs = parseDuration(config.force_flush_period);
    this.maxBackoffMs = internals.maxBackoffMs ?? Math.max(this.intervalMs, 30_000);
    this.include = (config.include ?? []).map((pattern) => compileGlob(pattern, internals.cwd));
    // An exclude starting with ** (`**/*.gz`) means at any depth, not below the working directory.
    this.exclude = config.exclude.map((pattern) => compileGlob(pattern, pattern.startsWith('**') ? '/' : internals.cwd));
    // A line of max_line_bytes plus its CR LF always fits, so a line either ends in the buffer or is too long.
    this.budget = Math.max(config.max_bytes_per_poll, this.bufferSize());
    this.utf8 = config.encoding === 'utf-8' || config.encoding === 'utf8';
    this.encoding = this.utf8 ? 'utf8' : 'latin1';
    this.now = internals.now ?? Date.now;
    this.fpScratch = Buffer.alloc(config.fingerprint_size);
    this.store = new CheckpointStore<FileCheckpoint>(settings.dataDir, name);
  }

  private bufferSize(): number {
    return Math.max(MIN_BUFFER_BYTES, this.config.max_line_bytes + 2);
  }

  async start(host: Host): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.host = host;
    const name = this.settings.id;
    if (this.include.length === 0) throw new PermanentError('invalid_config', `${name}: include is required (glob patterns of the files to tail)`);
    const saved = await this.store.load();
    if (saved !== undefined) {
      this.tracked = this.restore(saved);
      // start_at is for the first run only: after a restart, a file the checkpoint does not know
      // appeared while stopped (a rotation, most often) and is read whole, as while running.
      this.firstPollDone = true;
    }
    this.buffer = Buffer.allocUnsafe(this.bufferSize());
    this.settings.logger.info('tailing files', {
      include: this.include.map((glob) => glob.source),
      exclude: this.exclude.map((glob) => glob.source),
      start: saved !== undefined ? `checkpoint (${this.tracked.length} files)` : `start_at ${this.config.start_at}`,
    });
    if (this.internals.manual !== true) this.loop = this.run();
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    if (this.loop !== undefined) await this.loop;
    await this.pollChain;
    if (this.dirty) {
      try {
        await this.save();
      } catch (error) {
        this.host?.reportError(error);
      }
    }
    for (const t of this.tracked) await this.close(t);
  }

  metrics(): FileReceiverMetrics {
    let open = 0;
    for (const t of this.tracked) if (t.handle !== undefined) open++;
    return { ...this.counts, files_tracked: this.tracked.length, files_open: open };
  }

  /**
   * One poll; polls never overlap. Resolves true when a file had more to read than
   * max_bytes_per_poll (the loop then polls again at once). Rejects when consume or the
   * checkpoint failed; what was delivered before is committed and saved.
   */
  pollOnce(): Promise<boolean> {
    const run = this.pollChain.then(() => this.poll());
    this.pollChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private restore(saved: FileCheckpoint): Tracked[] {
    const name = this.settings.id;
    const corrupt = (): PermanentError =>
      new PermanentError('corrupt_checkpoint', `${name}: checkpoint ${this.store.path} does not hold a list of files with fingerprints and offsets; move it away to start from start_at`);
    if (typeof saved !== 'object' || saved === null || !Array.isArray(saved.files)) throw corrupt();
    const out: Tracked[] = [];
    for (const entry of saved.files as unknown[]) {
      const e = entry as Partial<FileCheckpointEntry> | null;
      if (typeof e !== 'object' || e === null || typeof e.fingerprint !== 'string' || !Number.isSafeInteger(e.offset) || (e.offset as number) < 0) throw corrupt();
      const fp = Buffer.from(e.fingerprint, 'base64');
      if (fp.length === 0) throw corrupt();
      out.push({
        // A smaller fingerprint_size than when saved: compare only what is now read.
        fp: fp.length > this.config.fingerprint_size ? fp.subarray(0, this.config.fingerprint_size) : fp,
        offset: e.offset as number,
        skipping: e.skipping === true,
        path: typeof e.path === 'string' ? e.path : '',
        ino: -1,
        handle: undefined,
        seen: 0,
        partialOffset: -1,
        partialLength: 0,
        partialSince: 0,
      });
    }
    return out;
  }

  private async save(): Promise<void> {
    const files = this.tracked.map((t) => ({ fingerprint: t.fp.toString('base64'), offset: t.offset, skipping: t.skipping, path: t.path }));
    this.dirty = false;
    try {
      await this.store.save({ files });
    } catch (error) {
      this.dirty = true;
      throw error;
    }
    this.counts.checkpoint_saves++;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let backlog = false;
      try {
        backlog = await this.pollOnce();
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        failures++;
        this.counts.poll_failures++;
        // Counted and logged by the host (throttled per code); the loop backs off and reads the same lines again.
        this.host?.reportError(error);
      }
      if (this.stopping) break;
      if (backlog) {
        // Let other work run between budget-sized rounds even when the consumer resolves at once.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await this.sleep(failures === 0 ? this.intervalMs : Math.min(this.maxBackoffMs, this.intervalMs * 2 ** Math.min(failures, 30)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async poll(): Promise<boolean> {
    if (!this.started || this.stopping) return false;
    const poll = ++this.pollNumber;
    this.counts.polls++;
    let backlog = false;
    try {
      const paths = await findFiles(this.include, this.exclude);
      this.counts.files_matched = paths.length;
      const group = Math.max(1, Math.floor(this.config.max_concurrent_files / 2));
      let start = 0;
      do {
        const chunk = paths.slice(start, start + group);
        start += group;
        const last = start >= paths.length;
        const opened = await this.openAll(chunk);
        const work = await this.match(opened, poll);
        if (last) {
          if (!this.firstPollDone) {
            this.firstPollDone = true;
            // Saved even when empty, so that a restart knows start_at was applied.
            this.dirty = true;
          }
          // Files renamed away or deleted since the last poll: their remaining lines come before the new files'.
          backlog = (await this.drainLost(poll)) || backlog;
        }
        for (const t of work) {
          if (this.stopping) break;
          backlog = (await this.read(t)) || backlog;
        }
        // Only the last group stays open until the next poll, so at most max_concurrent_files are open.
        if (!last) for (const t of work) await this.close(t);
      } while (start < paths.length && !this.stopping);
      this.prune(poll);
    } finally {
      if (this.dirty) await this.save();
    }
    return backlog && !this.stopping;
  }

  private async openAll(paths: readonly string[]): Promise<Opened[]> {
    const out: Opened[] = [];
    for (const path of paths) {
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        // Deleted between listing and opening: nothing to report.
        if (codeOf(error) !== 'ENOENT') {
          this.counts.open_failures++;
          this.host?.reportError(new PermanentError('file_unreadable', `${this.settings.id}: cannot open ${path}: ${(error as Error).message}`, { cause: error }));
        }
        continue;
      }
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) {
          await handle.close();
          continue;
        }
        const { bytesRead } = await handle.read(this.fpScratch, 0, this.fpScratch.length, 0);
        if (bytesRead === 0) {
          // Nothing identifies an empty file yet; it is looked at again next poll.
          await handle.close();
          continue;
        }
        out.push({ path, handle, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, fp: Buffer.from(this.fpScratch.subarray(0, bytesRead)) });
      } catch (error) {
        await handle.close().catch(() => undefined);
        this.counts.open_failures++;
        this.host?.reportError(new PermanentError('file_unreadable', `${this.settings.id}: cannot read ${path}: ${(error as Error).message}`, { cause: error }));
      }
    }
    return out;
  }

  /**
   * Pairs the opened files with known ones by fingerprint: first a handle still open on the same
   * inode, then any known file whose fingerprint the new one starts with. Returns the files to
   * read this poll: known ones first, then new ones, each oldest (by mtime) first.
   */
  private async match(opened: Opened[], poll: number): Promise<Tracked[]> {
    const assigned: (Tracked | undefined)[] = new Array(opened.length).fill(undefined);
    const isNew: boolean[] = new Array(opened.length).fill(false);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < opened.length; i++) {
        if (assigned[i] !== undefined) continue;
        const o = opened[i]!;
        for (const t of this.tracked) {
          if (t.seen === poll) continue;
          if (pass === 0 && (t.handle === undefined || t.ino !== o.ino)) continue;
          if (!startsWith(o.fp, t.fp)) continue;
          assigned[i] = t;
          t.seen = poll;
          break;
        }
      }
    }
    for (let i = 0; i < opened.length; i++) {
      const o = opened[i]!;
      const t = assigned[i];
      if (t !== undefined) {
        if (t.handle !== undefined && t.handle !== o.handle) await t.handle.close().catch(() => undefined);
        t.handle = o.handle;
        t.ino = o.ino;
        if (t.path !== o.path) {
          t.path = o.path;
          this.dirty = true;
        }
        if (o.fp.length > t.fp.length) {
          t.fp = o.fp;
          this.dirty = true;
        }
        if (o.size < t.offset) {
          // Shorter than what was read, yet starting with the same bytes: truncated (copytruncate) and written again.
          this.counts.truncations++;
          t.offset = 0;
          t.skipping = false;
          t.partialOffset = -1;
          this.dirty = true;
        }
        continue;
      }
      // A copy of a file read this poll (copytruncate's copy before the truncation, a hard link): read one of them.
      if (this.tracked.some((k) => k.seen === poll && (startsWith(o.fp, k.fp) || startsWith(k.fp, o.fp)))) {
        this.counts.duplicate_files++;
        await o.handle.close().catch(() => undefined);
        continue;
      }
      // start_at applies to the files there at the first poll; a file appearing later is read whole.
      const offset = !this.firstPollDone && this.config.start_at === 'end' ? o.size : 0;
      const created: Tracked = { fp: o.fp, offset, skipping: false, path: o.path, ino: o.ino, handle: o.handle, seen: poll, partialOffset: -1, partialLength: 0, partialSince: 0 };
      this.tracked.push(created);
      assigned[i] = created;
      isNew[i] = true;
      this.dirty = true;
    }
    const order: number[] = [];
    for (let i = 0; i < opened.length; i++) if (assigned[i] !== undefined && opened[i]!.handle === assigned[i]!.handle) order.push(i);
    order.sort((a, b) => Number(isNew[a]) - Number(isNew[b]) || opened[a]!.mtimeMs - opened[b]!.mtimeMs || (opened[a]!.path < opened[b]!.path ? -1 : 1));
    return order.map((i) => assigned[i]!);
  }

  /** Reads known files still open but no longer matched (renamed out of the globs, deleted) to their end, then closes them. */
  private async drainLost(poll: number): Promise<boolean> {
    let backlog = false;
    for (const t of this.tracked) {
      if (t.handle === undefined || t.seen === poll || this.stopping) continue;
      // The same handle may now show other bytes (truncated and rewritten in place): then it is not this file any more.
      let same = false;
      try {
        const { bytesRead } = await t.handle.read(this.fpScratch, 0, t.fp.length, 0);
        same = bytesRead === t.fp.length && this.fpScratch.compare(t.fp, 0, t.fp.length, 0, bytesRead) === 0;
      } catch {
        same = false;
      }
      if (same) {
        const more = await this.read(t);
        if (more) {
          backlog = true;
          continue;
        }
        this.counts.rotated_files_drained++;
      }
      await this.close(t);
    }
    return backlog;
  }

  private prune(poll: number): void {
    const before = this.tracked.length;
    this.tracked = this.tracked.filter((t) => t.handle !== undefined || t.seen >= poll - RETENTION_POLLS);
    if (this.tracked.length !== before) this.dirty = true;
  }

  private async close(t: Tracked): Promise<void> {
    const handle = t.handle;
    if (handle === undefined) return;
    t.handle = undefined;
    t.partialOffset = -1;
    await handle.close().catch(() => undefined);
  }

  /**
   * Reads one file from its committed offset, at most `budget` bytes, handing its lines downstream
   * in batches and committing each batch's end offset once consume resolved. An unterminated last
   * line is left unread (its start is the offset) until it ends, or until force_flush_period.
   * Resolves true when the budget ran out before the end of the file.
   */
  private async read(t: Tracked): Promise<boolean> {
    const handle = t.handle!;
    const buf = this.buffer;
    const size = buf.length;
    const batchSize = this.config.batch_size;
    const batch: PendingBatch = { records: [], letters: [], endOffset: t.offset, endSkipping: t.skipping };
    let pos = t.offset; // the file offset of buf[0]
    let filled = 0;
    let skipping = t.skipping;
    let budget = this.budget;
    let eof = false;
    while (!this.stopping) {
      // Checked before the budget: the budget is at least the buffer size, so every poll gets this far.
      if (filled === size) {
        // One unterminated line fills the buffer: longer than max_line_bytes. Keep its head, skip to its end.
        this.tooLong(batch, t, buf, 0, pos);
        skipping = true;
        pos += filled;
        filled = 0;
        batch.endOffset = pos;
        batch.endSkipping = true;
        continue;
      }
      if (budget <= 0) break;
      const { bytesRead } = await handle.read(buf, filled, Math.min(size - filled, budget), pos + filled);
      if (bytesRead === 0) {
        eof = true;
        break;
      }
      budget -= bytesRead;
      const end = filled + bytesRead;
      const view = buf.subarray(0, end);
      const observed = Date.now();
      let lineStart = 0;
      // The carried bytes before `filled` hold no LF.
      let lf = view.indexOf(LF, filled);
      while (lf !== -1) {
        if (skipping) skipping = false;
        else this.line(batch, t, buf, lineStart, lf, pos + lineStart, observed);
        lineStart = lf + 1;
        batch.endOffset = pos + lineStart;
        batch.endSkipping = false;
        if (batch.records.length >= batchSize) await this.flush(batch, t);
        lf = view.indexOf(LF, lineStart);
      }
      if (skipping) {
        pos += end;
        filled = 0;
        batch.endOffset = pos;
        batch.endSkipping = true;
      } else {
        if (lineStart > 0 && lineStart < end) buf.copyWithin(0, lineStart, end);
        pos += lineStart;
        filled = end - lineStart;
      }
    }
    if (eof && filled > 0 && !skipping) {
      const now = this.now();
      if (t.partialOffset === pos && t.partialLength === filled) {
        if (this.forceFlushMs > 0 && now - t.partialSince >= this.forceFlushMs) {
          this.line(batch, t, buf, 0, filled, pos, Date.now());
          batch.endOffset = pos + filled;
          batch.endSkipping = false;
          this.counts.partial_lines_flushed++;
          t.partialOffset = -1;
        }
      } else {
        t.partialOffset = pos;
        t.partialLength = filled;
        t.partialSince = now;
      }
    } else if (eof) {
      t.partialOffset = -1;
    }
    await this.flush(batch, t);
    return !eof && !this.stopping;
  }

  /** One line, buf[start, end) without its LF: a record, or a dead letter when too long; empty lines are counted and skipped. */
  private line(batch: PendingBatch, t: Tracked, buf: Buffer, start: number, end: number, offset: number, observed: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    const length = end - start;
    if (length === 0) {
      this.counts.empty_lines++;
      return;
    }
    if (length > this.config.max_line_bytes) {
      this.tooLong(batch, t, buf, start, offset);
      return;
    }
    const text = buf.toString(this.encoding, start, end);
    // Invalid bytes became U+FFFD; the line is still delivered (a mangled user name is still a failed login).
    if (this.utf8 && text.includes('\uFFFD') && !isUtf8(buf.subarray(start, end))) this.counts.invalid_utf8_lines++;
    batch.records.push({ format: this.config.format, payload: text, observedTime: observed, source: this.settings.id });
  }

  private tooLong(batch: PendingBatch, t: Tracked, buf: Buffer, start: number, offset: number): void {
    const max = this.config.max_line_bytes;
    this.counts.lines_too_long++;
    batch.letters.push({
      reason: 'line_too_long',
      detail: `line at byte ${offset} of ${t.path} is longer than max_line_bytes (${max}); its first ${max} bytes are kept`,
      format: this.config.format,
      original: buf.toString(this.encoding, start, start + max),
      observedTime: Date.now(),
    });
  }

  /** Delivers the pending lines (dead letters first), then commits the batch's end offset. */
  private async flush(batch: PendingBatch, t: Tracked): Promise<void> {
    if (batch.letters.length > 0) {
      const letters = batch.letters;
      await this.host!.deadLetter(this.settings.tenant, letters);
      batch.letters = [];
    }
    if (batch.records.length > 0) {
      const records = batch.records;
      batch.records = [];
      try {
        await this.next.consume({ tenant: this.settings.tenant, records });
      } catch (error) {
        this.counts.consume_failures++;
        throw error;
      }
      this.counts.lines += records.length;
      this.counts.batches++;
    }
    if (batch.endOffset !== t.offset || batch.endSkipping !== t.skipping) {
      if (batch.endOffset > t.offset) this.counts.bytes += batch.endOffset - t.offset;
      t.offset = batch.endOffset;
      t.skipping = batch.endSkipping;
      this.dirty = true;
    }
  }
}
