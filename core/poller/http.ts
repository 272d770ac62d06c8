/**
 * HTTP for pull receivers: one GET of a vendor API page, with what every vendor needs around it.
 *
 * - Rate limits: a 429 waits for `Retry-After` (seconds or an HTTP date) or, failing that,
 *   `X-Rate-Limit-Reset` (Okta, Auth0: epoch seconds); a success with `X-Rate-Limit-Remaining: 0`
 *   makes the next request wait for the reset instead of earning a 429.
 * - 5xx, network errors, timeouts and malformed JSON are retried with exponential backoff and
 *   jitter, up to `maxAttempts`; then a RetryableError goes to the poll loop, which tries again
 *   next interval without moving the checkpoint.
 * - A 401 with a token provider invalidates the token and retries once with a new one.
 * - Bodies are read up to `maxBodyBytes`; a larger one is refused rather than buffered.
 * - Errors name the URL without its query string and never carry tokens or secrets.
 */
import { PermanentError, RetryableError } from '../errors.js';
import { backoffDelay } from '../exporter/backoff.js';
import { safeUrl } from './oauth.js';

export interface TokenProvider {
  get(signal?: AbortSignal): Promise<string>;
  invalidate(): void;
}

export interface PollHttpOptions {
  /** The receiver id, for messages. */
  readonly name: string;
  /** Per request. */
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  /** Attempts per page before giving up until the next poll (429 waits do not count). */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Static headers (an SSWS API token, say). Values are never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Bearer tokens (OAuth); `Authorization: Bearer <token>` is added. */
  readonly token?: TokenProvider;
  /** Longest single wait for a rate limit reset; a longer one is cut to this and retried. */
  readonly maxRateLimitWaitMs?: number;
  /** For tests: jitter in [0, 1). */
  readonly random?: () => number;
  /** For tests: wall clock (rate-limit resets are wall-clock times). */
  readonly now?: () => number;
  /** Observes each wait (tests, logs). */
  readonly onWait?: (reason: 'rate_limit' | 'backoff', ms: number) => void;
}

export interface JsonPage {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 5 * 60_000;

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const trimmed = value.trim();
  // Delta-seconds; Graph sends fractions (`2.128`), which are honoured rather than ignored.
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Milliseconds until `X-Rate-Limit-Reset` (epoch seconds), or undefined. */
export function rateLimitResetMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('x-rate-limit-reset') ?? headers.get('x-ratelimit-reset');
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Math.max(0, Number(value.trim()) * 1000 - now);
}

/**
 * The target of the `Link` header entry with relation `rel` (RFC 8288), e.g. Okta's and Auth0's
 * `<https://...>; rel="next"`; undefined when there is none. Several Link headers arrive joined by
 * ", " (fetch), so entries are split on the angle brackets, not on commas.
 */
export function linkTarget(headers: Headers, rel: string): string | undefined {
  const value = headers.get('link');
  if (value === null) return undefined;
  for (const match of value.matchAll(/<([^>]*)>([^<]*)/g)) {
    const params = match[2] ?? '';
    const relation = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const names = (relation?.[1] ?? relation?.[2] ?? '').toLowerCase().split(/\s+/);
    if (names.includes(rel.toLowerCase())) return match[1];
  }
  return undefined;
}

