import type { JsonSchema } from '../../../core/api.js';
import type { ServerTlsConfig } from '../../../core/listener/endpoint.js';
import { serverTlsSchema } from '../../../core/listener/endpoint.js';
import { tokensSchema } from '../../../core/listener/shared-http.js';

export interface TokenEntry {
  token: string;
  /** The tenant the token identifies; must be the receiver's own tenant. */
  tenant: string;
}

export interface HmacEntry {
  /** The tenant the signature identifies; must be the receiver's own tenant. */
  tenant: string;
  secret: string;
  /** The request header holding the signature (case-insensitive). */
  header: string;
  algorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  encoding: 'hex' | 'base64';
  /** Text before the signature in the header (e.g. `sha256=`); '' for none. */
  prefix: string;
}

export interface HttpReceiverConfig {
  /** `host:port`; receivers with the same endpoint share one server. */
  endpoint: string;
  /** The exact request path. */
  path: string;
  /** The normalizer format name of what is posted (`okta`, `auth0`, `keycloak.event`, ...). */
  format?: string;
  /** `json`: JSON, JSON arrays, NDJSON; `text`: each non-empty line is a record. */
  payload: 'json' | 'text';
  tokens: TokenEntry[];
  hmac: HmacEntry[];
  tls?: ServerTlsConfig;
  /** Largest body accepted, after decompression too. */
  max_request_bytes: number;
  /** Requests of this receiver in flight at once; more are answered 429. */
  max_concurrent_requests: number;
  /** Retry-After when the pipeline gives no hint. */
  retry_after: string;
}

const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$';
export const FORMAT_PATTERN = '^[a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)*$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  properties: {
    endpoint: { type: 'string', minLength: 1, default: '127.0.0.1:8080', description: 'host:port to listen on (default loopback). Receivers with the same endpoint share one server.' },
    path: { type: 'string', pattern: '^/[^?#\\s]*$', default: '/v1/events', description: 'The exact path events are posted to.' },
    format: { type: 'string', pattern: FORMAT_PATTERN, description: 'The normalizer format of the posted events (okta, auth0, keycloak.event, mapping.<name>, ...).' },
    payload: { type: 'string', enum: ['json', 'text'], default: 'json', description: 'json: a JSON object, a JSON array or NDJSON; text: one record per non-empty line.' },
    tokens: tokensSchema('Bearer tokens, each identifying this receiver\'s tenant. Authorization: Bearer <token> (or the bare token).'),
    hmac: {
      type: 'array',
      description: 'Request signatures: an HMAC of the raw body (as sent, before decompression) with a per-tenant secret.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tenant', 'secret'],
        properties: {
          tenant: { type: 'string', minLength: 1, description: "The tenant the signature identifies: must be this receiver's own tenant." },
          // No minLength here: the loader's message would quote the value. Checked at start instead.
          secret: { type: 'string', description: 'The shared secret (at least 16 characters; use ${env:NAME}).' },
          header: { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", default: 'x-authwire-signature', description: 'Header holding the signature.' },
          algorithm: { type: 'string', enum: ['sha1', 'sha256', 'sha384', 'sha512'], default: 'sha256', description: 'HMAC digest.' },
          encoding: { type: 'string', enum: ['hex', 'base64'], default: 'hex', description: 'How the signature is written.' },
          prefix: { type: 'string', maxLength: 32, default: '', description: 'Text before the signature, e.g. sha256= (GitHub style).' },
        },
      },
    },
    tls: serverTlsSchema(),
    max_request_bytes: { type: 'integer', minimum: 1024, maximum: 1_073_741_824, default: 10_485_760, description: 'Largest body accepted, compressed and decompressed (413 beyond).' },
    max_concurrent_requests: { type: 'integer', minimum: 1, maximum: 10_000, default: 32, description: 'Requests in flight at once for this receiver; more get 429.' },
    retry_after: { type: 'string', pattern: DURATION_PATTERN, format: 'duration', default: '5s', description: 'Retry-After sent with 429/503 when the pipeline gives no hint.' },
  },
};

export function createDefaultConfig(): HttpReceiverConfig {
  return {
    endpoint: '127.0.0.1:8080',
    path: '/v1/events',
    payload: 'json',
    tokens: [],
    hmac: [],
    max_request_bytes: 10_485_760,
    max_concurrent_requests: 32,
    retry_after: '5s',
  };
}
