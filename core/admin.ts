import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComponentStats } from './counting.js';

/**
 * A small read-only endpoint on 127.0.0.1 for orchestration: `GET /healthz` (200 while running,
 * 503 otherwise) and `GET /metrics` (JSON counters per component). It serves no secrets and
 * accepts no body.
 */
export class AdminServer {
  private server: Server | undefined;

  constructor(
    private readonly port: number,
    private readonly stats: () => ComponentStats[],
    private readonly healthy: () => boolean,
  ) {}

  async start(): Promise<number> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      if (path === '/healthz') {
        const ok = this.healthy();
        response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
      } else if (path === '/metrics') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ components: this.stats() }));
      } else {
        response.writeHead(404).end();
      }
    });
    server.requestTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
