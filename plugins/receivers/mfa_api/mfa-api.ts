import type { Consumer, CreateSettings, DeadLetter, Host, RawRecord, Receiver } from '../../../core/api.js';
import { PermanentError, RetryableError } from '../../../core/errors.js';
import { CheckpointStore } from '../../../core/poller/checkpoint.js';
import { OverlapDeduper, contentId } from '../../../core/poller/dedup.js';
import type { DedupState } from '../../../core/poller/dedup.js';
import { PollHttpClient, retryAfterMs } from '../../../core/poller/http.js';
import type { TokenProvider } from '../../../core/poller/http.js';
import { PollLoop } from '../../../core/poller/loop.js';
import { ClientCredentialsToken, safeUrl } from '../../../core/poller/oauth.js';
import { rfc3339StartTime } from '../../../core/poller/settings.js';
import { resolveConfig } from './config.js';
import type { MfaApiConfig, ResolvedMfaApiConfig } from './config.js';
import { SseParser } from './sse.js';
import type { OversizedEvent, SseEvent } from './sse.js';

export const EVENT_FORMAT = 'mfa_api';
export const LOGIN_METRICS_FORMAT = 'mfa_api.login_metrics';

/** The events checkpoint (checkpoint.json). */
export interface EventsCheckpoint {
  /** Epoch ms the first window started at (from `since`), kept so a restart before the first event does not skip ahead. */
  start_time: number;
  /** Stream mode: the SSE id of the last delivered event, sent as Last-Event-ID on reconnect. */
  last_event_id: string | null;
  dedup: DedupState;
}

/** The login-metrics checkpoint (login_metrics.json): a separate file, as it is written by its own loop. */
export interface MetricsCheckpoint {
  /** Epoch ms of the `timestamp` of the last delivered snapshot; a snapshot with the same one is not delivered again. */
  last_time: number | null;
}

/** Knobs for tests (not user config): faster clocks and deterministic jitter. */
export interface MfaApiReceiverOptions {
  readonly intervalMs?: number;
  readonly metricsIntervalMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxAttempts?: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

interface Candidate {
  readonly record: RawRecord;
  readonly id: string;
  readonly time: number;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_INITIAL_BACKOFF_MS = 500;
const MAX_REQUEST_BACKOFF_MS = 30_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function eventTime(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/** Exponential backoff, ± 50 % jitter. */
function jittered(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + random()));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The `mfa_api` receiver: the generic MFA / lockout / recovery API (the contract is in README.md).
 *
 * Poll mode pages `GET {events_path}?since=&limit=&cursor=` (ascending) from the newest delivered
 * event time minus `overlap`, drops ids already delivered, consumes page by page and commits the
 * checkpoint after each `consume` resolved. Stream mode reads server-sent events, delivers each
 * network chunk's events as one batch (reading pauses while downstream works: TCP backpressure),
 * and on reconnect sends the id of the last *delivered* event as Last-Event-ID. Login metrics are
 * polled by a loop of their own and checkpointed in a file of their own.
 */
export class MfaApiReceiver implements Receiver {
  private readonly config: ResolvedMfaApiConfig;
  private readonly http: PollHttpClient;
  private readonly token: ClientCredentialsToken | undefined;
  private readonly staticHeaders: Readonly<Record<string, string>>;
  private readonly dedup: OverlapDeduper;
  private readonly eventsStore: CheckpointStore<EventsCheckpoint>;
  private readonly metricsStore: CheckpointStore<MetricsCheckpoint>;
  private readonly eventsLoop: PollLoop | undefined;
  private readonly metricsLoop: PollLoop | undefined;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly initialBackoffMs: number;
  private host: Host | undefined;
  private startTime = 0;
  private lastEventId: string | null = null;
  private metricsLastTime: number | null = null;
  private started = false;
  private stopped: Promise<void> | undefined;
  private readonly counters = {
    events_received: 0,
    events_delivered: 0,
    duplicates_dropped: 0,
    malformed_events: 0,
    oversized_events: 0,
    other_stream_events: 0,
    stream_connects: 0,
    login_metrics_records: 0,
    login_metrics_unchanged: 0,
  };

