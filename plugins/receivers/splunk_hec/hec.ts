import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Consumer, CreateSettings, DeadLetter, Host, RawRecord, Receiver } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError } from '../../../core/errors.js';
import { InFlight, acquireSharedListener, listenerMetrics, decodeBody, deliver, readBody, sendJson } from '../../../core/listener/shared-http.js';
import type { CredentialClaim, ListenerCounts, ListenerLease, ListenerMember, Route } from '../../../core/listener/shared-http.js';
import { createDefaultConfig } from './config.js';
import type { SplunkHecReceiverConfig } from './config.js';
import { parseHecEvents, parseHecRaw } from './parse.js';

/** What metrics() shows (a type literal, so it stays assignable to Component.metrics' record). */
export type SplunkHecReceiverMetrics = {
  requests: number;
  records: number;
  accepted_requests: number;
  health_checks: number;
  refused_method: number;
  refused_busy: number;
  refused_unavailable: number;
  refused_too_large: number;
  refused_no_data: number;
  refused_invalid_data: number;
  refused_ack: number;
  dead_lettered_records: number;
  dead_lettered_events: number;
  in_flight: number;
} & Record<`listener_${keyof ListenerCounts}`, number>;

const FAMILY = 'splunk_hec';

/** The paths HEC serves, and what each does. */
const ENDPOINTS: Readonly<Record<string, 'event' | 'raw' | 'health' | 'ack'>> = {
  '/services/collector': 'event',
  '/services/collector/event': 'event',
  '/services/collector/event/1.0': 'event',
  '/services/collector/raw': 'raw',
  '/services/collector/raw/1.0': 'raw',
  '/services/collector/health': 'health',
  '/services/collector/health/1.0': 'health',
  '/services/collector/ack': 'ack',
};

/** HEC's replies, with Splunk's texts and statuses. */
export const HEC = {
  success: { status: 200, body: { text: 'Success', code: 0 } },
  tokenRequired: { status: 401, body: { text: 'Token is required', code: 2 } },
  invalidAuthorization: { status: 401, body: { text: 'Invalid authorization', code: 3 } },
  invalidToken: { status: 403, body: { text: 'Invalid token', code: 4 } },
  noData: { status: 400, body: { text: 'No data', code: 5 } },
  invalidDataFormat: { status: 400, body: { text: 'Invalid data format', code: 6 } },
  serverBusy: { status: 503, body: { text: 'Server is busy', code: 9 } },
  ackDisabled: { status: 400, body: { text: 'ACK is disabled', code: 14 } },
  queryStringAuth: { status: 400, body: { text: 'Query string authorization is not enabled', code: 16 } },
  healthy: { status: 200, body: { text: 'HEC is healthy', code: 17 } },
  queuesFull: { status: 503, body: { text: 'HEC is unhealthy, queues are full', code: 18 } },
} as const;

const EVENT_ERROR_TEXT: Readonly<Record<6 | 12 | 13, string>> = {
  6: 'Invalid data format',
  12: 'Event field is required',
  13: 'Event field cannot be blank',
};

type HecReply = { readonly status: number; readonly body: { readonly text: string; readonly code: number } };

