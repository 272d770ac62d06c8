/**
 * What the HTTP exporters (otlp over HTTP, splunk_hec) do alike around a request: read the CA
 * file of their `tls` settings, keep connections alive through one agent, read a reply body only
 * up to a bound, and describe a network error. Parsing replies (and Retry-After, whose limits
 * differ per protocol) stays with each exporter.
 */
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { JsonSchema } from '../api.js';
import { PermanentError } from '../errors.js';

/** The `tls` settings of an HTTP exporter (https endpoints only). */
export interface HttpTlsConfig {
  /** PEM CA bundle to trust instead of the system CAs. */
  ca_file?: string;
  /** Skip certificate verification. For labs only. */
  insecure_skip_verify: boolean;
  /** The name to verify the certificate against (SNI), when it is not the endpoint's host. */
  server_name?: string;
}

/** The `tls` schema of an HTTP exporter: ca_file and insecure_skip_verify, plus the exporter's `extra` properties. */
export function httpTlsSchema(extra: Readonly<Record<string, JsonSchema>> = {}): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'TLS client settings for https endpoints.',
    properties: {
      ca_file: { type: 'string', minLength: 1, description: 'PEM file of CAs to trust instead of the system ones.' },
      insecure_skip_verify: { type: 'boolean', default: false, description: 'Do not verify the certificate (labs only).' },
      ...extra,
    },
  };
}

/** `compression_params` of an HTTP exporter, as the Collector's confighttp names it. */
export interface CompressionParams {
  /** gzip level: 1 (fastest) to 9 (smallest), or -1 for zlib's default (6). */
  level: number;
}

/**
 * The default gzip level: 1. On the real event set (~1.4 MB of HEC JSON per 1000 events) level 1
 * took 4.6 ms and gave 9.8% of the input; zlib's default, 6, took 10.5 ms for 7.1%. Compressing
 * at the default would cost more CPU than encoding the events, on the box the pipeline runs on,
 * for 28% fewer bytes on what is usually a LAN link to the SIEM. Levels 2–3 cost about what 1
 * does (zlib's fast strategy) for a little less output; 4–9 switch to the slow one.
 */
export const DEFAULT_GZIP_LEVEL = 1;

export function compressionParamsSchema(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    default: { level: DEFAULT_GZIP_LEVEL },
    description: 'With compression gzip: level 1 (fastest, the default) to 9 (smallest), or -1 for zlib\'s default (6).',
    properties: {
      level: { type: 'integer', enum: [-1, 1, 2, 3, 4, 5, 6, 7, 8, 9], default: DEFAULT_GZIP_LEVEL, description: 'gzip level: 1 fastest ... 9 smallest; -1 zlib\'s default (6).' },
    },
  };
}

/** The CA bundle of tls.ca_file, or undefined when none is set; an unreadable file is a config error (at start, not per request). */
export async function readCaFile(id: string, caFile: string | undefined): Promise<Buffer | undefined> {
  if (caFile === undefined) return undefined;
  try {
    return await readFile(caFile);
  } catch (error) {
    throw new PermanentError('invalid_config', `${id}: cannot read tls.ca_file ${caFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A keep-alive agent for `url`: https with the tls settings (and `ca`), else plain http. */
export function keepAliveAgent(url: URL, tls: HttpTlsConfig, ca: Buffer | undefined): HttpAgent {
  if (url.protocol !== 'https:') return new HttpAgent({ keepAlive: true });
  // server_name is passed only when set: an explicit undefined would still be a key of the agent's options.
  return new HttpsAgent({ keepAlive: true, ca, rejectUnauthorized: !tls.insecure_skip_verify, ...(tls.server_name !== undefined ? { servername: tls.server_name } : {}) });
}

/**
 * A reply's body, at most `maxBytes` of it: past the bound the reply is cut there and the
 * connection destroyed (a reply that long is no answer of the protocol, and not worth reading).
 * Rejects on a response error before the body was complete.
 */
export function readBoundedReply(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    };
    res.on('data', (chunk: Buffer) => {
      if (done) return;
      const room = maxBytes - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size = maxBytes;
        finish();
        res.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    res.on('end', finish);
    res.on('error', (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
  });
}

/** A network error as text: its code (ECONNREFUSED) in front of the message unless the message already names it. */
export function describeNetworkError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${code} ${message}` : message;
}
