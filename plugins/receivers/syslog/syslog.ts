import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Batch, Consumer, CreateSettings, DeadLetter, Host, Receiver } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError, errorCode, errorMessage, isRetryable } from '../../../core/errors.js';
import { loadServerTls, parseEndpoint } from '../../../core/listener/endpoint.js';
import type { ListenAddress } from '../../../core/listener/endpoint.js';
import { LINE_FORMATS, createDefaultConfig } from './config.js';
import type { SyslogConfig, SyslogProtocol } from './config.js';
import { OVERSIZED_PREVIEW_BYTES, StreamFramer } from './framer.js';
import type { FrameSink } from './framer.js';
import { SyslogHeader, parseSyslog } from './parse.js';
import { SyslogRecord, buildRecord } from './record.js';
import type { PayloadMode, RecordContext } from './record.js';

/** Dead-letter reasons (also the suffix of the `refused_*` metrics). */
export const REFUSED = {
  MALFORMED: 'malformed',
  OVERSIZED: 'oversized',
  TRUNCATED: 'truncated',
  PIPELINE: 'pipeline',
  SHUTDOWN: 'shutdown',
} as const;

/** Knobs tests turn; not user configuration. */
export interface SyslogInternals {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** [0, 1): the jitter source. */
  random?: () => number;
}

/** UDP cannot push back on a sender: at most this many batches wait while one is in flight. */
export const UDP_QUEUE_BATCHES = 4;

/** The counters behind metrics(); one object, numeric fields only. */
class Counters {
  messages = 0;
  bytes = 0;
  records_delivered = 0;
  batches_delivered = 0;
  connections_accepted = 0;
  connections_idle_closed = 0;
  connection_errors = 0;
  consume_retries = 0;
  dead_letter_failures = 0;
  refused_malformed = 0;
  refused_oversized = 0;
  refused_truncated = 0;
  refused_max_connections = 0;
  refused_tls_handshake = 0;
  refused_queue_full = 0;
  refused_pipeline = 0;
  refused_shutdown = 0;
}

interface LaneOwner {
  pause(): void;
  resume(): void;
}

/**
 * Records waiting for the pipeline, from one connection (TCP/TLS) or from the UDP socket. At most
 * one consume is in flight per lane; while it is, a connection is paused, so a slow pipeline
 * slows the sender down (TCP window) instead of growing memory.
 */
