/**
 * A System Log API that behaves as Okta documents it for polling requests (since, no until,
 * sortOrder=ASCENDING): pages of `limit` events, an opaque `after` cursor, a `Link: rel="next"` on
 * every page (also an empty one, pointing where to poll again), X-Rate-Limit-* headers, SSWS or
 * OAuth bearer authentication, and a token endpoint for OAuth for Okta (private_key_jwt).
 * Faults are queued per request.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { verify, type KeyObject } from 'node:crypto';
import { RecordingDownstream, closeServer, createBufferingServer, listenOnLoopback } from '../fake-api.js';

export { CapturingLogger, leakText } from '../fake-api.js';

export interface OktaEvent {
  uuid: string;
  published: string;
  eventType: string;
  [key: string]: unknown;
}

const TYPES = ['user.session.start', 'user.authentication.auth_via_mfa', 'user.account.lock', 'user.mfa.okta_verify.deny_push', 'group.user_membership.add'];

/** A System Log event of our own making, in Okta's LogEvent shape. */
export function oktaEvent(i: number, published: string): OktaEvent {
  const failed = i % 2 === 1;
  return {
    uuid: `5d0e7a2c-${String(i).padStart(4, '0')}-11f0-8c3b-7f2a9e41d0c6`,
    published,
    eventType: TYPES[i % TYPES.length]!,
    version: '0',
    severity: failed ? 'WARN' : 'INFO',
    legacyEventType: failed ? 'core.user_auth.login_failed' : 'core.user_auth.login_success',
    displayMessage: failed ? 'User login to Okta' : 'User login to Okta',
    actor: { id: `00u9q${String(i).padStart(4, '0')}Zk3Lm8x697`, type: 'User', alternateId: `user${i}@corp.example.com`, displayName: `Test User ${i}`, detailEntry: null },
    client: {
      userAgent: { rawUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', os: 'Linux', browser: 'FIREFOX' },
      zone: 'null',
      device: 'Computer',
      id: null,
      ipAddress: `203.0.113.${(i % 250) + 1}`,
      geographicalContext: { city: 'Lisbon', state: 'Lisbon', country: 'Portugal', postalCode: '1100-148', geolocation: { lat: 38.7223, lon: -9.1393 } },
    },
    authenticationContext: { authenticationProvider: 'OKTA_AUTHENTICATION_PROVIDER', credentialType: 'PASSWORD', authenticationStep: 0, externalSessionId: `102sess${i}` },
    outcome: failed ? { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' } : { result: 'SUCCESS', reason: null },
    transaction: { type: 'WEB', id: `Zq8tx${i}AAAB`, detail: {} },
    debugContext: { debugData: { requestId: `Zq8req${i}`, requestUri: '/idp/idx/identify', url: '/idp/idx/identify?' } },
    target: null,
  };
}

/** `count` events from `startMs`, one per `stepMs`. */
export function oktaEvents(count: number, startMs: number, stepMs = 1000, from = 0): OktaEvent[] {
  return Array.from({ length: count }, (_, k) => oktaEvent(from + k, new Date(startMs + k * stepMs).toISOString()));
}

export type Fault = (response: ServerResponse) => void;

export interface Request {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly at: number;
}

export class FakeOkta {
  readonly events: OktaEvent[] = [];
  /** Faults for the next API requests, one each, in order. */
  readonly faults: Fault[] = [];
  readonly requests: Request[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  /** Re-serve this many events from before the cursor at the start of each page (boundary duplicates). */
  overlap = 0;
  /** SSWS token accepted, if any. */
  ssws: string | undefined;
  /** OAuth: the client and its public key; issued tokens; which are still valid. */
  oauth: { clientId: string; publicKey: KeyObject; alg: 'RS256' | 'ES256' } | undefined;
  private issued = 0;
  private readonly valid = new Set<string>();
  /** Rate-limit headers sent with every answer: remaining counts down from the limit. */
  rateLimit = 600;
  /** The X-Rate-Limit-Reset (epoch seconds) to send; a minute ahead by default. */
  resetAt: () => number = () => Math.floor(Date.now() / 1000) + 60;
  /** The reset sent with each 200 answer, in order. */
  readonly resets: number[] = [];
  server!: Server;
  base = '';

  async listen(): Promise<this> {
    this.server = createBufferingServer((request, response, body) => this.handle(request, response, body));
    this.base = await listenOnLoopback(this.server);
    return this;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** The server forgets every issued access token (they expired). */
  expireTokens(): void {
    this.valid.clear();
  }

  get tokensIssued(): number {
    return this.issued;
  }

  private handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    const url = new URL(request.url ?? '/', this.base);
    if (request.method === 'POST' && url.pathname === '/oauth2/v1/token') return this.token(response, new URLSearchParams(body));
    if (request.method !== 'GET' || url.pathname !== '/api/v1/logs') return void response.writeHead(404).end();
    this.requests.push({ path: `${url.pathname}${url.search}`, authorization: request.headers.authorization, at: Date.now() });
    const fault = this.faults.shift();
    if (fault !== undefined) return fault(response);
    if (!this.authorized(request.headers.authorization)) {
      return void response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorId: 'oae1', errorCauses: [] }));
    }
    const limit = Number(url.searchParams.get('limit') ?? '100');
    const after = url.searchParams.get('after');
    let start: number;
    if (after !== null) {
      start = Math.max(0, Number(Buffer.from(after, 'base64url').toString().slice(2)) - this.overlap);
    } else {
      const since = Date.parse(url.searchParams.get('since') ?? '1970-01-01T00:00:00Z');
      start = this.events.findIndex((event) => Date.parse(event.published) >= since);
      if (start < 0) start = this.events.length;
    }
    const page = this.events.slice(start, start + limit);
    const cursor = Buffer.from(`c:${start + page.length}`).toString('base64url');
    const next = new URL(url);
    next.searchParams.delete('since');
    next.searchParams.set('after', cursor);
    // The next link is there on every polling response, empty or not.
    response.setHeader('link', [`<${url.toString()}>; rel="self"`, `<${next.toString()}>; rel="next"`]);
    this.rateLimit--;
    response.setHeader('x-rate-limit-limit', '600');
    response.setHeader('x-rate-limit-remaining', String(this.rateLimit));
    const reset = this.resetAt();
    this.resets.push(reset);
    response.setHeader('x-rate-limit-reset', String(reset));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  }

  private authorized(header: string | undefined): boolean {
    if (this.ssws !== undefined) return header === `SSWS ${this.ssws}`;
    return header !== undefined && header.startsWith('Bearer ') && this.valid.has(header.slice(7));
  }

  private token(response: ServerResponse, form: URLSearchParams): void {
    this.tokenRequests.push(form);
    const refuse = (): void => void response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: 'The client_assertion signature is invalid.' }));
    if (this.oauth === undefined || form.get('grant_type') !== 'client_credentials' || form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse();
    const parts = (form.get('client_assertion') ?? '').split('.');
    if (parts.length !== 3) return refuse();
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string };
    const key = this.oauth.alg === 'ES256' ? { key: this.oauth.publicKey, dsaEncoding: 'ieee-p1363' as const } : this.oauth.publicKey;
    const signed = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'));
    const now = Date.now() / 1000;
    if (!signed || header.alg !== this.oauth.alg || claims.iss !== this.oauth.clientId || claims.sub !== this.oauth.clientId || claims.aud !== `${this.base}/oauth2/v1/token` || !(typeof claims.exp === 'number' && claims.exp > now && claims.exp <= now + 3600) || typeof claims.jti !== 'string') return refuse();
    this.issued++;
    const token = `okta-at-${this.issued}-opaque`;
    this.valid.add(token);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: token, scope: form.get('scope') }));
  }
}

/** Downstream that keeps accepted batches; `ids(key)` lists a payload key in delivery order. */
export class Downstream extends RecordingDownstream {}
