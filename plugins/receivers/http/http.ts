import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Consumer, CreateSettings, Host, RawRecord, Receiver } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError } from '../../../core/errors.js';
import { InFlight, MAX_PREAUTH_READS, acquireSharedListener, listenerMetrics, decodeBody, deliver, readBody, sendJson } from '../../../core/listener/shared-http.js';
import type { CredentialClaim, ListenerCounts, ListenerLease, ListenerMember, Route } from '../../../core/listener/shared-http.js';
import { BAD_REQUEST_REASONS, decodeText, parseJsonBody, parseTextBody } from './parse.js';
import type { BadRequestReason } from './parse.js';
import { createDefaultConfig } from './config.js';
import type { HmacEntry, HttpReceiverConfig } from './config.js';

/** What metrics() shows (a type literal, so it stays assignable to Component.metrics' record). */
export type HttpReceiverMetrics = {
  requests: number;
  records: number;
  accepted_requests: number;
  okta_verifications: number;
  refused_method: number;
  refused_busy: number;
  refused_unavailable: number;
  refused_too_large: number;
  refused_encoding: number;
  refused_bad_request: number;
  dead_lettered_records: number;
  dead_lettered_bodies: number;
  in_flight: number;
} & Record<`bad_request_${BadRequestReason}`, number> & Record<`listener_${keyof ListenerCounts}`, number>;

const FAMILY = 'http';
/** Longest Okta verification challenge echoed back (Okta's are ~40 characters). */
const MAX_CHALLENGE = 1024;
const MIN_SECRET_LENGTH = 16;

interface Signer {
  readonly header: string;
  readonly algorithm: string;
  readonly encoding: 'hex' | 'base64';
  readonly prefix: string;
  readonly secret: string;
}

/** `Bearer <token>`, or the bare header value (Okta event hooks and Auth0 log streams send what was configured, verbatim). */
export function bearerToken(authorization: string): string {
  const match = /^bearer\s+(.+)$/i.exec(authorization.trim());
  return match ? match[1]!.trim() : authorization.trim();
}

/**
 * Receives events pushed over HTTP: POSTed JSON, JSON arrays, NDJSON or text lines (gzip or not),
 * authenticated by bearer token or HMAC signature, for one tenant. Several instances (tenants)
 * share a server per endpoint; a request's credential picks the instance.
 */
export class HttpReceiver implements Receiver, ListenerMember {
  readonly id: string;
  readonly tenant: string;
  readonly family = FAMILY;
  readonly paths: readonly string[];
  readonly tokens: readonly CredentialClaim[];
  readonly secrets: readonly CredentialClaim[];
  readonly claimNames = { tokens: 'tokens', secrets: 'hmac' } as const;
  readonly front = httpFront;
  readonly maxBytes: number;
  private readonly config: HttpReceiverConfig;
  private readonly settings: CreateSettings;
  private readonly nextConsumer: Consumer;
  private readonly signers: readonly Signer[];
  private readonly retryAfterMs: number;
  private readonly inFlight: InFlight;
  private host: Host | undefined;
  private lease: ListenerLease | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly counts = {
    requests: 0,
    records: 0,
    accepted_requests: 0,
    okta_verifications: 0,
    refused_method: 0,
    refused_busy: 0,
    refused_unavailable: 0,
    refused_too_large: 0,
    refused_encoding: 0,
    refused_bad_request: 0,
    dead_lettered_records: 0,
    dead_lettered_bodies: 0,
  };
  private readonly badRequests = Object.fromEntries(BAD_REQUEST_REASONS.map((reason) => [`bad_request_${reason}`, 0])) as Record<`bad_request_${BadRequestReason}`, number>;

