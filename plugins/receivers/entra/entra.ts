import type { Consumer, CreateSettings, Host, RawRecord, Receiver } from '../../../core/api.js';
import { PermanentError, RetryableError } from '../../../core/errors.js';
import { CheckpointStore } from '../../../core/poller/checkpoint.js';
import { OverlapDeduper, contentId } from '../../../core/poller/dedup.js';
import type { DedupState } from '../../../core/poller/dedup.js';
import { PollHttpClient } from '../../../core/poller/http.js';
import { PollLoop } from '../../../core/poller/loop.js';
import { ClientCredentialsToken, safeUrl } from '../../../core/poller/oauth.js';
import { rfc3339StartTime } from '../../../core/poller/settings.js';
import { resolveConfig } from './config.js';
import type { EntraConfig, ResolvedEntraConfig } from './config.js';

/** One Graph audit log: where it is, what its records are called, which property times them. */
interface LogSpec {
  readonly name: 'signins' | 'audits';
  readonly format: 'entra.signin' | 'entra.audit';
  readonly path: string;
  /** The property `$filter` compares: signIns are timed by createdDateTime, directoryAudits by activityDateTime. */
  readonly timeField: 'createdDateTime' | 'activityDateTime';
}

const SIGNINS: LogSpec = { name: 'signins', format: 'entra.signin', path: '/auditLogs/signIns', timeField: 'createdDateTime' };
const AUDITS: LogSpec = { name: 'audits', format: 'entra.audit', path: '/auditLogs/directoryAudits', timeField: 'activityDateTime' };

export interface EntraCheckpoint {
  /** Epoch ms the first window started at (from `since`). */
  start_time: number;
  logs: { signins?: DedupState; audits?: DedupState };
}

