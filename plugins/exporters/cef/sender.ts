/**
 * Sends encoded syslog messages: one persistent TCP or TLS connection (every request written as
 * one buffer, so concurrent requests never interleave), or UDP datagrams.
 *
 * Delivery, honestly: syslog over TCP has no application-level acknowledgement (RFC 6587). A
 * request counts as sent once the kernel took its bytes; bytes written just before the peer drops
 * the connection can be lost without any error (at-most-once for that window). Failures the
 * sender does see (refused connection, reset, write error, timeout) reject retryably and the
 * helper sends the whole request again, so a request that was partly delivered can arrive twice
 * (at-least-once for those). UDP is fire-and-forget: only local send errors are seen.
 */
import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, isIP, isIPv6 } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { CreateSettings, Logger, PipelineRecord } from '../../../core/api.js';
import { errorCode, errorMessage, RetryableError } from '../../../core/errors.js';
import type { ExportRequest, Sender } from '../../../core/exporter/sender.js';
import type { CefExporterConfig, Endpoint } from './config.js';
import { defaultHostname, facilityNumber, invalidConfig, parseEndpoint } from './config.js';
import { CefEncoder } from './encoder.js';

export interface CefSenderOptions {
  /** First wait before reconnecting after a failed connection attempt (doubles per failure). */
  readonly reconnectInitialMs?: number;
  readonly reconnectMaxMs?: number;
  /** How long `shutdown` waits for the peer to close before destroying the socket. */
  readonly closeTimeoutMs?: number;
}

export const RECONNECT_INITIAL_MS = 100;
export const RECONNECT_MAX_MS = 10_000;

/** Builds the encoder a config describes (also used by the benchmark and tests). */
export function encoderFor(config: CefExporterConfig, endpoint: Endpoint): CefEncoder {
  return new CefEncoder({
    deviceVendor: config.device_vendor,
    deviceProduct: config.device_product,
    deviceVersion: config.device_version,
    syslogFormat: config.syslog_format,
    framing: endpoint.transport === 'udp' ? 'none' : config.framing,
    facility: facilityNumber(config.facility),
    appName: config.app_name,
    hostname: config.hostname ?? defaultHostname(),
    maxMessageBytes: config.max_message_bytes,
  });
}

function retryable(code: string, message: string, cause?: unknown, retryAfterMs?: number): RetryableError {
  return new RetryableError(code, message, retryAfterMs === undefined ? { cause } : { cause, retryAfterMs });
}

export class CefSender implements Sender<Buffer> {
  readonly endpoint: Endpoint;
  readonly encoder: CefEncoder;
  private readonly logger: Logger;
  private readonly config: CefExporterConfig;
  private readonly reconnectInitialMs: number;
  private readonly reconnectMaxMs: number;
  private readonly closeTimeoutMs: number;
  private tlsOptions: ConnectionOptions | undefined;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private udp: DgramSocket | undefined;
  private udpConnecting: Promise<DgramSocket> | undefined;
  private failures = 0;
  private nextAttemptAt = 0;
  private closed = false;
  private readonly missingEndpoint: boolean;
  /** Counters for tests and logs. */
  connects = 0;
  disconnects = 0;

  constructor(settings: CreateSettings, config: CefExporterConfig, options: CefSenderOptions = {}) {
    this.logger = settings.logger;
    this.config = config;
    // A missing endpoint fails start(), not create(): the host reports it first, and a component
    // must be creatable (and shut down) from its default config.
    this.missingEndpoint = config.endpoint === undefined;
    this.endpoint = this.missingEndpoint ? { transport: 'tcp', host: '', port: 0 } : parseEndpoint(config.endpoint);
    if (config.tls !== undefined && this.endpoint.transport !== 'tls') throw invalidConfig('tls is set but the endpoint is not tls://');
    if ((config.tls?.cert_file === undefined) !== (config.tls?.key_file === undefined)) throw invalidConfig('tls.cert_file and tls.key_file go together');
    this.encoder = encoderFor(config, this.endpoint);
    this.reconnectInitialMs = options.reconnectInitialMs ?? RECONNECT_INITIAL_MS;
    this.reconnectMaxMs = options.reconnectMaxMs ?? RECONNECT_MAX_MS;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2000;
  }

