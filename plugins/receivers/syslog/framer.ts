/**
 * Splits a TCP (or TLS) byte stream into syslog frames, RFC 6587: both framings on the same
 * connection, decided again at the start of every frame.
 *
 * - Octet counting: a frame that starts with `[1-9][0-9]{0,8} ` is `MSG-LEN SP MSG`, exactly
 *   MSG-LEN bytes (newlines inside are part of the message). One trailing LF, CRLF or NUL inside
 *   the counted bytes is dropped (some senders count it).
 * - Non-transparent framing: anything else runs to the next LF or NUL; a CR before it is
 *   dropped.
 * - Empty frames (blank lines, the LF some senders add after a counted frame) are skipped.
 * - A frame longer than maxBytes is not kept: a counted one is skipped by its count, an
 *   LF-framed one up to its delimiter, so the connection stays in step; the sink hears of it
 *   (`oversized`) with its first bytes.
 *
 * Chunks are scanned in place with indexOf; only a frame split across chunks is copied (once,
 * when complete). Frames handed to the sink are valid only during the call.
 */

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;

/** How many bytes of an oversized frame are kept for its dead letter. */
export const OVERSIZED_PREVIEW_BYTES = 256;

export interface FrameSink {
  /** One complete frame, `buf[start, end)`, trailer removed. */
  frame(buf: Buffer, start: number, end: number): void;
  /** A frame over the limit was skipped; `size` is its length, or -1 when it was cut off unknown. */
  oversized(size: number, preview: Buffer): void;
  /** The stream ended inside an octet-counted frame. */
  truncated(preview: Buffer): void;
}

const START = 0;
/** Digits of an octet count seen, the space not yet: `carry` holds them. */
const COUNT = 1;
/** Inside a counted frame: filling `octets`. */
const OCTETS = 2;
/** Inside an LF-framed message: `parts` hold what came so far. */
const LINE = 3;
/** Skipping `skip` more bytes of an oversized counted frame. */
const SKIP_OCTETS = 4;
/** Skipping to the next delimiter after an oversized LF-framed message. */
const SKIP_LINE = 5;

