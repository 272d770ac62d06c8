/**
 * The keycloak pull receiver: user events (`GET /admin/realms/{realm}/events`) and admin events
 * (`/admin-events`) of one or more realms, with a client-credentials token.
 *
 * Each (realm, kind) is a stream with its own window and de-duplication state, all kept in one
 * checkpoint file. A pass reads each stream from `newest delivered − overlap` (or the configured
 * start) and delivers what it had not delivered, oldest first:
 *
 * - Keycloak 26.2 and later sort by `direction=asc` and take `dateFrom` in epoch ms: pages are
 *   delivered one by one; each next page starts at the last page's newest millisecond (keyset),
 *   so events expiring at the head of the window cannot shift an offset past unread events.
 * - Older servers take `dateFrom` as yyyy-MM-dd only and always answer newest first: the window is
 *   read with first/max until a page reaches events older than the window (new events arriving
 *   meanwhile push the old ones to later offsets, which re-reads, never skips), then sorted and
 *   delivered oldest first. At most `max_buffered_events` are held: the oldest, so that each pass
 *   makes progress.
 *
 * Rule 5 of core/api.ts: de-duplication state and checkpoint move only after `consume` resolved.
 */
import type { Component, Consumer, CreateSettings, Host, Logger, RawRecord } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError, RetryableError, errorCode, errorMessage } from '../../../core/errors.js';
import { CheckpointStore } from '../../../core/poller/checkpoint.js';
import type { DedupState } from '../../../core/poller/dedup.js';
import { OverlapDeduper } from '../../../core/poller/dedup.js';
import { PollHttpClient } from '../../../core/poller/http.js';
import { PollLoop } from '../../../core/poller/loop.js';
import { ClientCredentialsToken, safeUrl } from '../../../core/poller/oauth.js';
import type { KeycloakConfig } from './config.js';
import type { EventKind, KeycloakEvent } from './events.js';
import { KINDS, eventId, eventTime, legacyDateFrom, nextFirst, oldestFirst, pageOrder, resolveStartAt } from './events.js';

/** One stream's part of the checkpoint. */
export interface StreamState extends DedupState {
  /** Where the first window started (start_at resolved once, at the first start). */
  start: number;
}

/** The checkpoint file's state: streams by `realm/kind` (`acme/user`, `acme/admin`). */
export interface KeycloakCheckpoint {
  streams: Record<string, StreamState>;
}

/** Knobs for tests and benchmarks; users set the config instead. */
export interface KeycloakTuning {
  /** Overrides poll_interval (which must be at least 1 s). */
  intervalMs?: number;
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** The poll loop's longest wait after failed passes. */
  loopMaxBackoffMs?: number;
  random?: () => number;
  now?: () => number;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEDUP_MAX_IDS = 100_000;

interface Stream {
  readonly key: string;
  readonly realm: string;
  readonly kind: EventKind;
  readonly format: string;
  readonly url: string;
  readonly dedup: OverlapDeduper;
  start: number;
}

/** What the server was found to support (auto) or was configured with. */
interface ServerApi {
  /** `dateFrom` as epoch ms (26.2+); false: yyyy-MM-dd only. */
  epochDates: boolean | undefined;
  /** `direction=asc` honoured (26.2+); false: newest first always. */
  ascending: boolean | undefined;
}

type State = 'created' | 'started' | 'stopped';

function encodeRealm(realm: string): string {
  return encodeURIComponent(realm);
}

export class KeycloakReceiver implements Component {
  private readonly id: string;
  private readonly tenant: string;
  private readonly logger: Logger;
  private readonly config: KeycloakConfig;
  private readonly tuning: KeycloakTuning;
  private readonly now: () => number;
  private readonly checkpoint: CheckpointStore<KeycloakCheckpoint>;
  private state: State = 'created';
  private loop: PollLoop | undefined;
  private http: PollHttpClient | undefined;
  private token: ClientCredentialsToken | undefined;
  private streams: Stream[] = [];
  /** Streams of the checkpoint this config no longer reads: kept, so a config change back resumes them. */
  private otherStreams: Record<string, StreamState> = {};
  private readonly api: ServerApi = { epochDates: undefined, ascending: undefined };
  private pageSize = 100;
  private overlapMs = 0;
  private readonly counts = { records: 0, duplicates_dropped: 0, pages: 0, before_window_dropped: 0, consume_failures: 0, buffer_limited_windows: 0 };

  constructor(
    settings: CreateSettings,
    config: KeycloakConfig,
    private readonly next: Consumer,
    tuning: KeycloakTuning = {},
  ) {
    this.id = settings.id;
    this.tenant = settings.tenant;
    this.logger = settings.logger;
    this.config = config;
    this.tuning = tuning;
    this.now = tuning.now ?? Date.now;
    this.checkpoint = new CheckpointStore<KeycloakCheckpoint>(settings.dataDir, settings.id);
  }

