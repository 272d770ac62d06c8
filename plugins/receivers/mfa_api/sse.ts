/**
 * A bounded parser for server-sent events (the WHATWG HTML "event stream" format): `field: value`
 * lines, events ended by an empty line, `:` comments (keep-alives), LF, CRLF or CR line ends.
 * `retry:` and unknown fields are ignored (the receiver's reconnect delay is its own setting).
 *
 * Bounded: an event whose data grows past `maxEventBytes` (UTF-16 code units, a close enough
 * measure of the text held) is dropped whole and counted, and the parser keeps no more than that
 * of any single unfinished line, so a peer that never sends a newline cannot exhaust memory.
 */

export interface SseEvent {
  /** The `id:` of this event, or undefined when it had none. */
  readonly id: string | undefined;
  /** The `event:` type, `message` when absent. */
  readonly event: string;
  readonly data: string;
}

export interface OversizedEvent {
  readonly id: string | undefined;
  /** The start of the data, for the dead letter. */
  readonly prefix: string;
  readonly size: number;
}

export class SseParser {
  /** Events dropped for size. */
  oversized = 0;
  private line = '';
  private lineTooLong = false;
  private skipLf = false;
  private data: string[] = [];
  private dataSize = 0;
  private eventTooLarge = false;
  private dropped: OversizedEvent | undefined;
  private id: string | undefined;
  private type = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly maxEventBytes: number) {}

  /** Feeds bytes; complete events go to `out`, oversized ones to `tooLarge`. */
  push(chunk: Uint8Array, out: SseEvent[], tooLarge: OversizedEvent[]): void {
    this.pushText(this.decoder.decode(chunk, { stream: true }), out, tooLarge);
  }

  pushText(text: string, out: SseEvent[], tooLarge: OversizedEvent[]): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.skipLf) {
        // The LF of a CRLF, possibly in the next chunk.
        this.skipLf = false;
        if (c === 10) {
          start = i + 1;
          continue;
        }
      }
      if (c !== 10 && c !== 13) continue;
      this.append(text, start, i);
      this.endLine(out, tooLarge);
      this.skipLf = c === 13;
      start = i + 1;
    }
    if (start < text.length) this.append(text, start, text.length);
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from || this.lineTooLong) return;
    if (this.line.length + (to - from) > this.maxEventBytes + 16) {
      // Keep the start of it (the field name and a prefix for the dead letter), drop the rest.
      this.line += text.slice(from, from + Math.max(0, this.maxEventBytes + 16 - this.line.length));
      this.lineTooLong = true;
      return;
    }
    this.line += text.slice(from, to);
  }

  private endLine(out: SseEvent[], tooLarge: OversizedEvent[]): void {
    const line = this.line;
    const truncated = this.lineTooLong;
    this.line = '';
    this.lineTooLong = false;
    if (line === '' && !truncated) {
      this.dispatch(out, tooLarge);
      return;
    }
    if (line.charCodeAt(0) === 58) return; // `:` comment, a keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        if (this.eventTooLarge) {
          this.dataSize += value.length + 1;
          return;
        }
        this.dataSize += value.length + 1;
        if (truncated || this.dataSize > this.maxEventBytes) {
          this.eventTooLarge = true;
          this.dropped = { id: undefined, prefix: [...this.data, value].join('\n').slice(0, 1024), size: this.dataSize };
          this.data = [];
          return;
        }
        this.data.push(value);
        return;
      case 'id':
        if (!value.includes('\u0000') && !truncated) this.id = value;
        return;
      case 'event':
        if (!truncated) this.type = value;
        return;
      default:
        return; // unknown fields are ignored, as the format says
    }
  }

  private dispatch(out: SseEvent[], tooLarge: OversizedEvent[]): void {
    const id = this.id;
    const type = this.type === '' ? 'message' : this.type;
    this.type = '';
    // Each event reports its own id field only; the receiver keeps the last delivered one itself.
    this.id = undefined;
    if (this.eventTooLarge) {
      this.oversized++;
      tooLarge.push({ id, prefix: this.dropped?.prefix ?? '', size: this.dataSize });
      this.eventTooLarge = false;
      this.dropped = undefined;
      this.dataSize = 0;
      return;
    }
    if (this.data.length === 0) {
      // No data: nothing is dispatched (as the format says).
      this.dataSize = 0;
      return;
    }
    out.push({ id, event: type, data: this.data.join('\n') });
    this.data = [];
    this.dataSize = 0;
  }
}
