/**
 * The otlp receiver: OTLP/HTTP (POST /v1/logs, protobuf or JSON, gzip/deflate) and, when
 * `grpc_endpoint` is set, OTLP/gRPC (LogsService/Export). Each request becomes one batch; the
 * reply is sent only after `consume` settled, so a 200 means the pipeline took the records.
 *
 * Replies (OTLP/HTTP; gRPC in grpc.ts):
 * - 200 ExportLogsServiceResponse, in the request's encoding; a partial success counts the log
 *   records refused (empty or unsupported body, no format), which are dead-lettered;
 * - 400 undecodable (dead-lettered as `malformed_request`, the first 64 KiB), 401 missing or
 *   wrong bearer token, 404 other paths, 405 other methods, 413 body (or its decompressed form)
 *   over `max_request_bytes`, 415 other content types or encodings;
 * - 429 (the downstream queue is full) or 503 (any other retryable refusal, a dead-letter output
 *   that cannot be written, shutting down) with Retry-After, as the OTLP spec's throttling says.
 * A permanent refusal by the pipeline dead-letters the batch with the error's code and answers 200
 * with every record counted as rejected: retrying cannot help, and nothing is lost.
 * Error bodies are a google.rpc.Status (protobuf, or JSON for JSON requests).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, inflate as inflateCallback } from 'node:zlib';
import type { Batch, Consumer, CreateSettings, DeadLetter, Host, RawRecord, Receiver } from '../../../core/api.js';
import { PermanentError, errorCode, errorMessage, isRetryable } from '../../../core/errors.js';
import { loadServerTls, parseEndpoint } from '../../../core/listener/endpoint.js';
import type { ListenAddress } from '../../../core/listener/endpoint.js';
import { ExportLogsServiceResponseType, LOGS_PATH, StatusType } from '../../shared/otlp/messages.js';
import { createDefaultConfig } from './config.js';
import type { OtlpReceiverConfig } from './config.js';
import { MalformedRequestError, decodeProtoRequest, parseJsonRequest, rejectionMessage, toRawRecords } from './decode.js';
import { GrpcListener } from './grpc.js';

const gunzip = promisify(gunzipCallback);
const inflate = promisify(inflateCallback);

/** A malformed request is dead-lettered with at most this many of its bytes. */
export const MAX_DEAD_LETTER_BYTES = 65_536;
/** Retry-After when the refusal did not say how long to wait. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** What became of a request, for either transport to answer. */
export type IngestResult =
  | { readonly kind: 'accepted'; readonly rejected: number; readonly message: string }
  | { readonly kind: 'retry'; readonly throttled: boolean; readonly retryAfterMs: number; readonly message: string };

type Encoding = 'proto' | 'json';

