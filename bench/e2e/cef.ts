/**
 * The sink's strict reader of RFC 5424 syslog carrying CEF, written from the RFC and the ArcSight
 * CEF text (it shares nothing with the cef exporter's encoder, since it judges it). It throws on
 * anything either does not allow rather than guessing:
 *
 * - syslog: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`, PRI 0..191 without leading
 *   zeros, an RFC 3339 timestamp, printable-ASCII header fields, NILVALUE structured data;
 * - CEF header: `CEF:` then exactly 7 `|`-separated fields (escapes `\\` and `\|` only, no raw
 *   CR/LF), a numeric version, severity an integer 0..10;
 * - extension: `key=value` pairs, keys `[A-Za-z0-9_]+` and not repeated, values with the escapes
 *   `\\ \= \n \r` only, no unescaped `=` and no raw CR/LF; every `csN`/`cnN`/`c6aN` has its
 *   `...Label` and the other way round; `rt` is epoch milliseconds; `externalId` is present.
 *
 * Written for speed too (the sink shares the cores with the server it measures): the header is one
 * loop over its characters, the extension one regular expression plus `indexOf` jumps between its
 * keys, and only the values the sink needs are turned into strings (about 3 µs a message here).
 */

export class MalformedCef extends Error {}

/** What the sink needs from a well-formed message. */
export interface CefFacts {
  /** The syslog HOSTNAME: the harness names each server's variant there. */
  hostname: string;
  externalId: string;
  /** `rt`, epoch milliseconds. */
  rt: number;
  /** `cat` (deviceEventCategory), '' when absent. */
  category: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function fail(message: string): never {
  throw new MalformedCef(message);
}

/** The end of a printable-ASCII header token starting at `at`, which must be followed by a space. */
function token(line: string, at: number, what: string): number {
  let i = at;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) break;
    if (c < 33 || c > 126) fail(`syslog: ${what} holds a character outside printable ASCII`);
  }
  if (i === at) fail(`syslog: empty ${what}`);
  if (i >= line.length) fail(`syslog: message ends in ${what}`);
  return i;
}

function unescapeValue(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** Parses one syslog message (framing removed) and returns the facts, or throws MalformedCef. */
export function readCef(line: string): CefFacts {
  // <PRI>
  if (line.charCodeAt(0) !== 60) fail('syslog: no PRI');
  const close = line.indexOf('>', 1);
  if (close < 2 || close > 4) fail('syslog: bad PRI');
  let pri = 0;
  for (let i = 1; i < close; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || (i === 1 && c === 0 && close > 2)) fail('syslog: bad PRI');
    pri = pri * 10 + c;
  }
  if (pri > 191) fail(`syslog: PRI ${pri} > 191`);
  if (line.charCodeAt(close + 1) !== 49 || line.charCodeAt(close + 2) !== 32) fail('syslog: not RFC 5424 (VERSION 1)');
  let at = close + 3;
  const timestampEnd = token(line, at, 'TIMESTAMP');
  if (!RFC3339.test(line.slice(at, timestampEnd))) fail('syslog: TIMESTAMP is not RFC 3339');
  const hostnameEnd = token(line, timestampEnd + 1, 'HOSTNAME');
  const hostname = line.slice(timestampEnd + 1, hostnameEnd);
  at = token(line, hostnameEnd + 1, 'APP-NAME') + 1;
  at = token(line, at, 'PROCID') + 1;
  at = token(line, at, 'MSGID') + 1;
  if (line.charCodeAt(at) !== 45 || line.charCodeAt(at + 1) !== 32) fail('syslog: structured data is not NILVALUE');
  const facts = readCefBody(line, at + 2);
  facts.hostname = hostname;
  return facts;
}

/** The CEF text starting at `at`. */
function readCefBody(text: string, at: number): CefFacts {
  if (!text.startsWith('CEF:', at)) fail('cef: MSG does not start with CEF:');
  let i = at + 4;
  // Header: 7 fields, each ended by an unescaped pipe.
  let fields = 0;
  let fieldStart = i;
  let versionEnd = -1;
  let severityStart = -1;
  for (; i < text.length && fields < 7; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      const next = text.charCodeAt(i + 1);
      if (next !== 92 && next !== 124) fail(`cef: invalid header escape at ${i - at}`);
      i++;
    } else if (c === 124) {
      fields++;
      if (fields === 1) versionEnd = i;
      if (fields === 6) severityStart = i + 1;
      // Vendor, product, version, signature id and name must not be empty.
      if (fields >= 2 && fields <= 6 && i === fieldStart) fail(`cef: empty header field ${fields}`);
      fieldStart = i + 1;
    } else if (c === 10 || c === 13) fail('cef: raw CR/LF in the header');
  }
  if (fields < 7) fail(`cef: ${fields} header fields, expected 7`);
  const version = text.slice(at + 4, versionEnd);
  if (!/^\d+$/.test(version)) fail(`cef: version ${JSON.stringify(version)} is not a number`);
  const severity = text.slice(severityStart, i - 1);
  if (!/^(?:\d|10)$/.test(severity)) fail(`cef: severity ${JSON.stringify(severity)} is not an integer 0-10`);
  return readExtension(text, i);
}

