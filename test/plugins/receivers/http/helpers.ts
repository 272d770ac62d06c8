import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Batch, Consumer } from '../../../../core/api.js';
import { opensslSkip } from '../../../helpers.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface SendOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Send the body in these pieces with chunked transfer encoding (no Content-Length). */
  chunks?: Buffer[];
  /** https with this CA. */
  ca?: Buffer;
}

/** One request to 127.0.0.1:port, with exact bytes and headers. */
export function send(port: number, path: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...options.headers };
    if (options.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const make = options.ca !== undefined ? httpsRequest : httpRequest;
    const req = make({ host: '127.0.0.1', port, path, method: options.method ?? 'POST', headers, agent: false, ...(options.ca ? { ca: options.ca, servername: 'localhost' } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else req.end(options.body);
  });
}

/** A consumer whose answers the test decides: collects, fails, or holds batches until released. */
export class ScriptedConsumer implements Consumer {
  readonly batches: Batch[] = [];
  calls = 0;
  failWith: Error | undefined;
  private held: (() => void)[] = [];
  hold = false;

  async consume(batch: Batch): Promise<void> {
    this.calls++;
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.failWith !== undefined) throw this.failWith;
    this.batches.push(batch);
  }

  get waiting(): number {
    return this.held.length;
  }

  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const resolve of held) resolve();
  }

  get records(): unknown[] {
    return this.batches.flatMap((batch) => batch.records);
  }
}

/**
 * A self-signed certificate for localhost / 127.0.0.1 made with openssl, or undefined when openssl
 * is missing (the caller skips, except under CI=true where it fails).
 */
export async function selfSignedCert(): Promise<{ cert: string; key: string; pem: Buffer } | undefined> {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  if (opensslSkip('the TLS test') !== false) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'authwire-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  return { cert, key, pem: readFileSync(cert) };
}
