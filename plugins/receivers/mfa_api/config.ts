import type { JsonSchema } from '../../../core/api.js';
import { durationSetting, receiverConfigError } from '../../../core/poller/settings.js';
import { DURATION_PATTERN, startPositionSchema } from '../../../core/poller/schema.js';

/** OAuth 2.0 client credentials, for an API that issues short-lived tokens instead of a static one. */
export interface MfaApiOAuthConfig {
  token_url: string;
  client_id: string;
  client_secret: string;
  /** Space-separated scopes, when the token endpoint wants them. */
  scope?: string;
}

export interface LoginMetricsConfig {
  enabled: boolean;
  /** Path under base_url of the aggregate login-metrics endpoint. */
  path: string;
  /** Go-style duration between two polls of the metrics endpoint (at least 1s). */
  interval: string;
}

export interface MfaApiConfig {
  /** The API's base URL, `https://mfa.acme.example` (paths below are appended to it). */
  base_url?: string;
  /** A static bearer token (`Authorization: Bearer <token>`). Exclusive with `oauth`. */
  token?: string;
  /** OAuth 2.0 client credentials; the token is cached, refreshed before expiry and once on a 401. */
  oauth?: MfaApiOAuthConfig;
  /** `poll` (batch pages), `stream` (server-sent events), `off` (login metrics only). */
  mode: 'poll' | 'stream' | 'off';
  /** Poll mode: time between catch-up passes. Stream mode: the delay before reconnecting after the server closed the stream. */
  poll_interval: string;
  /** Where to start without a checkpoint: `now`, an RFC 3339 time, or a look-back duration (`24h`). */
  since: string;
  /** How far before the newest delivered event each window starts (and how long delivered ids are remembered). */
  overlap: string;
  events_path: string;
  stream_path: string;
  /** Events per page (`limit`). */
  page_size: number;
  /** Pages per poll pass; the next pass continues from the checkpoint. */
  max_pages: number;
  /** Per request (poll), and for the response headers of a stream connection. */
  timeout: string;
  /** A stream that sends nothing (no event, no `:` keep-alive comment) for this long is reconnected. */
  stream_idle_timeout: string;
  /** Largest accepted server-sent event (its data lines together), in bytes; larger ones are skipped and counted. */
  max_event_bytes: number;
  /** Largest accepted page body, in bytes. */
  max_body_bytes: number;
  /** Longest wait between retries after consecutive failures. */
  max_backoff: string;
  login_metrics: LoginMetricsConfig;
}

const PATH_PATTERN = '^/[^?#\\s]*$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['base_url'],
  properties: {
    base_url: { type: 'string', format: 'uri', pattern: '^https?://', description: 'Base URL of the MFA API, e.g. https://mfa.acme.example.' },
    token: { type: 'string', minLength: 1, description: 'Static bearer token (secret). Exclusive with oauth.' },
    oauth: {
      type: 'object',
      additionalProperties: false,
      required: ['token_url', 'client_id', 'client_secret'],
      properties: {
        token_url: { type: 'string', format: 'uri', pattern: '^https?://', description: 'OAuth 2.0 token endpoint.' },
        client_id: { type: 'string', minLength: 1 },
        client_secret: { type: 'string', minLength: 1, description: 'Client secret (secret).' },
        scope: { type: 'string', minLength: 1, description: 'Space-separated scopes.' },
      },
      description: 'OAuth 2.0 client credentials instead of a static token.',
    },
    mode: { type: 'string', enum: ['poll', 'stream', 'off'], default: 'poll', description: 'poll pages, stream server-sent events, or off (login metrics only).' },
    poll_interval: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'Time between poll passes (at least 1s); in stream mode the reconnect delay after a clean close.' },
    since: startPositionSchema(),
    overlap: { type: 'string', pattern: DURATION_PATTERN, default: '1m', description: 'Each window starts this long before the newest delivered event; ids within it are remembered.' },
    events_path: { type: 'string', pattern: PATH_PATTERN, default: '/v1/events', description: 'Path of the paged events endpoint.' },
    stream_path: { type: 'string', pattern: PATH_PATTERN, default: '/v1/events/stream', description: 'Path of the server-sent events endpoint.' },
    page_size: { type: 'integer', minimum: 1, maximum: 10_000, default: 500, description: 'Events per page (limit).' },
    max_pages: { type: 'integer', minimum: 1, maximum: 10_000, default: 20, description: 'Pages per poll pass.' },
    timeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Per-request timeout.' },
    stream_idle_timeout: { type: 'string', pattern: DURATION_PATTERN, default: '2m', description: 'Reconnect a stream silent for this long.' },
    max_event_bytes: { type: 'integer', minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Largest server-sent event accepted.' },
    max_body_bytes: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024, default: 32 * 1024 * 1024, description: 'Largest page body accepted.' },
    max_backoff: { type: 'string', pattern: DURATION_PATTERN, default: '5m', description: 'Longest wait between retries after failures.' },
    login_metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: false, description: 'Poll the aggregate login-metrics endpoint.' },
        path: { type: 'string', pattern: PATH_PATTERN, default: '/v1/metrics/logins', description: 'Path of the login-metrics endpoint.' },
        interval: { type: 'string', pattern: DURATION_PATTERN, default: '1m', description: 'Time between metrics polls (at least 1s).' },
      },
      default: { enabled: false, path: '/v1/metrics/logins', interval: '1m' },
    },
  },
  not: { required: ['token', 'oauth'] },
};

