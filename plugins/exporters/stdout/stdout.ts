import type { Batch, CreateSettings, Exporter, Host } from '../../../core/api.js';
import { PermanentError, errorCode, errorMessage } from '../../../core/errors.js';
import { processTerminal } from '../../../core/terminal.js';
import type { Terminal } from '../../../core/terminal.js';
import type { StdoutExporterConfig, StdoutFormat } from './config.js';
import { encodeNdjson, encodePretty } from './encoder.js';

type State = 'created' | 'started' | 'shut_down';

export interface StdoutExporterOptions {
  /** Overrides the colour decision (TTY and NO_COLOR unset); for tests. */
  color?: boolean;
}

/** Colour only for a terminal, and never when NO_COLOR is set to a non-empty value (no-color.org). */
export function shouldColor(terminal: Terminal, env: NodeJS.ProcessEnv = process.env): boolean {
  return terminal.out.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '');
}

/**
 * Writes each batch to stdout through the Terminal (so the live status line is not overwritten),
 * in one write per batch so concurrent batches never interleave lines. `consume` resolves when
 * the stream has taken the text and, if it signalled backpressure, drained.
 */
export class StdoutExporter implements Exporter {
  readonly mutatesData = false;
  private readonly id: string;
  private readonly format: StdoutFormat;
  private readonly terminal: Terminal;
  private readonly color: boolean;
  private state: State = 'created';
  private host: Host | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping: Promise<void> | undefined;

  constructor(settings: CreateSettings, config: StdoutExporterConfig, terminal: Terminal = processTerminal, options: StdoutExporterOptions = {}) {
    this.id = settings.id;
    this.format = config.format;
    this.terminal = terminal;
    this.color = config.format === 'pretty' && (options.color ?? shouldColor(terminal));
  }

  async start(host: Host): Promise<void> {
    if (this.state === 'shut_down') throw new PermanentError('shut_down', `exporter ${this.id} was shut down; it cannot start again`);
    this.host = host;
    this.state = 'started';
  }

  consume(batch: Batch): Promise<void> {
    if (this.state !== 'started') {
      return Promise.reject(
        this.state === 'shut_down'
          ? new PermanentError('shut_down', `exporter ${this.id} is shut down; consume refused`)
          : new PermanentError('not_started', `exporter ${this.id} is not started; consume refused`),
      );
    }
    let text: string;
    if (this.format === 'ndjson') {
      const encoded = encodeNdjson(batch);
      if (encoded.skipped > 0) {
        this.host?.reportError(new PermanentError('unencodable_record', `exporter ${this.id}: ${encoded.skipped} record(s) could not be encoded as JSON and were skipped`));
      }
      text = encoded.text;
    } else {
      text = encodePretty(batch, { color: this.color });
    }
    if (text === '') return Promise.resolve();
    const write = this.write(text);
    this.inFlight.add(write);
    const forget = (): void => {
      this.inFlight.delete(write);
    };
    write.then(forget, forget);
    return write;
  }

  private async write(text: string): Promise<void> {
    try {
      await this.terminal.writeOut(text);
    } catch (error) {
      // EPIPE and friends: the reader is gone, and writing the same text again will not bring it back.
      throw new PermanentError('write_failed', `exporter ${this.id}: stdout write failed: ${errorCode(error) !== 'unknown' ? errorCode(error) : errorMessage(error)}`, { cause: error });
    }
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.state = 'shut_down';
    // Drain: wait for the writes already accepted; their failures were reported to their callers.
    await Promise.allSettled([...this.inFlight]);
  }
}
