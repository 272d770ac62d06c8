/**
 * The CEF sink (a child process of the harness): a TCP server that reads syslog frames (RFC 6587:
 * LF-terminated or octet-counted, decided per frame), checks each message strictly (cef.ts), and
 * accounts for every event of the run the harness announced: received once, duplicated, lost,
 * malformed, and (for the latency phase) receipt time − `rt` in a 1 ms histogram.
 *
 * One sink serves every variant and every run, so the exporters keep their connections; each
 * event's id names its run (`<tag>-<seq>`), so stragglers of an earlier run never count for the
 * next one. Talks to the harness over IPC (protocol.ts).
 */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { readCef } from './cef.js';
import type { LatencySummary, SinkExpect, SinkFinal, SinkReply, SinkRequest, SinkRunResult } from './protocol.js';

/** Latency histogram: 1 ms buckets up to 2 minutes; the last bucket holds anything longer. */
const LATENCY_BUCKETS = 120_001;
/** Longest frame accepted before the connection is judged out of step. */
const MAX_FRAME = 1024 * 1024;
const DETECTION_CATEGORY = 'Detection Finding';

class RunState {
  readonly seen: Uint8Array;
  received = 0;
  duplicates = 0;
  malformed = 0;
  readonly malformedSamples: string[] = [];
  detections = 0;
  foreign = 0;
  firstReceivedAt = 0;
  lastReceivedAt = 0;
  lastProgressAt = Date.now();
  done = false;
  lateDuplicates = 0;
  lateArrivals = 0;
  readonly histogram: Uint32Array | undefined;
  negative = 0;
  latencySum = 0;

  constructor(readonly expect: SinkExpect) {
    this.seen = new Uint8Array(expect.count);
    this.histogram = expect.latency ? new Uint32Array(LATENCY_BUCKETS) : undefined;
  }
}

const runs = new Map<string, RunState>();
let current: RunState | undefined;
// Outside any open run.
let idleMalformed = 0;
let idleDetections = 0;
let idleForeign = 0;
const detectionsByHost = new Map<string, number>();

function send(message: SinkReply): void {
  if (process.send !== undefined) process.send(message);
  else process.stdout.write(JSON.stringify(message) + '\n');
}

function percentile(histogram: Uint32Array, total: number, fraction: number): number {
  const rank = Math.max(1, Math.ceil(total * fraction));
  let cumulative = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    cumulative += histogram[ms]!;
    if (cumulative >= rank) return ms;
  }
  return histogram.length - 1;
}

function latencyOf(state: RunState): LatencySummary | undefined {
  const histogram = state.histogram;
  if (histogram === undefined || state.received === 0) return undefined;
  let max = 0;
  for (let ms = histogram.length - 1; ms >= 0; ms--) {
    if (histogram[ms]! > 0) {
      max = ms;
      break;
    }
  }
  return {
    p50Ms: percentile(histogram, state.received, 0.5),
    p99Ms: percentile(histogram, state.received, 0.99),
    maxMs: max,
    meanMs: state.latencySum / state.received,
    negative: state.negative,
  };
}

function finish(state: RunState, timedOut: boolean): void {
  state.done = true;
  if (current === state) current = undefined;
  const result: SinkRunResult = {
    type: 'result',
    tag: state.expect.tag,
    count: state.expect.count,
    received: state.received,
    duplicates: state.duplicates,
    lost: state.expect.count - state.received,
    malformed: state.malformed,
    malformedSamples: state.malformedSamples,
    detections: state.detections,
    foreign: state.foreign,
    firstReceivedAt: state.firstReceivedAt,
    lastReceivedAt: state.lastReceivedAt,
    timedOut,
    latency: latencyOf(state),
  };
  send(result);
}

