/**
 * One node:http / node:https server per endpoint, shared by every push receiver instance (of any
 * tenant) configured with that endpoint: several tenants usually send to one port.
 *
 * Rules:
 *
 * 1. Receivers with the same endpoint (after parsing: `host:port`, port 0 included) share one
 *    server. Their `tls` sections must be identical (same files, same client_auth), or the later
 *    one fails to start. The server is created by the first `acquireSharedListener` and closed
 *    when the last lease is released (reference counted).
 * 2. Each member registers exact paths. A path belongs to one family (`http`, `splunk_hec`); two
 *    families cannot share a path. Several members of a family (one per tenant, or several of a
 *    tenant with different formats) share a path and are told apart by their credentials.
 * 3. Credentials are claimed per member as `{token, tenant}`. At registration every claim must
 *    name the member's own tenant (a tenant's config cannot claim another tenant's token), and a
 *    credential may be claimed once per listener (so a token identifies exactly one member).
 *    Violations are PermanentErrors naming the component and the claim's index, never its value.
 * 4. Tokens are kept as SHA-256 digests only; lookup hashes the presented token and compares the
 *    digests with timingSafeEqual. Tokens never appear in errors, logs or metrics.
 * 5. A request whose path no member serves is answered 404 here; otherwise the family's `front`
 *    function (the same module function for every member of a family) authenticates it and hands
 *    it to a member. Refusals made before a member is known are counted on the listener
 *    (`listener_*` in every member's metrics: shared, so do not sum them across members).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import type { Consumer, DeadLetter, Host, JsonSchema, RawRecord } from '../api.js';
import { PermanentError, errorCode, errorMessage, isRetryable } from '../errors.js';
import { loadServerTls, parseEndpoint } from './endpoint.js';
import type { ServerTlsConfig } from './endpoint.js';

/** A credential as configured: which tenant it identifies. */
export interface CredentialClaim {
  readonly token: string;
  readonly tenant: string;
}

/** Handles a request on one of a family's paths: authenticates, then calls a member. Never throws. */
export type FrontHandler = (request: IncomingMessage, response: ServerResponse, route: Route) => void;

export interface ListenerMember {
  /** The component id, for error messages. */
  readonly id: string;
  readonly tenant: string;
  /** Which receiver type serves the member's paths; a path belongs to one family. */
  readonly family: string;
  readonly paths: readonly string[];
  /** Bearer-style tokens, resolvable with `SharedListener.memberForToken`. */
  readonly tokens: readonly CredentialClaim[];
  /** Other secrets (HMAC keys): checked like tokens (own tenant, unique) but never resolvable as tokens. */
  readonly secrets: readonly CredentialClaim[];
  /** What this member's config calls `tokens` and `secrets` in errors (`tokens`, `hmac`). */
  readonly claimNames?: { readonly tokens: string; readonly secrets: string };
  readonly front: FrontHandler;
}

export interface Route {
  readonly path: string;
  readonly family: string;
  /** The members serving the path, in registration order. */
  readonly members: readonly ListenerMember[];
  readonly listener: SharedListener;
}

/** Counted before a member is known; shared by every member of the listener. */
export type ListenerCounts = {
  requests: number;
  not_found: number;
  unauthorized: number;
  too_large: number;
  busy: number;
  client_errors: number;
  tls_errors: number;
};

/** A listener's counts as receiver metrics (`listener_requests`, ...); zeros before it is acquired. */
export function listenerMetrics(counts: ListenerCounts | undefined): Record<`listener_${keyof ListenerCounts}`, number> {
  return {
    listener_requests: counts?.requests ?? 0,
    listener_not_found: counts?.not_found ?? 0,
    listener_unauthorized: counts?.unauthorized ?? 0,
    listener_too_large: counts?.too_large ?? 0,
    listener_busy: counts?.busy ?? 0,
    listener_client_errors: counts?.client_errors ?? 0,
    listener_tls_errors: counts?.tls_errors ?? 0,
  };
}

export interface ListenerOptions {
  /** `host:port`; parsed with parseEndpoint. */
  readonly endpoint: string;
  readonly tls?: ServerTlsConfig | undefined;
}

export interface ListenerLease {
  readonly listener: SharedListener;
  /** Unregisters the member; the server closes when the last lease goes. Idempotent. */
  release(): Promise<void>;
}

