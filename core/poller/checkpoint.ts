/**
 * A pull receiver's durable checkpoint: one JSON file per receiver instance and tenant, in the
 * component's data directory (CreateSettings.dataDir is already per component and tenant).
 *
 * Writes are atomic: the new state goes to a temporary file beside the checkpoint, is fsynced,
 * and is renamed over the old one, so a crash leaves either the old or the new checkpoint, never
 * half of one. The caller commits only after `consume()` resolved for every record before the
 * position it saves (see PollLoop), so a restart re-reads at most what was not yet delivered.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PermanentError } from '../errors.js';
import { fileError } from '../rotating-file.js';

export const CHECKPOINT_FILE = 'checkpoint.json';

/** The file's envelope: a version, so a later format can be told apart, and the receiver's state. */
interface Envelope<S> {
  version: 1;
  saved_at: string;
  state: S;
}

export class CheckpointStore<S> {
  readonly path: string;
  private readonly name: string;

  /** `dataDir` is the component's CreateSettings.dataDir; `name` is used in error messages. */
  constructor(dataDir: string, name: string, fileName = CHECKPOINT_FILE) {
    this.path = join(dataDir, fileName);
    this.name = name;
  }

  /** The saved state, or undefined when nothing was saved yet. A corrupt file is a PermanentError: starting over silently would re-deliver or skip history. */
  async load(): Promise<S | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fileError(error, 'read', this.path, this.name);
    }
    let envelope: Envelope<S>;
    try {
      envelope = JSON.parse(text) as Envelope<S>;
    } catch (error) {
      throw new PermanentError('corrupt_checkpoint', `${this.name}: checkpoint ${this.path} is not valid JSON (${(error as Error).message}); move it away to start from the configured start position`);
    }
    if (typeof envelope !== 'object' || envelope === null || envelope.version !== 1 || !('state' in envelope)) {
      throw new PermanentError('corrupt_checkpoint', `${this.name}: checkpoint ${this.path} has no version-1 state; move it away to start from the configured start position`);
    }
    return envelope.state;
  }

  /** Replaces the checkpoint atomically (write temp, fsync, rename, fsync the directory). */
  async save(state: S, now = new Date()): Promise<void> {
    const envelope: Envelope<S> = { version: 1, saved_at: now.toISOString(), state };
    const text = JSON.stringify(envelope) + '\n';
    const directory = dirname(this.path);
    const temporary = `${this.path}.tmp-${process.pid}`;
    try {
      await mkdir(directory, { recursive: true });
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw fileError(error, 'write', this.path, this.name);
    }
    // The rename is durable only once the directory entry is; not every platform lets us fsync a directory.
    try {
      const dir = await open(directory, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // best effort
    }
  }
}
