import type { RawRecord } from '../../../core/api.js';
import type { SyslogHeader } from './parse.js';

/** What a record's `payload` holds: the whole message as received, or only its MSG part. */
export type PayloadMode = 'line' | 'message';

/**
 * A RawRecord with the syslog header and the sender kept beside the payload. The normalizer reads
 * only the four RawRecord fields; the others are there for exporters of raw records (stdout,
 * file), for debugging, and for a normalizer that later wants the header without re-parsing.
 * Every field is set in the constructor so all records share one hidden class.
 */
export class SyslogRecord implements RawRecord {
  format: string;
  /** A string: the message (`line`) or its MSG (`message`); see the README. */
  payload: string;
  observedTime: number;
  source: string;
  /** The peer's address as the socket saw it (`127.0.0.1`, `::1`). */
  senderAddress: string;
  senderPort: number;
  /** 5424 or 3164. */
  rfc: number;
  /** PRI >> 3 and PRI & 7; -1 when the message had no PRI. */
  facility: number;
  severity: number;
  /** The header fields as written (not parsed); undefined when absent or `-`. */
  timestamp: string | undefined;
  hostname: string | undefined;
  appName: string | undefined;
  procId: string | undefined;
  msgId: string | undefined;
  structuredData: string | undefined;

  constructor(format: string, payload: string, observedTime: number, source: string, senderAddress: string, senderPort: number, rfc: number, pri: number) {
    this.format = format;
    this.payload = payload;
    this.observedTime = observedTime;
    this.source = source;
    this.senderAddress = senderAddress;
    this.senderPort = senderPort;
    this.rfc = rfc;
    this.facility = pri < 0 ? -1 : pri >> 3;
    this.severity = pri < 0 ? -1 : pri & 7;
    this.timestamp = undefined;
    this.hostname = undefined;
    this.appName = undefined;
    this.procId = undefined;
    this.msgId = undefined;
    this.structuredData = undefined;
  }
}

/** Where records come from and go: fixed per receiver (format, source) and per peer (address). */
export interface RecordContext {
  readonly format: string;
  readonly source: string;
  readonly mode: PayloadMode;
  readonly senderAddress: string;
  readonly senderPort: number;
}

/**
 * Builds the record of a parsed frame. The frame is decoded once; header fields are slices of
 * that string when the header is ASCII (byte offsets then equal string offsets), else decoded
 * one by one.
 */
export function buildRecord(buf: Buffer, start: number, end: number, h: SyslogHeader, ctx: RecordContext, observedTime: number): SyslogRecord {
  const text = buf.toString('utf8', start, end);
  let payload: string;
  let r: SyslogRecord;
  if (h.ascii) {
    // The BOM is 3 bytes but one UTF-16 unit.
    const msg = h.msgStart - start - (h.bom ? 2 : 0);
    if (ctx.mode === 'message') payload = msg === 0 ? text : text.slice(msg);
    else payload = h.bom ? text.slice(0, msg - 1) + text.slice(msg) : text;
    r = new SyslogRecord(ctx.format, payload, observedTime, ctx.source, ctx.senderAddress, ctx.senderPort, h.rfc, h.pri);
    if (h.tsStart >= 0) r.timestamp = text.slice(h.tsStart - start, h.tsEnd - start);
    if (h.hostStart >= 0) r.hostname = text.slice(h.hostStart - start, h.hostEnd - start);
    if (h.appStart >= 0) r.appName = text.slice(h.appStart - start, h.appEnd - start);
    if (h.procStart >= 0) r.procId = text.slice(h.procStart - start, h.procEnd - start);
    if (h.msgIdStart >= 0) r.msgId = text.slice(h.msgIdStart - start, h.msgIdEnd - start);
    if (h.sdStart >= 0) r.structuredData = text.slice(h.sdStart - start, h.sdEnd - start);
    return r;
  }
  if (ctx.mode === 'message') payload = buf.toString('utf8', h.msgStart, end);
  else payload = h.bom ? buf.toString('utf8', start, h.msgStart - 3) + buf.toString('utf8', h.msgStart, end) : text;
  r = new SyslogRecord(ctx.format, payload, observedTime, ctx.source, ctx.senderAddress, ctx.senderPort, h.rfc, h.pri);
  if (h.tsStart >= 0) r.timestamp = buf.toString('utf8', h.tsStart, h.tsEnd);
  if (h.hostStart >= 0) r.hostname = buf.toString('utf8', h.hostStart, h.hostEnd);
  if (h.appStart >= 0) r.appName = buf.toString('utf8', h.appStart, h.appEnd);
  if (h.procStart >= 0) r.procId = buf.toString('utf8', h.procStart, h.procEnd);
  if (h.msgIdStart >= 0) r.msgId = buf.toString('utf8', h.msgIdStart, h.msgIdEnd);
  if (h.sdStart >= 0) r.structuredData = buf.toString('utf8', h.sdStart, h.sdEnd);
  return r;
}
