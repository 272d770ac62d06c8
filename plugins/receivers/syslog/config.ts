import type { JsonSchema } from '../../../core/api.js';
import { serverTlsSchema } from '../../../core/listener/endpoint.js';
import type { ServerTlsConfig } from '../../../core/listener/endpoint.js';

export type SyslogProtocol = 'tcp' | 'udp' | 'tls';

export interface SyslogConfig {
  /** `host:port` to listen on; default loopback. */
  endpoint: string;
  protocol: SyslogProtocol;
  /** The normalizer's format name for the payload (`linux.auth`, `keycloak.event`, ...). */
  format: string;
  /** `line`: the whole message; `message`: only MSG; `auto`: line for linux.auth, else message. */
  payload: 'auto' | 'line' | 'message';
  /** Required with protocol tls, refused otherwise. */
  tls?: ServerTlsConfig;
  /** Longest message accepted (bytes, framing excluded); longer ones are refused and dead-lettered. */
  max_message_bytes: number;
  /** Most records per consume. */
  batch_size: number;
  /** How long a partial batch waits for more messages (Go-style duration). */
  batch_timeout: string;
  /** TCP/TLS connections open at once; more are refused. */
  max_connections: number;
  /** Close a TCP/TLS connection idle this long; `0s` never. */
  idle_timeout: string;
}

const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$';

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', minLength: 2, default: '127.0.0.1:5514', description: 'host:port to listen on ([::1]:5514, 0.0.0.0:514); default loopback.' },
    protocol: { type: 'string', enum: ['tcp', 'udp', 'tls'], default: 'tcp', description: 'tcp (RFC 6587 framing), udp (one message per datagram, RFC 5426) or tls (RFC 5425; needs the tls section).' },
    format: {
      type: 'string',
      pattern: '^[a-z0-9_]+(?:\\.[a-z0-9_]+)*$',
      default: 'linux.auth',
      description: 'The normalizer format of what the messages carry: linux.auth, keycloak.event, windows.security, mapping.<name>, ...',
    },
    payload: { type: 'string', enum: ['auto', 'line', 'message'], default: 'auto', description: 'Record payload: the whole message (line) or only MSG (message); auto = line for linux.auth, message otherwise.' },
    tls: serverTlsSchema(),
    max_message_bytes: { type: 'integer', minimum: 64, maximum: 16_777_216, default: 65_536, description: 'Longest message accepted, in bytes; longer ones are refused (counted, dead-lettered).' },
    batch_size: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000, description: 'Most records per batch handed to the pipeline.' },
    batch_timeout: { type: 'string', pattern: DURATION_PATTERN, format: 'duration', default: '10ms', description: 'How long a partial batch waits for more messages.' },
    max_connections: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000, description: 'TCP/TLS connections open at once; more are refused and counted.' },
    idle_timeout: { type: 'string', pattern: DURATION_PATTERN, format: 'duration', default: '5m', description: 'Close a TCP/TLS connection that sent nothing for this long; 0s = never.' },
  },
};

export function createDefaultConfig(): SyslogConfig {
  return {
    endpoint: '127.0.0.1:5514',
    protocol: 'tcp',
    format: 'linux.auth',
    payload: 'auto',
    max_message_bytes: 65_536,
    batch_size: 1000,
    batch_timeout: '10ms',
    max_connections: 1000,
    idle_timeout: '5m',
  };
}

/** Formats whose mapper parses the syslog line itself, so `auto` hands them the whole message. */
export const LINE_FORMATS: ReadonlySet<string> = new Set(['linux.auth']);