/** Bodies read before any member is known (HMAC verification) at once, per listener. */
export const MAX_PREAUTH_READS = 64;
/** Time for a whole request (headers and body); slow senders cannot pin a connection longer. */
const REQUEST_TIMEOUT_MS = 60_000;
const HEADERS_TIMEOUT_MS = 20_000;
/** Bytes of an oversized body still read (and dropped) after the 413, so the reply is not lost to a reset; then the connection is cut. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

interface Claimed {
  readonly digest: Buffer;
  readonly member: ListenerMember;
}

export class SharedListener {
  readonly key: string;
  readonly tlsKey: string;
  readonly counts: ListenerCounts = { requests: 0, not_found: 0, unauthorized: 0, too_large: 0, busy: 0, client_errors: 0, tls_errors: 0 };
  /** Bodies being read before authentication (HMAC); bounded by MAX_PREAUTH_READS. */
  preauthReads = 0;
  private readonly host: string;
  private readonly port: number;
  private readonly tls: ServerTlsConfig | undefined;
  private readonly routes = new Map<string, { family: string; members: ListenerMember[]; front: FrontHandler }>();
  private readonly tokens = new Map<string, Claimed>();
  private readonly secrets = new Map<string, Claimed>();
  private readonly members = new Set<ListenerMember>();
  private server: Server | undefined;
  private opening: Promise<void> | undefined;
  private bound: AddressInfo | undefined;
  /** Reservations: acquires in progress plus registered members. */
  leases = 0;

  constructor(key: string, host: string, port: number, tls: ServerTlsConfig | undefined, tlsKey: string) {
    this.key = key;
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.tlsKey = tlsKey;
  }

  /** The bound address (the real port when configured with port 0). */
  get address(): { host: string; port: number } {
    return { host: this.bound?.address ?? this.host, port: this.bound?.port ?? this.port };
  }

  get secure(): boolean {
    return this.tls !== undefined;
  }

  /** The member owning `token` on this listener; constant time in the token's value. */
  memberForToken(token: string): ListenerMember | undefined {
    const digest = digestOf(token);
    const claimed = this.tokens.get(digest.toString('base64'));
    return claimed !== undefined && timingSafeEqual(claimed.digest, digest) ? claimed.member : undefined;
  }

  /** Answers 404 for a path nobody serves; a family may use it for its own unknown sub-paths. */
  notFound(response: ServerResponse): void {
    this.counts.not_found++;
    sendJson(response, 404, { error: 'not_found', message: 'no receiver serves this path' });
  }

  open(name: string): Promise<void> {
    this.opening ??= this.listen(name);
    return this.opening;
  }

  private async listen(name: string): Promise<void> {
    const tlsOptions = this.tls === undefined ? undefined : await loadServerTls(this.tls, name);
    const handler = (request: IncomingMessage, response: ServerResponse): void => this.dispatch(request, response);
    const server = tlsOptions === undefined ? createHttpServer(handler) : createHttpsServer(tlsOptions, handler);
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.on('clientError', (_error, socket) => {
      this.counts.client_errors++;
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    if (tlsOptions !== undefined) server.on('tlsClientError', () => void this.counts.tls_errors++);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(new PermanentError('listen_failed', `${name}: cannot listen on ${this.key}: ${error.code ?? error.message}`));
      };
      server.once('error', onError);
      server.listen(this.port, this.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.bound = server.address() as AddressInfo;
    this.server = server;
  }

  /** Adds a member's paths and credentials, all or nothing. */
  register(member: ListenerMember): void {
    const names = member.claimNames ?? { tokens: 'tokens', secrets: 'secrets' };
    const check = (claims: readonly CredentialClaim[], table: Map<string, Claimed>, what: string): Claimed[] => {
      const fresh: Claimed[] = [];
      const seen = new Set<string>();
      claims.forEach((claim, index) => {
        if (claim.tenant !== member.tenant) {
          throw new PermanentError('tenant_mismatch', `${member.id}: ${what}[${index}] maps a credential to tenant "${claim.tenant}" but ${member.id} serves tenant "${member.tenant}"; a tenant's receiver can only claim its own tenant's credentials`);
        }
        if (claim.token === '') throw new PermanentError('invalid_config', `${member.id}: ${what}[${index}] is empty`);
        const digest = digestOf(claim.token);
        const key = digest.toString('base64');
        const owner = table.get(key);
        if (owner !== undefined) {
          throw new PermanentError('duplicate_credential', `${member.id}: ${what}[${index}] is already claimed by ${owner.member.id} on ${this.key}; each credential must identify exactly one receiver`);
        }
        if (seen.has(key)) throw new PermanentError('duplicate_credential', `${member.id}: ${what}[${index}] repeats an earlier entry`);
        seen.add(key);
        fresh.push({ digest, member });
      });
      return fresh;
    };
    if (this.members.has(member)) return;
    const tokens = check(member.tokens, this.tokens, names.tokens);
    const secrets = check(member.secrets, this.secrets, names.secrets);
    for (const path of member.paths) {
      const route = this.routes.get(path);
      if (route !== undefined && route.family !== member.family) {
        throw new PermanentError('path_conflict', `${member.id}: path ${path} on ${this.key} is already served by ${route.members[0]?.id ?? route.family} (a ${route.family} receiver)`);
      }
    }
    for (const claimed of tokens) this.tokens.set(claimed.digest.toString('base64'), claimed);
    for (const claimed of secrets) this.secrets.set(claimed.digest.toString('base64'), claimed);
    for (const path of new Set(member.paths)) {
      const route = this.routes.get(path);
      if (route === undefined) this.routes.set(path, { family: member.family, members: [member], front: member.front });
      else route.members.push(member);
    }
    this.members.add(member);
  }

  unregister(member: ListenerMember): void {
    if (!this.members.delete(member)) return;
    for (const table of [this.tokens, this.secrets]) {
      for (const [key, claimed] of table) if (claimed.member === member) table.delete(key);
    }
    for (const [path, route] of this.routes) {
      const at = route.members.indexOf(member);
      if (at < 0) continue;
      route.members.splice(at, 1);
      if (route.members.length === 0) this.routes.delete(path);
      else if (route.front === member.front) route.front = route.members[0]!.front;
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Members drained their requests before releasing; what remains is idle keep-alive
      // connections and requests no member serves any more.
      server.closeAllConnections();
    });
  }

  private dispatch(request: IncomingMessage, response: ServerResponse): void {
    this.counts.requests++;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const route = this.routes.get(path);
    if (route === undefined) {
      this.notFound(response);
      return;
    }
    try {
      route.front(request, response, { path, family: route.family, members: route.members, listener: this });
    } catch {
      // A front handler must not throw; if one does, the request still gets an answer.
      if (!response.headersSent) sendJson(response, 500, { error: 'internal_error' });
      else response.destroy();
    }
  }
}

