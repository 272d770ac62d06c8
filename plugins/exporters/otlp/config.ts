import type { JsonSchema } from '../../../core/api.js';
import { exporterHelperDefaults, exporterHelperSchemaProperties } from '../../../core/exporter/config.js';
import type { ExporterHelperConfig } from '../../../core/exporter/config.js';
import { compressionParamsSchema, DEFAULT_GZIP_LEVEL, httpTlsSchema } from '../../../core/exporter/http-client.js';
import type { CompressionParams, HttpTlsConfig } from '../../../core/exporter/http-client.js';

export const LOGS_PATH = '/v1/logs';
export const DEFAULT_SERVICE_NAME = 'authwire';
export const DEFAULT_ATTRIBUTE_PREFIX = 'ocsf.';

/** Headers the exporter sets itself; a user header of these names is a config error. */
export const RESERVED_HEADERS: readonly string[] = ['content-type', 'content-encoding', 'content-length', 'transfer-encoding', 'host', 'connection', 'te'];

/** ca_file and insecure_skip_verify; no server_name (SNI override): the schema does not offer it for OTLP. */
export type OtlpTlsConfig = Omit<HttpTlsConfig, 'server_name'>;

/**
 * `endpoint` is required and has no default, so it is optional in this type: `createDefaultConfig()`
 * leaves it out and the schema's `required` makes the host report it.
 */
export interface OtlpExporterConfig extends ExporterHelperConfig {
  /** `http`: OTLP/HTTP (POST <endpoint>/v1/logs); `grpc`: OTLP/gRPC (LogsService/Export at the endpoint's host:port). */
  protocol: 'http' | 'grpc';
  /** Base URL; logs go to `<endpoint>/v1/logs` (as the Collector's otlphttp exporter does). With grpc: http(s)://host:port. */
  endpoint?: string;
  /** The full logs URL, used as is instead of `<endpoint>/v1/logs`. */
  logs_endpoint?: string;
  encoding: 'proto' | 'json';
  compression: 'gzip' | 'none';
  /** The gzip level (protocol http; gRPC compresses at grpc-js's own level). */
  compression_params: CompressionParams;
  /** Extra request headers (API keys, tenant ids); values are secrets and never logged. */
  headers: Record<string, string>;
  /** Resource attribute `service.name`. */
  service_name: string;
  /** More resource attributes (`deployment.environment.name`, ...). */
  resource_attributes: Record<string, string>;
  /** `attributes`: OCSF fields flattened into attributes; `body`: the OCSF event as a kvlist body. */
  ocsf_as: 'attributes' | 'body';
  /** Prefix of the attribute keys made from OCSF fields. */
  attribute_prefix: string;
  tls: OtlpTlsConfig;
}

const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const ATTRIBUTE_KEY = '^[A-Za-z0-9_.-]+$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    protocol: {
      type: 'string',
      enum: ['http', 'grpc'],
      default: 'http',
      description: 'http: OTLP/HTTP, POST <endpoint>/v1/logs. grpc: OTLP/gRPC, LogsService/Export at the endpoint (http:// plaintext, https:// TLS; no path; protobuf only).',
    },
    endpoint: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: 'Base URL of the OTLP/HTTP receiver, e.g. https://otel-collector:4318; logs are POSTed to <endpoint>/v1/logs. With protocol grpc: http(s)://host:port (https = TLS), e.g. http://otel-collector:4317.',
      examples: ['http://otel-collector:4318'],
    },
    logs_endpoint: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: 'Full URL for logs, used as is instead of <endpoint>/v1/logs (for backends with their own path).',
    },
    encoding: { type: 'string', enum: ['proto', 'json'], default: 'proto', description: 'Request body: OTLP protobuf (application/x-protobuf) or OTLP/JSON (application/json).' },
    compression: { type: 'string', enum: ['gzip', 'none'], default: 'gzip', description: 'Request body compression.' },
    compression_params: compressionParamsSchema(),
    headers: {
      type: 'object',
      additionalProperties: false,
      patternProperties: { [HEADER_NAME]: { type: 'string' } },
      default: {},
      description: 'Extra request headers (API keys, X-Scope-OrgID). Values are treated as secrets: never logged.',
    },
    service_name: { type: 'string', minLength: 1, default: DEFAULT_SERVICE_NAME, description: 'Resource attribute service.name.' },
    resource_attributes: {
      type: 'object',
      additionalProperties: false,
      patternProperties: { [ATTRIBUTE_KEY]: { type: 'string' } },
      default: {},
      description: 'More resource attributes (string values). service.name and authwire.tenant are set by the exporter and cannot be overridden here.',
    },
    ocsf_as: {
      type: 'string',
      enum: ['attributes', 'body'],
      default: 'attributes',
      description: 'attributes: every OCSF field as a flattened attribute (ocsf.user.name), the message as body. body: the whole event as a kvlist body.',
    },
    attribute_prefix: {
      type: 'string',
      pattern: '^(?:[a-z0-9_]+(?:\\.[a-z0-9_]+)*\\.)?$',
      default: DEFAULT_ATTRIBUTE_PREFIX,
      description: "Prefix of attribute keys made from OCSF fields; '' for none. Must end with a dot.",
    },
    tls: httpTlsSchema(),
    ...exporterHelperSchemaProperties(),
  },
};

export function createDefaultConfig(): OtlpExporterConfig {
  return {
    protocol: 'http',
    encoding: 'proto',
    compression: 'gzip',
    compression_params: { level: DEFAULT_GZIP_LEVEL },
    headers: {},
    service_name: DEFAULT_SERVICE_NAME,
    resource_attributes: {},
    ocsf_as: 'attributes',
    attribute_prefix: DEFAULT_ATTRIBUTE_PREFIX,
    tls: { insecure_skip_verify: false },
    ...exporterHelperDefaults(),
  };
}

/**
 * The URL logs are POSTed to: `logs_endpoint` as written, else `endpoint` with `/v1/logs`
 * appended to its path (a trailing slash is trimmed first), as the Collector's otlphttp exporter does.
 */
export function logsUrl(config: Pick<OtlpExporterConfig, 'endpoint' | 'logs_endpoint'>): URL | undefined {
  if (config.logs_endpoint !== undefined) return new URL(config.logs_endpoint);
  if (config.endpoint === undefined) return undefined;
  const url = new URL(config.endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${LOGS_PATH}`;
  return url;
}

/** The URL as it may be shown in logs and errors: no userinfo, no query (either may carry a key). */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