  prepare(record: PipelineRecord): Buffer {
    return this.encoder.encode(record);
  }

  sizeOf(item: Buffer): number {
    return item.length;
  }

  /** Reads the TLS files (a missing or unreadable file fails the start). Connects lazily, on the first send. */
  async start(): Promise<void> {
    if (this.missingEndpoint) throw invalidConfig('endpoint is required');
    this.closed = false;
    if (this.endpoint.transport !== 'tls') return;
    const tls = this.config.tls ?? {};
    const read = async (key: 'ca_file' | 'cert_file' | 'key_file'): Promise<Buffer | undefined> => {
      const path = tls[key];
      if (path === undefined) return undefined;
      try {
        return await readFile(path);
      } catch (error) {
        // The path and the system code only: never the file's contents.
        throw invalidConfig(`cannot read tls.${key} ${path}: ${errorCode(error)}`);
      }
    };
    const [ca, cert, key] = [await read('ca_file'), await read('cert_file'), await read('key_file')];
    const servername = tls.server_name ?? (isIP(this.endpoint.host) === 0 ? this.endpoint.host : undefined);
    this.tlsOptions = {
      host: this.endpoint.host,
      port: this.endpoint.port,
      rejectUnauthorized: tls.insecure_skip_verify !== true,
      ...(servername === undefined ? {} : { servername }),
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
  }

  async send(request: ExportRequest<Buffer>, signal: AbortSignal): Promise<void> {
    if (this.closed) throw retryable('shut_down', 'cef exporter: sender is shut down');
    if (this.missingEndpoint) throw invalidConfig('endpoint is required');
    if (signal.aborted) throw retryable('timeout', 'cef exporter: send aborted');
    if (this.endpoint.transport === 'udp') return this.sendUdp(request, signal);
    const socket = await this.connection(signal);
    const payload = request.items.length === 1 ? request.items[0]! : Buffer.concat(request.items as Buffer[]);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        // A half-written frame would corrupt the stream: drop the connection, resend on a new one.
        socket.destroy();
        reject(retryable('timeout', `cef exporter: write to ${this.where()} timed out or was aborted`));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.write(payload, (error) => {
        signal.removeEventListener('abort', onAbort);
        if (error) {
          this.drop(socket);
          reject(retryable('write_failed', `cef exporter: write to ${this.where()} failed: ${errorMessage(error)}`, error));
        } else resolve();
      });
    });
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => socket.destroy(), this.closeTimeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
    }
    const connecting = this.connecting;
    if (connecting !== undefined) {
      try {
        (await connecting).destroy();
      } catch {
        // it failed: nothing to close
      }
    }
    const udp = this.udp ?? (await this.udpConnecting?.catch(() => undefined));
    this.udp = undefined;
    if (udp !== undefined) {
      await new Promise<void>((resolve) => {
        try {
          udp.close(() => resolve());
        } catch {
          resolve(); // already closed after an error
        }
      });
    }
  }

  private where(): string {
    return `${this.endpoint.transport}://${isIPv6(this.endpoint.host) ? `[${this.endpoint.host}]` : this.endpoint.host}:${this.endpoint.port}`;
  }

  /** The open connection, or a new one, unless the reconnect back-off says wait. */
  private async connection(signal: AbortSignal): Promise<Socket> {
    const current = this.socket;
    if (current !== undefined && !current.destroyed && current.writable) return current;
    if (this.connecting === undefined) {
      const wait = this.nextAttemptAt - Date.now();
      if (wait > 0) throw retryable('reconnect_backoff', `cef exporter: ${this.where()} unreachable, next attempt in ${wait} ms`, undefined, wait);
      this.connecting = this.connect().finally(() => {
        this.connecting = undefined;
      });
    }
    return abortable(this.connecting, signal, () => retryable('timeout', `cef exporter: connecting to ${this.where()} timed out or was aborted`));
  }

  private connect(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const tls = this.endpoint.transport === 'tls';
      const socket = tls ? tlsConnect(this.tlsOptions ?? { host: this.endpoint.host, port: this.endpoint.port }) : netConnect({ host: this.endpoint.host, port: this.endpoint.port });
      const onError = (error: Error): void => {
        socket.destroy();
        this.failures++;
        const delay = Math.min(this.reconnectMaxMs, this.reconnectInitialMs * 2 ** Math.min(this.failures - 1, 20));
        this.nextAttemptAt = Date.now() + delay;
        if (this.failures === 1) this.logger.warn('cef exporter: cannot connect', { endpoint: this.where(), code: errorCode(error), error: errorMessage(error) });
        reject(retryable('connection_failed', `cef exporter: cannot connect to ${this.where()}: ${errorMessage(error)}`, error, delay));
      };
      socket.once('error', onError);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        socket.removeListener('error', onError);
        if (this.closed) {
          socket.destroy();
          reject(retryable('shut_down', 'cef exporter: sender is shut down'));
          return;
        }
        if (this.failures > 0) this.logger.info('cef exporter: connected again', { endpoint: this.where(), failed_attempts: this.failures });
        this.failures = 0;
        this.nextAttemptAt = 0;
        this.connects++;
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        // Syslog peers do not talk back; reading keeps 'end' coming when the peer closes.
        socket.resume();
        socket.on('error', (error) => {
          this.logger.warn('cef exporter: connection error', { endpoint: this.where(), code: errorCode(error), error: errorMessage(error) });
          this.drop(socket);
        });
        socket.on('end', () => this.drop(socket));
        socket.on('close', () => this.drop(socket));
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) {
      this.socket = undefined;
      this.disconnects++;
    }
    if (!socket.destroyed) socket.destroy();
  }

  private async udpSocket(signal: AbortSignal): Promise<DgramSocket> {
    if (this.udp !== undefined) return this.udp;
    if (this.udpConnecting === undefined) {
      const wait = this.nextAttemptAt - Date.now();
      if (wait > 0) throw retryable('reconnect_backoff', `cef exporter: ${this.where()} unreachable, next attempt in ${wait} ms`, undefined, wait);
      this.udpConnecting = new Promise<DgramSocket>((resolve, reject) => {
        const socket = createSocket(isIPv6(this.endpoint.host) ? 'udp6' : 'udp4');
        const onError = (error: Error): void => {
          closeQuietly(socket);
          this.failures++;
          const delay = Math.min(this.reconnectMaxMs, this.reconnectInitialMs * 2 ** Math.min(this.failures - 1, 20));
          this.nextAttemptAt = Date.now() + delay;
          reject(retryable('connection_failed', `cef exporter: cannot use ${this.where()}: ${errorMessage(error)}`, error, delay));
        };
        socket.once('error', onError);
        socket.connect(this.endpoint.port, this.endpoint.host, () => {
          socket.removeListener('error', onError);
          this.failures = 0;
          this.nextAttemptAt = 0;
          this.connects++;
          socket.on('error', (error) => {
            this.logger.warn('cef exporter: udp error', { endpoint: this.where(), code: errorCode(error), error: errorMessage(error) });
            if (this.udp === socket) this.udp = undefined;
            closeQuietly(socket);
          });
          this.udp = socket;
          resolve(socket);
        });
      }).finally(() => {
        this.udpConnecting = undefined;
      });
    }
    return abortable(this.udpConnecting, signal, () => retryable('timeout', `cef exporter: opening ${this.where()} was aborted`));
  }

  private async sendUdp(request: ExportRequest<Buffer>, signal: AbortSignal): Promise<void> {
    const socket = await this.udpSocket(signal);
    // One datagram per message; the encoder keeps each within max_message_bytes.
    await new Promise<void>((resolve, reject) => {
      let pending = request.items.length;
      let failed = false;
      if (pending === 0) resolve();
      for (const item of request.items) {
        socket.send(item, (error) => {
          if (failed) return;
          if (error) {
            failed = true;
            if (this.udp === socket) this.udp = undefined;
            closeQuietly(socket);
            reject(retryable('send_failed', `cef exporter: udp send to ${this.where()} failed: ${errorMessage(error)}`, error));
          } else if (--pending === 0) resolve();
        });
      }
    });
  }
}

/** Waits for `promise` unless `signal` aborts first (the shared promise itself goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, error: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(error());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (reason: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(reason);
      },
    );
  });
}

function closeQuietly(socket: DgramSocket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