const listeners = new Map<string, SharedListener>();
/** Servers still closing, by key: a new server on the same address waits for the port. */
const closing = new Map<string, Promise<void>>();

function tlsKeyOf(tls: ServerTlsConfig | undefined): string {
  if (tls === undefined) return 'plain';
  return JSON.stringify([tls.cert_file ?? '', tls.key_file ?? '', tls.ca_file ?? '', tls.client_auth ?? 'none']);
}

/**
 * Joins (or creates) the listener of `options.endpoint` and registers `member` on it. Throws
 * PermanentError for an unparseable endpoint, a different tls section than the listener's,
 * credential or path conflicts, unreadable TLS files, or a port that cannot be bound.
 */
export async function acquireSharedListener(member: ListenerMember, options: ListenerOptions): Promise<ListenerLease> {
  const address = parseEndpoint(options.endpoint, member.id);
  const key = address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
  const tlsKey = tlsKeyOf(options.tls);
  let listener = listeners.get(key);
  if (listener === undefined) {
    listener = new SharedListener(key, address.host, address.port, options.tls, tlsKey);
    listeners.set(key, listener);
  } else if (listener.tlsKey !== tlsKey) {
    throw new PermanentError('tls_conflict', `${member.id}: endpoint ${key} is already served with ${listener.secure ? 'another tls section' : 'plain text'}; receivers sharing an endpoint need identical tls sections`);
  }
  const shared = listener;
  shared.leases++;
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    shared.unregister(member);
    shared.leases--;
    if (shared.leases > 0) return;
    if (listeners.get(key) === shared) listeners.delete(key);
    const done = shared.close();
    closing.set(key, done);
    await done;
    if (closing.get(key) === done) closing.delete(key);
  };
  try {
    const previous = closing.get(key);
    if (previous !== undefined) await previous;
    await shared.open(member.id);
    shared.register(member);
  } catch (error) {
    await release();
    throw error;
  }
  return { listener: shared, release };
}

/** The bound address of the listener of `endpoint` (as configured, e.g. `127.0.0.1:0`), when one is open. */
export function sharedListenerAddress(endpoint: string): { host: string; port: number } | undefined {
  const address = parseEndpoint(endpoint, 'endpoint');
  const key = address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
  return listeners.get(key)?.address;
}

/** How many shared listeners are open (tests check that the last release closed the server). */
export function openListenerCount(): number {
  return listeners.size;
}

// ---- helpers both HTTP receivers use -------------------------------------------------------

export function sendJson(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too_large' | 'aborted' };

/**
 * Reads a request body, at most `limit` bytes. A Content-Length over the limit is refused before
 * reading. On `too_large` the rest of the body is read and dropped (up to a bound) so the client
 * sees the reply instead of a reset.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    discardRest(request);
    return Promise.resolve({ ok: false, reason: 'too_large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAbort);
      request.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, reason: 'too_large' });
        discardRest(request);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ ok: false, reason: 'aborted' });
    const onClose = (): void => {
      if (!request.complete) onAbort();
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onAbort);
    request.on('close', onClose);
  });
}

/** Reads and drops what is left of a request body; a body far over the limit loses its connection. */
function discardRest(request: IncomingMessage): void {
  let dropped = 0;
  request.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > MAX_DISCARD_BYTES) request.socket.destroy();
  });
  request.on('error', () => {});
  request.resume();
}

