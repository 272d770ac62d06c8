/**
 * Scaffolding the fake vendor APIs of the pull receiver tests share: a loopback HTTP server that
 * hands each request over with its whole body, and for the tests a consumer that records what it
 * accepted, a logger that keeps raw lines, and the text a secret could leak into.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Batch, Consumer, LogAttributes, Logger } from '../../../core/api.js';
import { RetryableError } from '../../../core/errors.js';

/** An HTTP server that calls `handle` once a request's body was read whole (as UTF-8 text: forms, JSON). */
export function createBufferingServer(handle: (request: IncomingMessage, response: ServerResponse, body: string) => void): Server {
  return createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => handle(request, response, body));
  });
}

/** Listens on a free port of 127.0.0.1; resolves to the base URL (`http://127.0.0.1:<port>`). */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server, dropping kept-alive connections first so that close() does not wait for them. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Downstream that keeps accepted batches; it can refuse the next n, or run a hook per batch. */
export class RecordingDownstream implements Consumer {
  readonly batches: Batch[] = [];
  refuse = 0;
  refused = 0;
  onBatch: ((count: number) => void) | undefined;

  async consume(batch: Batch): Promise<void> {
    if (this.refuse > 0) {
      this.refuse--;
      this.refused++;
      throw new RetryableError('queue_full', 'downstream queue is full');
    }
    this.batches.push(batch);
    this.onBatch?.(this.batches.length);
  }

  get records(): { format: string; payload: unknown; source: string }[] {
    return this.batches.flatMap((batch) => batch.records as { format: string; payload: unknown; source: string }[]);
  }

  /** The `key` of every delivered payload, in delivery order. */
  ids(key: string): string[] {
    return this.records.map((record) => String((record.payload as Record<string, unknown>)[key]));
  }
}

/** A logger that keeps every line as JSON, raw (no redaction), so a test can look for secrets in it. */
export class CapturingLogger implements Logger {
  constructor(
    readonly lines: string[] = [],
    private readonly bindings: LogAttributes = {},
  ) {}
  private write(level: string, message: string, attributes?: LogAttributes): void {
    this.lines.push(JSON.stringify({ level, message, ...this.bindings, ...attributes }));
  }
  debug(message: string, attributes?: LogAttributes): void {
    this.write('debug', message, attributes);
  }
  info(message: string, attributes?: LogAttributes): void {
    this.write('info', message, attributes);
  }
  warn(message: string, attributes?: LogAttributes): void {
    this.write('warn', message, attributes);
  }
  error(message: string, attributes?: LogAttributes): void {
    this.write('error', message, attributes);
  }
  child(bindings: LogAttributes): Logger {
    return new CapturingLogger(this.lines, { ...this.bindings, ...bindings });
  }
}

/** Every text a secret could leak into: log lines and reported errors (message, code, cause chain). */
export function leakText(logger: CapturingLogger, errors: readonly unknown[]): string {
  const parts = [...logger.lines];
  for (let error of errors) {
    while (error instanceof Error) {
      parts.push(error.message, String(error.stack), JSON.stringify(error));
      error = error.cause;
    }
  }
  return parts.join('\n');
}
