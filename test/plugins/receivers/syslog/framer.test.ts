import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamFramer } from '../../../../plugins/receivers/syslog/framer.js';
import type { FrameSink } from '../../../../plugins/receivers/syslog/framer.js';
import { RFC3164, RFC5424, SyslogHeader, parseSyslog } from '../../../../plugins/receivers/syslog/parse.js';
import { buildRecord } from '../../../../plugins/receivers/syslog/record.js';
import type { RecordContext } from '../../../../plugins/receivers/syslog/record.js';

class Sink implements FrameSink {
  readonly events: string[] = [];
  frame(buf: Buffer, start: number, end: number): void {
    this.events.push(`frame:${buf.toString('utf8', start, end)}`);
  }
  oversized(size: number, preview: Buffer): void {
    this.events.push(`oversized:${size}:${preview.toString('utf8', 0, 8)}`);
  }
  truncated(preview: Buffer): void {
    this.events.push(`truncated:${preview.toString('utf8')}`);
  }
}

function frames(input: string | Buffer, max = 100, split: 'whole' | 'bytes' = 'whole', end = false): string[] {
  const sink = new Sink();
  const framer = new StreamFramer(sink, max);
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  if (split === 'whole') framer.push(bytes);
  else for (let i = 0; i < bytes.length; i++) framer.push(bytes.subarray(i, i + 1));
  if (end) framer.end();
  return sink.events;
}

const M1 = '<34>1 2026-05-01T19:20:01Z web-01 sshd 4242 - - Failed password for root from 203.0.113.9 port 50000 ssh2';
const M2 = '<38>May  1 19:20:01 bastion-1 sudo[77]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls';
const MIXED = `${Buffer.byteLength(M1)} ${M1}${M2}\n${Buffer.byteLength('a\nb')} a\nb${M2}\r\n${M1}\0${M2}\0\n`;
const MIXED_FRAMES = [`frame:${M1}`, `frame:${M2}`, 'frame:a\nb', `frame:${M2}`, `frame:${M1}`, `frame:${M2}`];

test('framer: octet-counted and LF-framed frames on one stream; CRLF and NUL trailers; an embedded newline stays', () => {
  assert.deepEqual(frames(MIXED, 200), MIXED_FRAMES);
});

test('framer: the same stream fed one byte at a time gives the same frames', () => {
  assert.deepEqual(frames(MIXED, 200, 'bytes'), MIXED_FRAMES);
});

test('framer: every split point of the stream into two chunks gives the same frames', () => {
  const bytes = Buffer.from(MIXED);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const sink = new Sink();
    const framer = new StreamFramer(sink, 200);
    framer.push(bytes.subarray(0, cut));
    framer.push(bytes.subarray(cut));
    assert.deepEqual(sink.events, MIXED_FRAMES, `cut at ${cut}`);
  }
});

test('framer: a counted frame that counts its own LF, CRLF or NUL loses it; blank lines and a stray LF after a frame are skipped', () => {
  assert.deepEqual(frames('4 abc\n5 abc\r\n4 abc\0\n\n\r\n3 xyz\n'), ['frame:abc', 'frame:abc', 'frame:abc', 'frame:xyz']);
});

test('framer: lines that start with digits but no count (RFC 3339 stamps, long numbers) are LF-framed', () => {
  assert.deepEqual(frames('2026-05-01T19:20:01Z host sshd[1]: x\n1234567890 ten digits\n12abc\n'), [
    'frame:2026-05-01T19:20:01Z host sshd[1]: x',
    'frame:1234567890 ten digits',
    'frame:12abc',
  ]);
});

test('framer: max bytes is inclusive; a longer counted frame is skipped by its count, a longer line up to its LF', () => {
  const ten = '0123456789';
  assert.deepEqual(frames(`10 ${ten}11 ${ten}X10 ${ten}`, 10), [`frame:${ten}`, 'oversized:11:01234567', `frame:${ten}`]);
  assert.deepEqual(frames(`${ten}\r\n${ten}X\nok\n`, 10), [`frame:${ten}`, 'oversized:11:01234567', 'frame:ok']);
  // Split a byte at a time: a line is refused once it is 2 bytes over (1 over could still be a
  // CR); a counted frame's preview holds what came with its count (here nothing).
  assert.deepEqual(frames(`${ten}X\nok\n${ten}XY\n10 ${ten}99 ${'z'.repeat(99)}ok\n`, 10, 'bytes'), [
    'oversized:11:01234567',
    'frame:ok',
    'oversized:-1:01234567',
    `frame:${ten}`,
    'oversized:99:',
    'frame:ok',
  ]);
});

test('framer: at the end of the stream an open line is a frame, a counted frame cut short is truncated', () => {
  assert.deepEqual(frames('a\nlast line', 100, 'whole', true), ['frame:a', 'frame:last line']);
  assert.deepEqual(frames('a\n12', 100, 'whole', true), ['frame:a', 'frame:12']);
  assert.deepEqual(frames('10 abc', 100, 'whole', true), ['truncated:abc']);
});

test('framer: garbage between frames is one frame per line and does not desynchronise what follows', () => {
  const garbage = Buffer.concat([Buffer.from('\x01\x02\xff\xfe junk'), Buffer.from('\n3 abc\n')]);
  assert.deepEqual(frames(garbage), [`frame:${Buffer.from('\x01\x02\xff\xfe junk').toString('utf8')}`, 'frame:abc']);
});