  async start(host: Host): Promise<void> {
    if (this.state !== 'created') throw new PermanentError(this.state === 'stopped' ? 'shut_down' : 'already_started', `receiver ${this.id} ${this.state === 'stopped' ? 'was shut down; it cannot start again' : 'was already started'}`);
    const { config } = this;
    if (config.base_url === undefined || config.client_id === undefined || config.client_secret === undefined) {
      throw new PermanentError('config', `${this.id}: base_url, client_id and client_secret are required`);
    }
    if ((config.realm === undefined) === (config.realms === undefined)) {
      throw new PermanentError('config', `${this.id}: set realm (one realm) or realms (a list), ${config.realm === undefined ? 'neither is set' : 'not both'}`);
    }
    const intervalMs = this.tuning.intervalMs ?? parseDuration(config.poll_interval);
    if (this.tuning.intervalMs === undefined && intervalMs < 1000) throw new PermanentError('config', `${this.id}: poll_interval must be at least 1s, got ${config.poll_interval}`);
    const timeoutMs = parseDuration(config.timeout);
    this.overlapMs = parseDuration(config.overlap);
    this.pageSize = config.page_size;
    if (config.server_api !== 'auto') {
      const modern = config.server_api === 'modern';
      this.api.epochDates = modern;
      this.api.ascending = modern;
    }

    const realms = config.realms ?? [config.realm!];
    const tokenRealm = config.token_realm ?? (config.realms === undefined ? config.realm! : 'master');
    const root = config.base_url.replace(/\/+$/, '') + config.auth_path_prefix;
    this.token = new ClientCredentialsToken({
      name: this.id,
      tokenUrl: `${root}/realms/${encodeRealm(tokenRealm)}/protocol/openid-connect/token`,
      clientId: config.client_id,
      clientSecret: config.client_secret,
      timeoutMs,
      ...(this.tuning.now !== undefined ? { now: this.tuning.now } : {}),
    });
    this.http = new PollHttpClient({
      name: this.id,
      timeoutMs,
      maxBodyBytes: MAX_BODY_BYTES,
      maxAttempts: this.tuning.maxAttempts ?? 4,
      initialBackoffMs: this.tuning.initialBackoffMs ?? 500,
      maxBackoffMs: this.tuning.maxBackoffMs ?? 10_000,
      token: this.token,
      ...(this.tuning.random !== undefined ? { random: this.tuning.random } : {}),
      ...(this.tuning.now !== undefined ? { now: this.tuning.now } : {}),
      onWait: (reason, ms) => {
        if (ms >= 1000) this.logger.debug('waiting before the next request', { reason, ms });
      },
    });

    // A corrupt checkpoint fails the start: starting over silently would re-deliver or skip history.
    const saved = await this.checkpoint.load();
    const savedStreams = saved?.streams ?? {};
    const kinds: EventKind[] = config.events === 'both' ? ['user', 'admin'] : [config.events];
    const startAt = resolveStartAt(config.start_at, this.now());
    let fresh = saved === undefined;
    this.streams = [];
    for (const realm of realms) {
      for (const kind of kinds) {
        const key = `${realm}/${kind}`;
        const dedup = new OverlapDeduper(this.overlapMs, DEDUP_MAX_IDS);
        const previous = savedStreams[key];
        if (previous === undefined) fresh = true;
        dedup.restore(previous);
        this.streams.push({
          key,
          realm,
          kind,
          format: KINDS[kind].format,
          url: `${root}/admin/realms/${encodeRealm(realm)}/${KINDS[kind].path}`,
          dedup,
          start: typeof previous?.start === 'number' && Number.isFinite(previous.start) ? previous.start : startAt,
        });
      }
    }
    const used = new Set(this.streams.map((stream) => stream.key));
    this.otherStreams = Object.fromEntries(Object.entries(savedStreams).filter(([key]) => !used.has(key)));
    // The resolved start is saved before anything is read, so that `start_at: now` means the first start, not the latest restart.
    if (fresh) await this.saveCheckpoint();

    this.logger.info('polling Keycloak events', { base_url: safeUrl(root), realms, token_realm: tokenRealm, events: config.events, interval_ms: intervalMs });
    this.loop = new PollLoop({
      name: this.id,
      intervalMs,
      maxBackoffMs: this.tuning.loopMaxBackoffMs ?? Math.max(intervalMs, 60_000),
      logger: this.logger,
      poll: (signal) => this.pass(host, signal),
      ...(this.tuning.now !== undefined ? { now: this.tuning.now } : {}),
    });
    for (const stream of this.streams) if (stream.dedup.newestTime !== undefined) this.loop.observeEventTime(stream.dedup.newestTime);
    this.state = 'started';
    this.loop.start(host);
  }

