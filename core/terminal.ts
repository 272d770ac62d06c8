import { once } from 'node:events';
import type { Writable } from 'node:stream';

type TerminalStream = Writable & { isTTY?: boolean; columns?: number };

const CLEAR_LINE = '\r\x1b[2K';

/**
 * Owns the process's stdout and stderr so that a live status line (redrawn in place on stderr
 * when it is a TTY) and the lines that the stdout exporter and the logger write never overwrite
 * each other: every write first erases the status line, then draws it again.
 */
export class Terminal {
  readonly out: TerminalStream;
  readonly err: TerminalStream;
  private status = '';
  private statusShown = false;
  /** The error that closed stdout (EPIPE when the reader went away), if any. */
  private outError: Error | undefined;

  constructor(out: TerminalStream, err: TerminalStream) {
    this.out = out;
    this.err = err;
    // Without a listener, a closed pipe (`authwire run | head`) would be an uncaught error that
    // ends the process; instead later writes fail and the stdout exporter reports them.
    out.on('error', (error: Error) => {
      this.outError = error;
    });
    err.on('error', () => {});
  }

  /** True when the status line can be redrawn in place. */
  get interactive(): boolean {
    return this.err.isTTY === true;
  }

  /** Redraw the live status line (TTY), or print it as a plain line (not a TTY). */
  setStatus(line: string): void {
    if (!this.interactive) {
      this.err.write(line + '\n');
      return;
    }
    const width = this.err.columns ?? 120;
    this.status = line.length > width - 1 ? line.slice(0, width - 2) + '…' : line;
    this.err.write(CLEAR_LINE + this.status);
    this.statusShown = true;
  }

  /** Remove the status line for good (at shutdown, before the final summary). */
  clearStatus(): void {
    if (this.statusShown) this.err.write(CLEAR_LINE);
    this.status = '';
    this.statusShown = false;
  }

  /** Write to stdout; resolves when the stream can take more (backpressure). */
  async writeOut(text: string): Promise<void> {
    if (this.outError) throw this.outError;
    const shared = this.statusShown && this.out.isTTY === true;
    if (shared) this.err.write(CLEAR_LINE);
    const ok = this.out.write(text);
    if (shared) this.err.write(this.status);
    // events.once rejects if the stream emits 'error' while we wait.
    if (!ok) await once(this.out, 'drain');
  }

  writeErr(text: string): void {
    if (this.statusShown) this.err.write(CLEAR_LINE);
    this.err.write(text);
    if (this.statusShown) this.err.write(this.status);
  }
}

/** The process-wide terminal. Components reach stdout only through it. */
export const processTerminal = new Terminal(process.stdout, process.stderr);