/** Checks one message and counts it for its run (by `externalId` = `<tag>-<seq>`), a finding, or neither. */
function account(line: string, now: number): void {
  let facts;
  try {
    facts = readCef(line);
  } catch (error) {
    if (current !== undefined) {
      current.malformed++;
      if (current.malformedSamples.length < 3) current.malformedSamples.push(`${(error as Error).message}: ${line.slice(0, 300)}`);
    } else idleMalformed++;
    return;
  }
  const id = facts.externalId;
  const dash = id.indexOf('-');
  const state = dash > 0 ? runs.get(id.slice(0, dash)) : undefined;
  if (state === undefined) {
    if (facts.category === DETECTION_CATEGORY) {
      detectionsByHost.set(facts.hostname, (detectionsByHost.get(facts.hostname) ?? 0) + 1);
      if (current !== undefined) current.detections++;
      else idleDetections++;
    } else if (current !== undefined) current.foreign++;
    else idleForeign++;
    return;
  }
  const seq = Number(id.slice(dash + 1));
  if (!Number.isInteger(seq) || seq < 0 || seq >= state.seen.length) {
    if (current !== undefined) current.foreign++;
    else idleForeign++;
    return;
  }
  if (state.done) {
    if (state.seen[seq] === 1) state.lateDuplicates++;
    else {
      state.seen[seq] = 1;
      state.lateArrivals++;
    }
    return;
  }
  if (state.seen[seq] === 1) {
    state.duplicates++;
    return;
  }
  state.seen[seq] = 1;
  state.received++;
  if (state.firstReceivedAt === 0) state.firstReceivedAt = now;
  state.lastReceivedAt = now;
  state.lastProgressAt = now;
  if (state.histogram !== undefined) {
    let latency = now - facts.rt;
    if (latency < 0) {
      state.negative++;
      latency = 0;
    }
    state.latencySum += latency;
    state.histogram[Math.min(latency, LATENCY_BUCKETS - 1)]!++;
  }
}

function checkComplete(): void {
  if (current !== undefined && current.received === current.expect.count) finish(current, false);
}

/** Splits a connection's bytes into frames: octet-counted when a frame starts with a digit, else up to LF. */
function attach(socket: Socket): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const now = Date.now();
    const buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (offset < buffer.length) {
      const first = buffer[offset]!;
      if (first >= 0x31 && first <= 0x39) {
        const space = buffer.indexOf(0x20, offset);
        if (space < 0 || space - offset > 9) {
          if (space < 0 && buffer.length - offset <= 9) break;
          account(buffer.toString('latin1', offset, Math.min(buffer.length, offset + 40)), now);
          socket.destroy();
          return;
        }
        const length = Number(buffer.toString('latin1', offset, space));
        if (buffer.length < space + 1 + length) break;
        account(buffer.toString('utf8', space + 1, space + 1 + length), now);
        offset = space + 1 + length;
      } else if (first === 0x0a) {
        offset++; // an empty frame
      } else {
        const lf = buffer.indexOf(0x0a, offset);
        if (lf < 0) break;
        account(buffer.toString('utf8', offset, lf), now);
        offset = lf + 1;
      }
    }
    pending = offset === buffer.length ? Buffer.alloc(0) : buffer.subarray(offset);
    if (pending.length > MAX_FRAME) {
      account(pending.toString('utf8', 0, 300), now);
      pending = Buffer.alloc(0);
      socket.destroy();
    }
    checkComplete();
  });
  socket.on('error', () => undefined);
}

const server = createServer({ noDelay: true }, attach);
server.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.address() as AddressInfo).port }));

const idleCheck = setInterval(() => {
  if (current !== undefined && Date.now() - current.lastProgressAt > current.expect.idleTimeoutMs) finish(current, true);
}, 100);

process.on('message', (message: SinkRequest) => {
  if (message.type === 'expect') {
    if (current !== undefined) finish(current, true);
    const state = new RunState(message);
    runs.set(message.tag, state);
    current = state;
    send({ type: 'ready', tag: message.tag });
  } else if (message.type === 'final') {
    const late: SinkFinal['late'] = {};
    for (const [tag, state] of runs) {
      if (state.lateDuplicates > 0 || state.lateArrivals > 0) late[tag] = { duplicates: state.lateDuplicates, arrivals: state.lateArrivals };
    }
    send({ type: 'final', late, detectionsByHost: Object.fromEntries(detectionsByHost), malformed: idleMalformed, detections: idleDetections, foreign: idleForeign });
  } else if (message.type === 'exit') {
    clearInterval(idleCheck);
    server.close();
    process.disconnect?.();
    setTimeout(() => process.exit(0), 100).unref();
  }
});
process.on('disconnect', () => process.exit(0));