  constructor(
    private readonly settings: CreateSettings,
    userConfig: MfaApiConfig,
    private readonly next: Consumer,
    options: MfaApiReceiverOptions = {},
  ) {
    const config = resolveConfig(settings.id, userConfig);
    this.config = config;
    rfc3339StartTime(config.since, 0); // an unreadable RFC 3339 `since` fails here, at create time
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.initialBackoffMs = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const oauth = userConfig.oauth;
    this.token = oauth === undefined ? undefined : new ClientCredentialsToken({
      name: settings.id,
      tokenUrl: oauth.token_url,
      clientId: oauth.client_id,
      clientSecret: oauth.client_secret,
      ...(oauth.scope !== undefined ? { scope: oauth.scope } : {}),
      timeoutMs: config.timeoutMs,
      now: this.now,
    });
    this.staticHeaders = userConfig.token === undefined ? {} : { authorization: `Bearer ${userConfig.token}` };
    this.http = new PollHttpClient({
      name: settings.id,
      timeoutMs: config.timeoutMs,
      maxBodyBytes: config.maxBodyBytes,
      maxAttempts: this.maxAttempts,
      initialBackoffMs: this.initialBackoffMs,
      maxBackoffMs: Math.min(MAX_REQUEST_BACKOFF_MS, config.maxBackoffMs),
      headers: this.staticHeaders,
      ...(this.token !== undefined ? { token: this.token as TokenProvider } : {}),
      maxRateLimitWaitMs: config.maxBackoffMs,
      random: this.random,
    });
    this.dedup = new OverlapDeduper(config.overlapMs);
    this.eventsStore = new CheckpointStore(settings.dataDir, settings.id);
    this.metricsStore = new CheckpointStore(settings.dataDir, settings.id, 'login_metrics.json');
    const logger = settings.logger;
    if (config.mode !== 'off') {
      const streaming = config.mode === 'stream';
      this.eventsLoop = new PollLoop({
        name: settings.id,
        intervalMs: options.intervalMs ?? config.intervalMs,
        maxBackoffMs: config.maxBackoffMs,
        logger,
        now: this.now,
        poll: streaming ? (signal) => this.streamSession(signal) : (signal) => this.pollEvents(signal),
      });
    }
    if (config.metricsEnabled) {
      this.metricsLoop = new PollLoop({
        name: `${settings.id} login_metrics`,
        intervalMs: options.metricsIntervalMs ?? config.metricsIntervalMs,
        maxBackoffMs: config.maxBackoffMs,
        logger,
        now: this.now,
        poll: (signal) => this.pollLoginMetrics(signal),
      });
    }
  }

  async start(host: Host): Promise<void> {
    if (this.started || this.stopped !== undefined) return;
    // The host validates `required` before create; this guards direct use (create tolerates it for the conformance test).
    if (this.config.baseUrl === '') throw new PermanentError('invalid_config', `receivers::${this.settings.id}::base_url: is required`);
    this.started = true;
    this.host = host;
    if (this.eventsLoop !== undefined) {
      // A corrupt checkpoint fails the start: guessing would re-deliver or skip history.
      const saved = await this.eventsStore.load();
      if (saved !== undefined) {
        this.startTime = typeof saved.start_time === 'number' ? saved.start_time : rfc3339StartTime(this.config.since, this.now());
        this.lastEventId = typeof saved.last_event_id === 'string' ? saved.last_event_id : null;
        this.dedup.restore(saved.dedup);
      } else {
        this.startTime = rfc3339StartTime(this.config.since, this.now());
        await this.saveEvents();
      }
      if (this.dedup.newestTime !== undefined) this.eventsLoop.observeEventTime(this.dedup.newestTime);
    }
    if (this.metricsLoop !== undefined) {
      const saved = await this.metricsStore.load();
      this.metricsLastTime = typeof saved?.last_time === 'number' ? saved.last_time : null;
    }
    this.settings.logger.info('mfa_api receiver started', {
      mode: this.config.mode,
      url: safeUrl(this.config.baseUrl),
      login_metrics: this.config.metricsEnabled,
      resume_after: this.lastEventId ?? undefined,
    });
    this.eventsLoop?.start(host);
    this.metricsLoop?.start(host);
  }

