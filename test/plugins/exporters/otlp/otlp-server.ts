/**
 * A test OTLP/HTTP receiver on 127.0.0.1 (port 0): accepts POSTs, gunzips, decodes protobuf with
 * the official OTLP code (or parses JSON), keeps every request, and answers from a script of
 * replies (200 with an empty body once the script is used up).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeRequest, recordsOf } from './official.js';

export interface ScriptedReply {
  status: number;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body after gunzip. */
  readonly body: Buffer;
  /** The body as received. */
  readonly wire: Buffer;
  /** The decoded request (OTLP/JSON-like values), protobuf or JSON alike. */
  readonly decoded: Record<string, unknown>;
  readonly status: number;
}

export class OtlpServer {
  readonly requests: ReceivedRequest[] = [];
  readonly replies: ScriptedReply[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const wire = Buffer.concat(chunks);
        let body = wire;
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = req.headers['content-type'] === 'application/json';
        const decoded = json ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : decodeRequest(body);
        const reply = this.replies.shift() ?? { status: 200 };
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, wire, decoded, status: reply.status });
        const payload = reply.body === undefined ? Buffer.alloc(0) : typeof reply.body === 'string' ? Buffer.from(reply.body) : Buffer.from(reply.body);
        res.writeHead(reply.status, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf', 'Content-Length': payload.length, ...reply.headers });
        res.end(payload);
      });
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** metadata.uid (log.record.uid) of every record received, in order. */
  uids(): string[] {
    return this.requests.flatMap((r) => recordsOf(r.decoded).map((record) => {
      const attribute = (record['attributes'] as { key: string; value: { stringValue?: string } }[]).find((a) => a.key === 'log.record.uid');
      return attribute?.value.stringValue ?? '';
    }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
