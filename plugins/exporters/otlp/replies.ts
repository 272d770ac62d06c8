/**
 * What an OTLP server answers, read without trusting it: ExportLogsServiceResponse (partial
 * success) on 200, google.rpc.Status on errors, in protobuf or JSON (whichever the server says it
 * sent), and Retry-After. Pure; the message types come from the embedded OTLP descriptor.
 */
import { ExportLogsServiceResponseType, StatusType } from '../../shared/otlp/messages.js';

/** Peer-supplied text is cut to this many characters before it goes into a log or a dead letter. */
export const MAX_PEER_TEXT = 512;

export interface PartialSuccess {
  /** Records the server rejected (int64; clamped to a safe integer). */
  readonly rejected: number;
  readonly message: string;
}

export interface RpcStatus {
  readonly code: number;
  readonly message: string;
}

function clip(text: string): string {
  const cleaned = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return cleaned.length > MAX_PEER_TEXT ? `${cleaned.slice(0, MAX_PEER_TEXT)}…` : cleaned;
}

function toCount(value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') n = Number(value);
  else if (typeof value === 'object' && value !== null && typeof (value as { toNumber?: unknown }).toNumber === 'function') n = (value as { toNumber(): number }).toNumber();
  else return 0;
  return Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER) : 0;
}

/** True when the Content-Type names JSON; protobuf otherwise (OTLP servers answer in the request's encoding). */
export function isJsonContentType(contentType: string | undefined, requestWasJson: boolean): boolean {
  if (contentType === undefined || contentType === '') return requestWasJson;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return true;
  if (type === 'application/x-protobuf' || type === 'application/protobuf' || type === 'application/octet-stream') return false;
  return requestWasJson;
}

/**
 * The partial success of a 200 reply; undefined when there is none, it is empty (0 and ''), or the
 * body cannot be read (a 200 is a success whatever its body says).
 */
export function parsePartialSuccess(body: Uint8Array, json: boolean): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  let rejected = 0;
  let message = '';
  try {
    if (json) {
      const value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as { partialSuccess?: { rejectedLogRecords?: unknown; errorMessage?: unknown } } | null;
      const partial = value?.partialSuccess;
      if (typeof partial !== 'object' || partial === null) return undefined;
      rejected = toCount(partial.rejectedLogRecords);
      message = typeof partial.errorMessage === 'string' ? partial.errorMessage : '';
    } else {
      const decoded = ExportLogsServiceResponseType.decode(body) as unknown as { partialSuccess?: { rejectedLogRecords?: unknown; errorMessage?: string } | null };
      const partial = decoded.partialSuccess;
      if (partial === undefined || partial === null) return undefined;
      rejected = toCount(partial.rejectedLogRecords);
      message = partial.errorMessage ?? '';
    }
  } catch {
    return undefined;
  }
  if (rejected === 0 && message === '') return undefined;
  return { rejected, message: clip(message) };
}

/** A google.rpc.Status from an error body; undefined when the body is not one. */
export function parseStatus(body: Uint8Array, json: boolean): RpcStatus | undefined {
  if (body.length === 0) return undefined;
  try {
    if (json) {
      const value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as { code?: unknown; message?: unknown } | null;
      if (typeof value !== 'object' || value === null || typeof value.message !== 'string') return undefined;
      return { code: typeof value.code === 'number' ? value.code : 0, message: clip(value.message) };
    }
    const decoded = StatusType.decode(body) as unknown as { code?: number; message?: string };
    if (decoded.message === undefined || decoded.message === '') return undefined;
    return { code: decoded.code ?? 0, message: clip(decoded.message) };
  } catch {
    return undefined;
  }
}

/** A short, printable excerpt of a body that is not a Status (a proxy's HTML page, plain text). */
export function bodyExcerpt(body: Uint8Array): string {
  if (body.length === 0) return '';
  const text = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, MAX_PEER_TEXT * 2)).toString('utf8');
  // Binary bodies (a protobuf we could not read) are not worth showing.
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return `(${body.length} bytes, not text)`;
  return clip(text);
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable. A date in the past gives 0.
 */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text), 86_400) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
