/**
 * The syslog header of one auth.log / secure line: timestamp, host, program, pid, message.
 *
 * Accepted forms (an optional `<PRI>` first in all of them):
 * - RFC 3164, as rsyslog's traditional format writes it: `Nov 23 19:20:01 host prog[pid]: msg`
 *   (the day space-padded, `Nov  3`; the host may be empty: `Nov  3 10:21:43  sshd[1]: msg`);
 * - an RFC 3339 timestamp in the same layout, rsyslog's high-precision format:
 *   `2026-11-23T19:20:01.123456+00:00 host prog[pid]: msg`;
 * - RFC 5424: `<34>1 2026-11-23T19:20:01.123Z host prog pid msgid [sd] msg`.
 *
 * RFC 3164 has no year and no zone. The zone is taken as UTC (how the hosts authwire reads are
 * expected to log; say so in the docs). The year is inferred from when authwire received the line:
 * the latest year that puts the timestamp no more than one day after the receive time (clock
 * skew between hosts, lines received just after midnight on New Year's Eve still land in the old
 * year, lines from December received in January land in the previous year).
 */
import { MappingError, REASON } from '../mapper.js';

export interface SyslogLine {
  readonly time: number;
  /** The timestamp as the line wrote it. */
  readonly originalTime: string;
  /** The syslog host, undefined when the line has none. */
  readonly host: string | undefined;
  /** The program's base name, lower case, without a `(module)` suffix: `sshd`, `sudo`, `cron`. */
  readonly program: string;
  readonly pid: string | undefined;
  readonly message: string;
}

const MONTHS: Readonly<Record<string, number>> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const DAY_MS = 86_400_000;

const PRI = /^<\d{1,3}>/;
const RFC3164_STAMP = /^([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d) /;
const RFC3339_STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) /;
const RFC5424 = /^1 (\S+) (\S+) (\S+) (\S+) \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?$/s;
/** `host prog[pid]: message` (host may be empty). */
const TAIL = /^(\S*) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/s;
/** A line that starts with `prog[pid]: ` and no timestamp. */
const NO_STAMP = /^[A-Za-z][\w.()/-]*(?:\[\d+\])?: /;

/** Epoch ms of an RFC 3164 timestamp (NaN when the day exists in no recent year); see the module comment for the year. */
export function inferYear(month: number, day: number, h: number, m: number, s: number, observedTime: number): number {
  const latest = observedTime + DAY_MS;
  let year = new Date(observedTime).getUTCFullYear() + 1;
  // Feb 29 only exists in leap years: step back until the date exists and is not in the future.
  for (let tries = 0; tries < 10; tries++, year--) {
    const time = Date.UTC(year, month, day, h, m, s);
    if (new Date(time).getUTCDate() !== day) continue;
    if (time <= latest) return time;
  }
  return Number.NaN;
}

function programName(raw: string): string {
  let name = raw;
  const paren = name.indexOf('(');
  if (paren > 0) name = name.slice(0, paren);
  const slash = name.lastIndexOf('/');
  if (slash >= 0) name = name.slice(slash + 1);
  return name.toLowerCase();
}

/** Splits one line into its header fields; MappingError when it is not a syslog line. */
export function parseSyslogLine(input: string, observedTime: number): SyslogLine {
  let line = input.endsWith('\n') ? input.slice(0, input.endsWith('\r\n') ? -2 : -1) : input;
  if (line.trim() === '') throw new MappingError(REASON.UNRECOGNIZED_LINE, 'empty line');
  if (line.charCodeAt(0) === 60 /* < */) {
    const pri = PRI.exec(line);
    if (pri !== null) line = line.slice(pri[0].length);
  }
  let time: number;
  let originalTime: string;
  let tail: string;
  const c = line.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    if (line.startsWith('1 ')) {
      const m = RFC5424.exec(line);
      if (m === null) throw new MappingError(REASON.UNRECOGNIZED_LINE, 'not a syslog line: RFC 5424 header is incomplete');
      originalTime = m[1]!;
      time = Date.parse(originalTime);
      if (!Number.isFinite(time)) throw new MappingError(REASON.INVALID_TIME, `not an RFC 3339 timestamp: ${JSON.stringify(originalTime.slice(0, 40))}`);
      const host = m[2]!;
      const pid = m[4]!;
      return { time, originalTime, host: host === '-' ? undefined : host, program: programName(m[3]!), pid: pid === '-' ? undefined : pid, message: m[5] ?? '' };
    }
    const m = RFC3339_STAMP.exec(line);
    if (m === null) throw new MappingError(REASON.INVALID_TIME, `not an RFC 3339 timestamp: ${JSON.stringify(line.slice(0, 40))}`);
    originalTime = m[1]!;
    time = Date.parse(originalTime);
    if (!Number.isFinite(time)) throw new MappingError(REASON.INVALID_TIME, `not an RFC 3339 timestamp: ${JSON.stringify(originalTime)}`);
    tail = line.slice(m[0].length);
  } else {
    const m = RFC3164_STAMP.exec(line);
    if (m === null) {
      if (NO_STAMP.test(line)) throw new MappingError(REASON.MISSING_TIME, 'line has no syslog timestamp');
      throw new MappingError(REASON.UNRECOGNIZED_LINE, 'not a syslog line (expected "Mmm dd hh:mm:ss host program[pid]: message" or an RFC 3339 timestamp)');
    }
    originalTime = m[0].slice(0, -1);
    const month = MONTHS[m[1]!];
    const day = Number(m[2]!.trim());
    const h = Number(m[3]);
    const min = Number(m[4]);
    const s = Number(m[5]);
    if (month === undefined || day < 1 || day > 31 || h > 23 || min > 59 || s > 60) {
      throw new MappingError(REASON.INVALID_TIME, `not an RFC 3164 timestamp: ${JSON.stringify(originalTime)}`);
    }
    time = inferYear(month, day, h, min, s, observedTime);
    if (Number.isNaN(time)) throw new MappingError(REASON.INVALID_TIME, `not a date in any recent year: ${JSON.stringify(originalTime)}`);
    tail = line.slice(m[0].length);
  }
  const t = TAIL.exec(tail);
  if (t === null) throw new MappingError(REASON.UNRECOGNIZED_LINE, 'not a syslog line: no "host program[pid]:" after the timestamp');
  const host = t[1]!;
  return { time, originalTime, host: host === '' ? undefined : host, program: programName(t[2]!), pid: t[3], message: t[4]! };
}
