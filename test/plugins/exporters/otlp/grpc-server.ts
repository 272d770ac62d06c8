/**
 * A test OTLP/gRPC server on 127.0.0.1 (port 0), grpc-js with bytes in and out: keeps every
 * call's metadata and request (decoded with the official OTLP code), and answers from a script
 * (OK with an empty response once the script is used up). A `hold` reply never answers.
 */
import grpc from '@grpc/grpc-js';
import type { Metadata, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { decodeRequest } from './official.js';

export type GrpcReply =
  | { readonly ok: Uint8Array }
  | { readonly code: number; readonly details: string; readonly trailer?: Uint8Array }
  | { readonly hold: true };

export interface GrpcCall {
  readonly metadata: Record<string, unknown>;
  readonly decoded: Record<string, unknown>;
}

const identity = (bytes: Buffer): Buffer => bytes;

export class GrpcOtlpServer {
  readonly calls: GrpcCall[] = [];
  readonly replies: GrpcReply[] = [];
  private readonly server = new grpc.Server();
  private readonly held: sendUnaryData<Buffer>[] = [];

  constructor() {
    this.server.addService(
      {
        Export: {
          path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
          this.calls.push({ metadata: call.metadata.getMap(), decoded: decodeRequest(call.request) });
          const reply = this.replies.shift() ?? { ok: new Uint8Array(0) };
          if ('hold' in reply) {
            this.held.push(callback);
            return;
          }
          if ('ok' in reply) {
            callback(null, Buffer.from(reply.ok));
            return;
          }
          const metadata = new grpc.Metadata();
          if (reply.trailer !== undefined) metadata.set('grpc-status-details-bin', Buffer.from(reply.trailer));
          callback({ code: reply.code, details: reply.details, metadata });
        },
      },
    );
  }

  /** Listens on 127.0.0.1:0; returns `http://127.0.0.1:<port>`. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(`http://127.0.0.1:${port}`)));
    });
  }

  close(): Promise<void> {
    for (const callback of this.held.splice(0)) callback({ code: grpc.status.UNAVAILABLE, details: 'closing' });
    this.server.forceShutdown();
    return Promise.resolve();
  }
}

export type { Metadata };
