/**
 * A syslog TCP sink for end-to-end tests: accepts octet-counted frames (RFC 6587), parses each
 * with the strict, independent CEF parser of the cef exporter's tests, and keeps the messages.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { parseCef, parseRfc5424 } from '../plugins/exporters/cef/cef-parser.js';
import type { CefMessage } from '../plugins/exporters/cef/cef-parser.js';

export class CefSink {
  readonly messages: CefMessage[] = [];
  /** Frames that did not parse as RFC 5424 + CEF. */
  malformed = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let offset = 0;
        for (;;) {
          const space = pending.indexOf(0x20, offset);
          if (space < 0) break;
          const length = Number(pending.toString('latin1', offset, space));
          if (!Number.isInteger(length) || length <= 0) {
            this.malformed++;
            socket.destroy();
            return;
          }
          if (pending.length < space + 1 + length) break;
          this.take(pending.toString('utf8', space + 1, space + 1 + length));
          offset = space + 1 + length;
        }
        pending = pending.subarray(offset);
      });
      socket.on('error', () => undefined);
    });
  }

  private take(frame: string): void {
    try {
      this.messages.push(parseCef(parseRfc5424(frame).msg));
    } catch {
      this.malformed++;
    }
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  /** The externalId (OCSF metadata.uid, up to CEF's 40 characters) of every message, in order. */
  externalIds(): string[] {
    return this.messages.map((message) => message.extension['externalId'] ?? '');
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}
