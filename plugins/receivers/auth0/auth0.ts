import type { Consumer, CreateSettings, Host, RawRecord, Receiver } from '../../../core/api.js';
import { PermanentError, RetryableError, errorCode } from '../../../core/errors.js';
import { CheckpointStore } from '../../../core/poller/checkpoint.js';
import { OverlapDeduper, contentId } from '../../../core/poller/dedup.js';
import type { DedupState } from '../../../core/poller/dedup.js';
import { PollHttpClient, linkTarget } from '../../../core/poller/http.js';
import type { JsonPage } from '../../../core/poller/http.js';
import { PollLoop } from '../../../core/poller/loop.js';
import { checkPollSettings, startTime } from '../../../core/poller/settings.js';
import type { PollTuning } from '../../../core/poller/settings.js';
import { ClientCredentialsToken, safeUrl } from '../../../core/poller/oauth.js';
import { createDefaultConfig } from './config.js';
import type { Auth0Config } from './config.js';

/** What checkpoint.json holds. */
export interface Auth0Checkpoint {
  /** The log_id of the last delivered log (in Auth0's log_id order); requests ask for the logs after it. */
  from: string;
  /**
   * Epoch ms of `since` while the first log at or after it has not been delivered yet (the start was
   * found by a day-granular search); logs before it are skipped. Null afterwards.
   */
  skip_before: number | null;
  dedup: DedupState;
}

/** Seams for tests; the same for every pull receiver that has them. */
export type Auth0Internals = PollTuning;

/** What metrics() shows (a type literal, so it stays assignable to Component.metrics' record). */
export type Auth0Metrics = {
  polls: number;
  poll_failures: number;
  lag_ms: number;
  last_success_time: number;
  records: number;
  pages: number;
  duplicates_dropped: number;
  skipped_before_start: number;
  checkpoint_saves: number;
  consume_failures: number;
  rate_limit_waits: number;
  backoff_waits: number;
  requests: number;
  tokens_fetched: number;
  dedup_overflowed: number;
};

const FORMAT = 'auth0';
const LOGS_PATH = '/api/v2/logs';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** `from` already moves past what was read; ids are kept briefly to drop a log served again at a boundary. */
const DEDUP_OVERLAP_MS = 60_000;
const DEDUP_MAX_IDS = 5_000;

type Log = Record<string, unknown>;

