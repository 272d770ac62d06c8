/**
 * A Keycloak admin REST API as its documentation describes it, for the receiver's tests, the CLI
 * test and the latency benchmark, on 127.0.0.1 port 0:
 *
 * - `POST {prefix}/realms/{realm}/protocol/openid-connect/token`, grant_type=client_credentials
 *   with client_id/client_secret form fields; 401 invalid_client on a wrong secret.
 * - `GET {prefix}/admin/realms/{realm}/events` and `/admin-events` with a bearer token:
 *   `dateFrom` (inclusive), `first`, `max` (default 100), and
 *   - `modern` (26.2+): dateFrom as epoch ms or yyyy-MM-dd (UTC), `direction=asc|desc`, default newest first;
 *   - `legacy` (before 26.2): dateFrom yyyy-MM-dd only (400 otherwise), `direction` ignored, always newest first.
 *   Keycloak orders by time only; `shuffleTies` returns events of the same millisecond in a new order per request.
 * - Faults for the next API requests (429, 5xx, a slow answer, malformed JSON) and token expiry.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, createBufferingServer, listenOnLoopback } from '../fake-api.js';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'malformed' };

export interface FakeKeycloakOptions {
  mode?: 'modern' | 'legacy';
  prefix?: string;
  clientId?: string;
  clientSecret?: string;
  /** The realm the client lives in. */
  tokenRealm?: string;
  expiresIn?: number;
  shuffleTies?: boolean;
}

export interface ApiRequest {
  readonly realm: string;
  readonly kind: 'events' | 'admin-events';
  readonly query: Record<string, string>;
  readonly status: number;
}

type Stored = Record<string, unknown> & { time: number };

export class FakeKeycloak {
  readonly options: Required<FakeKeycloakOptions>;
  private server: Server | undefined;
  base = '';
  /** realm -> kind -> events, in insertion order. */
  private readonly store = new Map<string, { events: Stored[]; 'admin-events': Stored[] }>();
  private readonly validTokens = new Set<string>();
  private tokenCount = 0;
  private seed = 7;
  readonly faults: Fault[] = [];
  readonly requests: ApiRequest[] = [];
  readonly tokenRequests: { realm: string; form: Record<string, string>; status: number }[] = [];
  /** Called before each API answer is computed (to add events while the receiver pages). */
  beforeAnswer: ((request: ApiRequest) => void) | undefined;

  constructor(options: FakeKeycloakOptions = {}) {
    this.options = {
      mode: options.mode ?? 'modern',
      prefix: options.prefix ?? '',
      clientId: options.clientId ?? 'authwire',
      clientSecret: options.clientSecret ?? 'kc-s3cret-do-not-log',
      tokenRealm: options.tokenRealm ?? 'acme',
      expiresIn: options.expiresIn ?? 300,
      shuffleTies: options.shuffleTies ?? false,
    };
  }

  async listen(): Promise<this> {
    this.server = createBufferingServer((request, response, body) => void this.handle(request, response, body));
    this.base = await listenOnLoopback(this.server);
    return this;
  }

  async close(): Promise<void> {
    if (this.server === undefined) return;
    await closeServer(this.server);
  }

  /** Adds events (user events with kind 'events', admin events with 'admin-events'). */
  add(realm: string, kind: 'events' | 'admin-events', ...events: Stored[]): void {
    let realmStore = this.store.get(realm);
    if (realmStore === undefined) {
      realmStore = { events: [], 'admin-events': [] };
      this.store.set(realm, realmStore);
    }
    realmStore[kind].push(...events);
  }

  all(realm: string, kind: 'events' | 'admin-events'): Stored[] {
    return this.store.get(realm)?.[kind] ?? [];
  }

  /** Every token issued so far stops working (the server-side expiry a client cannot see). */
  expireTokens(): void {
    this.validTokens.clear();
  }

  get tokensIssued(): number {
    return this.tokenCount;
  }

  private json(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
  }

