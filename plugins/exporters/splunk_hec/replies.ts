/**
 * What each HEC reply means for delivery. Splunk answers every `/services/collector/*` request
 * with `{"text": "...", "code": N}` (plus `invalid-event-number` on per-event errors and `ackId`
 * when the token has indexer acknowledgement). The HEC code decides; the HTTP status is the
 * fallback for replies without a known code (a proxy's 502, a load balancer's 404).
 *
 * Handlings:
 * - `ok`: taken.
 * - `event`: one event is bad. With `invalid-event-number` the events before it were indexed, it is
 *   dead-lettered and the rest are re-sent; without it, the whole request is refused (permanent).
 * - `retry`: the same request may succeed later (backoff, Retry-After honoured).
 * - `permanent`: this request never will (dead-lettered).
 * - `fatal`: no request will until an operator acts (token, index, channel, HEC settings): sending
 *   stops and what is consumed from then on is dead-lettered with the code as the reason.
 */
export type ReplyHandling = 'ok' | 'event' | 'retry' | 'permanent' | 'fatal';

export interface HecCodeInfo {
  /** Splunk's text for the code. */
  readonly text: string;
  /** The HTTP status Splunk sends it with. */
  readonly status: number;
  readonly handling: ReplyHandling;
  /** The error code (and dead-letter reason) authwire uses. */
  readonly reason: string;
  /** What an operator should do, for fatal codes. */
  readonly hint?: string;
}

export const HEC_CODES: Readonly<Record<number, HecCodeInfo>> = {
  0: { text: 'Success', status: 200, handling: 'ok', reason: 'success' },
  1: { text: 'Token disabled', status: 403, handling: 'fatal', reason: 'token_disabled', hint: 'enable the HEC token in Splunk' },
  2: { text: 'Token is required', status: 401, handling: 'fatal', reason: 'token_required', hint: 'set token' },
  3: { text: 'Invalid authorization', status: 401, handling: 'fatal', reason: 'invalid_authorization', hint: 'check the token and any proxy rewriting the Authorization header' },
  4: { text: 'Invalid token', status: 403, handling: 'fatal', reason: 'invalid_token', hint: 'check token' },
  5: { text: 'No data', status: 400, handling: 'permanent', reason: 'no_data' },
  6: { text: 'Invalid data format', status: 400, handling: 'event', reason: 'invalid_event' },
  7: { text: 'Incorrect index', status: 400, handling: 'fatal', reason: 'incorrect_index', hint: "check index: it must exist and be in the token's allowed indexes" },
  8: { text: 'Internal server error', status: 500, handling: 'retry', reason: 'server_error' },
  9: { text: 'Server is busy', status: 503, handling: 'retry', reason: 'server_busy' },
  10: { text: 'Data channel is missing', status: 400, handling: 'fatal', reason: 'channel_missing', hint: 'a proxy may strip the X-Splunk-Request-Channel header' },
  11: { text: 'Invalid data channel', status: 400, handling: 'fatal', reason: 'invalid_channel', hint: 'check ack.channel (a GUID)' },
  12: { text: 'Event field is required', status: 400, handling: 'event', reason: 'invalid_event' },
  13: { text: 'Event field cannot be blank', status: 400, handling: 'event', reason: 'invalid_event' },
  14: { text: 'ACK is disabled', status: 400, handling: 'fatal', reason: 'ack_disabled', hint: 'enable indexer acknowledgement on the token, or set ack.enabled: false' },
  15: { text: 'Error in handling indexed fields', status: 400, handling: 'event', reason: 'invalid_event' },
  16: { text: 'Query string authorization is not enabled', status: 400, handling: 'fatal', reason: 'query_string_auth_disabled', hint: 'authwire sends the token in the Authorization header; check the endpoint URL' },
};

export interface HecReply {
  readonly text: string | undefined;
  readonly code: number | undefined;
  readonly invalidEventNumber: number | undefined;
  readonly ackId: number | undefined;
}

const NO_REPLY: HecReply = { text: undefined, code: undefined, invalidEventNumber: undefined, ackId: undefined };

/** The HEC fields of a reply body; all undefined when it is not the JSON HEC writes. */
export function parseReply(body: string): HecReply {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return NO_REPLY;
  }
  if (typeof value !== 'object' || value === null) return NO_REPLY;
  const o = value as Record<string, unknown>;
  const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  return {
    text: typeof o['text'] === 'string' ? (o['text'] as string).slice(0, 200) : undefined,
    code: int(o['code']),
    invalidEventNumber: int(o['invalid-event-number']),
    ackId: int(o['ackId']),
  };
}

/** The handling of a reply without a known HEC code, by HTTP status. */
export function handlingOfStatus(status: number): { handling: ReplyHandling; reason: string; hint?: string } {
  if (status >= 200 && status < 300) return { handling: 'ok', reason: 'success' };
  if (status === 401) return { handling: 'fatal', reason: 'unauthorized', hint: 'check token' };
  if (status === 403) return { handling: 'fatal', reason: 'forbidden', hint: 'check token' };
  if (status === 404) return { handling: 'fatal', reason: 'not_found', hint: 'check endpoint: it must be the HEC base URL, with HEC enabled' };
  if (status === 408 || status === 429 || status >= 500) return { handling: 'retry', reason: status === 429 ? 'throttled' : 'server_error' };
  if (status === 413) return { handling: 'permanent', reason: 'request_too_large', hint: "lower max_content_length to the indexer's" };
  return { handling: 'permanent', reason: `http_${status}` };
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
