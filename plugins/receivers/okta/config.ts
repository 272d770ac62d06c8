import type { JsonSchema } from '../../../core/api.js';
import { pollIntervalSchema, requestTimeoutSchema, startPositionSchema } from '../../../core/poller/schema.js';

export interface OktaConfig {
  /** The org's base URL, `https://acme.okta.com` (a custom domain or a test server also work). */
  org_url?: string;
  /** An SSWS API token (`Authorization: SSWS <token>`). One of token, access_token, private_key. */
  token?: string;
  /** A pre-issued OAuth 2.0 access token with okta.logs.read (`Authorization: Bearer`); not refreshed. */
  access_token?: string;
  /** OAuth for Okta: the service app's client id (with private_key). */
  client_id?: string;
  /** OAuth for Okta: the service app's private key, PEM or JWK JSON, for private_key_jwt client authentication. */
  private_key?: string;
  /** The `kid` of the key registered with the service app; taken from a JWK private_key when unset. */
  key_id?: string;
  /** OAuth scopes requested; the System Log needs okta.logs.read. */
  scopes: string[];
  /** Go-style duration between catch-up passes, at least 1s. */
  poll_interval: string;
  /** Where to start without a checkpoint: `now`, an RFC 3339 time, or a duration to look back (`24h`). */
  since: string;
  /** Events per page (Okta's maximum is 1000). */
  limit: number;
  /** An Okta System Log filter expression (`eventType sw "user.session"`); applied from the first request. */
  filter?: string;
  /** Per request. */
  timeout: string;
}

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['org_url'],
  properties: {
    org_url: { type: 'string', format: 'uri', pattern: '^https?://', description: 'The Okta org URL, e.g. https://acme.okta.com.' },
    token: { type: 'string', minLength: 1, description: 'SSWS API token (secret).' },
    access_token: { type: 'string', minLength: 1, description: 'Pre-issued OAuth 2.0 access token with okta.logs.read (secret); not refreshed.' },
    client_id: { type: 'string', minLength: 1, description: 'OAuth for Okta: service app client id (with private_key).' },
    private_key: { type: 'string', minLength: 1, description: 'OAuth for Okta: service app private key, PEM or JWK JSON (secret).' },
    key_id: { type: 'string', minLength: 1, description: 'The kid of the service app key; from the JWK when unset.' },
    scopes: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true, default: ['okta.logs.read'], description: 'OAuth scopes to request.' },
    poll_interval: pollIntervalSchema(),
    since: startPositionSchema(),
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000, description: 'Events per page.' },
    filter: { type: 'string', minLength: 1, description: 'Okta System Log filter expression.' },
    timeout: requestTimeoutSchema(),
  },
  dependencies: {
    private_key: ['client_id'],
    client_id: ['private_key'],
    key_id: ['private_key'],
  },
};

export function createDefaultConfig(): OktaConfig {
  return { scopes: ['okta.logs.read'], poll_interval: '5s', since: 'now', limit: 1000, timeout: '30s' };
}
