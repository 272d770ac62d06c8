/**
 * The HEC Sender: encodes OCSF events (encoder.ts) and POSTs them, concatenated, to
 * `/services/collector/event`; everything else (batching, queue, retry, dead letters) is the
 * shared exporter helper's.
 *
 * - One `send` makes one POST of at most `max_content_length` bytes (before compression). Items
 *   that do not fit are handed back in `resend`, so the helper sends them next as a new request:
 *   an oversized request is split without ever sending an event twice.
 * - Replies are mapped by replies.ts. On a per-event error with `invalid-event-number` n (code 6,
 *   12, 13, 15) Splunk has indexed events 0..n-1: n is rejected (dead-lettered), n+1.. re-sent.
 * - With `ack.enabled`, a 200 carries an ackId; the request counts as sent only once
 *   `/services/collector/ack` says it is indexed. Not acknowledged within `ack.timeout`: a
 *   RetryableError, so the request is sent again (at-least-once: HEC does not de-duplicate).
 * - The token is only ever written into the Authorization header; messages name the endpoint's
 *   origin (never its userinfo) and Splunk's reply text.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { CreateSettings, Host, Logger, PipelineRecord } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError, RetryableError } from '../../../core/errors.js';
import { describeNetworkError, keepAliveAgent, readBoundedReply, readCaFile } from '../../../core/exporter/http-client.js';
import { FatalSendError } from '../../../core/exporter/sender.js';
import type { ExportRequest, RejectedItem, SendOutcome, Sender } from '../../../core/exporter/sender.js';
import { hecBaseUrl } from './config.js';
import type { SplunkHecExporterConfig } from './config.js';
import { createHecEncoder } from './encoder.js';
import type { HecEventEncoder } from './encoder.js';
import { HEC_CODES, handlingOfStatus, parseReply, retryAfterMs } from './replies.js';
import type { HecReply, ReplyHandling } from './replies.js';

const gzip = promisify(gzipCallback);

/** Reply bodies are read up to this many bytes; HEC's are tens of bytes, anything longer is not HEC's. */
export const MAX_REPLY_BYTES = 65_536;

export const EVENT_PATH = '/services/collector/event';
export const ACK_PATH = '/services/collector/ack';
export const HEALTH_PATH = '/services/collector/health';

interface HttpReply {
  readonly status: number;
  readonly body: string;
  readonly retryAfter: string | undefined;
}

/** Options a test or the factory may set beyond the user's config. */
export interface HecSenderOptions {
  /** The helper's per-attempt timeout in ms; the ack wait must fit inside it. */
  readonly attemptTimeoutMs: number;
}

export class HecSender implements Sender<string> {
  readonly maxRequestBytes: number;
  /** The channel GUID sent with every request (Splunk requires one whenever the token has ack on). */
  readonly channel: string;
  private readonly id: string;
  private readonly logger: Logger;
  private readonly encode: HecEventEncoder;
  private readonly base: URL | undefined;
  /** The base URL's path without a trailing slash ('' for the root), prefixed to every HEC path. */
  private readonly basePath: string;
  private readonly origin: string;
  private readonly authorization: string | undefined;
  private readonly gzip: boolean;
  private readonly ackEnabled: boolean;
  private readonly ackPollMs: number;
  private readonly ackTimeoutMs: number;
  private agent: HttpAgent | undefined;
  private ca: Buffer | undefined;
  private closed = false;

  constructor(
    settings: CreateSettings,
    private readonly config: SplunkHecExporterConfig,
    private readonly options: HecSenderOptions,
  ) {
    this.id = settings.id;
    this.logger = settings.logger;
    this.maxRequestBytes = config.max_content_length;
    this.channel = config.ack.channel ?? randomUUID();
    this.encode = createHecEncoder({
      host: config.host ?? hostname(),
      source: config.source,
      sourcetype: config.sourcetype,
      sourcetypeByClass: config.sourcetype_by_class,
      index: config.index,
    });
    this.base = config.endpoint === undefined ? undefined : hecBaseUrl(config.endpoint);
    this.basePath = this.base === undefined ? '' : this.base.pathname.replace(/\/+$/, '');
    this.origin = this.base === undefined ? '(no endpoint)' : this.base.origin + this.basePath;
    this.authorization = config.token === undefined ? undefined : `Splunk ${config.token}`;
    this.gzip = config.compression === 'gzip';
    this.ackEnabled = config.ack.enabled;
    this.ackPollMs = parseDuration(config.ack.poll_interval);
    this.ackTimeoutMs = parseDuration(config.ack.timeout);
  }

  prepare(record: PipelineRecord): string {
    return this.encode(record);
  }

  sizeOf(item: string): number {
    return Buffer.byteLength(item, 'utf8');
  }