export function createDefaultConfig(): MfaApiConfig {
  return {
    mode: 'poll',
    poll_interval: '5s',
    since: 'now',
    overlap: '1m',
    events_path: '/v1/events',
    stream_path: '/v1/events/stream',
    page_size: 500,
    max_pages: 20,
    timeout: '30s',
    stream_idle_timeout: '2m',
    max_event_bytes: 1024 * 1024,
    max_body_bytes: 32 * 1024 * 1024,
    max_backoff: '5m',
    login_metrics: { enabled: false, path: '/v1/metrics/logins', interval: '1m' },
  };
}

/** The config with durations in milliseconds and URLs built, checked once at create time. */
export interface ResolvedMfaApiConfig {
  readonly baseUrl: string;
  readonly eventsUrl: string;
  readonly streamUrl: string;
  readonly metricsUrl: string;
  readonly mode: 'poll' | 'stream' | 'off';
  readonly intervalMs: number;
  readonly overlapMs: number;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxBackoffMs: number;
  readonly metricsIntervalMs: number;
  readonly metricsEnabled: boolean;
  readonly pageSize: number;
  readonly maxPages: number;
  readonly maxEventBytes: number;
  readonly maxBodyBytes: number;
  readonly since: string;
}

const MIN_INTERVAL_MS = 1000;

/** Resolves and checks what the schema cannot say; throws a PermanentError naming the key (never a secret). */
export function resolveConfig(id: string, user: MfaApiConfig): ResolvedMfaApiConfig {
  const defaults = createDefaultConfig();
  const config: MfaApiConfig = { ...defaults, ...user, login_metrics: { ...defaults.login_metrics, ...user.login_metrics } };
  const fail = (key: string, message: string): never => {
    throw receiverConfigError(id, key, message);
  };
  let base: URL;
  try {
    // Missing only when created outside the host (which checks `required`); start() refuses it then.
    base = new URL(config.base_url ?? 'http://unset.invalid');
  } catch {
    return fail('base_url', 'must be a URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') fail('base_url', 'must be an http or https URL');
  if (base.username !== '' || base.password !== '') fail('base_url', 'must not carry credentials; use token or oauth');
  if (config.token !== undefined && config.oauth !== undefined) fail('token', 'give token or oauth, not both');
  const baseUrl = config.base_url === undefined ? '' : base.toString().replace(/\/+$/, '');
  const duration = (key: string, text: string, minMs: number): number => durationSetting(id, key, text, minMs);
  return {
    baseUrl,
    eventsUrl: baseUrl + config.events_path,
    streamUrl: baseUrl + config.stream_path,
    metricsUrl: baseUrl + config.login_metrics.path,
    mode: config.mode,
    intervalMs: duration('poll_interval', config.poll_interval, MIN_INTERVAL_MS),
    overlapMs: duration('overlap', config.overlap, 0),
    timeoutMs: duration('timeout', config.timeout, 1),
    idleTimeoutMs: duration('stream_idle_timeout', config.stream_idle_timeout, 1),
    maxBackoffMs: duration('max_backoff', config.max_backoff, 1),
    metricsIntervalMs: duration('login_metrics::interval', config.login_metrics.interval, MIN_INTERVAL_MS),
    metricsEnabled: config.login_metrics.enabled,
    pageSize: config.page_size,
    maxPages: config.max_pages,
    maxEventBytes: config.max_event_bytes,
    maxBodyBytes: config.max_body_bytes,
    since: config.since,
  };
}