/** The body as text, refusing (and cancelling) one larger than `maxBytes`. */
export async function readBoundedText(response: Response, maxBytes: number, name: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new PermanentError('response_too_large', `${name}: response of ${declared} bytes exceeds the limit of ${maxBytes}`);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PermanentError('response_too_large', `${name}: response exceeds the limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Exponential backoff (doubling) with ± 50 % jitter: the exporter helper's policy shape, for page requests. */
function backoff(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  return backoffDelay(attempt - 1, { initialIntervalMs: initialMs, multiplier: 2, randomizationFactor: 0.5, maxIntervalMs: maxMs }, random);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class PollHttpClient {
  /** Wall-clock time before which no request is sent (an exhausted rate-limit budget). */
  private notBefore = 0;
  /** Requests sent, for tests and metrics. */
  requests = 0;

  constructor(private readonly options: PollHttpOptions) {}

  /** GET `url` and parse JSON. `signal` aborts waits and the request (shutdown). */
  async getJson(url: string, signal?: AbortSignal, extraHeaders?: Readonly<Record<string, string>>): Promise<JsonPage> {
    const { options } = this;
    const random = options.random ?? Math.random;
    const now = options.now ?? Date.now;
    const where = safeUrl(url);
    let attempt = 0;
    let refreshedToken = false;
    let lastError: Error | undefined;
    for (;;) {
      const hold = this.notBefore - now();
      if (hold > 0) await this.wait('rate_limit', Math.min(hold, options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS), signal);
      if (attempt >= options.maxAttempts) {
        throw new RetryableError(lastError instanceof RetryableError ? lastError.code : 'poll_failed', `${options.name}: GET ${where} failed ${attempt} times; last: ${lastError?.message ?? 'unknown'}`, { cause: lastError });
      }
      attempt++;
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...extraHeaders };
      if (options.token !== undefined) headers['authorization'] = `Bearer ${await options.token.get(signal)}`;
      const timeout = AbortSignal.timeout(options.timeoutMs);
      let response: Response;
      try {
        this.requests++;
        response = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${options.timeoutMs} ms` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
        lastError = new RetryableError(timeout.aborted ? 'timeout' : 'unreachable', `GET ${where}: ${reason}`);
        await this.wait('backoff', backoff(attempt, options.initialBackoffMs, options.maxBackoffMs, random), signal);
        continue;
      }
      this.noteRateLimit(response.headers, now());
      if (response.status === 429) {
        await response.body?.cancel().catch(() => undefined);
        const ms = retryAfterMs(response.headers, now()) ?? rateLimitResetMs(response.headers, now()) ?? backoff(attempt, options.initialBackoffMs, options.maxBackoffMs, random);
        attempt--; // a rate limit is the server pacing us, not a failure
        await this.wait('rate_limit', Math.min(ms, options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS), signal);
        continue;
      }
      if (response.status === 401 && options.token !== undefined && !refreshedToken) {
        await response.body?.cancel().catch(() => undefined);
        refreshedToken = true;
        attempt--;
        options.token.invalidate();
        continue;
      }
      if (response.status >= 500) {
        await response.body?.cancel().catch(() => undefined);
        lastError = new RetryableError(`http_${response.status}`, `GET ${where} answered ${response.status}`);
        const hinted = retryAfterMs(response.headers, now());
        await this.wait('backoff', Math.max(hinted ?? 0, backoff(attempt, options.initialBackoffMs, options.maxBackoffMs, random)), signal);
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel().catch(() => undefined);
        throw new PermanentError('unauthorized', `${options.name}: GET ${where} answered ${response.status}: the credentials are refused or lack the needed permission`);
      }
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel().catch(() => undefined);
        throw new PermanentError(`http_${response.status}`, `${options.name}: GET ${where} answered ${response.status}`);
      }
      const text = await readBoundedText(response, options.maxBodyBytes, options.name);
      try {
        return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
      } catch {
        lastError = new RetryableError('malformed_response', `GET ${where} answered ${response.status} with a body that is not JSON`);
        await this.wait('backoff', backoff(attempt, options.initialBackoffMs, options.maxBackoffMs, random), signal);
      }
    }
  }

  private noteRateLimit(headers: Headers, now: number): void {
    const remaining = headers.get('x-rate-limit-remaining') ?? headers.get('x-ratelimit-remaining');
    if (remaining === null || remaining.trim() !== '0') return;
    const reset = rateLimitResetMs(headers, now);
    if (reset !== undefined) this.notBefore = now + reset;
  }

  private async wait(reason: 'rate_limit' | 'backoff', ms: number, signal: AbortSignal | undefined): Promise<void> {
    this.options.onWait?.(reason, ms);
    if (ms > 0) await sleep(ms, signal);
  }
}