  async start(_host: Host): Promise<void> {
    if (this.base === undefined || this.authorization === undefined) {
      throw new PermanentError('invalid_config', `${this.id}: endpoint and token are required`);
    }
    if (this.ackEnabled && this.ackTimeoutMs >= this.options.attemptTimeoutMs) {
      throw new PermanentError('invalid_config', `${this.id}: ack.timeout (${this.config.ack.timeout}) must be shorter than timeout (${this.config.timeout}), which bounds the POST and the wait for its acknowledgement together`);
    }
    const tls = this.config.tls;
    this.ca = await readCaFile(this.id, tls.ca_file);
    this.agent = keepAliveAgent(this.base, tls, this.ca);
    this.closed = false;
    if (this.config.health_check) await this.checkHealth();
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.agent?.destroy();
    this.agent = undefined;
  }

  /** GET /services/collector/health; anything but a 200 fails the start, with Splunk's words. */
  async checkHealth(): Promise<void> {
    const where = `GET ${this.origin}${HEALTH_PATH}`;
    let reply: HttpReply;
    try {
      reply = await this.http('GET', HEALTH_PATH, undefined, AbortSignal.timeout(this.options.attemptTimeoutMs));
    } catch (error) {
      throw new RetryableError('unreachable', `${this.id}: health check failed: ${where}: ${describeNetworkError(error)}`, { cause: error });
    }
    if (reply.status === 200) return;
    const parsed = parseReply(reply.body);
    const said = describeReply(reply.status, parsed);
    if (reply.status === 401 || reply.status === 403) {
      const info = parsed.code === undefined ? undefined : HEC_CODES[parsed.code];
      throw new FatalSendError(info?.reason ?? (reply.status === 401 ? 'unauthorized' : 'forbidden'), `${this.id}: health check failed: ${where}: ${said}; the HEC refuses the token (${info?.hint ?? 'check token'})`);
    }
    throw new RetryableError('unhealthy', `${this.id}: health check failed: ${where}: ${said}`);
  }

  async send(request: ExportRequest<string>, signal: AbortSignal): Promise<SendOutcome | void> {
    const items = request.items;
    // Cut the request at max_content_length; what does not fit goes back to the helper as `resend`.
    let count = 0;
    let bytes = 0;
    // The helper keeps requests within maxRequestBytes; measure item by item only when it did not.
    if (request.bytes <= this.maxRequestBytes) count = items.length;
    else for (; count < items.length; count++) {
      const size = Buffer.byteLength(items[count]!, 'utf8');
      if (bytes + size > this.maxRequestBytes) break;
      bytes += size;
    }
    if (count === 0) {
      if (items.length === 0) return;
      const size = Buffer.byteLength(items[0]!, 'utf8');
      return {
        rejected: [{ index: 0, reason: 'record_too_large', detail: `the event is ${size} bytes; max_content_length is ${this.maxRequestBytes}` }],
        resend: range(1, items.length),
      };
    }
    const tail = range(count, items.length);
    const text = count === items.length ? items.join('') : items.slice(0, count).join('');
    const body = this.gzip ? await gzip(text, { level: this.config.compression_params.level }) : Buffer.from(text, 'utf8');
    const where = `POST ${this.origin}${EVENT_PATH}`;
    let reply: HttpReply;
    try {
      reply = await this.http('POST', EVENT_PATH, body, signal);
    } catch (error) {
      throw networkFailure(this.id, where, error, signal);
    }
    const parsed = parseReply(reply.body);
    const { handling, reason, hint } = classify(reply.status, parsed);
    switch (handling) {
      case 'ok':
        if (this.ackEnabled) {
          if (parsed.ackId === undefined) {
            if (parsed.code === undefined) throw new RetryableError('bad_reply', `${this.id}: ${where}: ${describeReply(reply.status, parsed)} without an ackId (not a HEC reply?)`);
            throw new FatalSendError('ack_disabled', `${this.id}: ${where}: the reply carries no ackId: the token does not have indexer acknowledgement enabled; enable it, or set ack.enabled: false`);
          }
          await this.awaitAck(parsed.ackId, signal);
        }
        return tail.length > 0 ? { resend: tail } : undefined;
      case 'event': {
        const n = parsed.invalidEventNumber;
        if (n === undefined || n < 0 || n >= count) {
          throw new PermanentError(reason, `${this.id}: ${where}: ${describeReply(reply.status, parsed)}`);
        }
        const rejected: RejectedItem[] = [{ index: n, reason, detail: `HEC code ${parsed.code} ${JSON.stringify(parsed.text ?? '')} for event ${n} of ${count} in the request` }];
        const resend = range(n + 1, count);
        for (const index of tail) resend.push(index);
        this.logger.debug('HEC refused one event; the ones before it were indexed and the ones after are re-sent', { id: this.id, event: n, code: parsed.code });
        return resend.length > 0 ? { rejected, resend } : { rejected };
      }
      case 'retry': {
        const after = retryAfterMs(reply.retryAfter, Date.now());
        throw new RetryableError(reason, `${this.id}: ${where}: ${describeReply(reply.status, parsed)}`, after === undefined ? {} : { retryAfterMs: after });
      }
      case 'permanent':
        throw new PermanentError(reason, `${this.id}: ${where}: ${describeReply(reply.status, parsed)}${hint ? `; ${hint}` : ''}`);
      case 'fatal':
        throw new FatalSendError(reason, `${this.id}: ${where}: ${describeReply(reply.status, parsed)}; sending stopped: ${hint ?? 'check the HEC settings'}`);
    }
  }

