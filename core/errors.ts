/**
 * Errors carry a stable `code` and say whether a retry can help (`retryable`). The host and the
 * exporter helper read these two properties by duck typing, so a plugin that does not import
 * these classes can still signal them: any Error with `retryable: true` is retried.
 */
export class AuthwireError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }
}

/** Sending the same data again may succeed (a timeout, a 503, a full queue). */
export class RetryableError extends AuthwireError {
  /** The peer's hint (Retry-After) in milliseconds, when it gave one. */
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, true, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Sending the same data again cannot succeed (bad data, a 400, a refused credential). */
export class PermanentError extends AuthwireError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, false, options);
  }
}

export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return 'unknown';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
