/**
 * Independent decoding for the otlp tests: the OpenTelemetry JS project's own generated code for
 * the official OTLP .proto files (@opentelemetry/otlp-transformer), not our descriptor.
 */
import { createRequire } from 'node:module';

interface MessageType {
  decode(bytes: Uint8Array): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: unknown): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: MessageType; ExportLogsServiceResponse: MessageType } } } } };
};
/** The official generated OTLP logs service messages (shared with the otlp receiver's tests). */
export const otlpLogs = root.opentelemetry.proto.collector.logs.v1;
const logs = otlpLogs;

/** The request as plain OTLP/JSON-like values: camelCase, 64-bit integers as strings, enums as numbers, ids as hex. */
export function decodeRequest(bytes: Uint8Array): Record<string, unknown> {
  const message = logs.ExportLogsServiceRequest.decode(bytes);
  const object = logs.ExportLogsServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false, oneofs: false });
  return hexIds(object) as Record<string, unknown>;
}

/** Log records of a decoded request (the exporter sends one resource and one scope). */
export function recordsOf(request: Record<string, unknown>): Record<string, unknown>[] {
  const resourceLogs = request['resourceLogs'] as { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
  return resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords ?? []));
}

/** An ExportLogsServiceResponse with a partial success, encoded by the official code. */
export function encodeResponse(rejected: number, message: string): Uint8Array {
  return logs.ExportLogsServiceResponse.encode(logs.ExportLogsServiceResponse.fromObject({ partialSuccess: { rejectedLogRecords: rejected, errorMessage: message } })).finish();
}

function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = (key === 'traceId' || key === 'spanId') && typeof child === 'string' ? Buffer.from(child, 'base64').toString('hex') : hexIds(child);
  }
  return out;
}
