/**
 * Time parsing for declarative mappings: iso8601, epoch_ms, epoch_s, and `strftime` patterns
 * compiled once into a regex (no per-record pattern parsing).
 *
 * Supported directives: %Y (4-digit year), %m (month 01-12), %d (day 01-31), %e (day, space
 * padded), %H (hour 00-23), %M (minute), %S (second), %f (fraction, 1-9 digits), %z (`Z`,
 * `+hh:mm` or `+hhmm`), %b (English month abbreviation, Jan-Dec), %% (a percent sign). Anything
 * else is literal. A time without %z is UTC.
 */
import { MappingError, REASON, isoTime } from '../mapper.js';

export type TimeFormat = 'iso8601' | 'epoch_ms' | 'epoch_s' | 'strftime';
export const TIME_FORMATS: readonly TimeFormat[] = ['iso8601', 'epoch_ms', 'epoch_s', 'strftime'];
/** The strftime pattern when a definition gives none: the common "2026-01-01 12:00:00". */
export const DEFAULT_PATTERN = '%Y-%m-%d %H:%M:%S';
/** The pattern a strftime `pattern` must match (checked by the config schema). */
export const STRFTIME_PATTERN = '^(?:[^%]|%[YmdeHMSfzb%])*%Y(?:[^%]|%[YmdeHMSfzb%])*$';

const MONTHS: Readonly<Record<string, number>> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

const enum Part { Year, Month, Day, Hour, Minute, Second, Fraction, Zone, MonthName }

export interface CompiledPattern {
  readonly re: RegExp;
  readonly parts: readonly Part[];
}

const DIRECTIVES: Readonly<Record<string, readonly [string, Part | undefined]>> = {
  Y: ['(\\d{4})', Part.Year],
  m: ['(\\d{1,2})', Part.Month],
  d: ['(\\d{1,2})', Part.Day],
  e: [' ?(\\d{1,2})', Part.Day],
  H: ['(\\d{1,2})', Part.Hour],
  M: ['(\\d{2})', Part.Minute],
  S: ['(\\d{2})', Part.Second],
  f: ['(\\d{1,9})', Part.Fraction],
  z: ['(Z|[+-]\\d{2}:?\\d{2})', Part.Zone],
  b: ['([A-Za-z]{3})', Part.MonthName],
  '%': ['%', undefined],
};

export function compilePattern(pattern: string): CompiledPattern {
  let source = '^';
  const parts: Part[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '%' && i + 1 < pattern.length) {
      const directive = DIRECTIVES[pattern[++i]!];
      if (directive === undefined) throw new Error(`unsupported directive %${pattern[i]}`);
      source += directive[0];
      if (directive[1] !== undefined) parts.push(directive[1]);
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return { re: new RegExp(source + '$'), parts };
}

function parsePattern(text: string, compiled: CompiledPattern, field: string, pattern: string): number {
  const m = compiled.re.exec(text);
  if (m === null) throw new MappingError(REASON.INVALID_TIME, `${field} does not match ${JSON.stringify(pattern)}: ${JSON.stringify(text.slice(0, 64))}`);
  let year = 1970, month = 0, day = 1, hour = 0, minute = 0, second = 0, ms = 0, offset = 0;
  for (let i = 0; i < compiled.parts.length; i++) {
    const v = m[i + 1]!;
    switch (compiled.parts[i]) {
      case Part.Year: year = Number(v); break;
      case Part.Month: month = Number(v) - 1; break;
      case Part.MonthName: {
        const n = MONTHS[v.toLowerCase()];
        if (n === undefined) throw new MappingError(REASON.INVALID_TIME, `${field} has an unknown month: ${JSON.stringify(v)}`);
        month = n;
        break;
      }
      case Part.Day: day = Number(v); break;
      case Part.Hour: hour = Number(v); break;
      case Part.Minute: minute = Number(v); break;
      case Part.Second: second = Number(v); break;
      case Part.Fraction: ms = Math.floor(Number(v.length >= 3 ? v.slice(0, 3) : v.padEnd(3, '0'))); break;
      case Part.Zone:
        if (v !== 'Z') {
          const sign = v.charCodeAt(0) === 45 ? -1 : 1;
          const digits = v.length === 6 ? v.slice(1, 3) + v.slice(4) : v.slice(1);
          offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
        }
        break;
    }
  }
  if (month < 0 || month > 11 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw new MappingError(REASON.INVALID_TIME, `${field} is not a valid date: ${JSON.stringify(text.slice(0, 64))}`);
  }
  const time = Date.UTC(year, month, day, hour, minute, second, ms);
  if (new Date(time).getUTCDate() !== day) throw new MappingError(REASON.INVALID_TIME, `${field} is not a valid date: ${JSON.stringify(text.slice(0, 64))}`);
  return time - offset;
}

/** Epoch ms of `value` read from `field` in `format`; MappingError `invalid_time` when it cannot be. */
export function parseTime(value: unknown, format: TimeFormat, field: string, compiled: CompiledPattern | undefined, pattern: string | undefined): number {
  switch (format) {
    case 'iso8601':
      if (typeof value !== 'string') throw new MappingError(REASON.INVALID_TIME, `${field} is ${typeof value}, not an ISO 8601 string`);
      return isoTime(value, field);
    case 'epoch_ms':
    case 'epoch_s': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isFinite(n) || n < 0) throw new MappingError(REASON.INVALID_TIME, `${field} is not ${format === 'epoch_ms' ? 'epoch milliseconds' : 'epoch seconds'}: ${JSON.stringify(value)}`);
      return format === 'epoch_ms' ? Math.floor(n) : Math.round(n * 1000);
    }
    case 'strftime':
      if (typeof value !== 'string') throw new MappingError(REASON.INVALID_TIME, `${field} is ${typeof value}, not a string`);
      return parsePattern(value, compiled!, field, pattern!);
  }
}
