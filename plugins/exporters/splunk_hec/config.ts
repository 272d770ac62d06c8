import type { JsonSchema } from '../../../core/api.js';
import { exporterHelperDefaults, exporterHelperSchemaProperties } from '../../../core/exporter/config.js';
import type { ExporterHelperConfig } from '../../../core/exporter/config.js';
import { compressionParamsSchema, DEFAULT_GZIP_LEVEL, httpTlsSchema } from '../../../core/exporter/http-client.js';
import type { CompressionParams, HttpTlsConfig } from '../../../core/exporter/http-client.js';

/** Splunk's own default for `[http_input] max_content_length` in inputs.conf/limits.conf: 1 MiB. */
export const DEFAULT_MAX_CONTENT_LENGTH = 1_048_576;

/** OCSF class_uid → sourcetype, used unless the user maps a class otherwise. */
export const DEFAULT_SOURCETYPES: Readonly<Record<string, string>> = {
  '2004': 'authwire:ocsf:detection_finding',
  '3001': 'authwire:ocsf:account_change',
  '3002': 'authwire:ocsf:authentication',
  '3005': 'authwire:ocsf:user_access',
  '3006': 'authwire:ocsf:group_management',
};

export interface HecAckConfig {
  /** Wait for indexer acknowledgement (`/services/collector/ack`) before counting a request as sent. */
  enabled: boolean;
  /** The `X-Splunk-Request-Channel` GUID; a random one per exporter instance when absent. */
  channel?: string;
  /** How often to ask whether the request's ackId is indexed. */
  poll_interval: string;
  /** Give up waiting (and re-send the request) after this long; must be shorter than `timeout`. */
  timeout: string;
}

/** ca_file (it replaces the system CAs, as curl's --cacert does), insecure_skip_verify, server_name. */
export type HecTlsConfig = HttpTlsConfig;

/**
 * `endpoint` and `token` are required and have no default, so they are optional in this type:
 * `createDefaultConfig()` leaves them out and the schema's `required` makes the host report them.
 */
export interface SplunkHecExporterConfig extends ExporterHelperConfig {
  endpoint?: string;
  token?: string;
  /** Target index; absent: the token's default index. */
  index?: string;
  /** Sourcetype for classes not in `sourcetype_by_class`. */
  sourcetype: string;
  /** class_uid (as a string key) → sourcetype. */
  sourcetype_by_class: Record<string, string>;
  /** Constant `source`; absent: `authwire:<metadata.log_name>` per event. */
  source?: string;
  /** Constant `host`; absent: this machine's hostname. */
  host?: string;
  max_content_length: number;
  compression: 'gzip' | 'none';
  compression_params: CompressionParams;
  /** GET /services/collector/health at start; failure fails the start. */
  health_check: boolean;
  ack: HecAckConfig;
  tls: HecTlsConfig;
}

const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$';
const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** Splunk index names: lower case letters, digits, underscores and hyphens, not starting with _ or -. */
const INDEX_PATTERN = '^[a-z0-9][a-z0-9_-]*$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['endpoint', 'token'],
  properties: {
    endpoint: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: 'Base URL of the HTTP Event Collector, e.g. https://splunk.example:8088. A path ending in /services/collector or /services/collector/event is accepted and trimmed.',
      examples: ['https://splunk.example:8088'],
    },
    token: { type: 'string', minLength: 1, description: 'HEC token, sent as `Authorization: Splunk <token>`. Never logged.' },
    index: { type: 'string', pattern: INDEX_PATTERN, maxLength: 80, description: "Index for this exporter's (this tenant's) events; absent: the token's default index." },
    sourcetype: { type: 'string', minLength: 1, default: 'authwire:ocsf', description: 'Sourcetype for OCSF classes not listed in sourcetype_by_class.' },
    sourcetype_by_class: {
      type: 'object',
      additionalProperties: false,
      patternProperties: { '^[0-9]{1,6}$': { type: 'string', minLength: 1 } },
      default: { ...DEFAULT_SOURCETYPES },
      description: 'OCSF class_uid → sourcetype. Merged over the defaults.',
    },
    source: { type: 'string', minLength: 1, description: 'Constant source; absent: authwire:<metadata.log_name> per event.' },
    host: { type: 'string', minLength: 1, description: "Constant host; absent: this machine's hostname." },
    max_content_length: {
      type: 'integer',
      minimum: 1024,
      default: DEFAULT_MAX_CONTENT_LENGTH,
      description: "Largest request body in bytes before compression; match the indexer's max_content_length.",
    },
    compression: { type: 'string', enum: ['gzip', 'none'], default: 'gzip', description: 'Request body encoding.' },
    compression_params: compressionParamsSchema(),
    health_check: { type: 'boolean', default: true, description: 'Check /services/collector/health at start; an unhealthy or unreachable HEC fails the start.' },
    ack: {
      type: 'object',
      additionalProperties: false,
      description: 'Indexer acknowledgement (the token must have it enabled).',
      properties: {
        enabled: { type: 'boolean', default: false },
        channel: { type: 'string', pattern: GUID_PATTERN, description: 'X-Splunk-Request-Channel GUID; generated per instance when absent.' },
        poll_interval: { type: 'string', pattern: DURATION_PATTERN, default: '500ms', description: 'How often to poll /services/collector/ack.' },
        timeout: { type: 'string', pattern: DURATION_PATTERN, default: '8s', description: 'Re-send a request not acknowledged within this long. Must be shorter than `timeout`.' },
      },
    },
    tls: httpTlsSchema({ server_name: { type: 'string', minLength: 1, description: 'Name to verify the certificate against (SNI).' } }),
    ...exporterHelperSchemaProperties(),
  },
};

export function createDefaultConfig(): SplunkHecExporterConfig {
  return {
    sourcetype: 'authwire:ocsf',
    sourcetype_by_class: { ...DEFAULT_SOURCETYPES },
    max_content_length: DEFAULT_MAX_CONTENT_LENGTH,
    compression: 'gzip',
    compression_params: { level: DEFAULT_GZIP_LEVEL },
    health_check: true,
    ack: { enabled: false, poll_interval: '500ms', timeout: '8s' },
    tls: { insecure_skip_verify: false },
    ...exporterHelperDefaults(),
  };
}

/**
 * The HEC base URL from the configured endpoint: a trailing `/services/collector[/event|/raw|/1.0]`
 * and slashes are trimmed, so users may paste either the base or the full event URL.
 */
export function hecBaseUrl(endpoint: string): URL {
  const url = new URL(endpoint);
  url.pathname = url.pathname.replace(/\/services\/collector(?:\/[a-z0-9.]*)?\/?$/i, '').replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}
