/**
 * OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), cached and refreshed before they expire.
 *
 * Keycloak, Entra ID, Auth0 and Okta (OAuth for Okta) all issue them the same way: a form POST
 * with grant_type=client_credentials to a token endpoint. The token is refreshed `refreshBeforeMs`
 * before `expires_in` runs out, and at once after `invalidate()` (the poller calls it on a 401).
 * Concurrent callers share one request. The client secret and the tokens never appear in errors.
 */
import { PermanentError, RetryableError } from '../errors.js';
import { readBoundedText, retryAfterMs } from './http.js';

export interface ClientCredentialsOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes (Entra: `https://graph.microsoft.com/.default`). */
  readonly scope?: string;
  /** Auth0's Management API wants `audience`; other extra form fields go here too. */
  readonly extraParams?: Readonly<Record<string, string>>;
  /**
   * `body` sends client_id/client_secret as form fields; `basic` as HTTP Basic auth;
   * `private_key_jwt` sends no secret but `clientAssertion()` (RFC 7523; OAuth for Okta service apps).
   */
  readonly clientAuth?: 'body' | 'basic' | 'private_key_jwt';
  /** For `private_key_jwt`: a freshly signed client assertion JWT for `tokenUrl`, called once per token request. */
  readonly clientAssertion?: (tokenUrl: string) => string;
  /** Refresh this long before expiry (default 60 s, at most half the token's lifetime). */
  readonly refreshBeforeMs?: number;
  readonly timeoutMs?: number;
  /** Used in error messages. */
  readonly name: string;
  /** For tests. */
  readonly now?: () => number;
}

const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;

export class ClientCredentialsToken {
  private token: string | undefined;
  private refreshAt = 0;
  private pending: Promise<string> | undefined;
  /** Tokens fetched so far (for tests and metrics). */
  fetched = 0;

  constructor(private readonly options: ClientCredentialsOptions) {}

  /** A valid access token, from the cache when it is not due for refresh. */
  get(signal?: AbortSignal): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.token !== undefined && now < this.refreshAt) return Promise.resolve(this.token);
    this.pending ??= this.fetch(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget the cached token (the server said 401); the next get() fetches a new one. */
  invalidate(): void {
    this.token = undefined;
    this.refreshAt = 0;
  }

  private async fetch(signal?: AbortSignal): Promise<string> {
    const { options } = this;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (options.clientAuth === 'private_key_jwt') {
      if (options.clientAssertion === undefined) throw new PermanentError('token_config', `${options.name}: private_key_jwt client authentication needs a clientAssertion`);
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', options.clientAssertion(options.tokenUrl));
    } else if (options.clientAuth === 'basic') {
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    }
    if (options.scope !== undefined) form.set('scope', options.scope);
    for (const [key, value] of Object.entries(options.extraParams ?? {})) form.set(key, value);
    const where = safeUrl(options.tokenUrl);
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    let response: Response;
    try {
      response = await fetch(options.tokenUrl, { method: 'POST', headers, body: form.toString(), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      throw new RetryableError('token_unreachable', `${options.name}: token endpoint ${where} unreachable: ${(error as Error).name === 'TimeoutError' ? 'timed out' : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message)}`);
    }
    const text = await readBoundedText(response, MAX_TOKEN_RESPONSE_BYTES, options.name);
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableError('token_unavailable', `${options.name}: token endpoint ${where} answered ${response.status}`, { retryAfterMs: retryAfterMs(response.headers) });
    }
    if (response.status !== 200) {
      // 400/401 with invalid_client: the credentials are wrong. The OAuth error code is safe to show; the body may echo what we sent, so only that.
      throw new PermanentError('token_refused', `${options.name}: token endpoint ${where} refused the client credentials (${response.status}${oauthError(text)})`);
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RetryableError('token_malformed', `${options.name}: token endpoint ${where} answered 200 with a body that is not JSON`);
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') throw new RetryableError('token_malformed', `${options.name}: token endpoint ${where} answered without an access_token`);
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 300)) * 1000;
    const lifetime = Number.isFinite(lifetimeMs) && lifetimeMs > 0 ? lifetimeMs : 300_000;
    const before = Math.min(options.refreshBeforeMs ?? 60_000, lifetime / 2);
    this.token = body.access_token;
    this.refreshAt = (options.now ?? Date.now)() + lifetime - before;
    this.fetched++;
    return body.access_token;
  }
}

function oauthError(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: unknown }).error;
    return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? `: ${code}` : '';
  } catch {
    return '';
  }
}

/** A URL for messages: scheme, host and path, never the query (which may carry credentials) nor userinfo. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
