/** Shared by the otlp receiver tests: a started receiver on 127.0.0.1:0, a scriptable consumer, raw HTTP posts. */
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { otlpLogs } from '../../exporters/otlp/official.js';
import type { Batch, Consumer, RawRecord } from '../../../../core/api.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/receivers/otlp/config.js';
import type { OtlpReceiverConfig } from '../../../../plugins/receivers/otlp/config.js';
import { otlpReceiverFactory } from '../../../../plugins/receivers/otlp/index.js';
import type { OtlpReceiver } from '../../../../plugins/receivers/otlp/receiver.js';

/** A consumer that keeps batches; `gate` (when set) is awaited before each consume resolves; `fail` makes the next consume reject. */
export class ScriptedConsumer implements Consumer {
  readonly batches: Batch[] = [];
  gate: Promise<void> | undefined;
  fail: Error | undefined;

  async consume(batch: Batch): Promise<void> {
    this.batches.push(batch);
    if (this.gate !== undefined) await this.gate;
    const failure = this.fail;
    this.fail = undefined;
    if (failure !== undefined) throw failure;
  }

  get records(): RawRecord[] {
    return this.batches.flatMap((batch) => batch.records as RawRecord[]);
  }
}

export interface Started {
  readonly receiver: OtlpReceiver;
  readonly host: RecordingHost;
  readonly consumer: ScriptedConsumer;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** 127.0.0.1:<port> of the gRPC listener, when configured. */
  readonly grpcTarget: string | undefined;
}

export async function startReceiver(overrides: Partial<OtlpReceiverConfig> = {}, id = 'otlp/test'): Promise<Started> {
  const consumer = new ScriptedConsumer();
  const host = new RecordingHost();
  const config: OtlpReceiverConfig = { ...createDefaultConfig(), endpoint: '127.0.0.1:0', ...overrides };
  const receiver = (await otlpReceiverFactory.create(testSettings('receiver', id), config, consumer)) as OtlpReceiver;
  await receiver.start(host);
  const grpc = receiver.grpcAddress();
  return { receiver, host, consumer, url: `http://127.0.0.1:${receiver.httpAddress()!.port}`, grpcTarget: grpc === undefined ? undefined : `127.0.0.1:${grpc.port}` };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export function post(url: string, body: Buffer | string, headers: Record<string, string | number>, path = '/v1/logs', method = 'POST'): Promise<Reply> {
  const target = new URL(path, url);
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest({ hostname: target.hostname, port: target.port, path: target.pathname, method, agent: false, headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const logs = otlpLogs;

/** An ExportLogsServiceRequest encoded by the OpenTelemetry JS project's generated code (not ours). */
export function encodeOfficial(request: Record<string, unknown>): Buffer {
  return Buffer.from(logs.ExportLogsServiceRequest.encode(logs.ExportLogsServiceRequest.fromObject(request)).finish());
}

/** An ExportLogsServiceResponse decoded by the official code, as plain values (int64 as strings). */
export function decodeOfficialResponse(bytes: Uint8Array): Record<string, unknown> {
  return logs.ExportLogsServiceResponse.toObject(logs.ExportLogsServiceResponse.decode(bytes), { longs: String, defaults: false });
}

/** One resource, one scope, these log records (OTLP/JSON-shaped objects). */
export function requestOf(logRecords: Record<string, unknown>[], resourceAttributes: Record<string, unknown>[] = [], scope: Record<string, unknown> = { name: 'test-scope' }): Record<string, unknown> {
  return { resourceLogs: [{ resource: { attributes: resourceAttributes }, scopeLogs: [{ scope, logRecords }] }] };
}

export const PROTO = { 'Content-Type': 'application/x-protobuf' } as const;
export const JSON_TYPE = { 'Content-Type': 'application/json' } as const;
