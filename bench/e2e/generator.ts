/**
 * The load generator (a child process of the harness): one TCP connection, `count` LF-framed
 * RFC 5424 lines with a Keycloak event in MSG (events.ts), either as fast as the receiver takes
 * them (each chunk waits for the socket to drain) or at a fixed rate (open loop: lines are written
 * on a 1 ms clock whether or not the receiver keeps up, until 8 MiB are buffered in this process).
 *
 * Every line's `time` is Date.now() when it is handed to the socket, so latency includes time
 * spent in socket buffers. Options arrive as JSON in argv[2]; the result goes back over IPC.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { EventLines } from './events.js';
import type { GeneratorOptions, GeneratorReply } from './protocol.js';

/** Lines per write in the as-fast-as-possible mode (~32 KiB). */
const CHUNK = 64;
/** Fixed rate: stop writing ahead of the receiver beyond this many buffered bytes. */
const MAX_BUFFERED = 8 * 1024 * 1024;

function reply(message: GeneratorReply): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(JSON.stringify(message) + '\n');
      resolve();
    } else process.send(message, () => resolve());
  });
}

async function flat(socket: Socket, lines: EventLines, count: number): Promise<{ firstByteAt: number; stalls: number }> {
  const firstByteAt = Date.now();
  let sent = 0;
  while (sent < count) {
    const n = Math.min(CHUNK, count - sent);
    const ok = socket.write(lines.chunk(sent, n, Date.now()));
    sent += n;
    if (!ok) await once(socket, 'drain');
  }
  return { firstByteAt, stalls: 0 };
}

async function paced(socket: Socket, lines: EventLines, count: number, rate: number): Promise<{ firstByteAt: number; stalls: number }> {
  const firstByteAt = Date.now();
  let sent = 0;
  let stalls = 0;
  while (sent < count) {
    const now = Date.now();
    // At least one line on the first tick, so the clock starts with the first byte.
    const due = Math.min(count, Math.max(1, Math.floor(((now - firstByteAt) * rate) / 1000)));
    if (due > sent) {
      socket.write(lines.chunk(sent, due - sent, now));
      sent = due;
    }
    if (socket.writableLength > MAX_BUFFERED) {
      stalls++;
      await once(socket, 'drain');
    } else if (sent < count) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return { firstByteAt, stalls };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as GeneratorOptions;
  const lines = new EventLines(options.tag);
  const socket = connect({ host: options.host, port: options.port, noDelay: true });
  await once(socket, 'connect');
  const { firstByteAt, stalls } = options.rate > 0 ? await paced(socket, lines, options.count, options.rate) : await flat(socket, lines, options.count);
  socket.end();
  await once(socket, 'finish');
  const lastByteAt = Date.now();
  const usage = process.cpuUsage();
  await reply({ type: 'sent', sent: options.count, firstByteAt, lastByteAt, stalls, cpuSeconds: (usage.user + usage.system) / 1e6 });
  socket.destroy();
  process.disconnect?.();
}

main().catch(async (error: unknown) => {
  await reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
