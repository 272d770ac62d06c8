/**
 * A fake MFA API on 127.0.0.1:0 that behaves as plugins/receivers/mfa_api/README.md documents:
 * paged events ascending by (timestamp, event_id) from `since`, opaque cursors, server-sent events
 * resuming after Last-Event-ID, OAuth client credentials, login metrics. Faults are queued per
 * request and applied before the normal answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, createBufferingServer, listenOnLoopback } from '../fake-api.js';

export interface ApiEvent {
  event_id: string;
  event_type: string;
  timestamp: string;
  actor_id: string;
  [key: string]: unknown;
}

export type Fault = '429' | '500' | 'malformed' | 'slow' | 'expire_token';

export function event(n: number, timestamp: string, type = 'mfa.failure'): ApiEvent {
  return { event_id: `ev-${String(n).padStart(4, '0')}`, event_type: type, timestamp, actor_id: `user-${n % 7}`, mfa_method: 'TOTP', outcome: 'failure' };
}

export const CLIENT_SECRET = 'sup3r-s3cret-client';
export const STATIC_TOKEN = 'st4tic-b3arer-token';

export class FakeMfaApi {
  base = '';
  readonly events: ApiEvent[] = [];
  readonly faults: Fault[] = [];
  /** Paths (with query) of every API request, in order. */
  readonly requests: string[] = [];
  readonly lastEventIds: (string | undefined)[] = [];
  tokensIssued = 0;
  private validTokens = new Set<string>();
  /** Stream: per connection, how many events to send before cutting the connection mid-event; undefined = send all and keep open. */
  readonly streamCuts: (number | undefined)[] = [];
  /** Stream: on a resumed connection, replay this many events before the Last-Event-ID one (a server that repeats). */
  replayOnResume = 0;
  metrics: Record<string, unknown> = {};
  requireAuth: 'oauth' | 'static' | 'none' = 'oauth';
  private readonly openStreams = new Set<ServerResponse>();
  private readonly server = createBufferingServer((request, response, body) => this.handle(request, response, body));

  async listen(): Promise<this> {
    this.base = await listenOnLoopback(this.server);
    return this;
  }

  close(): Promise<void> {
    for (const stream of this.openStreams) stream.destroy();
    return closeServer(this.server);
  }

  /** Sorted as the API documents: timestamp, then event_id. */
  sorted(): ApiEvent[] {
    return [...this.events].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  }

  /** Pushes newly added events to every open stream. */
  publish(): void {
    for (const stream of this.openStreams) (stream as ServerResponse & { pump?: () => void }).pump?.();
  }

  private handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    const url = new URL(request.url ?? '/', this.base);
    if (url.pathname === '/oauth/token') {
      const form = new URLSearchParams(body);
      if (form.get('client_secret') !== CLIENT_SECRET) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        return;
      }
      const token = `tok-${++this.tokensIssued}`;
      this.validTokens.add(token);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
      return;
    }
    this.requests.push(url.pathname + url.search);
    const fault = this.faults.shift();
    if (fault === '429') {
      response.writeHead(429, { 'retry-after': '0' }).end();
      return;
    }
    if (fault === '500') {
      response.writeHead(500).end('{"error":"internal"}');
      return;
    }
    if (fault === 'slow') {
      // Longer than the receiver's timeout; the answer never comes.
      const timer = setTimeout(() => response.writeHead(200).end('{"events":[]}'), 5000);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    if (fault === 'expire_token') this.validTokens.clear();
    const auth = request.headers.authorization;
    const authorized = this.requireAuth === 'none' || (this.requireAuth === 'static' ? auth === `Bearer ${STATIC_TOKEN}` : auth !== undefined && this.validTokens.has(auth.replace(/^Bearer /, '')));
    if (!authorized) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
    if (fault === 'malformed') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"events":[{"event_id":');
      return;
    }
    if (url.pathname === '/v1/events') return this.page(url, response);
    if (url.pathname === '/v1/events/stream') return this.stream(url, request, response);
    if (url.pathname === '/v1/metrics/logins') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.metrics));
      return;
    }
    response.writeHead(404).end();
  }

  private page(url: URL, response: ServerResponse): void {
    const since = Date.parse(url.searchParams.get('since') ?? '');
    const limit = Number(url.searchParams.get('limit'));
    const offset = Number(url.searchParams.get('cursor') ?? '0');
    const matching = this.sorted().filter((e) => Date.parse(e.timestamp) >= since);
    const events = matching.slice(offset, offset + limit);
    const next = offset + limit < matching.length ? String(offset + limit) : null;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ events, next_cursor: next }));
  }

  private stream(url: URL, request: IncomingMessage, response: ServerResponse): void {
    const lastId = request.headers['last-event-id'] as string | undefined;
    this.lastEventIds.push(lastId);
    const cut = this.streamCuts.shift();
    const all = this.sorted();
    let position: number;
    if (lastId !== undefined) {
      const index = all.findIndex((e) => e.event_id === lastId);
      position = Math.max(0, index + 1 - this.replayOnResume);
    } else {
      const since = Date.parse(url.searchParams.get('since') ?? '');
      position = all.findIndex((e) => Date.parse(e.timestamp) >= since);
      if (position === -1) position = all.length;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(': connected\n\n');
    let sent = 0;
    const pump = (): void => {
      const now = this.sorted();
      while (position < now.length) {
        const e = now[position]!;
        const frame = `id: ${e.event_id}\ndata: ${JSON.stringify(e)}\n\n`;
        if (cut !== undefined && sent === cut) {
          // Half an event, then the connection drops.
          response.write(frame.slice(0, Math.floor(frame.length / 2)));
          setTimeout(() => response.destroy(), 10);
          this.openStreams.delete(response);
          return;
        }
        response.write(frame);
        position++;
        sent++;
      }
    };
    (response as ServerResponse & { pump?: () => void }).pump = pump;
    this.openStreams.add(response);
    response.on('close', () => this.openStreams.delete(response));
    pump();
  }
}
