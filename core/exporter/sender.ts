/**
 * What an exporter plugin writes to use the shared exporter helper (`QueuedExporter`): a Sender
 * that only encodes and sends. Batching, the bounded queue, retry with backoff and Retry-After,
 * per-attempt timeouts, dead-lettering and counters are the helper's.
 *
 * Error contract for `send` (the helper reads `retryable` and `code` by duck typing):
 * - resolve (with an optional SendOutcome) when the peer took the request;
 * - throw a RetryableError (`retryAfterMs` set from the peer's Retry-After, when it gave one)
 *   when the same request may succeed later: unreachable, timed out, throttled, 5xx;
 * - throw a PermanentError when it never will (a 400 for the whole request): the request's
 *   records are dead-lettered with the error's code as the reason;
 * - throw a FatalSendError when no request can succeed until an operator acts (401/403: a
 *   refused credential): the helper logs it once, stops sending, and dead-letters this request
 *   and everything consumed after it with the error's code, so nothing is lost.
 */
import type { Host, PipelineRecord } from '../api.js';
import { PermanentError } from '../errors.js';

/** One request's worth of encoded records, all of one tenant, in consume order. */
export interface ExportRequest<Item> {
  readonly tenant: string;
  readonly items: readonly Item[];
  /** Sum of `sizeOf` over items. */
  readonly bytes: number;
  /** 1 for the first attempt of these items, then 2, 3, ... */
  readonly attempt: number;
}

/** A refused record: the index into `request.items`, and why. */
export interface RejectedItem {
  readonly index: number;
  /** lower_snake_case reason code for the dead-letter file (`invalid_event`, `record_too_large`). */
  readonly reason: string;
  readonly detail: string;
}

/** What the peer said about a request it took, when it did not take all of it cleanly. */
export interface SendOutcome {
  /** Records refused for good (dead-lettered); the rest of the request counts as sent unless listed in `resend`. */
  readonly rejected?: readonly RejectedItem[];
  /**
   * Indices to send again, as a new request, at once and without backoff (HEC: the events after
   * an `invalid-event-number`). Not counted as sent. An index also listed in `rejected` is
   * rejected; out-of-range and repeated indices are ignored. Asking to resend every item while
   * rejecting none is no progress: the helper then backs off as for a retryable failure.
   */
  readonly resend?: readonly number[];
  /**
   * Records the peer dropped without saying which (OTLP partial success): counted as failed (and
   * not as sent) and logged with the peer's message, neither retried nor dead-lettered (there is
   * nothing to point at).
   */
  readonly droppedByPeer?: { readonly count: number; readonly message: string };
}

export interface Sender<Item> {
  /**
   * Encodes one record (pure: no I/O). Throw a PermanentError to have this record dead-lettered
   * with the error's code as the reason (`not_ocsf`, `unencodable_record`); the others go on.
   */
  prepare(record: PipelineRecord, tenant: string): Item;
  /** Encoded size in bytes, used for `batch.max_bytes` and `maxRequestBytes`. */
  sizeOf(item: Item): number;
  /**
   * The largest request the peer accepts (HEC `max_content_length`). `batch.max_bytes` is lowered
   * to it; a single item larger than it is dead-lettered as `record_too_large`.
   */
  readonly maxRequestBytes?: number;
  /** Sends one request. Must stop and reject when `signal` aborts (the per-attempt timeout, shutdown). */
  send(request: ExportRequest<Item>, signal: AbortSignal): Promise<SendOutcome | void>;
  /** Opens connections, checks health (HEC). A rejection fails the host's start. */
  start?(host: Host): Promise<void>;
  /** Closes connections; called after the helper drained its queue. */
  shutdown?(): Promise<void>;
}

/** The peer refuses us, not the data (401, 403): stop sending until an operator fixes it. */
export class FatalSendError extends PermanentError {
  readonly fatal = true;
}

export function isFatalSendError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { fatal?: unknown }).fatal === true;
}
