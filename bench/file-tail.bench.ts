/**
 * The file receiver's read path: lines per second from a large auth.log into a consumer that
 * drops every batch (reading, splitting, decoding, batching, checkpointing; no normalizing).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import type { Batch, Consumer } from '../core/api.js';
import { RecordingHost, testSettings } from '../core/testing.js';
import { fileReceiverFactory } from '../plugins/receivers/file/index.js';
import { FileReceiver } from '../plugins/receivers/file/file.js';

const LINES = 100_000;
const TASK = `file: tail ${LINES} auth.log lines (~110 B) into a dropping consumer`;

export const eventsPerTask: Record<string, number> = { [TASK]: LINES };

class Dropping implements Consumer {
  lines = 0;
  async consume(batch: Batch): Promise<void> {
    this.lines += batch.records.length;
  }
}

let root: string | undefined;

export function register(bench: Bench): void {
  root = mkdtempSync(join(tmpdir(), 'authwire-bench-file-'));
  const log = join(root, 'auth.log');
  const parts: string[] = [];
  for (let i = 0; i < LINES; i++) {
    parts.push(`Mar  1 12:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} bastion sshd[${1000 + (i % 9000)}]: Failed password for invalid user u${i % 997} from 203.0.113.${i % 250} port ${1024 + (i % 60000)} ssh2\n`);
  }
  writeFileSync(log, parts.join(''));
  let run = 0;
  bench.add(TASK, async () => {
    const dataDir = join(root!, `data-${run++}`);
    const consumer = new Dropping();
    const receiver = new FileReceiver(
      testSettings('receiver', 'file/bench', { dataDir }),
      { ...fileReceiverFactory.createDefaultConfig(), include: [log], start_at: 'beginning', batch_size: 1000 },
      consumer,
      { manual: true },
    );
    await receiver.start(new RecordingHost());
    while (await receiver.pollOnce());
    await receiver.shutdown();
    if (consumer.lines !== LINES) throw new Error(`read ${consumer.lines} lines, expected ${LINES}`);
  });
}

export async function teardown(): Promise<void> {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
}