function logId(log: unknown): string | undefined {
  if (typeof log !== 'object' || log === null) return undefined;
  const id = (log as Log)['log_id'] ?? (log as Log)['_id'];
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function dedupId(log: unknown): string {
  return logId(log) ?? `sha256:${contentId(JSON.stringify(log) ?? '')}`;
}

function logTime(log: unknown): number {
  const date = typeof log === 'object' && log !== null ? (log as Log)['date'] : undefined;
  return typeof date === 'string' ? Date.parse(date) : Number.NaN;
}

/**
 * Pulls Auth0 tenant logs by checkpoint (`GET /api/v2/logs?from=<log_id>&take=<n>`): the logs after
 * a log_id, in log_id order, at most 100 a request. Each page is handed downstream and, once
 * `consume` resolved, the log_id of its last log is saved atomically as the checkpoint.
 */
export class Auth0Receiver implements Receiver {
  private readonly settings: CreateSettings;
  private readonly config: Auth0Config;
  private readonly nextConsumer: Consumer;
  private readonly http: PollHttpClient;
  private readonly token: ClientCredentialsToken;
  private readonly store: CheckpointStore<Auth0Checkpoint>;
  private readonly dedup = new OverlapDeduper(DEDUP_OVERLAP_MS, DEDUP_MAX_IDS);
  private readonly loop: PollLoop;
  private readonly base: string | undefined;
  private readonly origin: string | undefined;
  /** The saved position. */
  private from: string | undefined;
  private skipBefore: number | null = null;
  /** Auth0's last `Link: rel="next"`, used while it agrees with the saved position (in memory only). */
  private link: string | undefined;
  private started = false;
  private readonly counts = {
    records: 0,
    pages: 0,
    duplicates_dropped: 0,
    skipped_before_start: 0,
    checkpoint_saves: 0,
    consume_failures: 0,
    rate_limit_waits: 0,
    backoff_waits: 0,
  };

  constructor(settings: CreateSettings, userConfig: Auth0Config, next: Consumer, internals: Auth0Internals = {}) {
    const config: Auth0Config = { ...createDefaultConfig(), ...userConfig };
    this.settings = settings;
    this.config = config;
    this.nextConsumer = next;
    const name = settings.id;
    const { intervalMs, timeoutMs } = checkPollSettings(name, config);
    if (config.base_url !== undefined || config.domain !== undefined) {
      let url: URL;
      try {
        url = new URL(config.base_url ?? `https://${config.domain}`);
      } catch {
        throw new PermanentError('invalid_config', `${name}: ${config.base_url !== undefined ? 'base_url' : 'domain'} does not make a URL`);
      }
      this.origin = url.origin;
      this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    }
    this.token = new ClientCredentialsToken({
      name,
      tokenUrl: `${this.base ?? 'http://invalid'}/oauth/token`,
      clientId: config.client_id ?? '',
      clientSecret: config.client_secret ?? '',
      extraParams: { audience: config.audience ?? `https://${config.domain ?? 'invalid'}/api/v2/` },
      timeoutMs,
    });
    this.http = new PollHttpClient({
      name,
      timeoutMs,
      maxBodyBytes: MAX_BODY_BYTES,
      maxAttempts: internals.maxAttempts ?? 5,
      initialBackoffMs: internals.initialBackoffMs ?? 1000,
      maxBackoffMs: internals.maxBackoffMs ?? 30_000,
      maxRateLimitWaitMs: internals.maxRateLimitWaitMs,
      token: this.token,
      random: internals.random,
      onWait: (reason, ms) => {
        if (reason === 'rate_limit') this.counts.rate_limit_waits++;
        else this.counts.backoff_waits++;
        internals.onWait?.(reason, ms);
      },
    });
    this.store = new CheckpointStore<Auth0Checkpoint>(settings.dataDir, name);
    this.loop = new PollLoop({
      name,
      intervalMs,
      maxBackoffMs: internals.loopMaxBackoffMs ?? Math.max(intervalMs, 300_000),
      logger: settings.logger,
      poll: (signal) => this.poll(signal),
      now: internals.now,
    });
  }

  async start(host: Host): Promise<void> {
    if (this.started) return;
    this.started = true;
    const name = this.settings.id;
    if (this.base === undefined) throw new PermanentError('invalid_config', `${name}: domain is required`);
    if (this.config.client_id === undefined || this.config.client_secret === undefined) throw new PermanentError('invalid_config', `${name}: client_id and client_secret are required`);
    const saved = await this.store.load();
    if (saved !== undefined) {
      if (typeof saved !== 'object' || saved === null || typeof saved.from !== 'string' || saved.from === '') {
        throw new PermanentError('corrupt_checkpoint', `${name}: checkpoint ${this.store.path} holds no log_id; move it away to start from the configured start position`);
      }
      this.from = saved.from;
      this.skipBefore = typeof saved.skip_before === 'number' ? saved.skip_before : null;
      this.dedup.restore(saved.dedup);
    }
    const start = saved !== undefined ? 'checkpoint' : this.config.from !== undefined ? 'from' : `since ${this.config.since}`;
    this.settings.logger.info('polling Auth0 logs', { tenant_url: this.origin, start });
    this.loop.start(host);
  }

  async shutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Run a catch-up pass now instead of at the end of the interval. */
  pollNow(): void {
    this.loop.pollNow();
  }

  metrics(): Auth0Metrics {
    return {
      ...this.loop.metrics(),
      ...this.counts,
      requests: this.http.requests,
      tokens_fetched: this.token.fetched,
      dedup_overflowed: this.dedup.overflowed,
    };
  }

  private checkpointUrl(from: string): string {
    return `${this.base}${LOGS_PATH}?${new URLSearchParams({ from, take: String(this.config.take) }).toString()}`;
  }

  /** Auth0's next link, when it stays on our origin and path (the token never goes elsewhere). */
  private sameSite(link: string | undefined, relativeTo: string): string | undefined {
    if (link === undefined) return undefined;
    try {
      const url = new URL(link, relativeTo);
      return url.origin === this.origin && url.pathname === new URL(`${this.base}${LOGS_PATH}`).pathname ? url.toString() : undefined;
    } catch {
      return undefined;
    }
  }

  private async get(url: string, signal: AbortSignal): Promise<JsonPage & { body: unknown[] }> {
    const name = this.settings.id;
    let page: JsonPage;
    try {
      page = await this.http.getJson(url, signal);
    } catch (error) {
      if (errorCode(error) === 'unauthorized') {
        throw new PermanentError('unauthorized', `${name}: Auth0 refused the Management API token even after fetching a new one: the application needs the read:logs permission on the Auth0 Management API (${(error as Error).message})`, { cause: error });
      }
      throw error;
    }
    this.counts.pages++;
    if (!Array.isArray(page.body)) {
      throw new RetryableError('malformed_response', `${name}: GET ${safeUrl(url)} answered with ${page.body === null ? 'an empty body' : typeof page.body} instead of a list of logs`);
    }
    return page as JsonPage & { body: unknown[] };
  }

  /**
   * Finds the first position without a checkpoint. Checkpoint requests need a log_id, so a
   * search (sorted by date) finds one: the newest log for `now` (not delivered), or the oldest
   * log dated on or after the day of `since` (Auth0 searches dates by day; logs before `since`
   * itself are skipped until the first one at or after it).
   */
  private async bootstrap(signal: AbortSignal): Promise<boolean> {
    if (this.config.from !== undefined) {
      this.from = this.config.from;
      return true;
    }
    const now = Date.now();
    const since = this.config.since === 'now' ? undefined : startTime(this.config.since, now);
    const params = new URLSearchParams({ per_page: '1', page: '0' });
    if (since === undefined) {
      params.set('sort', 'date:-1');
    } else {
      params.set('q', `date:[${new Date(since).toISOString().slice(0, 10)} TO *]`);
      params.set('sort', 'date:1');
    }
    const page = await this.get(`${this.base}${LOGS_PATH}?${params.toString()}`, signal);
    const first = page.body[0];
    const id = logId(first);
    // An empty tenant (or nothing since): ask again next pass. For `now`, the first log to appear then is the start.
    if (id === undefined) return false;
    this.skipBefore = since ?? null;
    if (since !== undefined) {
      await this.deliver([first]);
      if (logTime(first) >= since) this.skipBefore = null;
    }
    await this.save(id);
    return true;
  }

  /** Hands fresh logs downstream; only once consume() resolved are they remembered as delivered. */
  private async deliver(logs: unknown[]): Promise<void> {
    let candidates = logs;
    if (this.skipBefore !== null) {
      const notBefore = this.skipBefore;
      candidates = logs.filter((log) => !(logTime(log) < notBefore));
      this.counts.skipped_before_start += logs.length - candidates.length;
    }
    const selection = this.dedup.select(candidates, dedupId, logTime);
    this.counts.duplicates_dropped += selection.duplicates;
    if (selection.fresh.length === 0) return;
    const observedTime = Date.now();
    const source = this.settings.id;
    const records: RawRecord[] = selection.fresh.map((payload) => ({ format: FORMAT, payload, observedTime, source }));
    try {
      await this.nextConsumer.consume({ tenant: this.settings.tenant, records });
    } catch (error) {
      this.counts.consume_failures++;
      throw error;
    }
    selection.commit();
    this.counts.records += records.length;
    for (const log of selection.fresh) this.loop.observeEventTime(logTime(log));
    if (this.skipBefore !== null) this.skipBefore = null;
  }

  private async save(from: string): Promise<void> {
    await this.store.save({ from, skip_before: this.skipBefore, dedup: this.dedup.state() });
    this.from = from;
    this.counts.checkpoint_saves++;
  }

  private async poll(signal: AbortSignal): Promise<void> {
    if (this.from === undefined && !(await this.bootstrap(signal))) return;
    if (signal.aborted) return;
    let url = this.link ?? this.checkpointUrl(this.from!);
    for (;;) {
      const page = await this.get(url, signal);
      const logs = page.body;
      const link = this.sameSite(linkTarget(page.headers, 'next'), url);
      await this.deliver(logs);
      // Logs come in log_id order: the last one with an id is the new position.
      let last: string | undefined;
      for (let i = logs.length - 1; i >= 0 && last === undefined; i--) last = logId(logs[i]);
      // Saved even when shutting down: what was consumed is delivered.
      if (last !== undefined && last !== this.from) await this.save(last);
      // Follow Auth0's next link only while it continues from where the checkpoint is.
      this.link = link !== undefined && new URL(link).searchParams.get('from') === this.from ? link : undefined;
      if (logs.length < this.config.take || signal.aborted) return;
      url = this.link ?? this.checkpointUrl(this.from!);
    }
  }
}
