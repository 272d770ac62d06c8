/**
 * The syslog header parser: RFC 5424 and RFC 3164 (BSD) messages, read on the bytes of one frame.
 *
 * It runs once per message on the receive path, so it works on a Buffer range, fills a reused
 * `SyslogHeader` with offsets (no strings, no regexes, no allocation), and only the record builder
 * (`SyslogRecord.from`) decodes text: the frame once, the header fields as slices of that string.
 *
 * What counts as a syslog message (anything else is refused as `malformed`):
 * - `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]` (RFC 5424; PRI 0..191, every
 *   header field one or more non-space bytes or `-`, SD `-` or `[...]` elements, MSG optional);
 * - `<PRI>` followed by anything (RFC 3164 section 4.3.3: a relay accepts what follows a valid
 *   PRI); a `Mmm dd hh:mm:ss` or RFC 3339 timestamp, a hostname and a `tag[pid]:` are split off
 *   when present;
 * - without PRI, a line that starts with one of those two timestamps (auth.log lines sent as they
 *   are written, `nc` or `logger --no-act` style).
 */

const SP = 0x20;
const LT = 0x3c;
const GT = 0x3e;
const DASH = 0x2d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

export const RFC5424 = 5424;
export const RFC3164 = 3164;

/**
 * Offsets into the frame's buffer (absolute, like `start` and `end`), -1 when a field is absent
 * or NILVALUE. One instance is reused for every message of a connection.
 */
export class SyslogHeader {
  /** RFC5424 or RFC3164. */
  rfc = 0;
  /** 0..191, or -1 without PRI. */
  pri = -1;
  tsStart = -1;
  tsEnd = -1;
  hostStart = -1;
  hostEnd = -1;
  appStart = -1;
  appEnd = -1;
  procStart = -1;
  procEnd = -1;
  msgIdStart = -1;
  msgIdEnd = -1;
  sdStart = -1;
  sdEnd = -1;
  /** Where MSG starts (== end when the message has none), after a UTF-8 BOM when there is one. */
  msgStart = 0;
  /** True when MSG began with a UTF-8 BOM (RFC 5424 section 6.4), which msgStart skips. */
  bom = false;
  /** True when every byte before msgStart is ASCII: string offsets then equal byte offsets. */
  ascii = true;
  /** Why the frame is not a syslog message (set when parse returns false). */
  error = '';

