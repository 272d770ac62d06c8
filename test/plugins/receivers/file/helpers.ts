import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Consumer, RawRecord } from '../../../../core/api.js';
import { CHECKPOINT_FILE } from '../../../../core/poller/checkpoint.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { fileReceiverFactory } from '../../../../plugins/receivers/file/index.js';
import type { FileReceiverConfig } from '../../../../plugins/receivers/file/config.js';
import { FileReceiver } from '../../../../plugins/receivers/file/file.js';
import type { FileCheckpoint, FileReceiverInternals } from '../../../../plugins/receivers/file/file.js';

/** Keeps every accepted batch; `failNext` makes the next calls reject (retryable), without keeping them. */
export class Downstream implements Consumer {
  readonly batches: Batch[] = [];
  failNext = 0;
  calls = 0;

  async consume(batch: Batch): Promise<void> {
    this.calls++;
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error('downstream is full'), { code: 'queue_full', retryable: true });
    }
    this.batches.push(batch);
  }

  get records(): RawRecord[] {
    return this.batches.flatMap((batch) => batch.records as RawRecord[]);
  }

  /** The payloads delivered so far, in order. */
  get lines(): string[] {
    return this.records.map((record) => record.payload as string);
  }

  /** The payloads delivered since the last call. */
  private taken = 0;
  take(): string[] {
    const all = this.lines;
    const out = all.slice(this.taken);
    this.taken = all.length;
    return out;
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `authwire-file-${prefix}-`));
}

export interface Tail {
  receiver: FileReceiver;
  downstream: Downstream;
  host: RecordingHost;
  /** Polls until no file has more than one poll's budget waiting. */
  drain(): Promise<void>;
}

/** A manual (no timer) receiver over `dataDir`; each test drives pollOnce() itself. */
export async function tail(dataDir: string, config: Partial<FileReceiverConfig>, options: { downstream?: Downstream; internals?: FileReceiverInternals; start?: boolean } = {}): Promise<Tail> {
  const downstream = options.downstream ?? new Downstream();
  const host = new RecordingHost();
  const receiver = new FileReceiver(
    testSettings('receiver', 'file/auth', { tenant: 'corp', dataDir }),
    { ...fileReceiverFactory.createDefaultConfig(), ...config },
    downstream,
    { manual: true, ...options.internals },
  );
  if (options.start !== false) await receiver.start(host);
  return {
    receiver,
    downstream,
    host,
    async drain() {
      for (let i = 0; i < 10_000; i++) if (!(await receiver.pollOnce())) return;
      throw new Error('still reading after 10000 polls');
    },
  };
}

export async function checkpoint(dataDir: string): Promise<FileCheckpoint | undefined> {
  try {
    return (JSON.parse(await readFile(join(dataDir, CHECKPOINT_FILE), 'utf8')) as { state: FileCheckpoint }).state;
  } catch {
    return undefined;
  }
}

/** `n` numbered lines `<prefix> <i>` each ending in LF. */
export function numbered(prefix: string, from: number, to: number): string {
  let out = '';
  for (let i = from; i <= to; i++) out += `${prefix} ${i}\n`;
  return out;
}

export function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix} ${i}`);
  return out;
}