  constructor(settings: CreateSettings, userConfig: HttpReceiverConfig, next: Consumer) {
    const config: HttpReceiverConfig = { ...createDefaultConfig(), ...userConfig };
    this.settings = settings;
    this.config = config;
    this.nextConsumer = next;
    this.id = settings.id;
    this.tenant = settings.tenant;
    this.paths = [config.path];
    this.tokens = config.tokens.map((entry) => ({ token: entry.token, tenant: entry.tenant }));
    this.signers = config.hmac.map((entry: Partial<HmacEntry>) => ({
      header: (entry.header ?? 'x-authwire-signature').toLowerCase(),
      algorithm: entry.algorithm ?? 'sha256',
      encoding: entry.encoding ?? 'hex',
      prefix: entry.prefix ?? '',
      secret: entry.secret ?? '',
    }));
    this.secrets = config.hmac.map((entry) => ({ token: entry.secret, tenant: entry.tenant }));
    this.maxBytes = config.max_request_bytes;
    this.retryAfterMs = parseDuration(config.retry_after);
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
    if (this.config.format === undefined) throw new PermanentError('invalid_config', `${name}: format is required (the normalizer format of the posted events, e.g. okta or auth0)`);
    if (this.tokens.length === 0 && this.secrets.length === 0) throw new PermanentError('invalid_config', `${name}: configure tokens or hmac: requests are only accepted with a credential`);
    this.config.hmac.forEach((entry, index) => {
      // The message never quotes the secret.
      if (entry.secret.length < MIN_SECRET_LENGTH) throw new PermanentError('invalid_config', `${name}: hmac[${index}].secret must be at least ${MIN_SECRET_LENGTH} characters`);
    });
    this.host = host;
    this.lease = await acquireSharedListener(this, { endpoint: this.config.endpoint, tls: this.config.tls });
    const { host: address, port } = this.lease.listener.address;
    this.settings.logger.info('http receiver listening', { address: `${address}:${port}${this.config.path}`, tls: this.config.tls !== undefined, format: this.config.format });
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  private async close(): Promise<void> {
    // A start in progress finishes first, so its lease is released too.
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    await this.inFlight.drain();
    await this.lease?.release();
  }

  metrics(): HttpReceiverMetrics {
    return {
      ...this.counts,
      ...this.badRequests,
      in_flight: this.inFlight.size,
      ...listenerMetrics(this.lease?.listener.counts),
    };
  }

  /** The signers whose header the request carries. */
  signedBy(request: IncomingMessage): boolean {
    for (const signer of this.signers) if (request.headers[signer.header] !== undefined) return true;
    return false;
  }

  /** True when one of this receiver's HMAC secrets signed `body`; constant time in the signature. */
  verifies(request: IncomingMessage, body: Buffer): boolean {
    for (const signer of this.signers) {
      const value = request.headers[signer.header];
      if (typeof value !== 'string') continue;
      let text = value.trim();
      if (signer.prefix !== '') {
        if (!text.toLowerCase().startsWith(signer.prefix.toLowerCase())) continue;
        text = text.slice(signer.prefix.length);
      }
      const presented = Buffer.from(text, signer.encoding);
      const expected = createHmac(signer.algorithm, signer.secret).update(body).digest();
      if (presented.length === expected.length && timingSafeEqual(presented, expected)) return true;
    }
    return false;
  }

  /** An authenticated request (`body` when the HMAC check already read it). Never throws. */
  handle(request: IncomingMessage, response: ServerResponse, body: Buffer | undefined): void {
    this.counts.requests++;
    if (this.stopping !== undefined || this.host === undefined) {
      this.counts.refused_unavailable++;
      sendJson(response, 503, { error: 'shutting_down', message: 'the receiver is stopping' }, { 'retry-after': '1' });
      return;
    }
    const method = request.method;
    if (method === 'GET') {
      const challenge = request.headers['x-okta-verification-challenge'];
      if (typeof challenge === 'string' && challenge !== '' && challenge.length <= MAX_CHALLENGE) {
        // Okta's one-time event hook verification: echo the challenge.
        this.counts.okta_verifications++;
        sendJson(response, 200, { verification: challenge });
        return;
      }
    }
    if (method !== 'POST') {
      this.counts.refused_method++;
      sendJson(response, 405, { error: 'method_not_allowed', message: 'POST events (GET only for the Okta verification challenge)' }, { allow: 'GET, POST' });
      return;
    }
    if (!this.inFlight.tryBegin()) {
      this.counts.refused_busy++;
      sendJson(response, 429, { error: 'too_many_requests', message: `more than ${this.inFlight.limit} requests in flight` }, { 'retry-after': String(Math.max(1, Math.ceil(this.retryAfterMs / 1000))) });
      return;
    }
    this.process(request, response, body, this.host)
      .catch((error: unknown) => {
        this.host?.reportError(error);
        sendJson(response, 500, { error: 'internal_error' });
      })
      .finally(() => this.inFlight.end());
  }

  private async process(request: IncomingMessage, response: ServerResponse, preRead: Buffer | undefined, host: Host): Promise<void> {
    let raw = preRead;
    if (raw === undefined) {
      this.inFlight.startReading(request);
      const read = await readBody(request, this.maxBytes);
      this.inFlight.doneReading(request);
      if (!read.ok) {
        if (read.reason === 'too_large') this.tooLarge(response, `the body is larger than ${this.maxBytes} bytes`);
        // aborted: the client went away (or shutdown cut the read); nobody to answer.
        else response.destroy();
        return;
      }
      raw = read.body;
    } else if (raw.length > this.maxBytes) {
      this.tooLarge(response, `the body is larger than ${this.maxBytes} bytes`);
      return;
    }
    const observedTime = Date.now();
    const decoded = await decodeBody(raw, request.headers['content-encoding'], this.maxBytes);
    if (!decoded.ok) {
      if (decoded.reason === 'too_large') this.tooLarge(response, decoded.detail);
      else if (decoded.reason === 'unsupported_encoding') {
        this.counts.refused_encoding++;
        sendJson(response, 415, { error: 'unsupported_encoding', message: decoded.detail });
      } else await this.badRequest(response, host, 'bad_gzip', decoded.detail, raw, observedTime);
      return;
    }
    const text = decodeText(decoded.body);
    if (text === undefined) {
      await this.badRequest(response, host, 'invalid_utf8', 'the body is not UTF-8 text', decoded.body, observedTime);
      return;
    }
    const parsed = this.config.payload === 'text' ? parseTextBody(text) : parseJsonBody(text, request.headers['content-type']);
    if (!parsed.ok) {
      await this.badRequest(response, host, parsed.reason, parsed.detail, text, observedTime);
      return;
    }
    const values = parsed.values;
    if (values.length === 0) {
      sendJson(response, 200, { accepted: 0 });
      return;
    }
    const format = this.config.format!;
    const source = this.id;
    const records: RawRecord[] = new Array<RawRecord>(values.length);
    for (let i = 0; i < values.length; i++) records[i] = { format, payload: values[i], observedTime, source };
    const outcome = await deliver(this.nextConsumer, host, this.tenant, records, this.retryAfterMs);
    switch (outcome.kind) {
      case 'accepted':
        this.counts.accepted_requests++;
        this.counts.records += records.length;
        sendJson(response, 200, { accepted: records.length });
        return;
      case 'retry':
        this.counts.refused_unavailable++;
        sendJson(response, 503, { error: 'unavailable', reason: outcome.code, message: 'the pipeline cannot take more now; retry later' }, { 'retry-after': outcome.retryAfter });
        return;
      case 'dead_lettered':
        this.counts.dead_lettered_records += records.length;
        sendJson(response, 200, { accepted: 0, dead_lettered: records.length, reason: outcome.code });
        return;
    }
  }

  private tooLarge(response: ServerResponse, message: string): void {
    this.counts.refused_too_large++;
    sendJson(response, 413, { error: 'too_large', message });
  }

  /**
   * 400 with the reason. The body is dead-lettered too (the request is authenticated, so it is the
   * tenant's): webhook senders drop what a 400 refuses, and the operator can see what was sent.
   */
  private async badRequest(response: ServerResponse, host: Host, reason: BadRequestReason, detail: string, original: unknown, observedTime: number): Promise<void> {
    this.counts.refused_bad_request++;
    this.badRequests[`bad_request_${reason}`]++;
    try {
      await host.deadLetter(this.tenant, [{ reason, detail, format: this.config.format, original, observedTime }]);
      this.counts.dead_lettered_bodies++;
    } catch (error) {
      host.reportError(error);
    }
    sendJson(response, 400, { error: reason, message: detail });
  }
}

/**
 * Authenticates a request on an http path and hands it to the receiver its credential names:
 * `Authorization` (a token), else an HMAC signature header. A credential of a tenant with no
 * receiver on this path is refused like an unknown one (401).
 */
function httpFront(request: IncomingMessage, response: ServerResponse, route: Route): void {
  const members = route.members as readonly HttpReceiver[];
  const listener = route.listener;
  const authorization = request.headers.authorization;
  if (authorization !== undefined && authorization !== '') {
    const member = listener.memberForToken(bearerToken(authorization));
    if (member === undefined || !members.includes(member as HttpReceiver)) {
      listener.counts.unauthorized++;
      sendJson(response, 401, { error: 'unauthorized', message: 'invalid credentials' }, { 'www-authenticate': 'Bearer' });
      return;
    }
    (member as HttpReceiver).handle(request, response, undefined);
    return;
  }
  const candidates = members.filter((member) => member.signedBy(request));
  if (candidates.length === 0) {
    listener.counts.unauthorized++;
    sendJson(response, 401, { error: 'unauthorized', message: 'a bearer token or a signature is required' }, { 'www-authenticate': 'Bearer' });
    return;
  }
  if (listener.preauthReads >= MAX_PREAUTH_READS) {
    listener.counts.busy++;
    sendJson(response, 429, { error: 'too_many_requests', message: 'too many signed requests being read' }, { 'retry-after': '1' });
    return;
  }
  // The signature covers the body, so it is read (up to the largest candidate's limit) first.
  listener.preauthReads++;
  const limit = Math.max(...candidates.map((member) => member.maxBytes));
  readBody(request, limit).then(
    (read) => {
      listener.preauthReads--;
      if (!read.ok) {
        if (read.reason === 'too_large') {
          listener.counts.too_large++;
          sendJson(response, 413, { error: 'too_large', message: `the body is larger than ${limit} bytes` });
        } else response.destroy();
        return;
      }
      const member = candidates.find((candidate) => candidate.verifies(request, read.body));
      if (member === undefined) {
        listener.counts.unauthorized++;
        sendJson(response, 401, { error: 'unauthorized', message: 'invalid signature' });
        return;
      }
      member.handle(request, response, read.body);
    },
    () => {
      listener.preauthReads--;
      response.destroy();
    },
  );
}
