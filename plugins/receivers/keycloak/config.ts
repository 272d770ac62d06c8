import type { JsonSchema } from '../../../core/api.js';
import { DURATION_PATTERN, pollIntervalSchema, requestTimeoutSchema, startPositionSchema } from '../../../core/poller/schema.js';

export type KeycloakEventKinds = 'user' | 'admin' | 'both';

/** How to talk to the events API; see README.md ("Keycloak versions"). */
export type KeycloakServerApi = 'auto' | 'modern' | 'legacy';

/**
 * The keycloak receiver's config. `base_url`, `client_id` and `client_secret` have no default, so
 * they are optional in this type; the schema's `required` makes the host report them missing.
 * Exactly one of `realm` and `realms` must be set (checked at start: JSON schema can only say
 * "one of" with messages that do not name the key).
 */
export interface KeycloakConfig {
  /** Scheme, host and port of the Keycloak server (`https://sso.acme.example`), without the /auth prefix. */
  base_url?: string;
  /** The realm whose events are pulled. */
  realm?: string;
  /** Several realms, one checkpoint each (the client must be allowed to view the events of every one). */
  realms?: string[];
  /** The realm the client lives in (its token endpoint); default: `realm`, or `master` with `realms`. */
  token_realm?: string;
  client_id?: string;
  client_secret?: string;
  /** '' for Keycloak 17 and later (Quarkus); '/auth' for older (WildFly) servers and for servers started with that http-relative-path. */
  auth_path_prefix: string;
  /** Go-style duration between catch-up passes, at least 1s. */
  poll_interval: string;
  /** user events (`/events`), admin events (`/admin-events`) or both. */
  events: KeycloakEventKinds;
  /** `max` per request. */
  page_size: number;
  /** Where to start without a checkpoint: `now`, an RFC 3339 time, or a duration to look back (`24h`). */
  start_at: string;
  /** How far before the newest delivered event each window starts again (late commits, clock skew between cluster nodes). */
  overlap: string;
  /** Per request (token requests included). */
  timeout: string;
  server_api: KeycloakServerApi;
  /** For newest-first servers: the most events of one window held in memory before delivery. */
  max_buffered_events: number;
}

/** Keycloak realm names: anything but '/' and control characters; URL-encoded in paths. */
const REALM_PATTERN = '^[^/\\x00-\\x1f]+$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['base_url', 'client_id', 'client_secret'],
  properties: {
    base_url: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://[^?#]+$',
      description: 'The Keycloak server, e.g. https://sso.acme.example (no /auth: see auth_path_prefix).',
      examples: ['https://sso.acme.example'],
    },
    realm: { type: 'string', minLength: 1, pattern: REALM_PATTERN, description: 'The realm whose events are pulled (or use realms).' },
    realms: {
      type: 'array',
      items: { type: 'string', minLength: 1, pattern: REALM_PATTERN },
      minItems: 1,
      uniqueItems: true,
      description: 'Several realms, each with its own checkpoint (instead of realm).',
    },
    token_realm: { type: 'string', minLength: 1, pattern: REALM_PATTERN, description: 'The realm the client lives in; default: realm, or master when realms is used.' },
    client_id: { type: 'string', minLength: 1, description: 'A confidential client with a service account holding realm-management view-events.' },
    client_secret: { type: 'string', minLength: 1, description: 'The client secret (use ${env:...} or ${file:...}); never logged.' },
    auth_path_prefix: {
      type: 'string',
      pattern: '^(?:/[A-Za-z0-9._~-]+)*$',
      default: '',
      description: "'' for Keycloak 17 and later; '/auth' for older servers (or a server run with that http-relative-path).",
    },
    poll_interval: pollIntervalSchema(),
    events: { type: 'string', enum: ['user', 'admin', 'both'], default: 'both', description: 'user events, admin events, or both.' },
    page_size: { type: 'integer', minimum: 1, maximum: 10_000, default: 100, description: 'Events per request (the max parameter).' },
    start_at: startPositionSchema(),
    overlap: { type: 'string', pattern: DURATION_PATTERN, format: 'duration', default: '10s', description: 'Each window starts this long before the newest delivered event; re-read events are dropped by id.' },
    timeout: requestTimeoutSchema(),
    server_api: {
      type: 'string',
      enum: ['auto', 'modern', 'legacy'],
      default: 'auto',
      description: 'modern: Keycloak 26.2+ (epoch-ms dateFrom, direction=asc); legacy: older (yyyy-MM-dd, newest first); auto: detect.',
    },
    max_buffered_events: {
      type: 'integer',
      minimum: 1000,
      maximum: 10_000_000,
      default: 50_000,
      description: 'Newest-first servers: the most events of one window held in memory; the oldest are delivered first.',
    },
  },
};

export function createDefaultConfig(): KeycloakConfig {
  return {
    auth_path_prefix: '',
    poll_interval: '5s',
    events: 'both',
    page_size: 100,
    start_at: 'now',
    overlap: '10s',
    timeout: '30s',
    server_api: 'auto',
    max_buffered_events: 50_000,
  };
}
