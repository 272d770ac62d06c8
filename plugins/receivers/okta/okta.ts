import type { Consumer, CreateSettings, Host, RawRecord, Receiver } from '../../../core/api.js';
import { PermanentError, RetryableError, errorCode } from '../../../core/errors.js';
import { CheckpointStore } from '../../../core/poller/checkpoint.js';
import { OverlapDeduper, contentId } from '../../../core/poller/dedup.js';
import type { DedupState } from '../../../core/poller/dedup.js';
import { PollHttpClient, linkTarget } from '../../../core/poller/http.js';
import type { TokenProvider } from '../../../core/poller/http.js';
import { PollLoop } from '../../../core/poller/loop.js';
import { checkPollSettings, startTime } from '../../../core/poller/settings.js';
import type { PollTuning } from '../../../core/poller/settings.js';
import { ClientCredentialsToken, safeUrl } from '../../../core/poller/oauth.js';
import { createDefaultConfig } from './config.js';
import type { OktaConfig } from './config.js';
import { clientAssertion, loadSigningKey } from './jwt.js';

/** What checkpoint.json holds. */
export interface OktaCheckpoint {
  /** Path and query of the next request (Okta's `Link: rel="next"`), relative to org_url's origin. */
  next: string;
  dedup: DedupState;
}

/** Seams for tests; the same for every pull receiver that has them. */
export type OktaInternals = PollTuning;

/** What metrics() shows (a type literal, so it stays assignable to Component.metrics' record). */
export type OktaMetrics = {
  polls: number;
  poll_failures: number;
  lag_ms: number;
  last_success_time: number;
  records: number;
  pages: number;
  duplicates_dropped: number;
  checkpoint_saves: number;
  consume_failures: number;
  rate_limit_waits: number;
  backoff_waits: number;
  requests: number;
  tokens_fetched: number;
  dedup_overflowed: number;
};

const FORMAT = 'okta';
/** A page of 1000 events is a few MB; anything far larger is not a System Log page. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/**
 * The next link already moves past what was read, so ids are only kept for a short overlap:
 * enough to drop an event Okta hands out again at a page boundary, small enough to keep the
 * checkpoint (saved after every page) small.
 */
const DEDUP_OVERLAP_MS = 60_000;
const DEDUP_MAX_IDS = 5_000;

/** The event's id for de-duplication: `uuid`, or a hash of the event when it has none (or a placeholder). */
function eventId(event: unknown): string {
  const uuid = typeof event === 'object' && event !== null ? (event as { uuid?: unknown }).uuid : undefined;
  return typeof uuid === 'string' && uuid.length >= 16 ? uuid : `sha256:${contentId(JSON.stringify(event) ?? '')}`;
}

function eventTime(event: unknown): number {
  const published = typeof event === 'object' && event !== null ? (event as { published?: unknown }).published : undefined;
  return typeof published === 'string' ? Date.parse(published) : Number.NaN;
}

/**
 * Pulls the Okta System Log (`GET /api/v1/logs`) as a polling request: `since` and
 * `sortOrder=ASCENDING` without `until`, so Okta always answers with a `Link: rel="next"`, even on an
 * empty page, and that link is where the next poll starts. Each page is handed downstream and, once
 * `consume` resolved, the next link and the de-duplication state are saved atomically.
 */
export class OktaReceiver implements Receiver {
  private readonly settings: CreateSettings;
  private readonly config: OktaConfig;
  private readonly nextConsumer: Consumer;
  private readonly http: PollHttpClient;
  private readonly store: CheckpointStore<OktaCheckpoint>;
  private readonly dedup = new OverlapDeduper(DEDUP_OVERLAP_MS, DEDUP_MAX_IDS);
  private readonly loop: PollLoop;
  private readonly auth: 'ssws' | 'bearer' | 'oauth' | undefined;
  /** org_url's origin and the System Log path under it; undefined when org_url is missing (caught in start). */
  private readonly origin: string | undefined;
  private readonly logsPath: string;
  private readonly tokenProvider: ClientCredentialsToken | undefined;
  /** The saved position: path and query of the next request. */
  private next: string | undefined;
  private started = false;
  private readonly counts = {
    records: 0,
    pages: 0,
    duplicates_dropped: 0,
    checkpoint_saves: 0,
    consume_failures: 0,
    rate_limit_waits: 0,
    backoff_waits: 0,
  };