function reply(response: ServerResponse, answer: HecReply, headers?: Record<string, string>): void {
  sendJson(response, answer.status, answer.body, headers);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splunk HTTP Event Collector input: what HEC clients (Splunk forwarders' httpout, OTel's
 * splunk_hec exporter, authwire's own) send, answered with HEC's codes, for one tenant. Instances
 * share a server per endpoint; the token picks the instance.
 */
export class SplunkHecReceiver implements Receiver, ListenerMember {
  readonly id: string;
  readonly tenant: string;
  readonly family = FAMILY;
  readonly paths: readonly string[] = Object.keys(ENDPOINTS);
  readonly tokens: readonly CredentialClaim[];
  readonly secrets: readonly CredentialClaim[] = [];
  readonly front = hecFront;
  private readonly config: SplunkHecReceiverConfig;
  private readonly settings: CreateSettings;
  private readonly nextConsumer: Consumer;
  private readonly maxBytes: number;
  private readonly retryAfterMs: number;
  private readonly sourcetypeFormats: Map<string, string>;
  private readonly inFlight: InFlight;
  private host: Host | undefined;
  private lease: ListenerLease | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly counts = {
    requests: 0,
    records: 0,
    accepted_requests: 0,
    health_checks: 0,
    refused_method: 0,
    refused_busy: 0,
    refused_unavailable: 0,
    refused_too_large: 0,
    refused_no_data: 0,
    refused_invalid_data: 0,
    refused_ack: 0,
    dead_lettered_records: 0,
    dead_lettered_events: 0,
  };

  constructor(settings: CreateSettings, userConfig: SplunkHecReceiverConfig, next: Consumer) {
    const config: SplunkHecReceiverConfig = { ...createDefaultConfig(), ...userConfig };
    this.settings = settings;
    this.config = config;
    this.nextConsumer = next;
    this.id = settings.id;
    this.tenant = settings.tenant;
    this.tokens = (config.tokens ?? []).map((entry) => ({ token: entry.token, tenant: entry.tenant }));
    this.maxBytes = config.max_request_bytes;
    this.retryAfterMs = parseDuration(config.retry_after);
    this.sourcetypeFormats = new Map(Object.entries(config.sourcetype_formats));
    this.inFlight = new InFlight(config.max_concurrent_requests);
  }

  /** Where the shared server listens (the real port when configured with port 0); undefined before start. */
  get address(): { host: string; port: number } | undefined {
    return this.lease?.listener.address;
  }

  start(host: Host): Promise<void> {
    this.starting ??= this.open(host);
    return this.starting;
  }

  private async open(host: Host): Promise<void> {
    const name = this.id;
    if (this.config.format === undefined) throw new PermanentError('invalid_config', `${name}: format is required (the normalizer format of the events, e.g. okta or linux.auth)`);
    if (this.tokens.length === 0) throw new PermanentError('invalid_config', `${name}: tokens is required: HEC requests are only accepted with a token`);
    this.host = host;
    this.lease = await acquireSharedListener(this, { endpoint: this.config.endpoint, tls: this.config.tls });
    const { host: address, port } = this.lease.listener.address;
    this.settings.logger.info('splunk_hec receiver listening', { address: `${address}:${port}/services/collector`, tls: this.config.tls !== undefined, format: this.config.format });
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  private async close(): Promise<void> {
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    await this.inFlight.drain();
    await this.lease?.release();
  }

  metrics(): SplunkHecReceiverMetrics {
    return {
      ...this.counts,
      in_flight: this.inFlight.size,
      ...listenerMetrics(this.lease?.listener.counts),
    };
  }

  /** A request whose token is this receiver's. Never throws. */
  handle(request: IncomingMessage, response: ServerResponse, kind: 'event' | 'raw' | 'health' | 'ack', query: URLSearchParams): void {
    this.counts.requests++;
    if (this.stopping !== undefined || this.host === undefined) {
      this.counts.refused_unavailable++;
      reply(response, HEC.serverBusy, { 'retry-after': '1' });
      return;
    }
    if (kind === 'health') {
      this.counts.health_checks++;
      reply(response, this.inFlight.size >= this.inFlight.limit ? HEC.queuesFull : HEC.healthy);
      return;
    }
    if (request.method !== 'POST') {
      this.counts.refused_method++;
      sendJson(response, 405, { text: 'Method not allowed; use POST' }, { allow: 'POST' });
      return;
    }
    if (kind === 'ack') {
      // No indexer acknowledgement here: a 200 means consume() resolved already.
      this.counts.refused_ack++;
      reply(response, HEC.ackDisabled);
      return;
    }
    if (!this.inFlight.tryBegin()) {
      this.counts.refused_busy++;
      reply(response, HEC.serverBusy, { 'retry-after': String(Math.max(1, Math.ceil(this.retryAfterMs / 1000))) });
      return;
    }
    this.process(request, response, kind, query, this.host)
      .catch((error: unknown) => {
        this.host?.reportError(error);
        sendJson(response, 500, { text: 'Internal server error', code: 8 });
      })
      .finally(() => this.inFlight.end());
  }

  private formatOf(sourcetype: string | undefined): string {
    return (sourcetype !== undefined ? this.sourcetypeFormats.get(sourcetype) : undefined) ?? this.config.format!;
  }

  private async process(request: IncomingMessage, response: ServerResponse, kind: 'event' | 'raw', query: URLSearchParams, host: Host): Promise<void> {
    this.inFlight.startReading(request);
    const read = await readBody(request, this.maxBytes);
    this.inFlight.doneReading(request);
    if (!read.ok) {
      if (read.reason === 'too_large') this.tooLarge(response, request);
      else response.destroy();
      return;
    }
    const observedTime = Date.now();
    const decoded = await decodeBody(read.body, request.headers['content-encoding'], this.maxBytes);
    if (!decoded.ok) {
      if (decoded.reason === 'too_large') this.tooLarge(response, request);
      else {
        this.counts.refused_invalid_data++;
        reply(response, HEC.invalidDataFormat);
      }
      return;
    }
    let text: string;
    try {
      text = utf8.decode(decoded.body);
    } catch {
      this.counts.refused_invalid_data++;
      await this.deadLetter(host, 'hec_invalid_data', 'the body is not UTF-8 text', decoded.body, observedTime);
      sendJson(response, 400, { ...HEC.invalidDataFormat.body, 'invalid-event-number': 0 });
      return;
    }
    const querySourcetype = query.get('sourcetype') ?? undefined;
    const source = this.id;
    let records: RawRecord[];
    let failure: { code: 6 | 12 | 13; index: number; detail: string; text: string } | undefined;
    if (kind === 'raw') {
      const format = this.formatOf(querySourcetype);
      const lines = parseHecRaw(text);
      records = new Array<RawRecord>(lines.length);
      for (let i = 0; i < lines.length; i++) records[i] = { format, payload: lines[i], observedTime, source };
    } else {
      const parsed = parseHecEvents(text);
      failure = parsed.error;
      const events = parsed.events;
      records = new Array<RawRecord>(events.length);
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        records[i] = { format: this.formatOf(event.sourcetype ?? querySourcetype), payload: event.event, observedTime, source };
      }
    }
    if (records.length === 0 && failure === undefined) {
      this.counts.refused_no_data++;
      reply(response, HEC.noData);
      return;
    }
    // As Splunk: the events before a bad one are taken; the reply names the bad one.
    if (records.length > 0) {
      const outcome = await deliver(this.nextConsumer, host, this.tenant, records, this.retryAfterMs);
      if (outcome.kind === 'retry') {
        this.counts.refused_unavailable++;
        reply(response, HEC.serverBusy, { 'retry-after': outcome.retryAfter });
        return;
      }
      if (outcome.kind === 'accepted') {
        this.counts.accepted_requests++;
        this.counts.records += records.length;
      } else this.counts.dead_lettered_records += records.length;
    }
    if (failure !== undefined) {
      this.counts.refused_invalid_data++;
      await this.deadLetter(host, 'hec_invalid_event', failure.detail, failure.text, observedTime);
      sendJson(response, 400, { text: EVENT_ERROR_TEXT[failure.code], code: failure.code, 'invalid-event-number': failure.index });
      return;
    }
    reply(response, HEC.success);
  }

  private tooLarge(response: ServerResponse, request: IncomingMessage): void {
    this.counts.refused_too_large++;
    const declared = request.headers['content-length'];
    const text = declared !== undefined && Number(declared) > this.maxBytes
      ? `Content-Length of ${declared} too large (maximum is ${this.maxBytes})`
      : `Request entity too large (maximum is ${this.maxBytes} bytes)`;
    sendJson(response, 413, { text });
  }

  /** The bad event is the tenant's (the token said so): kept with why, as well as refused. */
  private async deadLetter(host: Host, reason: string, detail: string, original: unknown, observedTime: number): Promise<void> {
    const letter: DeadLetter = { reason, detail, format: this.config.format, original, observedTime };
    try {
      await host.deadLetter(this.tenant, [letter]);
      this.counts.dead_lettered_events++;
    } catch (error) {
      host.reportError(error);
    }
  }
}

/**
 * Authenticates a HEC request (`Authorization: Splunk <token>`) and hands it to the receiver the
 * token names. The health endpoint answers without a token; with one, it checks it.
 */
function hecFront(request: IncomingMessage, response: ServerResponse, route: Route): void {
  const kind = ENDPOINTS[route.path];
  const listener = route.listener;
  if (kind === undefined) {
    listener.notFound(response);
    return;
  }
  const url = request.url ?? '';
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '') {
    if (kind === 'health') {
      reply(response, HEC.healthy);
      return;
    }
    listener.counts.unauthorized++;
    reply(response, query.has('token') ? HEC.queryStringAuth : HEC.tokenRequired);
    return;
  }
  const match = /^splunk\s+(\S+)\s*$/i.exec(authorization);
  if (match === null) {
    listener.counts.unauthorized++;
    reply(response, HEC.invalidAuthorization);
    return;
  }
  const member = listener.memberForToken(match[1]!);
  if (member === undefined || !route.members.includes(member)) {
    listener.counts.unauthorized++;
    reply(response, HEC.invalidToken);
    return;
  }
  (member as SplunkHecReceiver).handle(request, response, kind, query);
}