class Lane {
  records: SyslogRecord[] = [];
  letters: DeadLetter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.draining === undefined) this.startDrain();
  };

  constructor(
    private readonly receiver: SyslogReceiver,
    private readonly owner: LaneOwner | undefined,
  ) {}

  get pending(): number {
    return this.records.length + this.letters.length;
  }

  get busy(): boolean {
    return this.draining !== undefined;
  }

  /** After new input: send when a batch is full (or when stopping), else wait batch_timeout for more. */
  poke(): void {
    if (this.draining !== undefined) return;
    const pending = this.records.length + this.letters.length;
    if (pending === 0) return;
    if (pending >= this.receiver.batchSize || this.receiver.stopping) this.startDrain();
    else if (this.timer === undefined) this.timer = setTimeout(this.onTimer, this.receiver.batchTimeoutMs);
  }

  /** Sends everything pending and waits for it; used when the connection ends and at shutdown. */
  async close(): Promise<void> {
    this.clearTimer();
    for (;;) {
      while (this.draining !== undefined) await this.draining;
      if (this.records.length + this.letters.length === 0) return;
      this.startDrain();
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private startDrain(): void {
    this.clearTimer();
    this.owner?.pause();
    this.draining = this.drain()
      // deliver() handles the pipeline's and the dead-letter output's errors; anything else is a
      // bug, reported rather than left to crash the process as an unhandled rejection.
      .catch((error: unknown) => this.receiver.reportError(error))
      .finally(() => {
        this.draining = undefined;
        this.owner?.resume();
        this.poke();
      });
  }

  private async drain(): Promise<void> {
    const size = this.receiver.batchSize;
    while (this.records.length + this.letters.length > 0) {
      let records = this.records;
      if (records.length <= size) this.records = [];
      else {
        this.records = records.slice(size);
        records = records.slice(0, size);
      }
      const letters = this.letters;
      this.letters = [];
      await this.receiver.deliver(records, letters);
    }
  }
}

/** One TCP or TLS connection: framer → parser → lane. */
class Connection implements FrameSink, LaneOwner {
  readonly lane: Lane;
  private readonly framer: StreamFramer;
  private readonly ctx: RecordContext;
  private observedTime = 0;
  private paused = false;
  closed = false;

  /** True while reading is stopped for the pipeline (or for shutdown). */
  get isPaused(): boolean {
    return this.paused;
  }

  constructor(
    private readonly receiver: SyslogReceiver,
    readonly socket: Socket,
  ) {
    this.lane = new Lane(receiver, this);
    this.framer = new StreamFramer(this, receiver.maxMessageBytes);
    this.ctx = receiver.recordContext(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error: Error) => this.receiver.connectionError(error));
    socket.on('close', () => this.onClose());
    if (receiver.idleTimeoutMs > 0) {
      socket.setTimeout(receiver.idleTimeoutMs);
      socket.on('timeout', () => this.onIdle());
    }
  }

  frame(buf: Buffer, start: number, end: number): void {
    this.receiver.onFrame(buf, start, end, this.ctx, this.observedTime, this.lane);
  }

  oversized(size: number, preview: Buffer): void {
    this.receiver.onOversized(size, preview, this.observedTime, this.lane);
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
    // Waiting on the pipeline is not idleness.
    if (this.receiver.idleTimeoutMs > 0) this.socket.setTimeout(0);
  }

  resume(): void {
    if (!this.paused || this.closed || this.receiver.stopping) return;
    this.paused = false;
    if (this.receiver.idleTimeoutMs > 0) this.socket.setTimeout(this.receiver.idleTimeoutMs);
    this.socket.resume();
  }

  /** Stops reading for good: shutdown. Whatever is pending still goes out through lane.close(). */
  stop(): void {
    this.paused = true;
    this.socket.pause();
    this.framer.reset();
  }

  private onData(chunk: Buffer): void {
    this.receiver.counters.bytes += chunk.length;
    this.observedTime = Date.now();
    this.framer.push(chunk);
    this.lane.poke();
  }

  private onEnd(): void {
    this.observedTime = Date.now();
    this.framer.end();
    this.lane.poke();
  }

  private onIdle(): void {
    if (this.paused || this.lane.busy) return;
    this.receiver.counters.connections_idle_closed++;
    this.socket.end();
    this.socket.destroySoon();
  }

  private onClose(): void {
    this.closed = true;
    this.receiver.connectionClosed(this);
  }

  truncated(preview: Buffer): void {
    this.receiver.onTruncated(preview, this.observedTime, this.lane);
  }
}

/**
 * The syslog receiver: one listener (TCP, TLS or UDP) on the configured address. See README.md
 * for framing, payloads, back-pressure and metrics.
 */
export class SyslogReceiver implements Receiver {
  readonly counters = new Counters();
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxMessageBytes: number;
  stopping = false;

  private readonly settings: CreateSettings;
  private readonly config: SyslogConfig;
  private readonly next: Consumer;
  private readonly listen: ListenAddress;
  private readonly protocol: SyslogProtocol;
  private readonly format: string;
  private readonly mode: PayloadMode;
  private readonly header = new SyslogHeader();
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly random: () => number;
  private readonly connections = new Set<Connection>();
  private readonly closing = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private host: Host | undefined;
  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  private udpLane: Lane | undefined;
  private readonly udpCtx = { format: '', source: '', mode: 'line' as PayloadMode, senderAddress: '', senderPort: 0 };
  private started = false;
  private stopped: Promise<void> | undefined;

  constructor(settings: CreateSettings, userConfig: SyslogConfig, next: Consumer, internals: SyslogInternals = {}) {
    const config: SyslogConfig = { ...createDefaultConfig(), ...userConfig };
    const name = settings.id;
    this.settings = settings;
    this.config = config;
    this.next = next;
    this.listen = parseEndpoint(config.endpoint, name);
    this.protocol = config.protocol;
    if (config.protocol === 'tls' && config.tls === undefined) throw new PermanentError('invalid_config', `${name}: protocol tls needs the tls section (cert_file, key_file)`);
    if (config.protocol !== 'tls' && config.tls !== undefined) throw new PermanentError('invalid_config', `${name}: the tls section is only used with protocol: tls (protocol is ${config.protocol})`);
    this.format = config.format;
    this.mode = config.payload === 'auto' ? (LINE_FORMATS.has(config.format) ? 'line' : 'message') : config.payload;
    this.batchSize = config.batch_size;
    this.batchTimeoutMs = parseDuration(config.batch_timeout);
    this.idleTimeoutMs = parseDuration(config.idle_timeout);
    this.maxMessageBytes = config.max_message_bytes;
    this.initialBackoffMs = internals.initialBackoffMs ?? 100;
    this.maxBackoffMs = internals.maxBackoffMs ?? 5000;
    this.random = internals.random ?? Math.random;
    this.udpCtx.format = this.format;
    this.udpCtx.source = settings.id;
    this.udpCtx.mode = this.mode;
  }

