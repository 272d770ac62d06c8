/**
 * The OTLP/gRPC listener: `opentelemetry.proto.collector.logs.v1.LogsService/Export` on
 * grpc-js, with the OTLP definitions' protobufjs types (no generated code). Requests arrive as
 * bytes and are decoded here, so an undecodable one is answered INVALID_ARGUMENT with the reason.
 * grpc-js itself decompresses (gzip, deflate) and refuses messages over
 * `grpc.max_receive_message_length` (= max_request_bytes), before and after decompression, with
 * RESOURCE_EXHAUSTED.
 *
 * Statuses, as the OTLP spec has them: OK with an ExportLogsServiceResponse (partial success for
 * refused records); UNAUTHENTICATED for a missing or unknown bearer token; INVALID_ARGUMENT for
 * an undecodable request; RESOURCE_EXHAUSTED with a RetryInfo when the downstream queue is full
 * (a client retries RESOURCE_EXHAUSTED only when it carries one); UNAVAILABLE with a RetryInfo for
 * any other retryable refusal.
 */
import grpc from '@grpc/grpc-js';
import type { ServerUnaryCall, ServiceDefinition, sendUnaryData } from '@grpc/grpc-js';
import type { ListenAddress } from '../../../core/listener/endpoint.js';
import { LOGS_EXPORT_METHOD, RETRY_INFO_TYPE_URL, RetryInfoType, STATUS_DETAILS_TRAILER, StatusType } from '../../shared/otlp/messages.js';
import { MalformedRequestError, decodeProtoRequest } from './decode.js';
import type { IngestResult, OtlpReceiver } from './receiver.js';
import { responseBody } from './receiver.js';

export interface GrpcTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  /** Refuse clients without a valid certificate (client_auth: require). */
  readonly require: boolean;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** The LogsService with bytes in and out: (de)serialization is ours, in the handler. */
export const LOGS_SERVICE: ServiceDefinition = {
  Export: {
    path: LOGS_EXPORT_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** A google.rpc.Status with one RetryInfo detail, for the `grpc-status-details-bin` trailer. */
export function retryStatusDetails(code: number, message: string, retryAfterMs: number): Buffer {
  const seconds = Math.floor(retryAfterMs / 1000);
  const nanos = Math.round((retryAfterMs - seconds * 1000) * 1_000_000);
  const retryInfo = RetryInfoType.encode(RetryInfoType.create({ retryDelay: { seconds, nanos } })).finish();
  return Buffer.from(StatusType.encode(StatusType.create({ code, message, details: [{ typeUrl: RETRY_INFO_TYPE_URL, value: retryInfo }] })).finish());
}

export class GrpcListener {
  private readonly server: grpc.Server;
  private port: number | undefined;
  private host = '';

  constructor(
    private readonly receiver: OtlpReceiver,
    private readonly id: string,
    maxRequestBytes: number,
    private readonly tls: GrpcTls | undefined,
  ) {
    this.server = new grpc.Server({ 'grpc.max_receive_message_length': maxRequestBytes });
    this.server.addService(LOGS_SERVICE, { Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => this.export(call, callback) });
  }

  listen(at: ListenAddress): Promise<void> {
    const credentials = this.tls === undefined ? grpc.ServerCredentials.createInsecure() : grpc.ServerCredentials.createSsl(this.tls.ca ?? null, [{ cert_chain: this.tls.cert, private_key: this.tls.key }], this.tls.require);
    const target = at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
    this.host = at.host;
    return new Promise<void>((resolve, reject) => {
      this.server.bindAsync(target, credentials, (error, port) => {
        if (error !== null) return reject(error);
        this.port = port;
        resolve();
      });
    });
  }

  address(): ListenAddress | undefined {
    return this.port === undefined ? undefined : { host: this.host, port: this.port };
  }

  /** Stops taking calls and waits for those in flight (the receiver awaits their consume too). */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      // tryShutdown waits for running calls; bound the wait so a stuck client cannot hold shutdown.
      const force = setTimeout(() => this.server.forceShutdown(), 10_000);
      force.unref();
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private export(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
    const observedTime = Date.now();
    const authorization = call.metadata.get('authorization')[0];
    if (!this.receiver.authorized(typeof authorization === 'string' ? authorization : undefined)) {
      this.receiver.count('requests_unauthorized');
      callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or unknown bearer token' });
      return;
    }
    let request: Record<string, unknown>;
    try {
      request = decodeProtoRequest(call.request);
    } catch (error) {
      this.receiver.count('requests_malformed');
      const message = (error as Error).message;
      void this.receiver.deadLetterMalformed(call.request, message, observedTime).then(() => callback({ code: grpc.status.INVALID_ARGUMENT, details: message }));
      return;
    }
    this.receiver.ingest(request, observedTime).then(
      (result: IngestResult) => {
        if (result.kind === 'accepted') {
          callback(null, responseBody('proto', result.rejected, result.message));
          return;
        }
        const code = result.throttled ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE;
        const metadata = new grpc.Metadata();
        metadata.set(STATUS_DETAILS_TRAILER, retryStatusDetails(code, result.message, result.retryAfterMs));
        callback({ code, details: result.message, metadata });
      },
      (error: unknown) => {
        if (error instanceof MalformedRequestError) {
          this.receiver.count('requests_malformed');
          void this.receiver.deadLetterMalformed(call.request, error.message, observedTime).then(() => callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message }));
          return;
        }
        this.receiver.reportError(error);
        callback({ code: grpc.status.INTERNAL, details: `${this.id}: internal error` });
      },
    );
  }
}