  shutdown(): Promise<void> {
    // Stops the loops: waits and requests are aborted, an in-flight consume is awaited (and committed).
    this.stopped ??= Promise.all([this.eventsLoop?.stop(), this.metricsLoop?.stop()]).then(() => undefined);
    return this.stopped;
  }

  metrics(): Readonly<Record<string, number>> {
    const loop = this.eventsLoop?.metrics() ?? { polls: 0, poll_failures: 0, lag_ms: -1, last_success_time: 0 };
    const metricsLoop = this.metricsLoop?.metrics();
    return {
      ...loop,
      ...this.counters,
      dedup_overflowed: this.dedup.overflowed,
      http_requests: this.http.requests,
      token_fetches: this.token?.fetched ?? 0,
      login_metrics_polls: metricsLoop?.polls ?? 0,
      login_metrics_failures: metricsLoop?.poll_failures ?? 0,
    };
  }

  // ---- poll mode

  private async pollEvents(signal: AbortSignal): Promise<void> {
    const { config } = this;
    const since = new Date(this.dedup.windowStart(this.startTime)).toISOString();
    let cursor: string | undefined;
    for (let page = 0; page < config.maxPages; page++) {
      const query = new URLSearchParams({ since, limit: String(config.pageSize) });
      if (cursor !== undefined) query.set('cursor', cursor);
      const url = `${config.eventsUrl}?${query.toString()}`;
      const { body } = await this.http.getJson(url, signal);
      if (!isObject(body) || !Array.isArray(body['events'])) {
        throw new RetryableError('malformed_response', `${this.settings.id}: GET ${safeUrl(url)} answered without an events array`);
      }
      const events = body['events'] as unknown[];
      const observed = this.now();
      const candidates: Candidate[] = [];
      for (const event of events) {
        if (isObject(event)) {
          const id = typeof event['event_id'] === 'string' && event['event_id'] !== '' ? event['event_id'] : contentId(JSON.stringify(event));
          candidates.push({ record: this.record(event, observed), id, time: eventTime(event['timestamp']) });
        } else {
          // Not an object: still delivered (the normalizer dead-letters it with its reason), once.
          this.counters.malformed_events++;
          candidates.push({ record: this.record(event, observed), id: contentId(JSON.stringify(event) ?? 'null'), time: Number.NaN });
        }
      }
      await this.deliver(candidates);
      const next = body['next_cursor'];
      if (typeof next !== 'string' || next === '' || events.length === 0) return;
      cursor = next;
    }
  }

  // ---- stream mode

