import { hostname as osHostname } from 'node:os';
import type { JsonSchema } from '../../../core/api.js';
import { exporterHelperDefaults, exporterHelperSchemaProperties } from '../../../core/exporter/config.js';
import type { ExporterHelperConfig } from '../../../core/exporter/config.js';
import { PermanentError } from '../../../core/errors.js';

export type SyslogFormat = 'rfc5424' | 'rfc3164';
export type Framing = 'octet_counting' | 'lf';

/** File paths, read once at start; the key's contents are never logged. */
export interface CefTlsConfig {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  insecure_skip_verify?: boolean;
  server_name?: string;
}

/**
 * The cef exporter's config. `endpoint` is required and has no default, so it is optional in this
 * type (as `path` is for the file exporter).
 */
export interface CefExporterConfig extends ExporterHelperConfig {
  endpoint?: string;
  syslog_format: SyslogFormat;
  /** TCP and TLS only; UDP always sends one message per datagram. */
  framing: Framing;
  tls?: CefTlsConfig;
  /** A facility name (`local4`) or number 0–23. */
  facility: string | number;
  app_name: string;
  /** The syslog HOSTNAME; the machine's host name when left out. */
  hostname?: string;
  device_vendor: string;
  device_product: string;
  device_version: string;
  /** The largest syslog message (header + CEF, without the framing) in bytes. */
  max_message_bytes: number;
}

export const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, security: 13, console: 14, solaris_cron: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export const DEFAULT_MAX_MESSAGE_BYTES = 8192;
/** Large enough for any syslog header plus the longest CEF header we emit before the extension. */
export const MIN_MAX_MESSAGE_BYTES = 1024;
export const MAX_MAX_MESSAGE_BYTES = 65_000;
export const DEFAULT_VERSION = '0.1.0';

/**
 * Where the cef exporter's defaults differ from the shared helper's (see the README, "Batching and
 * queue"): a syslog forwarder sends what it has at once (rsyslog's omfwd does), and holds at most
 * this many records before the receivers are pushed back on.
 */
export const CEF_BATCH_TIMEOUT = '0s';
export const CEF_QUEUE_SIZE = 2_000;

/** The helper's schema sections with the cef exporter's own defaults in them. */
function helperSchemaProperties(): Record<string, JsonSchema> {
  const properties = exporterHelperSchemaProperties();
  const batch = properties['batch'] as { properties: Record<string, JsonSchema> };
  batch.properties['timeout'] = { ...batch.properties['timeout'], default: CEF_BATCH_TIMEOUT, description: 'Send a partial batch after this long; 0s: at the end of the event-loop turn that brought the records.' };
  const queue = properties['sending_queue'] as { properties: Record<string, JsonSchema> };
  queue.properties['queue_size'] = { ...queue.properties['queue_size'], default: CEF_QUEUE_SIZE };
  return properties;
}

