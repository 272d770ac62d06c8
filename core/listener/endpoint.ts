/**
 * What every push receiver (syslog, http, otlp, splunk_hec input) shares about where it listens:
 * the `endpoint` (`host:port`, default loopback) and the `tls` section.
 */
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';
import type { JsonSchema } from '../api.js';
import { PermanentError } from '../errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `host:port`, `[v6]:port` or `:port` (loopback). Port 0 picks a free port (tests).
 * Throws PermanentError `invalid_endpoint` naming the component.
 */
export function parseEndpoint(endpoint: string, name: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(endpoint.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) throw new PermanentError('invalid_endpoint', `${name}: endpoint ${JSON.stringify(endpoint)} is not host:port (e.g. 127.0.0.1:5514, [::1]:5514, 0.0.0.0:5514)`);
  const host = match[1] ?? (match[2] === '' ? '127.0.0.1' : match[2]!);
  return { host, port };
}

export interface ServerTlsConfig {
  /** PEM certificate chain presented to clients. */
  cert_file?: string;
  /** PEM private key of cert_file. */
  key_file?: string;
  /** PEM CA bundle used to verify client certificates. */
  ca_file?: string;
  /** `none` (default), `request` (verify when offered) or `require` (refuse clients without a valid certificate). */
  client_auth?: 'none' | 'request' | 'require';
}

/** The JSON schema of the `tls` section, for a receiver's configSchema. */
export function serverTlsSchema(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'Serve TLS with this certificate; without this section the listener is plain text.',
    required: ['cert_file', 'key_file'],
    properties: {
      cert_file: { type: 'string', minLength: 1, description: 'PEM certificate chain.' },
      key_file: { type: 'string', minLength: 1, description: 'PEM private key.' },
      ca_file: { type: 'string', minLength: 1, description: 'PEM CA bundle for client certificates (needed for client_auth request/require).' },
      client_auth: { type: 'string', enum: ['none', 'request', 'require'], default: 'none', description: 'Client certificate checking.' },
    },
  };
}

/**
 * Reads the files of a `tls` section into options for `tls.createServer` / `https.createServer`.
 * Errors name the component and the file, never the file's content.
 */
export async function loadServerTls(config: ServerTlsConfig, name: string): Promise<SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean }> {
  const read = async (key: 'cert_file' | 'key_file' | 'ca_file'): Promise<Buffer | undefined> => {
    const path = config[key];
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      throw new PermanentError('tls_file_unreadable', `${name}: tls.${key} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  // One after the other, so that the error names the first bad file every time.
  const cert = await read('cert_file');
  const key = await read('key_file');
  const ca = await read('ca_file');
  if (cert === undefined || key === undefined) throw new PermanentError('invalid_tls', `${name}: tls needs both cert_file and key_file`);
  const clientAuth = config.client_auth ?? 'none';
  if (clientAuth !== 'none' && ca === undefined) throw new PermanentError('invalid_tls', `${name}: tls.client_auth ${clientAuth} needs tls.ca_file`);
  return { cert, key, ...(ca ? { ca } : {}), requestCert: clientAuth !== 'none', rejectUnauthorized: clientAuth === 'require' };
}