/** gRPC codes put in the google.rpc.Status of HTTP error bodies. */
const STATUS_CODE_OF: Readonly<Record<number, number>> = { 400: 3, 401: 16, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

function contentEncodingOf(type: string | undefined): Encoding | undefined {
  if (type === undefined) return undefined;
  const base = type.split(';')[0]!.trim().toLowerCase();
  if (base === 'application/x-protobuf' || base === 'application/protobuf') return 'proto';
  if (base === 'application/json') return 'json';
  return undefined;
}

export class OtlpReceiver implements Receiver {
  private readonly id: string;
  private readonly tenant: string;
  private readonly config: OtlpReceiverConfig;
  private readonly httpAt: ListenAddress;
  private readonly grpcAt: ListenAddress | undefined;
  private readonly tokenDigests: Buffer[];
  private host: Host | undefined;
  private server: Server | undefined;
  private grpc: GrpcListener | undefined;
  private stopping = false;
  private started = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly counters = {
    requests: 0,
    records_accepted: 0,
    records_rejected: 0,
    requests_malformed: 0,
    requests_too_large: 0,
    requests_unsupported: 0,
    requests_unauthorized: 0,
    requests_refused_retryable: 0,
  };

  constructor(
    private readonly settings: CreateSettings,
    userConfig: OtlpReceiverConfig,
    private readonly next: Consumer,
  ) {
    this.config = { ...createDefaultConfig(), ...userConfig };
    this.id = settings.id;
    this.tenant = settings.tenant;
    this.httpAt = parseEndpoint(this.config.endpoint, this.id);
    this.grpcAt = this.config.grpc_endpoint === undefined ? undefined : parseEndpoint(this.config.grpc_endpoint, this.id);
    if (this.grpcAt !== undefined && this.grpcAt.port !== 0 && this.grpcAt.port === this.httpAt.port && this.grpcAt.host === this.httpAt.host) {
      throw new PermanentError('invalid_endpoint', `${this.id}: endpoint and grpc_endpoint are both ${this.config.endpoint}; gRPC needs its own port (4317 by convention)`);
    }
    if (this.grpcAt !== undefined && this.config.tls?.client_auth === 'request') {
      throw new PermanentError('invalid_tls', `${this.id}: tls.client_auth request cannot be served on grpc_endpoint (grpc-js checks client certificates always or never); use require or none`);
    }
    this.tokenDigests = this.config.tokens.map((token) => digest(token));
  }

  /** The HTTP listener's address once started (port 0 resolved). */
  httpAddress(): ListenAddress | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === 'object' ? { host: (address as AddressInfo).address, port: (address as AddressInfo).port } : undefined;
  }

  /** The gRPC listener's address once started; undefined without grpc_endpoint. */
  grpcAddress(): ListenAddress | undefined {
    return this.grpc?.address();
  }

  metrics(): Readonly<Record<string, number>> {
    return { ...this.counters };
  }

  async start(host: Host): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.host = host;
    const tls = this.config.tls === undefined ? undefined : await loadServerTls(this.config.tls, this.id);
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handleHttp(req, res);
    const server = tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler);
    this.server = server;
    server.listen(this.httpAt.port, this.httpAt.host);
    try {
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
    } catch (error) {
      this.server = undefined;
      throw new PermanentError('listen_failed', `${this.id}: cannot listen on ${this.config.endpoint}: ${errorMessage(error)}`, { cause: error });
    }
    server.on('error', (error) => this.host?.reportError(error));
    if (this.grpcAt !== undefined) {
      const grpc = new GrpcListener(this, this.id, this.config.max_request_bytes, tls === undefined ? undefined : { cert: tls.cert as Buffer, key: tls.key as Buffer, ca: tls.ca as Buffer | undefined, require: tls.rejectUnauthorized });
      try {
        await grpc.listen(this.grpcAt);
      } catch (error) {
        await this.closeHttp();
        throw new PermanentError('listen_failed', `${this.id}: cannot listen on grpc_endpoint ${this.config.grpc_endpoint}: ${errorMessage(error)}`, { cause: error });
      }
      this.grpc = grpc;
    }
    this.settings.logger.info('otlp receiver listening', { http: this.httpAddress(), grpc: this.grpcAddress() });
  }

  async shutdown(): Promise<void> {
    if (this.stopping && this.server === undefined && this.grpc === undefined) return;
    this.stopping = true;
    // Stop taking connections, let in-flight requests finish (their consume settles), then close.
    const server = this.server;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    server?.closeIdleConnections();
    const grpc = this.grpc;
    this.grpc = undefined;
    const grpcClosed = grpc?.close() ?? Promise.resolve();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    server?.closeAllConnections();
    await closed;
    await grpcClosed;
    this.server = undefined;
  }

  private async closeHttp(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** True when no tokens are configured, or `authorization` is `Bearer <one of them>`. */
  authorized(authorization: string | undefined): boolean {
    if (this.tokenDigests.length === 0) return true;
    if (authorization === undefined) return false;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match === null) return false;
    const presented = digest(match[1]!);
    let ok = false;
    for (const known of this.tokenDigests) ok = timingSafeEqual(presented, known) || ok;
    return ok;
  }

  reportError(error: unknown): void {
    this.host?.reportError(error);
  }

  /** Counts a refusal made before the request reached the pipeline. */
  count(what: 'requests_malformed' | 'requests_too_large' | 'requests_unsupported' | 'requests_unauthorized'): void {
    this.counters[what]++;
  }

  /** Keeps an undecodable request, bounded, so an operator can see what the client sent. */
  async deadLetterMalformed(body: Uint8Array, detail: string, observedTime: number): Promise<void> {
    const original = body.length > MAX_DEAD_LETTER_BYTES ? Buffer.from(body.subarray(0, MAX_DEAD_LETTER_BYTES)) : Buffer.from(body);
    const cut = body.length > MAX_DEAD_LETTER_BYTES ? ` (first ${MAX_DEAD_LETTER_BYTES} of ${body.length} bytes kept)` : '';
    try {
      await this.host?.deadLetter(this.tenant, [{ reason: 'malformed_request', detail: `${detail}${cut}`, format: undefined, original, observedTime }]);
    } catch (error) {
      this.host?.reportError(error);
    }
  }

  /**
   * Takes one decoded ExportLogsServiceRequest: dead-letters the records it refuses, hands the rest
   * to the pipeline as one batch, and says what to answer. MalformedRequestError when the request's
   * structure is wrong. Never rejects otherwise.
   */
  ingest(request: Record<string, unknown>, observedTime: number): Promise<IngestResult> {
    const work = this.ingestNow(request, observedTime);
    this.inFlight.add(work);
    void work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }

  private async ingestNow(request: Record<string, unknown>, observedTime: number): Promise<IngestResult> {
    this.counters.requests++;
    if (this.stopping || this.host === undefined) return this.refuse(false, DEFAULT_RETRY_AFTER_MS, `${this.id} is shutting down`);
    const host = this.host;
    const conversion = toRawRecords(request, { source: this.id, observedTime, format: this.config.format, formatAttribute: this.config.format_attribute });
    const rejected: DeadLetter[] = conversion.rejected;
    if (rejected.length > 0) {
      try {
        await host.deadLetter(this.tenant, rejected);
      } catch (error) {
        host.reportError(error);
        return this.refuse(false, DEFAULT_RETRY_AFTER_MS, `${this.id}: the dead-letter output cannot be written: ${errorMessage(error)}`);
      }
    }
    let refusedByPipeline: DeadLetter[] = [];
    if (conversion.records.length > 0) {
      const batch: Batch = { tenant: this.tenant, records: conversion.records };
      try {
        await this.next.consume(batch);
      } catch (error) {
        if (isRetryable(error)) {
          const hint = (error as { retryAfterMs?: unknown }).retryAfterMs;
          return this.refuse(errorCode(error) === 'queue_full', typeof hint === 'number' && hint > 0 ? hint : DEFAULT_RETRY_AFTER_MS, `${this.id}: the pipeline cannot take the records now: ${errorMessage(error)}`);
        }
        host.reportError(error);
        refusedByPipeline = conversion.records.map((record: RawRecord) => ({
          reason: errorCode(error),
          detail: `the pipeline refused the batch: ${errorMessage(error)}`,
          format: record.format,
          original: record.payload,
          observedTime,
        }));
        try {
          await host.deadLetter(this.tenant, refusedByPipeline);
        } catch (dlError) {
          host.reportError(dlError);
          return this.refuse(false, DEFAULT_RETRY_AFTER_MS, `${this.id}: the dead-letter output cannot be written: ${errorMessage(dlError)}`);
        }
      }
    }
    const refused = rejected.length + refusedByPipeline.length;
    this.counters.records_accepted += conversion.records.length - refusedByPipeline.length;
    this.counters.records_rejected += refused;
    if (refused === 0) return { kind: 'accepted', rejected: 0, message: '' };
    const message = refusedByPipeline.length > 0 ? `${refused} of ${conversion.total} log records rejected: ${refusedByPipeline[0]!.detail}` : rejectionMessage(rejected, conversion.total);
    return { kind: 'accepted', rejected: refused, message };
  }

  private refuse(throttled: boolean, retryAfterMs: number, message: string): IngestResult {
    this.counters.requests_refused_retryable++;
    return { kind: 'retry', throttled, retryAfterMs, message };
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    this.serveHttp(req, res).catch((error: unknown) => {
      // A client that went away mid-request is not an error of ours.
      if (req.destroyed || res.destroyed) return;
      this.host?.reportError(error);
      if (!res.headersSent) this.replyStatus(res, 500, 'proto', 'internal error');
      else res.destroy();
    });
  }

  private async serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const observedTime = Date.now();
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const encoding: Encoding = contentEncodingOf(req.headers['content-type']) === 'json' ? 'json' : 'proto';
    if (path !== LOGS_PATH) return this.replyStatus(res, 404, encoding, `${path} is not served; OTLP logs go to POST ${LOGS_PATH}`, true);
    if (req.method !== 'POST') return this.replyStatus(res, 405, encoding, `${req.method ?? ''} ${LOGS_PATH}: only POST`, true, { Allow: 'POST' });
    if (!this.authorized(req.headers.authorization)) {
      this.count('requests_unauthorized');
      return this.replyStatus(res, 401, encoding, 'missing or unknown bearer token', true, { 'WWW-Authenticate': 'Bearer' });
    }
    const contentType = contentEncodingOf(req.headers['content-type']);
    if (contentType === undefined) {
      this.count('requests_unsupported');
      return this.replyStatus(res, 415, 'json', `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not supported; send application/x-protobuf or application/json`, true);
    }
    const coding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (coding !== '' && coding !== 'identity' && coding !== 'gzip' && coding !== 'x-gzip' && coding !== 'deflate') {
      this.count('requests_unsupported');
      return this.replyStatus(res, 415, encoding, `Content-Encoding ${JSON.stringify(coding)} is not supported; send gzip, deflate or none`, true);
    }
    const max = this.config.max_request_bytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      this.count('requests_too_large');
      return this.replyStatus(res, 413, encoding, `the body of ${declared} bytes is over max_request_bytes (${max})`, true);
    }
    const raw = await readBody(req, max);
    if (raw === undefined) {
      this.count('requests_too_large');
      return this.replyStatus(res, 413, encoding, `the body is over max_request_bytes (${max})`, true);
    }
    let body: Buffer = raw;
    if (coding === 'gzip' || coding === 'x-gzip' || coding === 'deflate') {
      try {
        body = coding === 'deflate' ? await inflate(raw, { maxOutputLength: max }) : await gunzip(raw, { maxOutputLength: max });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
          this.count('requests_too_large');
          return this.replyStatus(res, 413, contentType, `the decompressed body is over max_request_bytes (${max})`);
        }
        this.count('requests_malformed');
        const detail = `the ${coding} body cannot be decompressed: ${errorMessage(error)}`;
        await this.deadLetterMalformed(raw, detail, observedTime);
        return this.replyStatus(res, 400, contentType, detail);
      }
    }
    let result: IngestResult;
    try {
      const request = contentType === 'json' ? parseJsonRequest(body.toString('utf8')) : decodeProtoRequest(body);
      result = await this.ingest(request, observedTime);
    } catch (error) {
      if (!(error instanceof MalformedRequestError)) throw error;
      this.count('requests_malformed');
      await this.deadLetterMalformed(body, error.message, observedTime);
      return this.replyStatus(res, 400, contentType, error.message);
    }
    if (result.kind === 'retry') {
      return this.replyStatus(res, result.throttled ? 429 : 503, contentType, result.message, false, { 'Retry-After': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))) });
    }
    const payload = responseBody(contentType, result.rejected, result.message);
    res.writeHead(200, { 'Content-Type': contentType === 'json' ? 'application/json' : 'application/x-protobuf', 'Content-Length': payload.length });
    res.end(payload);
  }

  /**
   * An error reply with a google.rpc.Status body. `close` when the request body was not read: the
   * connection is closed after the reply instead of reading what the client still sends.
   */
  private replyStatus(res: ServerResponse, status: number, encoding: Encoding, message: string, close = false, headers: Record<string, string> = {}): void {
    const code = STATUS_CODE_OF[status] ?? 2;
    const body = encoding === 'json' ? Buffer.from(JSON.stringify({ code, message }), 'utf8') : Buffer.from(StatusType.encode(StatusType.create({ code, message })).finish());
    const all: Record<string, string | number> = { 'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf', 'Content-Length': body.length, ...headers };
    if (close) all['Connection'] = 'close';
    res.writeHead(status, all);
    res.end(body);
    if (close) res.once('finish', () => res.req.socket.destroySoon());
  }
}

/** The encoded ExportLogsServiceResponse: empty when every record was taken, else a partial success. */
export function responseBody(encoding: Encoding, rejected: number, message: string): Buffer {
  if (encoding === 'json') {
    return Buffer.from(rejected === 0 ? '{}' : JSON.stringify({ partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: message } }), 'utf8');
  }
  if (rejected === 0) return Buffer.alloc(0);
  return Buffer.from(ExportLogsServiceResponseType.encode(ExportLogsServiceResponseType.create({ partialSuccess: { rejectedLogRecords: rejected, errorMessage: message } })).finish());
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The request body, or undefined as soon as it exceeds `limit` bytes (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
}
