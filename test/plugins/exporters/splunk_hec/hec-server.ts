/**
 * A test HTTP Event Collector on 127.0.0.1 (port 0) speaking the parts of Splunk's protocol the
 * exporter relies on: `Authorization: Splunk <token>` (codes 1-4), gzip bodies, concatenated JSON
 * events, per-event errors with `invalid-event-number` (code 6; the events before it are indexed,
 * as Splunk does), busy replies (503, code 9), channels (code 10/11) and indexer acknowledgement
 * (`ackId`, `/services/collector/ack`), `max_content_length` (413), and the health endpoint.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface HecEventOut {
  time?: number;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  event?: Record<string, unknown>;
  fields?: Record<string, string>;
}

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** Body bytes as received (compressed when gzip). */
  readonly wireBytes: number;
  /** The body as received. */
  readonly wire: Buffer;
  /** Body bytes after gunzip. */
  readonly bytes: number;
  readonly events: number;
  readonly status: number;
}

export interface HecServerOptions {
  token?: string;
  /** The token is disabled (403, code 1). */
  tokenDisabled?: boolean;
  /** The token has indexer acknowledgement on: replies carry ackIds, a channel is required. */
  ack?: boolean;
  /** These ackIds are never acknowledged and their events are lost (never indexed). */
  lostAcks?: ReadonlySet<number>;
  /** Events (parsed) for which the server answers code 6. */
  invalid?: (event: HecEventOut) => boolean;
  /** Answer 503 / code 9 while this returns true. */
  busy?: () => boolean;
  /** Bodies (after gunzip) above this get 413, as Splunk's max_content_length does. */
  maxContentLength?: number;
  /** Health endpoint status (200 healthy by default). */
  health?: { status: number; body: string };
  /** Per-request hook: a reply to send instead of the normal handling. */
  override?: (path: string, count: number) => { status: number; body: string; headers?: Record<string, string> } | undefined;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Splits concatenated JSON objects (`{...}{...}` with optional whitespace between). */
export function splitConcatenated(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 0x7d) {
      depth--;
      if (depth === 0) out.push(text.slice(start, i + 1));
    }
  }
  return out;
}

export class HecServer {
  readonly indexed: HecEventOut[] = [];
  readonly requests: ReceivedRequest[] = [];
  readonly ackQueries: number[][] = [];
  healthChecks = 0;
  private nextAck = 0;
  private readonly acked = new Set<number>();
  private readonly server: Server;
  private count = 0;

  constructor(readonly options: HecServerOptions = {}) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  /** Indexed events' OCSF metadata.uid, in index order. */
  uids(): string[] {
    return this.indexed.map((e) => String((e.event?.['metadata'] as { uid?: unknown } | undefined)?.uid));
  }

  private reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
    return status;
  }

  private auth(req: IncomingMessage, res: ServerResponse): number | undefined {
    const header = req.headers.authorization;
    if (header === undefined) return this.reply(res, 401, { text: 'Token is required', code: 2 });
    const match = /^Splunk (.+)$/.exec(header);
    if (!match) return this.reply(res, 401, { text: 'Invalid authorization', code: 3 });
    if (match[1] !== (this.options.token ?? 'hec-token')) return this.reply(res, 403, { text: 'Invalid token', code: 4 });
    if (this.options.tokenDisabled) return this.reply(res, 403, { text: 'Token disabled', code: 1 });
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const record = (status: number, bytes = 0, events = 0): void => {
      this.requests.push({ path, headers: req.headers, wireBytes: raw.length, wire: raw, bytes, events, status });
    };
    if (path === '/services/collector/health' || path === '/services/collector/health/1.0') {
      this.healthChecks++;
      const health = this.options.health ?? { status: 200, body: '{"text":"HEC is healthy","code":17}' };
      record(this.reply(res, health.status, health.body));
      return;
    }
    const refused = this.auth(req, res);
    if (refused !== undefined) return record(refused);
    const override = this.options.override?.(path, this.count++);
    if (override !== undefined) return record(this.reply(res, override.status, override.body, override.headers));
    const channel = req.headers['x-splunk-request-channel'] ?? url.searchParams.get('channel') ?? undefined;
    if (this.options.ack) {
      if (channel === undefined) return record(this.reply(res, 400, { text: 'Data channel is missing', code: 10 }));
      if (typeof channel !== 'string' || !GUID.test(channel)) return record(this.reply(res, 400, { text: 'Invalid data channel', code: 11 }));
    }
    if (path === '/services/collector/ack') {
      if (!this.options.ack) return record(this.reply(res, 400, { text: 'ACK is disabled', code: 14 }));
      const ids = (JSON.parse(raw.toString('utf8')) as { acks: number[] }).acks;
      this.ackQueries.push(ids);
      const acks: Record<string, boolean> = {};
      for (const id of ids) acks[String(id)] = this.acked.has(id);
      return record(this.reply(res, 200, { acks }));
    }
    if (path !== '/services/collector/event') return record(this.reply(res, 404, { text: 'The requested URL was not found on this server.', code: 404 }));
    if (this.options.busy?.()) return record(this.reply(res, 503, { text: 'Server is busy', code: 9 }));
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    if (this.options.maxContentLength !== undefined && body.length > this.options.maxContentLength) {
      return record(this.reply(res, 413, { text: 'Content-Length of ' + body.length + ' too large (maximum is ' + this.options.maxContentLength + ')', code: 413 }), body.length);
    }
    const texts = splitConcatenated(body.toString('utf8'));
    if (texts.length === 0) return record(this.reply(res, 400, { text: 'No data', code: 5 }), body.length);
    const events: HecEventOut[] = [];
    for (let i = 0; i < texts.length; i++) {
      let event: HecEventOut;
      try {
        event = JSON.parse(texts[i]!) as HecEventOut;
      } catch {
        this.indexed.push(...events);
        return record(this.reply(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': i }), body.length, texts.length);
      }
      if (event.event === undefined) {
        this.indexed.push(...events);
        return record(this.reply(res, 400, { text: 'Event field is required', code: 12, 'invalid-event-number': i }), body.length, texts.length);
      }
      if (this.options.invalid?.(event)) {
        this.indexed.push(...events); // Splunk indexes the events before the invalid one
        return record(this.reply(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': i }), body.length, texts.length);
      }
      events.push(event);
    }
    if (this.options.ack) {
      const ackId = this.nextAck++;
      if (!this.options.lostAcks?.has(ackId)) {
        this.indexed.push(...events);
        this.acked.add(ackId);
      }
      return record(this.reply(res, 200, { text: 'Success', code: 0, ackId }), body.length, texts.length);
    }
    this.indexed.push(...events);
    record(this.reply(res, 200, { text: 'Success', code: 0 }), body.length, texts.length);
  }
}
