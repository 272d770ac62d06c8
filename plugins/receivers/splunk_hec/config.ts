import type { JsonSchema } from '../../../core/api.js';
import type { ServerTlsConfig } from '../../../core/listener/endpoint.js';
import { serverTlsSchema } from '../../../core/listener/endpoint.js';
import { tokensSchema } from '../../../core/listener/shared-http.js';

export interface HecTokenEntry {
  token: string;
  /** The tenant the token identifies; must be the receiver's own tenant. */
  tenant: string;
}

export interface SplunkHecReceiverConfig {
  /** `host:port`; receivers with the same endpoint share one server (http receivers too). */
  endpoint: string;
  /** The normalizer format of the events (`okta`, `auth0`, `linux.auth`, ...), unless sourcetype_formats names another. */
  format?: string;
  /** Sourcetype (the event's, else the request's `?sourcetype=`) → format. */
  sourcetype_formats: Record<string, string>;
  tokens?: HecTokenEntry[];
  tls?: ServerTlsConfig;
  /** Largest body accepted, after decompression too. */
  max_request_bytes: number;
  /** Requests of this receiver in flight at once; more are answered code 9 (503). */
  max_concurrent_requests: number;
  /** Retry-After when the pipeline gives no hint. */
  retry_after: string;
}

const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$';
const FORMAT_PATTERN = '^[a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)*$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['format', 'tokens'],
  properties: {
    endpoint: { type: 'string', minLength: 1, default: '127.0.0.1:8088', description: 'host:port to listen on (default loopback, HEC\'s port). Receivers with the same endpoint share one server.' },
    format: { type: 'string', pattern: FORMAT_PATTERN, description: 'The normalizer format of the events (okta, auth0, keycloak.event, linux.auth, ...).' },
    sourcetype_formats: {
      type: 'object',
      additionalProperties: { type: 'string', pattern: FORMAT_PATTERN },
      default: {},
      description: 'Sourcetype → format, for events whose sourcetype says what they are; others take format.',
    },
    tokens: { ...tokensSchema('HEC tokens (Authorization: Splunk <token>), each identifying this receiver\'s tenant.'), minItems: 1 },
    tls: serverTlsSchema(),
    max_request_bytes: { type: 'integer', minimum: 1024, maximum: 1_073_741_824, default: 10_485_760, description: 'Largest body accepted, compressed and decompressed (413 beyond).' },
    max_concurrent_requests: { type: 'integer', minimum: 1, maximum: 10_000, default: 32, description: 'Requests in flight at once for this receiver; more get code 9 (503).' },
    retry_after: { type: 'string', pattern: DURATION_PATTERN, format: 'duration', default: '5s', description: 'Retry-After sent with code 9 when the pipeline gives no hint.' },
  },
};

export function createDefaultConfig(): SplunkHecReceiverConfig {
  return {
    endpoint: '127.0.0.1:8088',
    sourcetype_formats: {},
    max_request_bytes: 10_485_760,
    max_concurrent_requests: 32,
    retry_after: '5s',
  };
}