  /**
   * Polls `/services/collector/ack` for one ackId until it is true or `ack.timeout` passes. A poll
   * that fails (network, 5xx) is not a verdict on the data, so polling goes on until the deadline.
   */
  private async awaitAck(ackId: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.ackTimeoutMs;
    const path = `${ACK_PATH}?channel=${this.channel}`;
    const where = `POST ${this.origin}${ACK_PATH}`;
    const body = Buffer.from(`{"acks":[${ackId}]}`, 'utf8');
    let last = 'no poll answered';
    for (;;) {
      const wait = Math.min(this.ackPollMs, Math.max(0, deadline - Date.now()));
      try {
        await sleep(wait, undefined, { signal });
      } catch (error) {
        throw networkFailure(this.id, where, error, signal);
      }
      let reply: HttpReply | undefined;
      try {
        reply = await this.http('POST', path, body, signal, false);
      } catch (error) {
        if (signal.aborted) throw networkFailure(this.id, where, error, signal);
        last = describeNetworkError(error);
      }
      if (reply !== undefined) {
        const parsed = parseReply(reply.body);
        if (reply.status === 200) {
          if (ackStatus(reply.body, ackId)) return;
          last = `ackId ${ackId} not yet indexed`;
        } else {
          const { handling, reason, hint } = classify(reply.status, parsed);
          if (handling === 'fatal') throw new FatalSendError(reason, `${this.id}: ${where}: ${describeReply(reply.status, parsed)}; sending stopped: ${hint ?? 'check the HEC settings'}`);
          last = describeReply(reply.status, parsed);
        }
      }
      if (Date.now() >= deadline) {
        throw new RetryableError('ack_timeout', `${this.id}: ${where}: ackId ${ackId} on channel ${this.channel} not acknowledged within ${this.config.ack.timeout} (${last}); the request is sent again`);
      }
    }
  }

  private http(method: 'GET' | 'POST', path: string, body: Buffer | undefined, signal: AbortSignal, compressed = this.gzip): Promise<HttpReply> {
    const base = this.base!;
    const headers: OutgoingHttpHeaders = {
      Authorization: this.authorization,
      'X-Splunk-Request-Channel': this.channel,
    };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = body.length;
      if (compressed) headers['Content-Encoding'] = 'gzip';
    }
    const agent = this.agent;
    if (this.closed || agent === undefined) return Promise.reject(new RetryableError('not_started', `${this.id}: the sender is not started`));
    const requestFn = base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpReply>((resolve, reject) => {
      const req = requestFn(
        { protocol: base.protocol, hostname: base.hostname, port: base.port, path: this.basePath + path, method, headers, agent, signal },
        (res: IncomingMessage) => {
          // Past MAX_REPLY_BYTES the rest is not HEC's and not worth reading.
          readBoundedReply(res, MAX_REPLY_BYTES).then((raw) => {
            const retryAfter = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, body: raw.toString('utf8'), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined });
          }, reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function classify(status: number, reply: HecReply): { handling: ReplyHandling; reason: string; hint?: string } {
  const info = reply.code === undefined ? undefined : HEC_CODES[reply.code];
  if (info !== undefined) {
    // A code 0 on a non-2xx (a proxy rewriting status) is judged by the status.
    if (info.handling === 'ok' && (status < 200 || status >= 300)) return handlingOfStatus(status);
    return info.hint === undefined ? { handling: info.handling, reason: info.reason } : { handling: info.handling, reason: info.reason, hint: info.hint };
  }
  return handlingOfStatus(status);
}

/** `acks[id] === true` in an ack reply (`{"acks":{"7":true}}`). */
function ackStatus(body: string, ackId: number): boolean {
  try {
    const value = JSON.parse(body) as { acks?: Record<string, unknown> } | null;
    return value?.acks?.[String(ackId)] === true;
  } catch {
    return false;
  }
}

function describeReply(status: number, reply: HecReply): string {
  let out = `HTTP ${status}`;
  if (reply.code !== undefined) out += `, HEC code ${reply.code}`;
  if (reply.text !== undefined) out += ` ${JSON.stringify(reply.text)}`;
  return out;
}

function networkFailure(id: string, where: string, error: unknown, signal: AbortSignal): RetryableError {
  if (signal.aborted) {
    const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
    return new RetryableError('timeout', `${id}: ${where}: aborted (${reason})`, { cause: error });
  }
  return new RetryableError('unreachable', `${id}: ${where}: ${describeNetworkError(error)}`, { cause: error });
}
