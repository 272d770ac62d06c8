/**
 * The OTLP/gRPC Sender (`protocol: grpc`): the same protobuf LogRecords as OTLP/HTTP, framed into
 * the same ExportLogsServiceRequest bytes, sent as a unary call to
 * `opentelemetry.proto.collector.logs.v1.LogsService/Export` with grpc-js. (De)serialization is
 * ours (the bytes are already framed; the reply is decoded with the shared descriptor), so no
 * generated code or .proto loading is needed at run time.
 *
 * - endpoint `http://host:port` is plaintext, `https://host:port` is TLS (as OTEL_EXPORTER_OTLP_ENDPOINT
 *   reads for gRPC); the path must be empty;
 * - compression gzip is grpc-js's message compression (`grpc-encoding: gzip`);
 * - headers are sent as call metadata; URL userinfo as `authorization: Basic ...`;
 * - the attempt ends when the helper's AbortSignal aborts (its per-attempt timeout, shutdown): the
 *   call is cancelled and the failure is a retryable `timeout`.
 *
 * Statuses, per the OTLP spec ("OTLP/gRPC Response" and "Failures"):
 * - OK: sent; a partial success with rejected_log_records > 0 is `droppedByPeer`;
 * - CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS: retryable
 *   (`grpc_<status>`), waiting at least the RetryInfo delay when the status carries one;
 * - RESOURCE_EXHAUSTED: retryable only with a RetryInfo (the server is throttling); without one,
 *   permanent (the request is too large, say);
 * - UNAUTHENTICATED, PERMISSION_DENIED: fatal (the credentials in headers are refused);
 * - anything else (INVALID_ARGUMENT, UNIMPLEMENTED, INTERNAL, ...): permanent, dead-lettered.
 */
import grpc from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions, Metadata, ServiceError } from '@grpc/grpc-js';
import type { CreateSettings, Host, PipelineRecord } from '../../../core/api.js';
import { PermanentError, RetryableError } from '../../../core/errors.js';
import { readCaFile } from '../../../core/exporter/http-client.js';
import { FatalSendError } from '../../../core/exporter/sender.js';
import type { ExportRequest, SendOutcome, Sender } from '../../../core/exporter/sender.js';
import { LOGS_EXPORT_METHOD, RETRY_INFO_TYPE_URL, RetryInfoType, STATUS_DETAILS_TRAILER, StatusType } from '../../shared/otlp/messages.js';
import type { OtlpExporterConfig } from './config.js';
import { encodeLogRecordProto, frameProtoRequest, protoEnvelope, requireOcsf } from './encoder.js';
import type { OtlpEncoderOptions, ProtoEnvelope } from './encoder.js';
import { parsePartialSuccess } from './replies.js';
import { MAX_REPLY_BYTES, SCOPE_NAME, resourceAttributesOf } from './sender.js';
import type { OtlpSenderOptions } from './sender.js';