// Printable US-ASCII without space: what RFC 5424 allows in HOSTNAME and APP-NAME.
const PRINTUSASCII = '^[!-~]+$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    endpoint: {
      type: 'string',
      pattern: '^(tcp|udp|tls)://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}$',
      description: 'Where to send: tcp://host:port, udp://host:port or tls://host:port (IPv6 in brackets).',
      examples: ['tcp://siem.example:514', 'tls://siem.example:6514', 'udp://127.0.0.1:514'],
    },
    syslog_format: { type: 'string', enum: ['rfc5424', 'rfc3164'], default: 'rfc5424', description: 'The syslog header in front of each CEF message.' },
    framing: {
      type: 'string',
      enum: ['octet_counting', 'lf'],
      default: 'octet_counting',
      description: 'TCP/TLS message framing (RFC 6587): "LEN SP MSG" or MSG followed by LF. UDP sends one message per datagram.',
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      description: 'TLS settings; only with a tls:// endpoint. Files are read at start.',
      properties: {
        ca_file: { type: 'string', minLength: 1, description: 'PEM CA bundle to verify the server with (the system roots otherwise).' },
        cert_file: { type: 'string', minLength: 1, description: 'PEM client certificate, for mutual TLS (with key_file).' },
        key_file: { type: 'string', minLength: 1, description: 'PEM private key of cert_file.' },
        insecure_skip_verify: { type: 'boolean', default: false, description: 'Do not verify the server certificate (testing only).' },
        server_name: { type: 'string', minLength: 1, description: 'Name to verify the certificate against and send as SNI; the endpoint host by default.' },
      },
    },
    facility: {
      oneOf: [
        { type: 'string', enum: Object.keys(FACILITIES) },
        { type: 'integer', minimum: 0, maximum: 23 },
      ],
      default: 'local4',
      description: 'Syslog facility, by name or number (0–23).',
    },
    app_name: {
      type: 'string',
      pattern: '^[A-Za-z0-9._/-]{1,48}$',
      default: 'authwire',
      description: 'RFC 5424 APP-NAME, or the RFC 3164 TAG.',
    },
    hostname: { type: 'string', pattern: PRINTUSASCII, maxLength: 255, description: 'Syslog HOSTNAME; this machine\'s host name by default.' },
    device_vendor: { type: 'string', minLength: 1, maxLength: 63, default: 'authwire', description: 'CEF header Device Vendor.' },
    device_product: { type: 'string', minLength: 1, maxLength: 63, default: 'authwire', description: 'CEF header Device Product.' },
    device_version: { type: 'string', minLength: 1, maxLength: 31, default: DEFAULT_VERSION, description: 'CEF header Device Version.' },
    max_message_bytes: {
      type: 'integer',
      minimum: MIN_MAX_MESSAGE_BYTES,
      maximum: MAX_MAX_MESSAGE_BYTES,
      default: DEFAULT_MAX_MESSAGE_BYTES,
      description: 'Largest syslog message (header + CEF, framing excluded) in bytes; longer ones have their extension cut, visibly.',
    },
    ...helperSchemaProperties(),
  },
};

export function createDefaultConfig(): CefExporterConfig {
  const helper = exporterHelperDefaults();
  helper.batch.timeout = CEF_BATCH_TIMEOUT;
  helper.sending_queue.queue_size = CEF_QUEUE_SIZE;
  return {
    syslog_format: 'rfc5424',
    framing: 'octet_counting',
    facility: 'local4',
    app_name: 'authwire',
    device_vendor: 'authwire',
    device_product: 'authwire',
    device_version: DEFAULT_VERSION,
    max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
    ...helper,
  };
}

export type Transport = 'tcp' | 'udp' | 'tls';

export interface Endpoint {
  readonly transport: Transport;
  /** Without brackets for IPv6. */
  readonly host: string;
  readonly port: number;
}

export function invalidConfig(message: string): PermanentError {
  return new PermanentError('invalid_config', `cef exporter: ${message}`);
}

export function parseEndpoint(endpoint: string | undefined): Endpoint {
  if (endpoint === undefined) throw invalidConfig('endpoint is required');
  const match = /^(tcp|udp|tls):\/\/(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):([0-9]{1,5})$/.exec(endpoint);
  if (match === null) throw invalidConfig(`endpoint must be tcp://host:port, udp://host:port or tls://host:port, got ${JSON.stringify(endpoint)}`);
  const port = Number(match[4]);
  if (port < 1 || port > 65535) throw invalidConfig(`endpoint port must be 1-65535, got ${port}`);
  return { transport: match[1] as Transport, host: (match[2] ?? match[3])!, port };
}

export function facilityNumber(facility: string | number): number {
  if (typeof facility === 'number') {
    if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw invalidConfig(`facility must be 0-23, got ${facility}`);
    return facility;
  }
  const n = FACILITIES[facility];
  if (n === undefined) throw invalidConfig(`unknown facility ${JSON.stringify(facility)}`);
  return n;
}

/** The machine's host name reduced to what a syslog HOSTNAME may hold. */
export function defaultHostname(): string {
  const name = osHostname().replace(/[^!-~]/g, '-').slice(0, 255);
  return name === '' ? 'localhost' : name;
}
