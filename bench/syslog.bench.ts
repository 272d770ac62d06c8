/**
 * The syslog receiver (issue 7 budget: 300,000 RFC 5424 lines/s on one core from one connection):
 * - the pure framer + header parser + record builder on a buffer of 10,000 RFC 5424 lines in
 *   64 KiB chunks (what a socket read hands it);
 * - real TCP ingest over loopback: one connection writes 20,000 RFC 5424 lines, the receiver
 *   frames, parses, batches (1000) and hands them to a consumer that drops them; one operation
 *   ends when the last record was consumed. Client and receiver share this process and core.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Bench } from 'tinybench';
import type { Batch, Consumer } from '../core/api.js';
import { RecordingHost, testSettings } from '../core/testing.js';
import { createDefaultConfig } from '../plugins/receivers/syslog/config.js';
import { StreamFramer } from '../plugins/receivers/syslog/framer.js';
import type { FrameSink } from '../plugins/receivers/syslog/framer.js';
import { SyslogHeader, parseSyslog } from '../plugins/receivers/syslog/parse.js';
import { buildRecord } from '../plugins/receivers/syslog/record.js';
import type { RecordContext, SyslogRecord } from '../plugins/receivers/syslog/record.js';
import { SyslogReceiver } from '../plugins/receivers/syslog/syslog.js';

const PARSE_LINES = 10_000;
const TCP_LINES = 20_000;

/** Realistic auth.log traffic as rsyslog forwards it in RFC 5424 (about 150 bytes a line). */
function lines(n: number): Buffer {
  const out: string[] = [];
  const hosts = ['bastion-1', 'bastion-2', 'web-01', 'db-01'];
  for (let i = 0; i < n; i++) {
    const host = hosts[i % hosts.length]!;
    const pid = 1000 + (i % 5000);
    const stamp = `2026-05-01T19:${String(20 + (i % 40)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}+00:00`;
    const msg = i % 3 === 0
      ? `Failed password for invalid user admin${i % 50} from 203.0.113.${i % 250} port ${40000 + (i % 20000)} ssh2`
      : i % 3 === 1
        ? `Accepted publickey for user${i % 200} from 198.51.100.${i % 250} port ${40000 + (i % 20000)} ssh2: ED25519 SHA256:abc${i % 97}`
        : `pam_unix(sshd:session): session opened for user user${i % 200}(uid=${1000 + (i % 200)}) by (uid=0)`;
    out.push(`<38>1 ${stamp} ${host} sshd ${pid} - - ${msg}\n`);
  }
  return Buffer.from(out.join(''));
}

class ParseSink implements FrameSink {
  readonly header = new SyslogHeader();
  readonly ctx: RecordContext = { format: 'linux.auth', source: 'syslog/bench', mode: 'line', senderAddress: '127.0.0.1', senderPort: 40000 };
  records: SyslogRecord[] = [];
  frame(buf: Buffer, start: number, end: number): void {
    if (parseSyslog(buf, start, end, this.header)) this.records.push(buildRecord(buf, start, end, this.header, this.ctx, 1));
  }
  oversized(): void {}
  truncated(): void {}
}

/** Drops every batch; resolves a waiter once `target` records went by. */
class DroppingConsumer implements Consumer {
  seen = 0;
  target = 0;
  private wake: (() => void) | undefined;
  async consume(batch: Batch): Promise<void> {
    this.seen += batch.records.length;
    if (this.seen >= this.target && this.wake !== undefined) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
  }
  until(target: number): Promise<void> {
    this.target = target;
    if (this.seen >= target) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

let receiver: SyslogReceiver | undefined;
let client: Socket | undefined;

export async function register(bench: Bench): Promise<void> {
  const parseInput = lines(PARSE_LINES);
  const chunks: Buffer[] = [];
  for (let i = 0; i < parseInput.length; i += 65_536) chunks.push(parseInput.subarray(i, i + 65_536));
  const sink = new ParseSink();
  bench.add('syslog: frame + parse 10,000 RFC 5424 lines', () => {
    sink.records = [];
    const framer = new StreamFramer(sink, 65_536);
    for (const chunk of chunks) framer.push(chunk);
    if (sink.records.length !== PARSE_LINES) throw new Error(`parsed ${sink.records.length} of ${PARSE_LINES}`);
  });

  const consumer = new DroppingConsumer();
  receiver = new SyslogReceiver(testSettings('receiver', 'syslog/bench'), { ...createDefaultConfig(), endpoint: '127.0.0.1:0', batch_timeout: '1ms' }, consumer);
  await receiver.start(new RecordingHost());
  const port = receiver.address()!.port;
  const socket = await new Promise<Socket>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
  });
  client = socket;
  const tcpInput = lines(TCP_LINES);
  let sent = 0;
  bench.add('syslog: tcp ingest 20,000 RFC 5424 lines, one connection', async () => {
    sent += TCP_LINES;
    socket.write(tcpInput);
    await consumer.until(sent);
  });
}

export async function teardown(): Promise<void> {
  client?.destroy();
  await receiver?.shutdown();
}

export const eventsPerTask: Record<string, number> = {
  'syslog: frame + parse 10,000 RFC 5424 lines': PARSE_LINES,
  'syslog: tcp ingest 20,000 RFC 5424 lines, one connection': TCP_LINES,
};