/** Retryable statuses per the OTLP spec; RESOURCE_EXHAUSTED only with RetryInfo (handled apart). */
export const RETRYABLE_GRPC_CODES: ReadonlySet<number> = new Set([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

/** Metadata names the exporter or gRPC itself sets; a user header of these names is a start error. */
export const RESERVED_GRPC_HEADERS: readonly string[] = ['content-type', 'content-encoding', 'content-length', 'transfer-encoding', 'host', 'connection', 'te', 'user-agent'];

const GZIP = 2; // grpc-js compression algorithm ids: 0 identity, 1 deflate, 2 gzip

const identity = (bytes: Buffer): Buffer => bytes;

/** `grpc_unavailable` for UNAVAILABLE. */
export function grpcCode(code: number): string {
  const name = (grpc.status as unknown as Record<number, string | undefined>)[code];
  return `grpc_${(name ?? String(code)).toLowerCase()}`;
}

/** The RetryInfo delay (ms) in a status's `grpc-status-details-bin` trailer; undefined when there is none. */
export function retryDelayMs(metadata: Metadata | undefined): number | undefined {
  const raw = metadata?.get(STATUS_DETAILS_TRAILER)[0];
  if (!(raw instanceof Uint8Array)) return undefined;
  try {
    const status = StatusType.decode(raw) as unknown as { details?: { typeUrl?: string; value?: Uint8Array }[] };
    for (const detail of status.details ?? []) {
      if (detail.typeUrl !== RETRY_INFO_TYPE_URL || detail.value === undefined) continue;
      const info = RetryInfoType.decode(detail.value) as unknown as { retryDelay?: { seconds?: unknown; nanos?: number } | null };
      const seconds = info.retryDelay?.seconds;
      const whole = typeof seconds === 'number' ? seconds : typeof seconds === 'object' && seconds !== null ? Number(String(seconds)) : 0;
      const ms = whole * 1000 + Math.floor((info.retryDelay?.nanos ?? 0) / 1_000_000);
      return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 86_400_000) : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export class OtlpGrpcSender implements Sender<Uint8Array> {
  private readonly id: string;
  private readonly url: URL | undefined;
  private readonly where: string;
  private readonly encoder: OtlpEncoderOptions;
  private readonly now: () => number;
  private readonly scopeVersion: string;
  private readonly envelopes = new Map<string, ProtoEnvelope>();
  private client: grpc.Client | undefined;
  private metadata: Metadata | undefined;

  constructor(
    settings: CreateSettings,
    private readonly config: OtlpExporterConfig,
    options: OtlpSenderOptions = {},
  ) {
    this.id = settings.id;
    this.url = config.endpoint === undefined ? undefined : new URL(config.endpoint);
    this.where = this.url === undefined ? 'gRPC Export (no endpoint)' : `gRPC ${this.url.origin} Export`;
    this.encoder = { ocsfAs: config.ocsf_as, attributePrefix: config.attribute_prefix };
    this.now = options.now ?? Date.now;
    this.scopeVersion = options.scopeVersion ?? '';
  }

  prepare(record: PipelineRecord): Uint8Array {
    return encodeLogRecordProto(requireOcsf(record), this.encoder, this.now());
  }

  sizeOf(item: Uint8Array): number {
    return item.length;
  }

  async start(_host: Host): Promise<void> {
    const url = this.url;
    if (url === undefined) throw new PermanentError('invalid_config', `${this.id}: endpoint is required`);
    const problems: string[] = [];
    if (this.config.logs_endpoint !== undefined) problems.push('logs_endpoint is for OTLP/HTTP; with protocol grpc the endpoint is http(s)://host:port');
    if (this.config.encoding === 'json') problems.push('encoding json is OTLP/HTTP only; gRPC is protobuf');
    if (url.pathname !== '/' && url.pathname !== '') problems.push(`endpoint ${url.origin}${url.pathname}: a gRPC endpoint has no path`);
    const reserved = Object.keys(this.config.headers).filter((name) => {
      const lower = name.toLowerCase();
      return RESERVED_GRPC_HEADERS.includes(lower) || lower.startsWith('grpc-') || lower.endsWith('-bin');
    });
    if (reserved.length > 0) problems.push(`headers: ${reserved.join(', ')} cannot be sent as gRPC metadata (set by gRPC, or binary)`);
    if (problems.length > 0) throw new PermanentError('invalid_config', `${this.id}: ${problems.join('; ')}`);
    const metadata = new grpc.Metadata();
    for (const [name, value] of Object.entries(this.config.headers)) metadata.set(name.toLowerCase(), value);
    if (url.username !== '') metadata.set('authorization', `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`);
    let credentials: ChannelCredentials;
    if (url.protocol === 'https:') {
      const ca = (await readCaFile(this.id, this.config.tls.ca_file)) ?? null;
      credentials = grpc.credentials.createSsl(ca, null, null, this.config.tls.insecure_skip_verify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {});
    } else credentials = grpc.credentials.createInsecure();
    const options: ChannelOptions = {
      'grpc.max_receive_message_length': MAX_REPLY_BYTES,
      'grpc.primary_user_agent': 'authwire',
      ...(this.config.compression === 'gzip' ? { 'grpc.default_compression_algorithm': GZIP } : {}),
    };
    const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
    this.client = new grpc.Client(`${url.hostname}:${port}`, credentials, options);
    this.metadata = metadata;
  }

  async shutdown(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }

  /** The request bytes (uncompressed) for these items; exposed for tests. */
  frame(tenant: string, items: readonly Uint8Array[]): Buffer {
    let envelope = this.envelopes.get(tenant);
    if (envelope === undefined) {
      envelope = protoEnvelope({ resourceAttributes: resourceAttributesOf(this.config, tenant), scopeName: SCOPE_NAME, scopeVersion: this.scopeVersion });
      if (this.envelopes.size >= 64) this.envelopes.clear();
      this.envelopes.set(tenant, envelope);
    }
    return frameProtoRequest(envelope, items);
  }

  send(request: ExportRequest<Uint8Array>, signal: AbortSignal): Promise<SendOutcome | void> {
    if (request.items.length === 0) return Promise.resolve();
    const client = this.client;
    const metadata = this.metadata;
    if (client === undefined || metadata === undefined) return Promise.reject(new RetryableError('not_started', `${this.id}: the sender is not started`));
    if (signal.aborted) return Promise.reject(this.aborted(signal));
    const body = this.frame(request.tenant, request.items);
    const count = request.items.length;
    return new Promise<SendOutcome | void>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = client.makeUnaryRequest<Buffer, Buffer>(LOGS_EXPORT_METHOD, identity, identity, body, metadata.clone(), {}, (error, response) => {
        signal.removeEventListener('abort', onAbort);
        if (error !== null && error !== undefined) {
          reject(signal.aborted ? this.aborted(signal) : this.judge(error));
          return;
        }
        const partial = response === undefined ? undefined : parsePartialSuccess(response, false);
        if (partial === undefined || partial.rejected === 0) resolve();
        else resolve({ droppedByPeer: { count: Math.min(partial.rejected, count), message: partial.message } });
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private aborted(signal: AbortSignal): RetryableError {
    const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
    return new RetryableError('timeout', `${this.id}: ${this.where}: aborted (${reason})`);
  }

  private judge(error: ServiceError): Error {
    const code = error.code;
    const said = `${this.where}: ${grpcCode(code).slice(5).toUpperCase()}${error.details ? `: ${clip(error.details)}` : ''}`;
    const delay = retryDelayMs(error.metadata);
    if (RETRYABLE_GRPC_CODES.has(code) || (code === grpc.status.RESOURCE_EXHAUSTED && delay !== undefined)) {
      return new RetryableError(grpcCode(code), `${this.id}: ${said}`, delay === undefined ? {} : { retryAfterMs: delay });
    }
    if (code === grpc.status.UNAUTHENTICATED || code === grpc.status.PERMISSION_DENIED) {
      return new FatalSendError(grpcCode(code), `${this.id}: ${said}; the server refuses this exporter's credentials (check headers); sending stopped`);
    }
    return new PermanentError(grpcCode(code), `${this.id}: ${said}`);
  }
}

function clip(text: string): string {
  const cleaned = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return cleaned.length > 512 ? `${cleaned.slice(0, 512)}…` : cleaned;
}
