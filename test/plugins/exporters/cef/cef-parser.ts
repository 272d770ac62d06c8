/**
 * A strict, independent parser of syslog-wrapped CEF, written from the ArcSight CEF and RFC 5424 /
 * RFC 3164 texts for the tests. It imports nothing from the encoder, and it throws on anything the
 * specification does not allow instead of guessing: unknown escapes, unescaped `=` in a value, raw
 * CR/LF, duplicate keys, a missing header field.
 */

export interface SyslogMessage {
  readonly pri: number;
  readonly facility: number;
  readonly severity: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  /** The MSG part (after the header). */
  readonly msg: string;
}

export interface CefMessage {
  readonly version: number;
  readonly deviceVendor: string;
  readonly deviceProduct: string;
  readonly deviceVersion: string;
  readonly signatureId: string;
  readonly name: string;
  readonly severity: number;
  readonly extension: Readonly<Record<string, string>>;
}

function parsePri(text: string): { pri: number; rest: string } {
  const match = /^<(\d{1,3})>/.exec(text);
  if (match === null) throw new Error(`syslog: no PRI in ${JSON.stringify(text.slice(0, 40))}`);
  const pri = Number(match[1]);
  if (pri > 191 || (match[1]!.length > 1 && match[1]!.startsWith('0'))) throw new Error(`syslog: bad PRI ${match[1]}`);
  return { pri, rest: text.slice(match[0].length) };
}

/** RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`; only NILVALUE structured data. */
export function parseRfc5424(line: string): SyslogMessage {
  const { pri, rest } = parsePri(line);
  const match = /^1 (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})) ([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) - ([\s\S]*)$/.exec(rest);
  if (match === null) throw new Error(`rfc5424: bad header in ${JSON.stringify(line.slice(0, 80))}`);
  if (match[4] !== '-' || match[5] !== '-') throw new Error('rfc5424: expected NILVALUE PROCID and MSGID');
  return { pri, facility: pri >> 3, severity: pri & 7, timestamp: match[1]!, hostname: match[2]!, appName: match[3]!, msg: match[6]! };
}

/** RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG`. */
export function parseRfc3164(line: string): SyslogMessage {
  const { pri, rest } = parsePri(line);
  const match = /^((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\d \d{2}:\d{2}:\d{2}) ([!-~]+) ([A-Za-z0-9._/-]{1,48}): ([\s\S]*)$/.exec(rest);
  if (match === null) throw new Error(`rfc3164: bad header in ${JSON.stringify(line.slice(0, 80))}`);
  return { pri, facility: pri >> 3, severity: pri & 7, timestamp: match[1]!, hostname: match[2]!, appName: match[3]!, msg: match[4]! };
}

const KEY_CHAR = /[A-Za-z0-9_]/;

/** Parses `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|Extension`. */
export function parseCef(text: string): CefMessage {
  if (!text.startsWith('CEF:')) throw new Error(`cef: does not start with CEF: ${JSON.stringify(text.slice(0, 40))}`);
  const fields: string[] = [];
  let field = '';
  let i = 4;
  for (; i < text.length && fields.length < 7; i++) {
    const c = text[i]!;
    if (c === '\r' || c === '\n') throw new Error('cef: raw CR/LF in the header');
    if (c === '\\') {
      const next = text[i + 1];
      if (next !== '\\' && next !== '|') throw new Error(`cef: invalid header escape \\${next ?? ''} at ${i}`);
      field += next;
      i++;
    } else if (c === '|') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (fields.length < 7) throw new Error(`cef: ${fields.length} header fields, expected 7`);
  const [version, deviceVendor, deviceProduct, deviceVersion, signatureId, name, severity] = fields as [string, string, string, string, string, string, string];
  if (!/^\d+$/.test(version)) throw new Error(`cef: bad version ${version}`);
  if (!/^(?:\d|10)$/.test(severity)) throw new Error(`cef: severity ${severity} is not an integer 0-10`);
  return {
    version: Number(version),
    deviceVendor,
    deviceProduct,
    deviceVersion,
    signatureId,
    name,
    severity: Number(severity),
    extension: parseExtension(text.slice(i)),
  };
}

/** Is there a `key=` starting at `at` (the key made of [A-Za-z0-9_])? */
function keyAt(text: string, at: number): number {
  let j = at;
  while (j < text.length && KEY_CHAR.test(text[j]!)) j++;
  return j > at && text[j] === '=' ? j : -1;
}

export function parseExtension(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = keyAt(text, i);
    if (eq < 0) throw new Error(`cef extension: expected key= at ${i}: ${JSON.stringify(text.slice(i, i + 30))}`);
    const key = text.slice(i, eq);
    if (key in out) throw new Error(`cef extension: duplicate key ${key}`);
    i = eq + 1;
    let value = '';
    for (;;) {
      if (i >= text.length) break;
      const c = text[i]!;
      if (c === '\r' || c === '\n') throw new Error(`cef extension: raw CR/LF in ${key}`);
      if (c === '=') throw new Error(`cef extension: unescaped = in the value of ${key}`);
      if (c === '\\') {
        const next = text[i + 1];
        if (next === '\\' || next === '=') value += next;
        else if (next === 'n') value += '\n';
        else if (next === 'r') value += '\r';
        else throw new Error(`cef extension: invalid escape \\${next ?? ''} in ${key}`);
        i += 2;
        continue;
      }
      if (c === ' ' && keyAt(text, i + 1) >= 0) {
        i++;
        break;
      }
      value += c;
      i++;
    }
    out[key] = value;
  }
  return out;
}
