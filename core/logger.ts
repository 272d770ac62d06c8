import type { LogAttributes, Logger } from './api.js';
import type { Terminal } from './terminal.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Attribute keys whose values are never written, whatever component logs them. */
const SECRET_KEY = /secret|token|password|passwd|authorization|api[-_]?key|credential|cookie|private[-_]?key/i;

/** True for a key that names a secret (`client_secret`, `token`, `Authorization`, ...); its value is never shown. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactAttributes(attributes: LogAttributes): LogAttributes {
  const out: LogAttributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (SECRET_KEY.test(key)) out[key] = '[REDACTED]';
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error)) {
      out[key] = redactAttributes(value as LogAttributes);
    } else out[key] = value;
  }
  return out;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? 'undefined';
}

export interface LogSink {
  writeErr(text: string): void;
}

/**
 * One line per entry, logfmt-style, on stderr: `time level message key=value ...`. Written by
 * hand rather than with a logging library because secrets must be redacted by key pattern
 * anywhere in the attributes, which path-based redaction cannot express.
 */
class LineLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly minimum: number,
    private readonly bindings: LogAttributes,
    private readonly clock: () => Date,
  ) {}

  private write(level: LogLevel, message: string, attributes?: LogAttributes): void {
    if (LEVEL_RANK[level] < this.minimum) return;
    const merged = redactAttributes(attributes ? { ...this.bindings, ...attributes } : this.bindings);
    let line = `${this.clock().toISOString()} ${level.padEnd(5)} ${message}`;
    for (const [key, value] of Object.entries(merged)) line += ` ${key}=${formatValue(value)}`;
    this.sink.writeErr(line + '\n');
  }

  debug(message: string, attributes?: LogAttributes): void { this.write('debug', message, attributes); }
  info(message: string, attributes?: LogAttributes): void { this.write('info', message, attributes); }
  warn(message: string, attributes?: LogAttributes): void { this.write('warn', message, attributes); }
  error(message: string, attributes?: LogAttributes): void { this.write('error', message, attributes); }
  child(bindings: LogAttributes): Logger {
    return new LineLogger(this.sink, this.minimum, { ...this.bindings, ...bindings }, this.clock);
  }
}

export function createLogger(sink: LogSink | Terminal, level: LogLevel, clock: () => Date = () => new Date()): Logger {
  return new LineLogger(sink, LEVEL_RANK[level], {}, clock);
}

/** A logger that drops everything (tests, benchmarks). */
export const nopLogger: Logger = createLogger({ writeErr() {} }, 'silent');