  constructor(settings: CreateSettings, userConfig: OktaConfig, next: Consumer, internals: OktaInternals = {}) {
    const config: OktaConfig = { ...createDefaultConfig(), ...userConfig };
    this.settings = settings;
    this.config = config;
    this.nextConsumer = next;
    const name = settings.id;
    const { intervalMs, timeoutMs } = checkPollSettings(name, config);

    const methods = [config.token, config.access_token, config.private_key].filter((value) => value !== undefined).length;
    if (methods > 1) throw new PermanentError('invalid_config', `${name}: set only one of token (SSWS), access_token, or client_id with private_key`);
    if (config.private_key !== undefined && config.client_id === undefined) throw new PermanentError('invalid_config', `${name}: private_key needs client_id`);

    let base: URL | undefined;
    if (config.org_url !== undefined) {
      try {
        base = new URL(config.org_url);
      } catch {
        throw new PermanentError('invalid_config', `${name}: org_url is not a URL`);
      }
      if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new PermanentError('invalid_config', `${name}: org_url must be an http(s) URL`);
    }
    this.origin = base?.origin;
    this.logsPath = `${(base?.pathname ?? '/').replace(/\/+$/, '')}/api/v1/logs`;

    const headers: Record<string, string> = {};
    let token: TokenProvider | undefined;
    if (config.token !== undefined) {
      this.auth = 'ssws';
      headers['authorization'] = `SSWS ${config.token}`;
    } else if (config.access_token !== undefined) {
      this.auth = 'bearer';
      headers['authorization'] = `Bearer ${config.access_token}`;
    } else if (config.private_key !== undefined && config.client_id !== undefined) {
      this.auth = 'oauth';
      const signing = loadSigningKey(config.private_key, config.key_id, name);
      const clientId = config.client_id;
      this.tokenProvider = new ClientCredentialsToken({
        name,
        tokenUrl: `${this.origin ?? 'http://invalid'}${this.logsPath.slice(0, -'/api/v1/logs'.length)}/oauth2/v1/token`,
        clientId,
        clientSecret: '',
        clientAuth: 'private_key_jwt',
        clientAssertion: (audience) => clientAssertion(signing, clientId, audience),
        scope: config.scopes.join(' '),
        timeoutMs,
      });
      token = this.tokenProvider;
    }

    this.http = new PollHttpClient({
      name,
      timeoutMs,
      maxBodyBytes: MAX_BODY_BYTES,
      maxAttempts: internals.maxAttempts ?? 5,
      initialBackoffMs: internals.initialBackoffMs ?? 1000,
      maxBackoffMs: internals.maxBackoffMs ?? 30_000,
      maxRateLimitWaitMs: internals.maxRateLimitWaitMs,
      headers,
      token,
      random: internals.random,
      onWait: (reason, ms) => {
        if (reason === 'rate_limit') this.counts.rate_limit_waits++;
        else this.counts.backoff_waits++;
        internals.onWait?.(reason, ms);
      },
    });
    this.store = new CheckpointStore<OktaCheckpoint>(settings.dataDir, name);
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
    if (this.origin === undefined) throw new PermanentError('invalid_config', `${name}: org_url is required`);
    if (this.auth === undefined) throw new PermanentError('invalid_config', `${name}: set token (SSWS API token), access_token, or client_id with private_key`);
    const saved = await this.store.load();
    if (saved !== undefined) {
      if (typeof saved !== 'object' || saved === null || typeof saved.next !== 'string' || !saved.next.startsWith(this.logsPath)) {
        throw new PermanentError('corrupt_checkpoint', `${name}: checkpoint ${this.store.path} holds no System Log position; move it away to start from since`);
      }
      this.next = saved.next;
      this.dedup.restore(saved.dedup);
      if (this.config.filter !== undefined && new URLSearchParams(saved.next.split('?')[1] ?? '').get('filter') !== this.config.filter) {
        this.settings.logger.warn('the checkpoint was taken with another filter; Okta keeps the filter of the saved position (move the checkpoint away to apply the new one)');
      }
    }
    this.settings.logger.info('polling the Okta System Log', { org: this.origin, start: saved === undefined ? `since ${this.config.since}` : 'checkpoint', auth: this.auth });
    this.loop.start(host);
  }