export class StreamFramer {
  private state = START;
  private carry: Buffer | undefined;
  private octets: Buffer | undefined;
  private filled = 0;
  private skip = 0;
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Position of the next NUL in the current chunk: -2 unknown, -1 none left. */
  private nulAt = -2;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxBytes: number,
  ) {}

  /** Bytes held for an incomplete frame (a gauge for tests and metrics). */
  get buffered(): number {
    return this.state === OCTETS ? this.filled : this.state === LINE ? this.partsLength : this.state === COUNT ? this.carry!.length : 0;
  }

  push(input: Buffer): void {
    let chunk = input;
    let pos = 0;
    const state = this.state;
    if (state !== START) {
      if (state === COUNT) {
        chunk = Buffer.concat([this.carry!, chunk]);
        this.carry = undefined;
        this.state = START;
      } else if (state === OCTETS) {
        const octets = this.octets!;
        const n = Math.min(octets.length - this.filled, chunk.length);
        chunk.copy(octets, this.filled, 0, n);
        this.filled += n;
        if (this.filled < octets.length) return;
        this.octets = undefined;
        this.state = START;
        this.emitCounted(octets, 0, octets.length);
        pos = n;
      } else if (state === SKIP_OCTETS) {
        const n = Math.min(this.skip, chunk.length);
        this.skip -= n;
        if (this.skip > 0) return;
        this.state = START;
        pos = n;
      } else {
        this.nulAt = -2;
        const d = this.nextDelimiter(chunk, 0);
        if (state === SKIP_LINE) {
          if (d < 0) return;
          this.state = START;
        } else {
          if (d < 0) {
            this.appendLine(chunk, 0);
            return;
          }
          const total = this.partsLength + d;
          const parts = this.parts;
          parts.push(chunk.subarray(0, d));
          this.parts = [];
          this.partsLength = 0;
          this.state = START;
          if (total > this.maxBytes + 1) this.sink.oversized(total, previewOf(parts));
          else {
            const whole = Buffer.concat(parts, total);
            this.emitLine(whole, 0, total);
          }
        }
        pos = d + 1;
      }
    }
    this.nulAt = -2;
    this.scan(chunk, pos);
  }

  /**
   * The stream ended: an LF-framed message still open is complete (EOF delimits it, as for
   * `logger | nc` without a final newline); a counted frame cut short is reported truncated.
   */
  end(): void {
    const state = this.state;
    if (state === LINE || state === COUNT) {
      const whole = state === LINE ? Buffer.concat(this.parts, this.partsLength) : this.carry!;
      this.reset();
      this.emitLine(whole, 0, whole.length);
    } else if (state === OCTETS) {
      const preview = Buffer.from(this.octets!.subarray(0, Math.min(this.filled, OVERSIZED_PREVIEW_BYTES)));
      this.reset();
      this.sink.truncated(preview);
    }
    this.reset();
  }

  /** Forgets any partial frame (the connection is closing). */
  reset(): void {
    this.state = START;
    this.carry = this.octets = undefined;
    this.parts = [];
    this.partsLength = 0;
  }

  private scan(chunk: Buffer, from: number): void {
    const len = chunk.length;
    const max = this.maxBytes;
    let pos = from;
    while (pos < len) {
      const c = chunk[pos]!;
      if (c === LF || c === NUL || c === CR) {
        pos++;
        continue;
      }
      if (c >= 0x31 && c <= 0x39) {
        // An octet count needs its space within 9 digits; otherwise this is an LF-framed line
        // that happens to start with a digit.
        let n = c - 0x30;
        let i = pos + 1;
        const limit = Math.min(len, pos + 9);
        while (i < limit) {
          const d = chunk[i]!;
          if (d < 0x30 || d > 0x39) break;
          n = n * 10 + d - 0x30;
          i++;
        }
        if (i === len) {
          this.carry = Buffer.from(chunk.subarray(pos));
          this.state = COUNT;
          return;
        }
        if (chunk[i] === SP) {
          const start = i + 1;
          if (n > max) {
            this.sink.oversized(n, Buffer.from(chunk.subarray(start, Math.min(len, start + Math.min(n, OVERSIZED_PREVIEW_BYTES)))));
            const have = len - start;
            if (have >= n) {
              pos = start + n;
              continue;
            }
            this.skip = n - have;
            this.state = SKIP_OCTETS;
            return;
          }
          if (start + n <= len) {
            this.emitCounted(chunk, start, start + n);
            pos = start + n;
            continue;
          }
          const octets = Buffer.allocUnsafe(n);
          chunk.copy(octets, 0, start, len);
          this.octets = octets;
          this.filled = len - start;
          this.state = OCTETS;
          return;
        }
      }
      const d = this.nextDelimiter(chunk, pos);
      if (d < 0) {
        this.appendLine(chunk, pos);
        return;
      }
      // A CR before the LF is not part of the message, so it does not count against the limit.
      const size = d - pos;
      if (size > max && !(size === max + 1 && chunk[d - 1] === CR)) {
        this.sink.oversized(size, Buffer.from(chunk.subarray(pos, pos + OVERSIZED_PREVIEW_BYTES)));
      } else {
        this.emitLine(chunk, pos, d);
      }
      pos = d + 1;
    }
  }

  /** The next LF or NUL at or after `from`, or -1. NULs are rare: one indexOf per chunk finds them. */
  private nextDelimiter(chunk: Buffer, from: number): number {
    const lf = chunk.indexOf(LF, from);
    let nul = this.nulAt;
    if (nul === -2 || (nul >= 0 && nul < from)) {
      nul = chunk.indexOf(NUL, from);
      this.nulAt = nul;
    }
    if (nul >= 0 && (lf < 0 || nul < lf)) return nul;
    return lf;
  }

  private appendLine(chunk: Buffer, from: number): void {
    const rest = chunk.length - from;
    const state = this.state;
    if (state === LINE || state === START) {
      // The CR of a CRLF split from its LF may still arrive: allow one byte over.
      if (this.partsLength + rest > this.maxBytes + 1) {
        const parts = this.parts;
        parts.push(chunk.subarray(from));
        this.sink.oversized(-1, previewOf(parts));
        this.parts = [];
        this.partsLength = 0;
        this.state = SKIP_LINE;
        return;
      }
      this.parts.push(from === 0 ? chunk : chunk.subarray(from));
      this.partsLength += rest;
      this.state = LINE;
    }
  }

  private emitLine(buf: Buffer, start: number, end: number): void {
    let e = end;
    if (e > start && buf[e - 1] === CR) e--;
    if (e - start > this.maxBytes) {
      this.sink.oversized(e - start, Buffer.from(buf.subarray(start, start + OVERSIZED_PREVIEW_BYTES)));
      return;
    }
    if (e > start) this.sink.frame(buf, start, e);
  }

  private emitCounted(buf: Buffer, start: number, end: number): void {
    let e = end;
    const last = e > start ? buf[e - 1] : -1;
    if (last === LF) {
      e--;
      if (e > start && buf[e - 1] === CR) e--;
    } else if (last === NUL) {
      e--;
    }
    if (e > start) this.sink.frame(buf, start, e);
  }
}

function previewOf(parts: readonly Buffer[]): Buffer {
  const first = parts[0];
  if (first === undefined) return Buffer.alloc(0);
  if (first.length >= OVERSIZED_PREVIEW_BYTES || parts.length === 1) return Buffer.from(first.subarray(0, OVERSIZED_PREVIEW_BYTES));
  return Buffer.concat(parts).subarray(0, OVERSIZED_PREVIEW_BYTES);
}