  /** Runs the next pass now (tests, benchmarks). */
  pollNow(): void {
    this.loop?.pollNow();
  }

  metrics(): Readonly<Record<string, number>> {
    const loop = this.loop?.metrics();
    let overflowed = 0;
    for (const stream of this.streams) overflowed += stream.dedup.overflowed;
    return {
      lag_ms: loop?.lag_ms ?? -1,
      polls: loop?.polls ?? 0,
      poll_failures: loop?.poll_failures ?? 0,
      last_success_time: loop?.last_success_time ?? 0,
      ...this.counts,
      requests: this.http?.requests ?? 0,
      token_fetches: this.token?.fetched ?? 0,
      dedup_ids_forgotten: overflowed,
    };
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    // Stops after the current pass: its requests and waits are aborted, an in-flight consume is awaited.
    await this.loop?.stop();
  }

  /**
   * One catch-up pass over every stream. A stream that fails is reported and retried next
   * interval without holding up the others; the pass throws (so the loop backs off) only when
   * every stream failed.
   */
  private async pass(host: Host, signal: AbortSignal): Promise<void> {
    const failures: unknown[] = [];
    for (const stream of this.streams) {
      if (signal.aborted) return;
      try {
        await this.readStream(stream, signal);
      } catch (error) {
        if (signal.aborted) return;
        failures.push(error);
      }
    }
    if (failures.length === 0) return;
    if (failures.length === this.streams.length) throw failures[0];
    for (const error of failures) host.reportError(error);
  }

  private async readStream(stream: Stream, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const ascending = this.api.ascending !== false;
      const outcome = ascending ? await this.readAscending(stream, signal) : await this.readNewestFirst(stream, signal);
      if (outcome === 'done') return;
      // 'relearn': the server turned out older than assumed; read the same window the legacy way.
    }
  }