  async shutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Run a catch-up pass now instead of at the end of the interval. */
  pollNow(): void {
    this.loop.pollNow();
  }

  metrics(): OktaMetrics {
    return {
      ...this.loop.metrics(),
      ...this.counts,
      requests: this.http.requests,
      tokens_fetched: this.tokenProvider?.fetched ?? 0,
      dedup_overflowed: this.dedup.overflowed,
    };
  }

  /** The first request without a checkpoint: a polling request (no `until`), oldest first. */
  private initialPath(): string {
    const params = new URLSearchParams({ since: new Date(startTime(this.config.since, Date.now())).toISOString(), sortOrder: 'ASCENDING', limit: String(this.config.limit) });
    if (this.config.filter !== undefined) params.set('filter', this.config.filter);
    return `${this.logsPath}?${params.toString()}`;
  }

  /** The request URL for a saved path: always on org_url's origin (the token never goes elsewhere), with the configured limit. */
  private requestUrl(path: string): string {
    const url = new URL(path, this.origin);
    url.searchParams.set('limit', String(this.config.limit));
    return url.toString();
  }

  /** The path and query of Okta's next link, refused when it leaves the System Log. */
  private linkPath(link: string, from: string): string {
    let url: URL;
    try {
      url = new URL(link, from);
    } catch {
      throw new RetryableError('bad_link', `${this.settings.id}: Okta's next link is not a URL`);
    }
    if (url.pathname !== this.logsPath) throw new RetryableError('bad_link', `${this.settings.id}: Okta's next link points to ${url.pathname}, not ${this.logsPath}`);
    return `${url.pathname}${url.search}`;
  }

  private async poll(signal: AbortSignal): Promise<void> {
    const name = this.settings.id;
    let path = this.next ?? this.initialPath();
    for (;;) {
      const url = this.requestUrl(path);
      let page;
      try {
        page = await this.http.getJson(url, signal);
      } catch (error) {
        if (errorCode(error) === 'unauthorized' && this.auth !== 'oauth') {
          const what = this.auth === 'ssws' ? 'the SSWS API token' : 'the access_token';
          const why = this.auth === 'ssws' ? 'revoked, expired (unused for 30 days) or its admin lost access to the System Log' : 'expired or lacks okta.logs.read (a pre-issued token is not refreshed; use client_id and private_key)';
          throw new PermanentError('unauthorized', `${name}: Okta refused ${what}: it is ${why}; update the credential and restart (${(error as Error).message})`, { cause: error });
        }
        throw error;
      }
      this.counts.pages++;
      if (!Array.isArray(page.body)) {
        throw new RetryableError('malformed_response', `${name}: GET ${safeUrl(url)} answered with ${page.body === null ? 'an empty body' : typeof page.body} instead of a list of events`);
      }
      const events = page.body as unknown[];
      const link = linkTarget(page.headers, 'next');
      // Polling requests always carry a next link; without one, ask the same page again next time.
      const nextPath = link === undefined ? path : this.linkPath(link, url);
      const selection = this.dedup.select(events, eventId, eventTime);
      this.counts.duplicates_dropped += selection.duplicates;
      if (selection.fresh.length > 0) {
        const observedTime = Date.now();
        const records: RawRecord[] = selection.fresh.map((payload) => ({ format: FORMAT, payload, observedTime, source: name }));
        try {
          await this.nextConsumer.consume({ tenant: this.settings.tenant, records });
        } catch (error) {
          this.counts.consume_failures++;
          throw error;
        }
        selection.commit();
        this.counts.records += records.length;
        for (const event of selection.fresh) this.loop.observeEventTime(eventTime(event));
      }
      // Saved even when shutting down: what was consumed is delivered.
      if (nextPath !== this.next || selection.fresh.length > 0) {
        await this.store.save({ next: nextPath, dedup: this.dedup.state() });
        this.next = nextPath;
        this.counts.checkpoint_saves++;
      }
      // A short page means caught up for now (an empty one certainly); the next link waits for the next pass.
      if (events.length < this.config.limit || signal.aborted) return;
      path = nextPath;
    }
  }
}
