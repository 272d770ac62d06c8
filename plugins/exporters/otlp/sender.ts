/**
 * The OTLP/HTTP Sender: each record is encoded once in `prepare` (one LogRecord, protobuf bytes or
 * a JSON text), and `send` frames them into one ExportLogsServiceRequest, compresses it and POSTs
 * it to the logs URL. Batching, queueing, retry and dead-lettering are the shared helper's.
 *
 * Replies, as the OTLP/HTTP specification has them:
 * - 2xx: taken; an ExportLogsPartialSuccess with rejected_log_records > 0 is reported as
 *   `droppedByPeer` (counted, logged with the server's message, not retried: the server has said
 *   the records are bad, and it does not say which);
 * - 429, 502, 503, 504: RetryableError (`http_<status>`), honouring Retry-After;
 * - 401, 403: FatalSendError: the credential (a header) is refused, not the data;
 * - any other status: PermanentError `http_<status>`; the request is dead-lettered with the
 *   server's google.rpc.Status message when the body carries one;
 * - network errors: RetryableError `unreachable`; an aborted attempt: `timeout`.
 * Reply bodies are read up to MAX_REPLY_BYTES. Header values are never logged nor put in errors;
 * the URL is shown without userinfo or query.
 */
import { request as httpRequest } from 'node:http';
import type { Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import type { CreateSettings, Host, PipelineRecord } from '../../../core/api.js';
import { PermanentError, RetryableError } from '../../../core/errors.js';
import { describeNetworkError, keepAliveAgent, readBoundedReply, readCaFile } from '../../../core/exporter/http-client.js';
import { FatalSendError } from '../../../core/exporter/sender.js';
import type { ExportRequest, SendOutcome, Sender } from '../../../core/exporter/sender.js';
import { RESERVED_HEADERS, describeUrl, logsUrl } from './config.js';
import type { OtlpExporterConfig } from './config.js';
import { TENANT_ATTRIBUTE, encodeLogRecordJson, encodeLogRecordProto, frameJsonRequest, frameProtoRequest, jsonEnvelope, protoEnvelope, requireOcsf } from './encoder.js';
import type { JsonEnvelope, OtlpEncoderOptions, OtlpEnvelope, ProtoEnvelope } from './encoder.js';
import { bodyExcerpt, isJsonContentType, parsePartialSuccess, parseStatus, retryAfterMs } from './replies.js';

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/** Reply bodies are read up to this many bytes; an OTLP reply is a few hundred at most. */
export const MAX_REPLY_BYTES = 65_536;
export const SCOPE_NAME = 'authwire';
/** Retryable statuses per the OTLP/HTTP specification. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** A prepared record: one encoded LogRecord (protobuf bytes, or OTLP/JSON text). */
export type OtlpItem = Uint8Array | string;

interface HttpReply {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly retryAfter: string | undefined;
}

export interface OtlpSenderOptions {
  /** The scope version (authwire's version); '' leaves it out. */
  readonly scopeVersion?: string;
  /** The clock for observedTimeUnixNano when an event has no metadata.logged_time, and for Retry-After dates. */
  readonly now?: () => number;
}

/** The resource attributes of one tenant's requests, in order. */
export function resourceAttributesOf(config: Pick<OtlpExporterConfig, 'service_name' | 'resource_attributes'>, tenant: string): [string, string][] {
  const out: [string, string][] = [['service.name', config.service_name], [TENANT_ATTRIBUTE, tenant]];
  for (const [key, value] of Object.entries(config.resource_attributes)) {
    if (key !== 'service.name' && key !== TENANT_ATTRIBUTE) out.push([key, value]);
  }
  return out;
}

export class OtlpHttpSender implements Sender<OtlpItem> {
  private readonly id: string;
  private readonly url: URL | undefined;
  private readonly where: string;
  private readonly json: boolean;
  private readonly gzip: boolean;
  private readonly encoder: OtlpEncoderOptions;
  private readonly now: () => number;
  private readonly scopeVersion: string;
  private readonly envelopes = new Map<string, ProtoEnvelope | JsonEnvelope>();
  private readonly baseHeaders: OutgoingHttpHeaders;
  private agent: HttpAgent | undefined;
  private closed = false;

  constructor(
    settings: CreateSettings,
    private readonly config: OtlpExporterConfig,
    options: OtlpSenderOptions = {},
  ) {
    this.id = settings.id;
    this.url = config.endpoint === undefined && config.logs_endpoint === undefined ? undefined : logsUrl(config);
    this.where = this.url === undefined ? 'POST (no endpoint)' : `POST ${describeUrl(this.url)}`;
    this.json = config.encoding === 'json';
    this.gzip = config.compression === 'gzip';
    this.encoder = { ocsfAs: config.ocsf_as, attributePrefix: config.attribute_prefix };
    this.now = options.now ?? Date.now;
    this.scopeVersion = options.scopeVersion ?? '';
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(config.headers)) headers[name] = value;
    headers['Content-Type'] = this.json ? 'application/json' : 'application/x-protobuf';
    if (this.gzip) headers['Content-Encoding'] = 'gzip';
    this.baseHeaders = headers;
  }

  prepare(record: PipelineRecord): OtlpItem {
    const event = requireOcsf(record);
    return this.json ? encodeLogRecordJson(event, this.encoder, this.now()) : encodeLogRecordProto(event, this.encoder, this.now());
  }

  sizeOf(item: OtlpItem): number {
    return typeof item === 'string' ? Buffer.byteLength(item, 'utf8') : item.length;
  }

  async start(_host: Host): Promise<void> {
    if (this.url === undefined) throw new PermanentError('invalid_config', `${this.id}: endpoint is required`);
    const reserved = Object.keys(this.config.headers).filter((name) => RESERVED_HEADERS.includes(name.toLowerCase()));
    if (reserved.length > 0) throw new PermanentError('invalid_config', `${this.id}: headers: ${reserved.join(', ')} ${reserved.length === 1 ? 'is' : 'are'} set by the exporter itself`);
    const tls = this.config.tls;
    this.agent = keepAliveAgent(this.url, tls, await readCaFile(this.id, tls.ca_file));
    this.closed = false;
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.agent?.destroy();
    this.agent = undefined;
  }

  /** The request body (uncompressed) for these items; exposed for tests and benchmarks. */
  frame(tenant: string, items: readonly OtlpItem[]): Buffer {
    const envelope = this.envelopeOf(tenant);
    if (this.json) return Buffer.from(frameJsonRequest(envelope as JsonEnvelope, items as readonly string[]), 'utf8');
    return frameProtoRequest(envelope as ProtoEnvelope, items as readonly Uint8Array[]);
  }

  async send(request: ExportRequest<OtlpItem>, signal: AbortSignal): Promise<SendOutcome | void> {
    if (request.items.length === 0) return;
    const raw = this.frame(request.tenant, request.items);
    const body = this.gzip ? await gzip(raw, { level: this.config.compression_params.level }) : raw;
    let reply: HttpReply;
    try {
      reply = await this.post(body, signal);
    } catch (error) {
      throw networkFailure(this.id, this.where, error, signal);
    }
    return this.judge(reply, request.items.length);
  }

  private async judge(reply: HttpReply, count: number): Promise<SendOutcome | void> {
    const status = reply.status;
    const json = isJsonContentType(reply.contentType, this.json);
    if (status >= 200 && status < 300) {
      const partial = parsePartialSuccess(reply.body, json);
      if (partial === undefined || partial.rejected === 0) return;
      return { droppedByPeer: { count: Math.min(partial.rejected, count), message: partial.message } };
    }
    const said = describeReply(status, reply.body, json);
    if (RETRYABLE_STATUSES.has(status)) {
      const after = retryAfterMs(reply.retryAfter, this.now());
      throw new RetryableError(`http_${status}`, `${this.id}: ${this.where}: ${said}`, after === undefined ? {} : { retryAfterMs: after });
    }
    if (status === 401 || status === 403) {
      throw new FatalSendError(`http_${status}`, `${this.id}: ${this.where}: ${said}; the server refuses this exporter's credentials (check headers); sending stopped`);
    }
    throw new PermanentError(`http_${status}`, `${this.id}: ${this.where}: ${said}`);
  }

  private envelopeOf(tenant: string): ProtoEnvelope | JsonEnvelope {
    let envelope = this.envelopes.get(tenant);
    if (envelope === undefined) {
      const spec: OtlpEnvelope = { resourceAttributes: resourceAttributesOf(this.config, tenant), scopeName: SCOPE_NAME, scopeVersion: this.scopeVersion };
      envelope = this.json ? jsonEnvelope(spec) : protoEnvelope(spec);
      // One tenant per exporter in practice; the bound only guards against misuse.
      if (this.envelopes.size >= 64) this.envelopes.clear();
      this.envelopes.set(tenant, envelope);
    }
    return envelope;
  }

  private post(body: Buffer, signal: AbortSignal): Promise<HttpReply> {
    const url = this.url;
    const agent = this.agent;
    if (this.closed || agent === undefined || url === undefined) return Promise.reject(new RetryableError('not_started', `${this.id}: the sender is not started`));
    const headers: OutgoingHttpHeaders = { ...this.baseHeaders, 'Content-Length': body.length };
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpReply>((resolve, reject) => {
      const req = requestFn(
        { protocol: url.protocol, hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers, agent, signal, auth: url.username === '' ? undefined : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` },
        (res: IncomingMessage) => {
          // An OTLP reply is a few hundred bytes; a longer one is cut at MAX_REPLY_BYTES.
          readBoundedReply(res, MAX_REPLY_BYTES).then((raw) => {
            const retryAfter = res.headers['retry-after'];
            const reply = { status: res.statusCode ?? 0, contentType: res.headers['content-type'], retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
            if (res.headers['content-encoding'] === 'gzip' && raw.length > 0) {
              gunzip(raw, { maxOutputLength: MAX_REPLY_BYTES }).then(
                (body) => resolve({ ...reply, body }),
                () => resolve({ ...reply, body: Buffer.alloc(0) }),
              );
            } else resolve({ ...reply, body: raw });
          }, reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

function describeReply(status: number, body: Buffer, json: boolean): string {
  const rpc = parseStatus(body, json);
  if (rpc !== undefined) return `HTTP ${status}, status ${rpc.code}: ${rpc.message}`;
  const excerpt = bodyExcerpt(body);
  return excerpt === '' ? `HTTP ${status}` : `HTTP ${status}: ${excerpt}`;
}

function networkFailure(id: string, where: string, error: unknown, signal: AbortSignal): RetryableError {
  if (signal.aborted) {
    const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
    return new RetryableError('timeout', `${id}: ${where}: aborted (${reason})`, { cause: error });
  }
  if (error instanceof RetryableError) return error;
  return new RetryableError('unreachable', `${id}: ${where}: ${describeNetworkError(error)}`, { cause: error });
}