  /** GET one page; learns from a 400 on an epoch-ms dateFrom that the server predates 26.2. */
  private async getPage(stream: Stream, dateFromMs: number, first: number, ascending: boolean, signal: AbortSignal): Promise<KeycloakEvent[] | 'relearn'> {
    const epoch = this.api.epochDates !== false;
    const query = new URLSearchParams({
      dateFrom: epoch ? String(Math.max(0, Math.floor(dateFromMs))) : legacyDateFrom(dateFromMs),
      first: String(first),
      max: String(this.pageSize),
    });
    if (ascending) query.set('direction', 'asc');
    let body: unknown;
    try {
      body = (await this.http!.getJson(`${stream.url}?${query.toString()}`, signal)).body;
    } catch (error) {
      if (epoch && this.api.epochDates === undefined && errorCode(error) === 'http_400') {
        this.learnLegacy(stream, 'it refused an epoch-millisecond dateFrom (400)');
        return 'relearn';
      }
      if (errorCode(error) === 'unauthorized') {
        throw new PermanentError('unauthorized', `${errorMessage(error)} (the client's service account needs the realm-management role view-events for realm ${stream.realm})`, { cause: error });
      }
      throw error;
    }
    this.counts.pages++;
    if (epoch && this.api.epochDates === undefined) this.api.epochDates = true;
    if (!Array.isArray(body)) throw new RetryableError('malformed_response', `${this.id}: GET ${safeUrl(stream.url)} answered with ${body === null ? 'an empty body' : `a JSON ${typeof body}`}, not a list of events`);
    const events: KeycloakEvent[] = [];
    for (const item of body) {
      // Keycloak lists only objects; anything else still goes downstream (the normalizer dead-letters it) rather than vanish.
      events.push(typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as KeycloakEvent) : ({ value: item } as KeycloakEvent));
    }
    return events;
  }

  private learnLegacy(stream: Stream, why: string): void {
    this.api.epochDates = false;
    this.api.ascending = false;
    this.logger.info('Keycloak server predates 26.2: reading events newest first with yyyy-MM-dd dates', { stream: stream.key, why });
  }

  /** Keycloak 26.2+: ascending pages, each delivered and committed before the next is read. */
  private async readAscending(stream: Stream, signal: AbortSignal): Promise<'done' | 'relearn'> {
    const windowStart = stream.dedup.windowStart(stream.start);
    let from = windowStart;
    let first = 0;
    for (;;) {
      if (signal.aborted) return 'done';
      const page = await this.getPage(stream, from, first, true, signal);
      if (page === 'relearn') return 'relearn';
      const times = page.map(eventTime);
      if (pageOrder(times) === -1) {
        if (this.config.server_api === 'modern') throw new PermanentError('unsorted_response', `${this.id}: GET ${safeUrl(stream.url)} ignored direction=asc (server_api is modern; use auto or legacy for servers before 26.2)`);
        // Nothing of this page was delivered: the whole window is read again newest first.
        this.api.ascending = false;
        this.logger.info('Keycloak server ignores direction=asc: reading events newest first', { stream: stream.key });
        return 'relearn';
      }
      if (this.api.ascending === undefined && pageOrder(times) === 1) this.api.ascending = true;
      const inWindow: KeycloakEvent[] = [];
      const inTimes: number[] = [];
      for (let i = 0; i < page.length; i++) {
        if (times[i]! < windowStart) this.counts.before_window_dropped++;
        else {
          inWindow.push(page[i]!);
          inTimes.push(times[i]!);
        }
      }
      await this.deliver(stream, inWindow, windowStart);
      if (page.length < this.pageSize) return 'done';
      // Keyset: the next page starts at this page's newest millisecond (re-read, de-duplicated) unless the page is all one millisecond.
      const last = times[times.length - 1]!;
      if (Number.isFinite(last) && last > from && times.some((time) => time !== last)) {
        from = last;
        first = 0;
      } else {
        first = nextFirst(first, times);
      }
    }
  }

  /** Before 26.2: read the whole window newest first, then deliver it oldest first. */
  private async readNewestFirst(stream: Stream, signal: AbortSignal): Promise<'done' | 'relearn'> {
    const windowStart = stream.dedup.windowStart(stream.start);
    const limit = this.config.max_buffered_events;
    let held: KeycloakEvent[] = [];
    let heldTimes: number[] = [];
    let limited = false;
    let first = 0;
    for (;;) {
      if (signal.aborted) return 'done';
      const page = await this.getPage(stream, windowStart, first, false, signal);
      if (page === 'relearn') return 'relearn';
      const times = page.map(eventTime);
      let reachedOlder = false;
      for (let i = 0; i < page.length; i++) {
        if (times[i]! < windowStart) {
          reachedOlder = true;
          this.counts.before_window_dropped++;
          continue;
        }
        // Only undelivered events are held, so a full buffer always holds something new and the pass makes progress.
        if (stream.dedup.has(eventId(page[i]!))) {
          this.counts.duplicates_dropped++;
          continue;
        }
        held.push(page[i]!);
        heldTimes.push(times[i]!);
      }
      if (held.length > limit) {
        // Keep the oldest: they are delivered first, the newer ones are read again next pass.
        limited = true;
        const key = (i: number): number => (Number.isFinite(heldTimes[i]!) ? heldTimes[i]! : windowStart);
        const sorted = held.map((_, i) => i).sort((a, b) => key(a) - key(b)).slice(0, limit);
        sorted.sort((a, b) => a - b);
        held = sorted.map((i) => held[i]!);
        heldTimes = sorted.map((i) => heldTimes[i]!);
      }
      if (page.length < this.pageSize || reachedOlder) break;
      first = nextFirst(first, times);
    }
    if (limited) {
      this.counts.buffer_limited_windows++;
      this.logger.warn('window larger than max_buffered_events: delivering its oldest events, the rest next pass', { stream: stream.key, max_buffered_events: limit });
    }
    const ordered = oldestFirst(held, heldTimes, windowStart, true);
    for (let offset = 0; offset < ordered.length; offset += this.pageSize) {
      await this.deliver(stream, ordered.slice(offset, offset + this.pageSize), windowStart);
    }
    return 'done';
  }

  /** Hands the events not delivered before to `next`, then commits them and saves the checkpoint. */
  private async deliver(stream: Stream, events: readonly KeycloakEvent[], windowStart: number): Promise<void> {
    if (events.length === 0) return;
    const selection = stream.dedup.select(events, eventId, (event) => {
      const time = eventTime(event);
      return Number.isFinite(time) ? time : windowStart;
    });
    this.counts.duplicates_dropped += selection.duplicates;
    if (selection.fresh.length === 0) return;
    const observedTime = Date.now();
    const records: RawRecord[] = selection.fresh.map((payload) => ({ format: stream.format, payload, observedTime, source: this.id }));
    try {
      await this.next.consume({ tenant: this.tenant, records });
    } catch (error) {
      this.counts.consume_failures++;
      // Not committed: the next pass reads and offers these events again.
      throw error instanceof Error ? error : new RetryableError('consume_failed', `${this.id}: downstream refused a batch: ${errorMessage(error)}`);
    }
    selection.commit();
    this.counts.records += records.length;
    const newest = stream.dedup.newestTime;
    if (newest !== undefined) this.loop?.observeEventTime(newest);
    await this.saveCheckpoint();
  }

  private async saveCheckpoint(): Promise<void> {
    const streams: Record<string, StreamState> = { ...this.otherStreams };
    for (const stream of this.streams) streams[stream.key] = { start: stream.start, ...stream.dedup.state() };
    await this.checkpoint.save({ streams }, new Date(this.now()));
  }
}