  /** One connection: connect (retrying 429, 5xx, network errors and one 401), then read until the server closes. */
  private async streamSession(signal: AbortSignal): Promise<void> {
    const { config } = this;
    const id = this.settings.id;
    const where = safeUrl(config.streamUrl);
    let attempt = 0;
    let refreshed = false;
    let lastError: RetryableError | undefined;
    for (;;) {
      if (attempt >= this.maxAttempts) {
        throw new RetryableError(lastError?.code ?? 'stream_failed', `${id}: stream ${where} failed ${attempt} times; last: ${lastError?.message ?? 'unknown'}`, { cause: lastError });
      }
      attempt++;
      const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache', ...this.staticHeaders };
      if (this.token !== undefined) headers['authorization'] = `Bearer ${await this.token.get(signal)}`;
      // Resume from the last delivered event; `since` serves a first connection (or a switch from poll mode).
      if (this.lastEventId !== null) headers['last-event-id'] = this.lastEventId;
      const url = `${config.streamUrl}?${new URLSearchParams({ since: new Date(this.dedup.windowStart(this.startTime)).toISOString() }).toString()}`;
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const connectTimer = setTimeout(() => {
        timedOut = true;
        controller.abort(new RetryableError('timeout', `${id}: stream ${where}: no response headers within ${config.timeoutMs} ms`));
      }, config.timeoutMs);
      let response: Response;
      try {
        response = await fetch(url, { headers, signal: controller.signal });
      } catch (error) {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) throw signal.reason;
        const reason = timedOut ? `timed out after ${config.timeoutMs} ms` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
        lastError = new RetryableError(timedOut ? 'timeout' : 'unreachable', `GET ${where}: ${reason}`);
        await sleep(jittered(attempt, this.initialBackoffMs, config.maxBackoffMs, this.random), signal);
        continue;
      } finally {
        clearTimeout(connectTimer);
      }
      try {
        const status = response.status;
        if (status < 200 || status >= 300 || !(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')) {
          await response.body?.cancel().catch(() => undefined);
          if (status === 429) {
            attempt--; // the server pacing us, not a failure
            await sleep(Math.min(retryAfterMs(response.headers, Date.now()) ?? jittered(attempt + 1, this.initialBackoffMs, config.maxBackoffMs, this.random), config.maxBackoffMs), signal);
            continue;
          }
          if (status === 401 && this.token !== undefined && !refreshed) {
            refreshed = true;
            attempt--;
            this.token.invalidate();
            continue;
          }
          if (status >= 500 || (status >= 200 && status < 300)) {
            lastError = status >= 500
              ? new RetryableError(`http_${status}`, `GET ${where} answered ${status}`)
              : new RetryableError('malformed_response', `GET ${where} answered ${status} without Content-Type text/event-stream`);
            await sleep(Math.max(retryAfterMs(response.headers, Date.now()) ?? 0, jittered(attempt, this.initialBackoffMs, config.maxBackoffMs, this.random)), signal);
            continue;
          }
          if (status === 401 || status === 403) throw new PermanentError('unauthorized', `${id}: GET ${where} answered ${status}: the credentials are refused or lack the needed permission`);
          throw new PermanentError(`http_${status}`, `${id}: GET ${where} answered ${status}`);
        }
        this.counters.stream_connects++;
        this.settings.logger.debug('mfa_api stream connected', { url: where, resume_after: this.lastEventId ?? undefined });
        await this.readStream(response, controller, signal);
        return;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
  }

  private async readStream(response: Response, controller: AbortController, signal: AbortSignal): Promise<void> {
    const { config } = this;
    const where = safeUrl(config.streamUrl);
    if (response.body === null) return;
    const reader = response.body.getReader();
    const parser = new SseParser(config.maxEventBytes);
    let idle: NodeJS.Timeout | undefined;
    const idleError = new RetryableError('stream_idle', `${this.settings.id}: stream ${where} sent nothing for ${config.idleTimeoutMs} ms`);
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(idleError), config.idleTimeoutMs);
    };
    arm();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          if (controller.signal.reason === idleError) throw idleError;
          const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
          throw new RetryableError('stream_interrupted', `${this.settings.id}: stream ${where} broke off: ${code}`);
        }
        if (chunk.done) return;
        const events: SseEvent[] = [];
        const tooLarge: OversizedEvent[] = [];
        parser.push(chunk.value, events, tooLarge);
        if (events.length > 0 || tooLarge.length > 0) {
          // Downstream time is not stream silence; and while it works nothing is read (backpressure).
          clearTimeout(idle);
          await this.deliverStreamEvents(events, tooLarge);
        }
        arm();
      }
    } finally {
      clearTimeout(idle);
      reader.cancel().catch(() => undefined);
    }
  }

  private async deliverStreamEvents(events: readonly SseEvent[], tooLarge: readonly OversizedEvent[]): Promise<void> {
    const observed = this.now();
    const candidates: Candidate[] = [];
    let lastId: string | undefined;
    for (const event of events) {
      if (event.event !== 'message') {
        this.counters.other_stream_events++;
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        parsed = undefined;
      }
      let id: string;
      if (isObject(parsed)) {
        id = typeof parsed['event_id'] === 'string' && parsed['event_id'] !== '' ? parsed['event_id'] : (event.id ?? contentId(event.data));
        candidates.push({ record: this.record(parsed, observed), id, time: eventTime(parsed['timestamp']) });
      } else {
        // Kept as the text it was: the normalizer dead-letters it with reason malformed_json (or not_object).
        this.counters.malformed_events++;
        id = event.id ?? contentId(event.data);
        candidates.push({ record: this.record(event.data, observed), id, time: Number.NaN });
      }
      lastId = event.id ?? id;
    }
    if (tooLarge.length > 0) {
      this.counters.oversized_events += tooLarge.length;
      const letters: DeadLetter[] = tooLarge.map((event) => ({
        reason: 'event_too_large',
        detail: `server-sent event ${event.id === undefined ? '' : `${JSON.stringify(event.id)} `}of ${event.size} characters exceeds max_event_bytes ${this.config.maxEventBytes}; its start is kept`,
        format: EVENT_FORMAT,
        original: event.prefix,
        observedTime: observed,
      }));
      // Written before the checkpoint moves past them; a failure refuses the chunk (reconnect, replay).
      await this.host!.deadLetter(this.settings.tenant, letters);
      const last = tooLarge[tooLarge.length - 1]!;
      if (last.id !== undefined && candidates.length === 0) lastId = last.id;
    }
    await this.deliver(candidates, lastId);
  }

  // ---- shared delivery

  private record(payload: unknown, observedTime: number): RawRecord {
    return { format: EVENT_FORMAT, payload, observedTime, source: this.settings.id };
  }

  /** Drops what was delivered before, consumes the rest, and only then commits ids and checkpoint. */
  private async deliver(candidates: readonly Candidate[], lastEventId?: string): Promise<void> {
    this.counters.events_received += candidates.length;
    const selection = this.dedup.select(candidates, (c) => c.id, (c) => c.time);
    if (selection.fresh.length > 0) {
      await this.next.consume({ tenant: this.settings.tenant, records: selection.fresh.map((c) => c.record) });
      this.counters.events_delivered += selection.fresh.length;
    }
    this.counters.duplicates_dropped += selection.duplicates;
    selection.commit();
    const before = this.lastEventId;
    if (lastEventId !== undefined) this.lastEventId = lastEventId;
    if (this.dedup.newestTime !== undefined) this.eventsLoop?.observeEventTime(this.dedup.newestTime);
    if (selection.fresh.length > 0 || before !== this.lastEventId) await this.saveEvents();
  }

  private saveEvents(): Promise<void> {
    return this.eventsStore.save({ start_time: this.startTime, last_event_id: this.lastEventId, dedup: this.dedup.state() });
  }

  // ---- login metrics

  private async pollLoginMetrics(signal: AbortSignal): Promise<void> {
    const url = this.config.metricsUrl;
    const { body } = await this.http.getJson(url, signal);
    if (!isObject(body)) throw new RetryableError('malformed_response', `${this.settings.id}: GET ${safeUrl(url)} answered a body that is not a JSON object`);
    const time = eventTime(body['timestamp']);
    if (Number.isFinite(time) && time === this.metricsLastTime) {
      this.counters.login_metrics_unchanged++;
      return;
    }
    const record: RawRecord = { format: LOGIN_METRICS_FORMAT, payload: body, observedTime: this.now(), source: this.settings.id };
    await this.next.consume({ tenant: this.settings.tenant, records: [record] });
    this.counters.login_metrics_records++;
    if (Number.isFinite(time)) {
      this.metricsLastTime = time;
      await this.metricsStore.save({ last_time: time });
    }
  }
}