export interface EntraReceiverOptions {
  readonly intervalMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxAttempts?: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

interface LogRuntime {
  readonly spec: LogSpec;
  readonly dedup: OverlapDeduper;
  /**
   * Upper bounds (epoch ms, whole seconds) of windows still to read, innermost last. A window
   * that would hold more than max_pages pages is narrowed: its bound is pushed here and the
   * older part read first, so delivery stays oldest first while memory holds one window.
   */
  readonly uppers: number[];
  /** The upper bound of the last bounded window delivered in this catch-up; a narrower one would make no progress. */
  deliveredUpTo: number;
  delivered: number;
  duplicates: number;
}

interface Item {
  readonly record: RawRecord;
  readonly id: string;
  readonly time: number;
}

interface Window {
  readonly items: Item[];
  /** More pages remained when the budget ran out. */
  readonly overflow: boolean;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_INITIAL_BACKOFF_MS = 1000;
const MAX_REQUEST_BACKOFF_MS = 60_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An OData DateTimeOffset literal in whole seconds (`2024-05-01T10:00:00Z`). */
function literal(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;
const ceilSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;

/**
 * The `entra` receiver: Microsoft Entra ID sign-in and directory audit logs from Microsoft Graph.
 *
 * Graph lists these logs newest first and pages them with `@odata.nextLink`. Each pass reads a
 * window `time ge <newest delivered − overlap>` (and, when narrowed, `le <bound>`), collects its
 * pages (at most max_pages), sorts them oldest first, drops ids already delivered, and consumes
 * them in batches of page_size, committing the checkpoint after each batch was accepted.
 */
export class EntraReceiver implements Receiver {
  private readonly config: ResolvedEntraConfig;
  private readonly token: ClientCredentialsToken;
  private readonly http: PollHttpClient;
  private readonly store: CheckpointStore<EntraCheckpoint>;
  private readonly loop: PollLoop;
  private readonly logs: LogRuntime[];
  private readonly now: () => number;
  private startTime = 0;
  private started = false;
  private stopped: Promise<void> | undefined;
  private readonly counters = { pages: 0, windows_narrowed: 0, page_budget_exceeded: 0 };

  constructor(
    private readonly settings: CreateSettings,
    userConfig: EntraConfig,
    private readonly next: Consumer,
    options: EntraReceiverOptions = {},
  ) {
    const config = resolveConfig(settings.id, userConfig);
    this.config = config;
    rfc3339StartTime(config.since, 0);
    this.now = options.now ?? Date.now;
    this.token = new ClientCredentialsToken({
      name: settings.id,
      tokenUrl: config.tokenUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      scope: config.scope,
      timeoutMs: config.timeoutMs,
      now: this.now,
    });
    this.http = new PollHttpClient({
      name: settings.id,
      timeoutMs: config.timeoutMs,
      maxBodyBytes: config.maxBodyBytes,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      initialBackoffMs: options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS,
      maxBackoffMs: Math.min(MAX_REQUEST_BACKOFF_MS, config.maxBackoffMs),
      token: this.token,
      maxRateLimitWaitMs: config.maxBackoffMs,
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
    const specs = config.logs === 'both' ? [SIGNINS, AUDITS] : config.logs === 'signins' ? [SIGNINS] : [AUDITS];
    this.logs = specs.map((spec) => ({ spec, dedup: new OverlapDeduper(config.overlapMs), uppers: [], deliveredUpTo: Number.NEGATIVE_INFINITY, delivered: 0, duplicates: 0 }));
    this.store = new CheckpointStore(settings.dataDir, settings.id);
    this.loop = new PollLoop({
      name: settings.id,
      intervalMs: options.intervalMs ?? config.intervalMs,
      maxBackoffMs: config.maxBackoffMs,
      logger: settings.logger,
      now: this.now,
      poll: (signal) => this.poll(signal),
    });
  }

  async start(host: Host): Promise<void> {
    if (this.started || this.stopped !== undefined) return;
    if (!this.config.complete) throw new PermanentError('invalid_config', `receivers::${this.settings.id}: tenant_id, client_id and client_secret are required`);
    this.started = true;
    const saved = await this.store.load();
    if (saved !== undefined) {
      this.startTime = typeof saved.start_time === 'number' ? saved.start_time : rfc3339StartTime(this.config.since, this.now());
      for (const log of this.logs) log.dedup.restore(saved.logs?.[log.spec.name]);
    } else {
      this.startTime = rfc3339StartTime(this.config.since, this.now());
      await this.save();
    }
    for (const log of this.logs) if (log.dedup.newestTime !== undefined) this.loop.observeEventTime(log.dedup.newestTime);
    this.settings.logger.info('entra receiver started', { logs: this.config.logs, graph: safeUrl(this.config.graphBase), token_endpoint: safeUrl(this.config.tokenUrl) });
    this.loop.start(host);
  }

  shutdown(): Promise<void> {
    this.stopped ??= this.loop.stop();
    return this.stopped;
  }

  metrics(): Readonly<Record<string, number>> {
    const now = this.now();
    const out: Record<string, number> = { ...this.loop.metrics(), ...this.counters, http_requests: this.http.requests, token_fetches: this.token.fetched };
    for (const log of this.logs) {
      const newest = log.dedup.newestTime;
      out[`${log.spec.name}_delivered`] = log.delivered;
      out[`${log.spec.name}_duplicates_dropped`] = log.duplicates;
      out[`${log.spec.name}_lag_ms`] = newest === undefined ? -1 : Math.max(0, now - newest);
      out[`${log.spec.name}_dedup_overflowed`] = log.dedup.overflowed;
    }
    return out;
  }

  private async poll(signal: AbortSignal): Promise<void> {
    for (const log of this.logs) await this.catchUp(log, signal);
  }

  /** Reads windows until the open one (no upper bound) is delivered. */
  private async catchUp(log: LogRuntime, signal: AbortSignal): Promise<void> {
    const { config } = this;
    for (;;) {
      const lower = log.dedup.windowStart(this.startTime);
      const upper = log.uppers.at(-1);
      let window = await this.collect(log, lower, upper, config.maxPages, signal);
      if (window.overflow) {
        const bound = this.narrowTo(window.items, upper, log.deliveredUpTo);
        if (bound !== undefined) {
          log.uppers.push(bound);
          this.counters.windows_narrowed++;
          continue;
        }
        // Too many records share too few seconds to split: read this window whole, past the budget.
        this.counters.page_budget_exceeded++;
        this.settings.logger.warn('entra window exceeds max_pages and cannot be narrowed; reading it whole', { log: log.spec.name, from: literal(lower), pages: config.maxPages });
        window = await this.collect(log, lower, upper, Number.POSITIVE_INFINITY, signal);
      }
      await this.deliver(log, window.items, signal);
      if (upper === undefined) {
        log.deliveredUpTo = Number.NEGATIVE_INFINITY;
        return;
      }
      log.deliveredUpTo = upper;
      log.uppers.pop();
    }
  }

  /**
   * A tighter upper bound for an overflowing window: the time of the middle record read so far
   * (rounded up to the second, as the filter is), so the newer half waits for a later window.
   * Undefined when that would not be tighter than the current bound or would not reach past what
   * was already delivered.
   */
  private narrowTo(items: readonly Item[], upper: number | undefined, deliveredUpTo: number): number | undefined {
    const times = items.map((item) => item.time).filter((time) => Number.isFinite(time)).sort((a, b) => b - a);
    const middle = times[Math.floor(times.length / 2)];
    if (middle === undefined) return undefined;
    const bound = ceilSecond(middle);
    if (upper !== undefined && bound >= upper) return undefined;
    if (bound <= deliveredUpTo) return undefined;
    return bound;
  }

  /** Reads one window's pages, following @odata.nextLink, up to `maxPages`. */
  private async collect(log: LogRuntime, lower: number, upper: number | undefined, maxPages: number, signal: AbortSignal): Promise<Window> {
    const { config } = this;
    const field = log.spec.timeField;
    let filter = `${field} ge ${literal(floorSecond(lower))}`;
    if (upper !== undefined) filter += ` and ${field} le ${literal(upper)}`;
    let url: string | undefined = `${config.graphBase}${log.spec.path}?$filter=${encodeURIComponent(filter)}&$top=${config.pageSize}`;
    const items: Item[] = [];
    const observed = this.now();
    let pages = 0;
    while (url !== undefined) {
      if (pages >= maxPages) return { items, overflow: true };
      const { body } = await this.http.getJson(url, signal);
      pages++;
      this.counters.pages++;
      if (!isObject(body) || !Array.isArray(body['value'])) {
        throw new RetryableError('malformed_response', `${this.settings.id}: GET ${safeUrl(url)} answered without a value array`);
      }
      for (const value of body['value'] as unknown[]) {
        const object = isObject(value) ? value : undefined;
        const id = typeof object?.['id'] === 'string' && object['id'] !== '' ? object['id'] : contentId(JSON.stringify(value) ?? 'null');
        const timeText = object?.[field];
        const time = typeof timeText === 'string' ? Date.parse(timeText) : Number.NaN;
        items.push({ record: { format: log.spec.format, payload: value, observedTime: observed, source: this.settings.id }, id, time });
      }
      url = this.nextLink(body['@odata.nextLink'], url);
    }
    return { items, overflow: false };
  }

  /** The next page's URL, which must stay on the Graph origin (the bearer token goes with it). */
  private nextLink(value: unknown, current: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    let next: URL;
    try {
      next = new URL(String(value), current);
    } catch {
      throw new RetryableError('malformed_response', `${this.settings.id}: GET ${safeUrl(current)} answered an @odata.nextLink that is not a URL`);
    }
    if (next.origin !== this.config.graphOrigin) {
      throw new PermanentError('foreign_next_link', `${this.settings.id}: @odata.nextLink of ${safeUrl(current)} points to ${next.origin}, not ${this.config.graphOrigin}; not followed`);
    }
    return next.toString();
  }

  /** Oldest first, in batches of page_size; ids and checkpoint are committed after each accepted batch. */
  private async deliver(log: LogRuntime, items: Item[], signal: AbortSignal): Promise<void> {
    // Graph lists newest first: reversing keeps the server's order among equal times, then a stable sort by time.
    items.reverse();
    items.sort((a, b) => (Number.isFinite(a.time) ? a.time : -Infinity) - (Number.isFinite(b.time) ? b.time : -Infinity) || 0);
    const size = this.config.pageSize;
    for (let from = 0; from < items.length; from += size) {
      // Shutting down: what is committed stays, the rest is read again after a restart.
      if (signal.aborted) throw signal.reason;
      const selection = log.dedup.select(items.slice(from, from + size), (item) => item.id, (item) => item.time);
      log.duplicates += selection.duplicates;
      if (selection.fresh.length === 0) continue;
      await this.next.consume({ tenant: this.settings.tenant, records: selection.fresh.map((item) => item.record) });
      selection.commit();
      log.delivered += selection.fresh.length;
      if (log.dedup.newestTime !== undefined) this.loop.observeEventTime(log.dedup.newestTime);
      await this.save();
    }
  }

  private save(): Promise<void> {
    const logs: EntraCheckpoint['logs'] = {};
    for (const log of this.logs) logs[log.spec.name] = log.dedup.state();
    return this.store.save({ start_time: this.startTime, logs });
  }
}