  /** The bound address (port 0 resolved), once started. */
  address(): AddressInfo | undefined {
    const address = this.server?.address() ?? this.udp?.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  metrics(): Readonly<Record<string, number>> {
    let pending = 0;
    let paused = 0;
    for (const connection of this.connections) {
      pending += connection.lane.pending;
      if (connection.isPaused) paused++;
    }
    if (this.udpLane !== undefined) pending += this.udpLane.pending;
    return { ...this.counters, connections_open: this.connections.size, connections_paused: paused, records_pending: pending };
  }

  async start(host: Host): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.host = host;
    const { host: address, port } = this.listen;
    if (this.protocol === 'udp') {
      const udp = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
      this.udp = udp;
      this.udpLane = new Lane(this, undefined);
      udp.on('message', (message: Buffer, remote: RemoteInfo) => this.onDatagram(message, remote));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, address, () => {
          udp.off('error', reject);
          resolve();
        });
      }).catch((error: unknown) => {
        throw new PermanentError('listen_failed', `${this.settings.id}: cannot listen on udp ${address}:${port}: ${errorCode(error)}`, { cause: error });
      });
      udp.on('error', (error: Error) => host.reportError(error));
      return;
    }
    let server: Server;
    if (this.protocol === 'tls') {
      const options = await loadServerTls(this.config.tls!, this.settings.id);
      server = createTlsServer(options, (socket) => this.onConnection(socket));
      server.on('tlsClientError', () => {
        this.counters.refused_tls_handshake++;
      });
    } else {
      server = createTcpServer((socket) => this.onConnection(socket));
    }
    // The server refuses connections beyond this itself (also those still in the TLS handshake).
    server.maxConnections = this.config.max_connections;
    server.on('drop', () => {
      this.counters.refused_max_connections++;
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw new PermanentError('listen_failed', `${this.settings.id}: cannot listen on ${this.protocol} ${address}:${port}: ${errorCode(error)}`, { cause: error });
    });
    server.on('error', (error: Error) => host.reportError(error));
  }

  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    const server = this.server;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    const lanes: Promise<void>[] = [...this.closing];
    for (const connection of this.connections) {
      connection.stop();
      lanes.push(connection.lane.close());
    }
    if (this.udp !== undefined) {
      const udp = this.udp;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      lanes.push(this.udpLane!.close());
    }
    await Promise.all(lanes);
    const sockets: Promise<void>[] = [];
    for (const connection of this.connections) {
      if (connection.closed) continue;
      sockets.push(new Promise<void>((resolve) => connection.socket.once('close', () => resolve())));
      connection.socket.destroy();
    }
    await Promise.all(sockets);
    // Their close handlers queued a (now empty) lane close each: wait for those too.
    await Promise.all([...this.closing]);
    await closed;
  }

  /** @internal */
  reportError(error: unknown): void {
    this.host?.reportError(error);
  }

  /** @internal */
  recordContext(senderAddress: string, senderPort: number): RecordContext {
    return { format: this.format, source: this.settings.id, mode: this.mode, senderAddress, senderPort };
  }

  private onConnection(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    this.counters.connections_accepted++;
    this.connections.add(new Connection(this, socket));
  }

  /** @internal */
  connectionClosed(connection: Connection): void {
    const done = connection.lane.close().then(() => {
      this.connections.delete(connection);
      this.closing.delete(done);
    });
    this.closing.add(done);
  }

  /** @internal */
  connectionError(_error: Error): void {
    // Resets and aborted handshakes are the network's business, not the pipeline's: counted only.
    this.counters.connection_errors++;
  }

  /** @internal The hot path: one frame from a framer or a datagram. */
  onFrame(buf: Buffer, start: number, end: number, ctx: RecordContext, observedTime: number, lane: Lane): void {
    const h = this.header;
    if (parseSyslog(buf, start, end, h)) {
      this.counters.messages++;
      lane.records.push(buildRecord(buf, start, end, h, ctx, observedTime));
      return;
    }
    this.counters.refused_malformed++;
    lane.letters.push({ reason: REFUSED.MALFORMED, detail: h.error, format: this.format, original: buf.toString('utf8', start, end), observedTime });
  }

  /** @internal */
  onOversized(size: number, preview: Buffer, observedTime: number, lane: Lane): void {
    this.counters.refused_oversized++;
    const detail = `message of ${size < 0 ? 'more than ' + this.maxMessageBytes : size} bytes exceeds max_message_bytes ${this.maxMessageBytes}; original holds its first ${OVERSIZED_PREVIEW_BYTES} bytes`;
    lane.letters.push({ reason: REFUSED.OVERSIZED, detail, format: this.format, original: preview.toString('utf8'), observedTime });
  }

  /** @internal */
  onTruncated(preview: Buffer, observedTime: number, lane: Lane): void {
    this.counters.refused_truncated++;
    lane.letters.push({ reason: REFUSED.TRUNCATED, detail: 'connection closed inside an octet-counted frame', format: this.format, original: preview.toString('utf8'), observedTime });
  }

  private onDatagram(message: Buffer, remote: RemoteInfo): void {
    const lane = this.udpLane!;
    this.counters.bytes += message.length;
    if (this.stopping) return;
    const observedTime = Date.now();
    // Bounded: the socket cannot be paused, so past this the datagram is dropped and counted.
    if (lane.pending >= this.batchSize * UDP_QUEUE_BATCHES) {
      this.counters.refused_queue_full++;
      return;
    }
    let end = message.length;
    // One trailing LF / CRLF / NUL is framing some senders add, not part of the message.
    const last = end > 0 ? message[end - 1] : -1;
    if (last === 0x0a) {
      end--;
      if (end > 0 && message[end - 1] === 0x0d) end--;
    } else if (last === 0x00) end--;
    if (end === 0) return;
    if (end > this.maxMessageBytes) {
      this.onOversized(end, message.subarray(0, OVERSIZED_PREVIEW_BYTES), observedTime, lane);
    } else {
      const ctx = this.udpCtx;
      ctx.senderAddress = remote.address;
      ctx.senderPort = remote.port;
      this.onFrame(message, 0, end, ctx, observedTime, lane);
    }
    lane.poke();
  }

  /**
   * Dead letters first, then the records: consume, retrying a retryable rejection with backoff
   * (the connection stays paused meanwhile); a permanent one dead-letters the batch. At shutdown
   * a batch gets one more try, then is dead-lettered rather than held forever.
   * @internal
   */
  async deliver(records: SyslogRecord[], letters: DeadLetter[]): Promise<void> {
    if (letters.length > 0) await this.deadLetter(letters);
    if (records.length === 0) return;
    const batch: Batch = { tenant: this.settings.tenant, records };
    let backoff = this.initialBackoffMs;
    for (;;) {
      try {
        await this.next.consume(batch);
        this.counters.records_delivered += records.length;
        this.counters.batches_delivered++;
        return;
      } catch (error) {
        this.host?.reportError(error);
        const retryable = isRetryable(error);
        if (!retryable || this.stopping) {
          const reason = retryable ? REFUSED.SHUTDOWN : REFUSED.PIPELINE;
          if (retryable) this.counters.refused_shutdown += records.length;
          else this.counters.refused_pipeline += records.length;
          const detail = retryable ? `still refused at shutdown: ${errorMessage(error)}` : `refused by the pipeline (${errorCode(error)}): ${errorMessage(error)}`;
          await this.deadLetter(records.map((r) => ({ reason, detail, format: r.format, original: r.payload, observedTime: r.observedTime })));
          return;
        }
        this.counters.consume_retries++;
        await this.sleep(backoff * (0.5 + this.random()));
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  private async deadLetter(letters: DeadLetter[]): Promise<void> {
    try {
      await this.host?.deadLetter(this.settings.tenant, letters);
    } catch (error) {
      this.counters.dead_letter_failures += letters.length;
      this.host?.reportError(error);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