/**
 * The whole extension: `key=value` pairs separated by single spaces; a value holds anything but
 * `\`, `=`, CR and LF, the four escapes, and spaces not followed by `key=`. One run of a regular
 * expression over the extension is several times faster than a loop over its characters.
 */
const EXTENSION = /^[A-Za-z0-9_]+=(?:[^\\= \r\n]|\\[\\=nr]| (?![A-Za-z0-9_]+=))*(?: [A-Za-z0-9_]+=(?:[^\\= \r\n]|\\[\\=nr]| (?![A-Za-z0-9_]+=))*)*$/;
const CUSTOM = /^(?:cs[1-6]|cn[1-3]|c6a[1-4]|cfp[1-4]|deviceCustomDate[12]|flexString[12]|flexNumber[12]|flexDate1)$/;

/** Why `extension` is not well formed (it failed EXTENSION), for the report. */
function diagnose(extension: string): string {
  if (/[\r\n]/.test(extension)) return 'cef extension: raw CR/LF';
  if (/\\[^\\=nr]|\\$/.test(extension)) return 'cef extension: invalid escape';
  if (!/^[A-Za-z0-9_]+=/.test(extension)) return `cef extension: expected key= at ${JSON.stringify(extension.slice(0, 20))}`;
  return 'cef extension: unescaped = in a value';
}

/** The next unescaped `=` at or after `from` (an odd run of backslashes before it escapes it), or -1. */
function nextEquals(text: string, from: number): number {
  for (let at = text.indexOf('=', from); at >= 0; at = text.indexOf('=', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 92) backslashes++;
    if ((backslashes & 1) === 0) return at;
  }
  return -1;
}

function readExtension(text: string, from: number): CefFacts {
  const extension = text.slice(from);
  if (!EXTENSION.test(extension)) fail(diagnose(extension));
  let externalId: string | undefined;
  let rt: number | undefined;
  let category = '';
  // Keys seen, for duplicates and label pairing; a message has a few dozen at most. The text is
  // valid here, so each key runs from the start of the pair to the first unescaped `=`, and its
  // value to the last space before the next unescaped `=`.
  const keys: string[] = [];
  let keyStart = 0;
  let equals = extension.indexOf('=');
  while (keyStart < extension.length) {
    const key = extension.slice(keyStart, equals);
    if (keys.includes(key)) fail(`cef extension: duplicate key ${key}`);
    keys.push(key);
    const next = nextEquals(extension, equals + 1);
    const valueEnd = next < 0 ? extension.length : extension.lastIndexOf(' ', next);
    const first = key.charCodeAt(0);
    if ((first === 101 || first === 114 || first === 99) && (key === 'externalId' || key === 'rt' || key === 'cat')) {
      const raw = extension.slice(equals + 1, valueEnd);
      const value = raw.includes('\\') ? unescapeValue(raw) : raw;
      if (key === 'externalId') externalId = value;
      else if (key === 'cat') category = value;
      else {
        if (!/^\d{1,15}$/.test(value)) fail(`cef extension: rt ${JSON.stringify(value)} is not epoch milliseconds`);
        rt = Number(value);
      }
    }
    keyStart = valueEnd + 1;
    equals = next;
  }
  // Every custom field has its label, and every label its field.
  for (const key of keys) {
    if (key.endsWith('Label')) {
      const base = key.slice(0, -5);
      if (!CUSTOM.test(base)) fail(`cef extension: ${key} labels no custom field`);
      if (!keys.includes(base)) fail(`cef extension: ${key} without ${base}`);
    } else if (key.length <= 4 && key.charCodeAt(0) === 99 && CUSTOM.test(key) && !keys.includes(`${key}Label`)) {
      fail(`cef extension: ${key} without ${key}Label`);
    }
  }
  if (externalId === undefined || externalId === '') fail('cef extension: no externalId');
  if (rt === undefined) fail('cef extension: no rt');
  return { hostname: '', externalId, rt, category };
}