  private async handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const url = new URL(request.url ?? '/', this.base);
    const prefix = this.options.prefix;
    if (!url.pathname.startsWith(prefix + '/')) return this.json(response, 404, { error: 'Unable to find matching target resource method' });
    const path = url.pathname.slice(prefix.length);
    const token = /^\/realms\/([^/]+)\/protocol\/openid-connect\/token$/.exec(path);
    if (token !== null && request.method === 'POST') return this.issueToken(decodeURIComponent(token[1]!), body, response);
    const api = /^\/admin\/realms\/([^/]+)\/(events|admin-events)$/.exec(path);
    if (api !== null && request.method === 'GET') return this.listEvents(decodeURIComponent(api[1]!), api[2] as 'events' | 'admin-events', url, request, response);
    return this.json(response, 404, { error: 'Unable to find matching target resource method' });
  }

  private issueToken(realm: string, body: string, response: ServerResponse): void {
    const form = Object.fromEntries(new URLSearchParams(body));
    const ok = realm === this.options.tokenRealm && form['grant_type'] === 'client_credentials' && form['client_id'] === this.options.clientId && form['client_secret'] === this.options.clientSecret;
    this.tokenRequests.push({ realm, form, status: ok ? 200 : 401 });
    if (!ok) {
      // Keycloak's answer; the description echoes what was sent, as some servers do, so that a receiver that logs it would leak.
      return this.json(response, 401, { error: 'invalid_client', error_description: `Invalid client or Invalid client credentials (${form['client_secret'] ?? ''})` });
    }
    this.tokenCount++;
    const accessToken = `tok-${this.tokenCount}`;
    this.validTokens.add(accessToken);
    this.json(response, 200, { access_token: accessToken, expires_in: this.options.expiresIn, token_type: 'Bearer', scope: 'profile email' });
  }

  private async listEvents(realm: string, kind: 'events' | 'admin-events', url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const query = Object.fromEntries(url.searchParams);
    const record = (status: number): void => {
      this.requests.push({ realm, kind, query, status });
    };
    const auth = request.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !this.validTokens.has(auth.slice(7))) {
      record(401);
      return this.json(response, 401, { error: 'HTTP 401 Unauthorized' });
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      record(fault.status);
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(fault.body ?? '{"error":"unknown_error"}');
      return;
    }
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    let from = Number.NEGATIVE_INFINITY;
    const dateFrom = query['dateFrom'];
    if (dateFrom !== undefined) {
      if (/^\d{4}-\d{2}-\d{2}$/.test(dateFrom)) from = Date.parse(`${dateFrom}T00:00:00Z`);
      else if (this.options.mode === 'modern' && /^\d+$/.test(dateFrom)) from = Number(dateFrom);
      else {
        record(400);
        const expected = this.options.mode === 'modern' ? "yyyy-MM-dd or an Epoch timestamp" : 'yyyy-MM-dd';
        return this.json(response, 400, { error: `Invalid value for 'Date(From)', expected format is ${expected}` });
      }
    }
    const direction = query['direction'];
    if (this.options.mode === 'modern' && direction !== undefined && direction !== 'asc' && direction !== 'desc') {
      record(400);
      return this.json(response, 400, { error: 'Invalid value for sortDirection, expected value is asc or desc' });
    }
    const ascending = this.options.mode === 'modern' && direction === 'asc';
    const first = Number(query['first'] ?? 0);
    const max = Number(query['max'] ?? 100);
    const request_: ApiRequest = { realm, kind, query, status: 200 };
    this.beforeAnswer?.(request_);
    const matching = this.all(realm, kind).filter((event) => event.time >= from);
    // Sorted by time only, as Keycloak's JPA query; the order within a millisecond is the database's.
    const ties = matching.map((event, index) => ({ event, tie: this.options.shuffleTies ? this.random() : index }));
    ties.sort((a, b) => (ascending ? a.event.time - b.event.time : b.event.time - a.event.time) || a.tie - b.tie);
    const page = ties.slice(first, first + max).map((entry) => entry.event);
    record(200);
    if (fault?.kind === 'malformed') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page).slice(0, -3));
      return;
    }
    this.json(response, 200, page);
  }

  private random(): number {
    // mulberry32: the shuffles are the same on every run.
    let t = (this.seed += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

const BASE_TIME = Date.UTC(2026, 2, 1, 9, 0, 0);

/** A user event as Keycloak 26 returns it; `withId: false` gives the older shape without `id`. */
export function userEvent(n: number, time = BASE_TIME + n * 10, withId = true): Stored {
  return {
    ...(withId ? { id: `ev-${String(n).padStart(5, '0')}` } : {}),
    time,
    type: n % 3 === 0 ? 'LOGIN_ERROR' : 'LOGIN',
    realmId: 'b2f1c7de-4a0e-4c55-9a3e-7d2c1f0e8a61',
    clientId: 'grafana',
    userId: `user-${n % 17}`,
    sessionId: null,
    ipAddress: `203.0.113.${n % 250}`,
    ...(n % 3 === 0 ? { error: 'invalid_user_credentials' } : {}),
    details: { auth_method: 'openid-connect', username: `user${n % 17}`, seq: String(n) },
  };
}

/** An admin event (with representation, as "Include representation" saves it). */
export function adminEvent(n: number, time = BASE_TIME + n * 10, withId = true): Stored {
  return {
    ...(withId ? { id: `ad-${String(n).padStart(5, '0')}` } : {}),
    time,
    realmId: 'b2f1c7de-4a0e-4c55-9a3e-7d2c1f0e8a61',
    authDetails: { realmId: 'master', clientId: 'security-admin-console', userId: 'e91d4c3b-7a2f-4b8e-9d06-5c1f3a2b8e47', ipAddress: '198.51.100.7' },
    operationType: 'CREATE',
    resourceType: 'USER',
    resourcePath: `users/u-${n}`,
    representation: JSON.stringify({ username: `new.user${n}`, enabled: true }),
  };
}

export { BASE_TIME };