  reset(): void {
    this.rfc = 0;
    this.pri = -1;
    this.tsStart = this.tsEnd = this.hostStart = this.hostEnd = this.appStart = this.appEnd = -1;
    this.procStart = this.procEnd = this.msgIdStart = this.msgIdEnd = this.sdStart = this.sdEnd = -1;
    this.msgStart = 0;
    this.bom = false;
    this.ascii = true;
    this.error = '';
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** End of the space-free token at p (the index of the space or `end`). */
function tokenEnd(buf: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = buf[p]!;
    if (c === SP) return p;
    p++;
  }
  return p;
}

function hasHighBit(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return true;
  return false;
}

/** First letters of the English month abbreviations: J F M A S O N D. */
function isMonthInitial(c: number): boolean {
  return c === 0x4a || c === 0x46 || c === 0x4d || c === 0x41 || c === 0x53 || c === 0x4f || c === 0x4e || c === 0x44;
}

/** Length of a `Mmm dd hh:mm:ss` timestamp at p (15), or 0. The day may be space-padded. */
function bsdStampLength(buf: Buffer, p: number, end: number): number {
  if (p + 15 > end) return 0;
  if (!isMonthInitial(buf[p]!)) return 0;
  const b = buf[p + 1]!;
  const c = buf[p + 2]!;
  if (b < 0x61 || b > 0x7a || c < 0x61 || c > 0x7a || buf[p + 3] !== SP) return 0;
  const d1 = buf[p + 4]!;
  if (!(d1 === SP || isDigit(d1)) || !isDigit(buf[p + 5]!) || buf[p + 6] !== SP) return 0;
  if (!isDigit(buf[p + 7]!) || !isDigit(buf[p + 8]!) || buf[p + 9] !== COLON) return 0;
  if (!isDigit(buf[p + 10]!) || !isDigit(buf[p + 11]!) || buf[p + 12] !== COLON) return 0;
  if (!isDigit(buf[p + 13]!) || !isDigit(buf[p + 14]!)) return 0;
  return 15;
}

/** Length of an RFC 3339-looking token at p (`dddd-dd-ddT...` up to the next space), or 0. */
function isoStampLength(buf: Buffer, p: number, end: number): number {
  if (p + 10 > end) return 0;
  if (!isDigit(buf[p]!) || !isDigit(buf[p + 1]!) || !isDigit(buf[p + 2]!) || !isDigit(buf[p + 3]!) || buf[p + 4] !== DASH) return 0;
  if (!isDigit(buf[p + 5]!) || !isDigit(buf[p + 6]!) || buf[p + 7] !== DASH || !isDigit(buf[p + 8]!) || !isDigit(buf[p + 9]!)) return 0;
  return tokenEnd(buf, p, end) - p;
}

/** Parses `<PRI>` at start; returns the index after `>`, or -1 (h.pri stays -1) when there is none. */
function parsePri(buf: Buffer, start: number, end: number, h: SyslogHeader): number {
  if (buf[start] !== LT) return -1;
  let p = start + 1;
  let pri = 0;
  const limit = Math.min(end, start + 5);
  while (p < limit && isDigit(buf[p]!)) {
    pri = pri * 10 + buf[p]! - 0x30;
    p++;
  }
  if (p === start + 1 || p >= end || buf[p] !== GT || pri > 191) return -2;
  h.pri = pri;
  return p + 1;
}

/**
 * Splits one frame `buf[start, end)` into `h`. Returns false (with h.error) when it is not a
 * syslog message by the rules in the module comment.
 */
export function parseSyslog(buf: Buffer, start: number, end: number, h: SyslogHeader): boolean {
  h.reset();
  let p = parsePri(buf, start, end, h);
  if (p === -2) {
    h.error = 'invalid PRI: expected <0..191>';
    return false;
  }
  if (p >= 0 && p + 1 < end && buf[p] === 0x31 && buf[p + 1] === SP) return parse5424(buf, start, p + 2, end, h);
  const hasPri = p >= 0;
  if (!hasPri) p = start;
  return parse3164(buf, start, p, end, h, hasPri);
}

function parse5424(buf: Buffer, start: number, p: number, end: number, h: SyslogHeader): boolean {
  h.rfc = RFC5424;
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID: five space-separated tokens, `-` for nil.
  let q = tokenEnd(buf, p, end);
  if (q === p || q >= end) return bad5424(h, 'TIMESTAMP');
  if (!(q - p === 1 && buf[p] === DASH)) {
    h.tsStart = p;
    h.tsEnd = q;
  }
  p = q + 1;
  q = tokenEnd(buf, p, end);
  if (q === p || q >= end) return bad5424(h, 'HOSTNAME');
  if (!(q - p === 1 && buf[p] === DASH)) {
    h.hostStart = p;
    h.hostEnd = q;
  }
  p = q + 1;
  q = tokenEnd(buf, p, end);
  if (q === p || q >= end) return bad5424(h, 'APP-NAME');
  if (!(q - p === 1 && buf[p] === DASH)) {
    h.appStart = p;
    h.appEnd = q;
  }
  p = q + 1;
  q = tokenEnd(buf, p, end);
  if (q === p || q >= end) return bad5424(h, 'PROCID');
  if (!(q - p === 1 && buf[p] === DASH)) {
    h.procStart = p;
    h.procEnd = q;
  }
  p = q + 1;
  q = tokenEnd(buf, p, end);
  if (q === p || q >= end) return bad5424(h, 'MSGID');
  if (!(q - p === 1 && buf[p] === DASH)) {
    h.msgIdStart = p;
    h.msgIdEnd = q;
  }
  p = q + 1;
  // STRUCTURED-DATA: `-` or one or more `[...]`; inside, `]` is escaped as `\]`.
  if (p >= end) return bad5424(h, 'STRUCTURED-DATA');
  if (buf[p] === DASH) {
    q = p + 1;
  } else if (buf[p] === LBRACKET) {
    const sd = p;
    q = p;
    while (q < end && buf[q] === LBRACKET) {
      q++;
      while (q < end) {
        const c = buf[q]!;
        if (c === BACKSLASH) q += 2;
        else if (c === RBRACKET) break;
        else q++;
      }
      if (q >= end) return bad5424(h, 'STRUCTURED-DATA (unterminated)');
      q++;
    }
    h.sdStart = sd;
    h.sdEnd = q;
  } else {
    return bad5424(h, 'STRUCTURED-DATA');
  }
  if (q < end && buf[q] !== SP) return bad5424(h, 'STRUCTURED-DATA');
  if (hasHighBit(buf, start, q)) h.ascii = false;
  let msg = q < end ? q + 1 : end;
  if (msg + 2 < end && buf[msg] === 0xef && buf[msg + 1] === 0xbb && buf[msg + 2] === 0xbf) {
    msg += 3;
    h.bom = true;
  }
  h.msgStart = msg;
  return true;
}

function bad5424(h: SyslogHeader, field: string): boolean {
  h.error = `RFC 5424 header is incomplete: bad or missing ${field}`;
  return false;
}

function parse3164(buf: Buffer, start: number, p: number, end: number, h: SyslogHeader, hasPri: boolean): boolean {
  h.rfc = RFC3164;
  let n = bsdStampLength(buf, p, end);
  if (n === 0) n = isoStampLength(buf, p, end);
  if (n === 0) {
    if (!hasPri) {
      h.error = 'not a syslog message: no <PRI> and no timestamp';
      return false;
    }
  } else {
    h.tsStart = p;
    h.tsEnd = p + n;
    p += n;
    if (p < end && buf[p] === SP) p++;
    // HOSTNAME, unless the next token is already the tag (`sshd[1]:`, `su:`): devices that
    // leave the host out. An empty token (`Nov  3 10:21:43  sshd[1]: msg`) is an empty host.
    const q = tokenEnd(buf, p, end);
    if (q < end && !looksLikeTag(buf, p, q)) {
      if (q > p) {
        h.hostStart = p;
        h.hostEnd = q;
      }
      p = q + 1;
    }
  }
  // TAG: `app[pid]: ` or `app: ` (rsyslog's rules: up to 32 chars of [^\s[:]).
  let q = p;
  const limit = Math.min(end, p + 48);
  while (q < limit) {
    const c = buf[q]!;
    if (c === SP || c === LBRACKET || c === COLON) break;
    q++;
  }
  if (q > p && q < end) {
    const appEnd = q;
    let procStart = -1;
    let procEnd = -1;
    if (buf[q] === LBRACKET) {
      const r = q + 1;
      let s = r;
      while (s < end && s < r + 20 && buf[s] !== RBRACKET && buf[s] !== SP) s++;
      if (s < end && buf[s] === RBRACKET) {
        procStart = r;
        procEnd = s;
        q = s + 1;
      }
    }
    if (q < end && buf[q] === COLON) {
      h.appStart = p;
      h.appEnd = appEnd;
      if (procEnd > procStart) {
        h.procStart = procStart;
        h.procEnd = procEnd;
      }
      p = q + 1;
      if (p < end && buf[p] === SP) p++;
    }
  }
  if (hasHighBit(buf, start, p)) h.ascii = false;
  h.msgStart = p;
  return true;
}

/** True for `name:` or `name[...` tokens: a tag, not a hostname. */
function looksLikeTag(buf: Buffer, p: number, q: number): boolean {
  if (q === p) return false;
  if (buf[q - 1] === COLON) return true;
  for (let i = p; i < q; i++) if (buf[i] === LBRACKET) return true;
  return false;
}