const ctx: RecordContext = { format: 'linux.auth', source: 'syslog/test', mode: 'line', senderAddress: '127.0.0.1', senderPort: 40000 };

function parse(text: string | Buffer, mode: 'line' | 'message' = 'line'): Record<string, unknown> {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  const h = new SyslogHeader();
  if (!parseSyslog(buf, 0, buf.length, h)) return { error: h.error };
  return { ...buildRecord(buf, 0, buf.length, h, { ...ctx, mode }, 1) };
}

const base = { format: 'linux.auth', observedTime: 1, source: 'syslog/test', senderAddress: '127.0.0.1', senderPort: 40000 };
const nil = { timestamp: undefined, hostname: undefined, appName: undefined, procId: undefined, msgId: undefined, structuredData: undefined };

test('parse: RFC 5424 header fields, NILVALUEs, structured data with an escaped bracket, a BOM before MSG', () => {
  assert.deepEqual(parse(M1, 'message'), {
    ...base, ...nil, payload: 'Failed password for root from 203.0.113.9 port 50000 ssh2', rfc: RFC5424, facility: 4, severity: 2,
    timestamp: '2026-05-01T19:20:01Z', hostname: 'web-01', appName: 'sshd', procId: '4242',
  });
  const sd = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Appl\\]ication"][x@1 a="b"] \ufeffAn application event';
  assert.deepEqual(parse(sd, 'message'), {
    ...base, ...nil, payload: 'An application event', rfc: RFC5424, facility: 20, severity: 5, timestamp: '2003-10-11T22:14:15.003Z',
    hostname: 'mymachine.example.com', appName: 'evntslog', msgId: 'ID47', structuredData: '[exampleSDID@32473 iut="3" eventSource="Appl\\]ication"][x@1 a="b"]',
  });
  // In line mode the BOM is taken out, so the line is what the normalizer's linux.auth parser reads.
  assert.equal(parse(sd).payload, sd.replace('\ufeff', ''));
  assert.deepEqual(parse('<14>1 - - - - - -'), { ...base, ...nil, payload: '<14>1 - - - - - -', rfc: RFC5424, facility: 1, severity: 6 });
  assert.deepEqual(parse('<14>1 - - - - - -', 'message'), { ...base, ...nil, payload: '', rfc: RFC5424, facility: 1, severity: 6 });
  // Non-ASCII in structured data: fields are decoded one by one, MSG too.
  assert.equal(parse('<14>1 - h a - - [x@1 k="é"] msg é', 'message').payload, 'msg é');
  assert.equal(parse('<14>1 - h a - - [x@1 k="é"] msg é', 'message').structuredData, '[x@1 k="é"]');
});

test('parse: RFC 3164 with and without PRI, without a host, without a tag', () => {
  assert.deepEqual(parse(M2, 'message'), {
    ...base, ...nil, payload: 'alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls', rfc: RFC3164, facility: 4, severity: 6,
    timestamp: 'May  1 19:20:01', hostname: 'bastion-1', appName: 'sudo', procId: '77',
  });
  assert.deepEqual(parse('May  1 19:20:01 web-01 sshd[4242]: Accepted publickey for bob', 'message'), {
    ...base, ...nil, payload: 'Accepted publickey for bob', rfc: RFC3164, facility: -1, severity: -1, timestamp: 'May  1 19:20:01', hostname: 'web-01', appName: 'sshd', procId: '4242',
  });
  assert.deepEqual(parse('<13>Oct 11 22:14:15 su: BAD SU', 'message'), { ...base, ...nil, payload: 'BAD SU', rfc: RFC3164, facility: 1, severity: 5, timestamp: 'Oct 11 22:14:15', appName: 'su' });
  assert.deepEqual(parse('<13>2026-05-01T19:20:01.5+02:00 host just text', 'message'), {
    ...base, ...nil, payload: 'just text', rfc: RFC3164, facility: 1, severity: 5, timestamp: '2026-05-01T19:20:01.5+02:00', hostname: 'host',
  });
  assert.deepEqual(parse('<13>no timestamp at all', 'message'), { ...base, ...nil, payload: 'no timestamp at all', rfc: RFC3164, facility: 1, severity: 5 });
  assert.equal(parse('<13>Oct 11 22:14:15 host app: x').payload, '<13>Oct 11 22:14:15 host app: x');
});

test('parse: what is not syslog says why', () => {
  assert.deepEqual(parse('hello from a misconfigured forwarder'), { error: 'not a syslog message: no <PRI> and no timestamp' });
  assert.deepEqual(parse('<192>1 - - - - - -'), { error: 'invalid PRI: expected <0..191>' });
  assert.deepEqual(parse('<1a>x'), { error: 'invalid PRI: expected <0..191>' });
  assert.deepEqual(parse('<14>1 2026-05-01T19:20:01Z host app'), { error: 'RFC 5424 header is incomplete: bad or missing APP-NAME' });
  assert.deepEqual(parse('<14>1 - h a -'), { error: 'RFC 5424 header is incomplete: bad or missing PROCID' });
  assert.deepEqual(parse('<14>1 - h a p m [x@1 a="b"'), { error: 'RFC 5424 header is incomplete: bad or missing STRUCTURED-DATA (unterminated)' });
  assert.deepEqual(parse('<14>1 - h a p m x'), { error: 'RFC 5424 header is incomplete: bad or missing STRUCTURED-DATA' });
});