export type DecodeResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too_large' | 'bad_encoding' | 'unsupported_encoding'; readonly detail: string };

/**
 * Undoes `Content-Encoding` (identity or gzip). Decompression stops at `limit` bytes of output,
 * so a small gzip bomb cannot expand into memory.
 */
export async function decodeBody(body: Buffer, contentEncoding: string | undefined, limit: number): Promise<DecodeResult> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return { ok: true, body };
  if (encoding !== 'gzip' && encoding !== 'x-gzip') return { ok: false, reason: 'unsupported_encoding', detail: `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported (use gzip or none)` };
  return new Promise((resolve) => {
    gunzip(body, { maxOutputLength: limit }, (error, output) => {
      if (error === null) resolve({ ok: true, body: output });
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') resolve({ ok: false, reason: 'too_large', detail: `decompressed body is larger than ${limit} bytes` });
      else resolve({ ok: false, reason: 'bad_encoding', detail: `body is not valid gzip: ${error.message}` });
    });
  });
}

/** Seconds for a Retry-After header: the downstream's hint when it gave one, else the default. */
export function retryAfterSeconds(error: unknown, defaultMs: number): string {
  const hint = typeof error === 'object' && error !== null ? (error as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  const ms = typeof hint === 'number' && Number.isFinite(hint) && hint > 0 ? hint : defaultMs;
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** The JSON schema of a `tokens` list: `[{token, tenant}]` (a list, so that tokens can come from ${env:...}). */
export function tokensSchema(description: string): JsonSchema {
  return {
    type: 'array',
    description,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['token', 'tenant'],
      properties: {
        token: { type: 'string', minLength: 1, description: 'The secret token (use ${env:NAME}).' },
        tenant: { type: 'string', minLength: 1, description: "The tenant the token identifies: must be this receiver's own tenant." },
      },
    },
  };
}

// ---- delivery: one consume per request, mapped to what the reply must say -------------------

export type DeliveryOutcome =
  /** consume resolved: reply 2xx. */
  | { readonly kind: 'accepted' }
  /** Refused retryably (saturated, an exporter down) or the dead-letter output failed: reply 503 with Retry-After. */
  | { readonly kind: 'retry'; readonly code: string; readonly retryAfter: string }
  /** Refused permanently: the records are in the tenant's dead-letter output, so the sender must not re-send (reply 2xx). */
  | { readonly kind: 'dead_lettered'; readonly code: string };

const REASON_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Hands a request's records downstream as one batch (one request = one batch: a client re-sending
 * after a 503 never duplicates part of it). A permanent refusal is dead-lettered, so the records are
 * kept and the sender, which cannot fix them, is not made to retry.
 */
export async function deliver(
  next: Consumer,
  host: Host,
  tenant: string,
  records: RawRecord[],
  defaultRetryAfterMs: number,
): Promise<DeliveryOutcome> {
  try {
    await next.consume({ tenant, records });
    return { kind: 'accepted' };
  } catch (error) {
    const code = errorCode(error);
    if (isRetryable(error)) return { kind: 'retry', code, retryAfter: retryAfterSeconds(error, defaultRetryAfterMs) };
    host.reportError(error);
    const reason = REASON_PATTERN.test(code) ? code : 'refused_downstream';
    const detail = `the pipeline refused the batch permanently: ${errorMessage(error)}`;
    const letters: DeadLetter[] = records.map((record) => ({ reason, detail, format: record.format, original: record.payload, observedTime: record.observedTime }));
    try {
      await host.deadLetter(tenant, letters);
    } catch (deadLetterError) {
      host.reportError(deadLetterError);
      return { kind: 'retry', code: 'dead_letter_unavailable', retryAfter: retryAfterSeconds(deadLetterError, defaultRetryAfterMs) };
    }
    return { kind: 'dead_lettered', code: reason };
  }
}

/**
 * Tracks a receiver's requests: how many are in flight (bounded), which are still reading their
 * body (cut on shutdown: nothing of them was consumed, the client re-sends), and waits for the
 * rest to finish on shutdown.
 */
export class InFlight {
  private count = 0;
  private readonly reading = new Set<IncomingMessage>();
  private waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  /** False when `limit` requests are already in flight. */
  tryBegin(): boolean {
    if (this.count >= this.limit) return false;
    this.count++;
    return true;
  }

  end(): void {
    this.count--;
    if (this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  startReading(request: IncomingMessage): void {
    this.reading.add(request);
  }

  doneReading(request: IncomingMessage): void {
    this.reading.delete(request);
  }

  /** Cuts bodies still being read, then resolves once every request has finished. */
  drain(): Promise<void> {
    for (const request of this.reading) request.destroy();
    this.reading.clear();
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
