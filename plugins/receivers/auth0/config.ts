import type { JsonSchema } from '../../../core/api.js';
import { pollIntervalSchema, requestTimeoutSchema, startPositionSchema } from '../../../core/poller/schema.js';

export interface Auth0Config {
  /** The tenant's domain, `acme.us.auth0.com` (not a custom domain: the Management API lives on the tenant domain). */
  domain?: string;
  /** A machine-to-machine application authorized for the Management API with read:logs. */
  client_id?: string;
  client_secret?: string;
  /** The Management API audience; default https://{domain}/api/v2/. */
  audience?: string;
  /** Where requests go instead of https://{domain} (tests, an egress proxy); the audience still names the domain. */
  base_url?: string;
  /** Go-style duration between catch-up passes, at least 1s. */
  poll_interval: string;
  /** Logs per request (Auth0's maximum is 100). */
  take: number;
  /** Without a checkpoint: start after this log_id. Takes precedence over since. */
  from?: string;
  /** Without a checkpoint and from: `now`, an RFC 3339 time, or a duration to look back (`24h`). */
  since: string;
  /** Per request. */
  timeout: string;
}

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['domain', 'client_id', 'client_secret'],
  properties: {
    domain: {
      type: 'string',
      pattern: '^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$',
      description: 'The Auth0 tenant domain, e.g. acme.us.auth0.com (no scheme).',
    },
    client_id: { type: 'string', minLength: 1, description: 'Machine-to-machine application client id.' },
    client_secret: { type: 'string', minLength: 1, description: 'Machine-to-machine application client secret (secret).' },
    audience: { type: 'string', minLength: 1, description: 'Management API audience; default https://{domain}/api/v2/.' },
    base_url: { type: 'string', format: 'uri', pattern: '^https?://', description: 'Send requests here instead of https://{domain} (tests, proxies).' },
    poll_interval: pollIntervalSchema(),
    take: { type: 'integer', minimum: 1, maximum: 100, default: 100, description: 'Logs per request.' },
    from: { type: 'string', minLength: 1, description: 'Without a checkpoint, start after this log_id.' },
    since: startPositionSchema('Without a checkpoint or from: now, an RFC 3339 time, or a look-back duration such as 24h.'),
    timeout: requestTimeoutSchema(),
  },
};

export function createDefaultConfig(): Auth0Config {
  return { poll_interval: '5s', take: 100, since: 'now', timeout: '30s' };
}
