import type { JsonSchema } from '../../../core/api.js';
import { serverTlsSchema } from '../../../core/listener/endpoint.js';
import type { ServerTlsConfig } from '../../../core/listener/endpoint.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:4318';
export const DEFAULT_FORMAT_ATTRIBUTE = 'authwire.format';
/** 4 MiB, the OTel Collector's gRPC max_recv_msg_size default. */
export const DEFAULT_MAX_REQUEST_BYTES = 4_194_304;
/** What a normalizer format name looks like (`okta`, `keycloak.event`, `mapping.vpn`). */
export const FORMAT_PATTERN = '^[a-z0-9_]+(?:\\.[a-z0-9_]+)*$';
export const FORMAT_REGEXP = new RegExp(FORMAT_PATTERN);

export interface OtlpReceiverConfig {
  /** OTLP/HTTP `host:port`; default 127.0.0.1:4318. */
  endpoint: string;
  /** OTLP/gRPC `host:port`; unset = no gRPC listener. */
  grpc_endpoint?: string;
  /** The normalizer format of the records' bodies, when a record does not name its own. */
  format?: string;
  /** The attribute naming a record's format (record, then scope, then resource); '' = never read. */
  format_attribute: string;
  /** Served on both listeners; without it both are plain text. */
  tls?: ServerTlsConfig;
  /** Largest request body accepted, both as received and after decompression. */
  max_request_bytes: number;
  /** Bearer tokens; when any is set, requests must carry `Authorization: Bearer <one of them>`. */
  tokens: string[];
}

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', minLength: 2, default: DEFAULT_ENDPOINT, description: 'OTLP/HTTP host:port (POST /v1/logs); default loopback 127.0.0.1:4318. 0.0.0.0:4318 for every interface.' },
    grpc_endpoint: { type: 'string', minLength: 2, description: 'OTLP/gRPC host:port (e.g. 127.0.0.1:4317); unset = no gRPC listener.' },
    format: {
      type: 'string',
      pattern: FORMAT_PATTERN,
      description: 'The normalizer format of the log record bodies (okta, keycloak.event, linux.auth, mapping.<name>, ...), used when a record does not name one in its format attribute.',
    },
    format_attribute: {
      type: 'string',
      pattern: '^(?:[A-Za-z0-9_.-]+)?$',
      default: DEFAULT_FORMAT_ATTRIBUTE,
      description: "Attribute (of the log record, else its scope, else its resource) naming the record's format, overriding `format`; '' to never read one.",
    },
    tls: serverTlsSchema(),
    max_request_bytes: {
      type: 'integer',
      minimum: 1024,
      maximum: 268_435_456,
      default: DEFAULT_MAX_REQUEST_BYTES,
      description: 'Largest request body, both as received and after decompression (HTTP 413 / gRPC RESOURCE_EXHAUSTED beyond).',
    },
    tokens: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
      default: [],
      description: 'Bearer tokens (secrets, e.g. ${env:OTLP_TOKEN}); when set, a request must send Authorization: Bearer <token>. Empty: no authentication.',
    },
  },
};

export function createDefaultConfig(): OtlpReceiverConfig {
  return {
    endpoint: DEFAULT_ENDPOINT,
    format_attribute: DEFAULT_FORMAT_ATTRIBUTE,
    max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
    tokens: [],
  };
}
