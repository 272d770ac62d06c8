/**
 * An Auth0 tenant as its documentation describes log retrieval: POST /oauth/token (client
 * credentials with audience https://{domain}/api/v2/), GET /api/v2/logs by checkpoint (`from` =
 * a log_id, `take` ≤ 100: the logs after it in log_id order, a `Link: rel="next"` continuing from
 * the last one, or the same URL when empty) and by search (`q`, `sort=date:±1`, `per_page`,
 * dates matched by day), X-RateLimit-* headers. Faults are queued per API request.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { RecordingDownstream, closeServer, createBufferingServer, listenOnLoopback } from '../fake-api.js';

export { CapturingLogger, leakText } from '../fake-api.js';

export interface Auth0Log {
  date: string;
  type: string;
  log_id: string;
  [key: string]: unknown;
}

const TYPES: [string, string][] = [
  ['s', 'Success Login'],
  ['fp', 'Wrong email or password.'],
  ['gd_auth_failed', 'MFA Authentication failed'],
  ['limit_wc', 'Blocked Account'],
  ['scp', 'Success Change Password'],
];

/** A tenant log of our own making, as GET /api/v2/logs returns it. */
export function auth0Log(i: number, date: string): Auth0Log {
  const [type, description] = TYPES[i % TYPES.length]!;
  const compact = date.replace(/\D/g, '').slice(0, 17);
  const id = `900${compact}${String(i).padStart(36, '0')}`;
  return {
    date,
    type,
    description,
    connection: 'Username-Password-Authentication',
    connection_id: 'con_Q1w2E3r4T5y6U7i8',
    client_id: 'k9XhT2mQ7vLp4RzN8bWc3Yd6Fs1Ga5Je',
    client_name: 'Corp Portal',
    ip: `198.51.100.${(i % 250) + 1}`,
    user_agent: 'Chrome 130.0.0 / Windows 10.0.0',
    details: { prompts: [], initiatedAt: Date.parse(date) - 900, completedAt: Date.parse(date), elapsedTime: 900, session_id: `sess-${i}` },
    hostname: 'corp.eu.auth0.com',
    user_id: `auth0|66f1c0ffee${String(i).padStart(14, '0')}`,
    user_name: `user${i}@corp.example.com`,
    strategy: 'auth0',
    strategy_type: 'database',
    log_id: id,
    _id: id,
    isMobile: false,
  };
}

export function auth0Logs(count: number, startMs: number, stepMs = 1000, from = 0): Auth0Log[] {
  return Array.from({ length: count }, (_, k) => auth0Log(from + k, new Date(startMs + k * stepMs).toISOString()));
}

export type Fault = (response: ServerResponse) => void;

export interface Request {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly at: number;
}

export class FakeAuth0 {
  readonly logs: Auth0Log[] = [];
  readonly faults: Fault[] = [];
  readonly requests: Request[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  /** Re-serve this many logs up to and including `from` at the start of each checkpoint page (boundary duplicates). */
  overlap = 0;
  clientId = 'm2m-client-id';
  clientSecret = 'm2m-s3cr3t-value';
  audience = 'https://corp.eu.auth0.com/api/v2/';
  rateLimit = 50;
  resetAt: () => number = () => Math.floor(Date.now() / 1000) + 1;
  readonly resets: number[] = [];
  private issued = 0;
  private readonly valid = new Set<string>();
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

  expireTokens(): void {
    this.valid.clear();
  }

  get tokensIssued(): number {
    return this.issued;
  }

  private handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    const url = new URL(request.url ?? '/', this.base);
    if (request.method === 'POST' && url.pathname === '/oauth/token') return this.token(response, new URLSearchParams(body));
    if (request.method !== 'GET' || url.pathname !== '/api/v2/logs') return void response.writeHead(404).end();
    this.requests.push({ path: `${url.pathname}${url.search}`, authorization: request.headers.authorization, at: Date.now() });
    const fault = this.faults.shift();
    if (fault !== undefined) return fault(response);
    const auth = request.headers.authorization;
    if (auth === undefined || !auth.startsWith('Bearer ') || !this.valid.has(auth.slice(7))) {
      return void response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 401, error: 'Unauthorized', message: 'Expired token received for JSON Web Token validation', attributes: { error: 'Expired token received for JSON Web Token validation' } }));
    }
    this.rateLimit--;
    const reset = this.resetAt();
    this.resets.push(reset);
    response.setHeader('x-ratelimit-limit', '50');
    response.setHeader('x-ratelimit-remaining', String(Math.max(0, this.rateLimit)));
    response.setHeader('x-ratelimit-reset', String(reset));
    const from = url.searchParams.get('from');
    let page: Auth0Log[];
    if (from !== null) {
      const index = this.logs.findIndex((log) => log.log_id === from);
      if (index < 0) return void response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 400, error: 'Bad Request', message: 'The log_id is invalid or has expired' }));
      const take = Math.min(100, Number(url.searchParams.get('take') ?? '50'));
      const start = Math.max(0, index + 1 - this.overlap);
      page = this.logs.slice(start, start + take);
      const next = new URL(url);
      // The next link continues after the last log served, or repeats the request when nothing was.
      next.searchParams.set('from', page.length > 0 ? page[page.length - 1]!.log_id : from);
      response.setHeader('link', `<${next.toString()}>; rel="next"`);
    } else {
      const match = /^date:\[(\d{4}-\d{2}-\d{2}) TO \*\]$/.exec(url.searchParams.get('q') ?? '');
      const day = match === null ? 0 : Date.parse(`${match[1]}T00:00:00Z`);
      const found = this.logs.filter((log) => Date.parse(log.date) >= day).sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
      if (url.searchParams.get('sort') === 'date:-1') found.reverse();
      page = found.slice(0, Number(url.searchParams.get('per_page') ?? '50'));
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  }

  private token(response: ServerResponse, form: URLSearchParams): void {
    this.tokenRequests.push(form);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return void response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'access_denied', error_description: 'Unauthorized' }));
    }
    if (form.get('audience') !== this.audience) {
      return void response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'access_denied', error_description: `Service not found: ${form.get('audience')}` }));
    }
    this.issued++;
    const token = `eyJhbGciOiJSUzI1NiJ9.m2m-${this.issued}.sig`;
    this.valid.add(token);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, scope: 'read:logs', expires_in: 86400, token_type: 'Bearer' }));
  }
}

/** Downstream that keeps accepted batches; `ids()` lists their log_ids in delivery order. */
export class Downstream extends RecordingDownstream {
  override ids(key = 'log_id'): string[] {
    return super.ids(key);
  }
}
