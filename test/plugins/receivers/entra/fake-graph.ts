/**
 * A fake Microsoft identity platform token endpoint and Microsoft Graph audit logs on 127.0.0.1:0,
 * behaving as Graph documents: newest first, `$filter` on createdDateTime (signIns) or
 * activityDateTime (directoryAudits) with ge/le, `$top`, `@odata.nextLink` carrying a
 * `$skiptoken`. Faults are queued per Graph request and applied before the normal answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, createBufferingServer, listenOnLoopback } from '../fake-api.js';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = '0b9a0a3f-1b2c-4d5e-8f90-123456789abc';
export const CLIENT_SECRET = 'Xy7~entra-client-s3cret';

export type Fault = '429' | '500' | 'malformed' | 'slow' | 'expire_token' | 'foreign_next';

export function guid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export function signIn(n: number, createdDateTime: string): Record<string, unknown> {
  return { id: guid(n), createdDateTime, userPrincipalName: `user${n % 5}@acme.example`, appDisplayName: 'Azure Portal', ipAddress: '198.51.100.7', status: { errorCode: n % 3 === 0 ? 50126 : 0 } };
}

export function audit(n: number, activityDateTime: string): Record<string, unknown> {
  return { id: `Directory_${guid(n)}`, activityDateTime, activityDisplayName: 'Add member to group', category: 'GroupManagement', result: 'success', initiatedBy: { user: { userPrincipalName: 'admin@acme.example' } } };
}

export class FakeGraph {
  base = '';
  readonly signIns: Record<string, unknown>[] = [];
  readonly audits: Record<string, unknown>[] = [];
  readonly faults: Fault[] = [];
  /** Every Graph request: path and decoded query. */
  readonly requests: string[] = [];
  readonly tokenForms: URLSearchParams[] = [];
  tokensIssued = 0;
  private readonly validTokens = new Set<string>();
  private readonly server = createBufferingServer((request, response, body) => this.handle(request, response, body));

  async listen(): Promise<this> {
    this.base = await listenOnLoopback(this.server);
    return this;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    const url = new URL(request.url ?? '/', this.base);
    if (request.method === 'POST' && url.pathname === `/${TENANT}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(body);
      this.tokenForms.push(form);
      if (form.get('client_secret') !== CLIENT_SECRET || form.get('client_id') !== CLIENT_ID || form.get('grant_type') !== 'client_credentials') {
        response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${form.get('client_secret')}` }));
        return;
      }
      const token = `eyJ0eXAi.access-${++this.tokensIssued}`;
      this.validTokens.add(token);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token }));
      return;
    }
    this.requests.push(decodeURIComponent(url.pathname + url.search));
    const fault = this.faults.shift();
    if (fault === '429') {
      response.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"error":{"code":"TooManyRequests","message":"Please retry again later."}}');
      return;
    }
    if (fault === '500') {
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"UnknownError"}}');
      return;
    }
    if (fault === 'slow') {
      const timer = setTimeout(() => response.writeHead(200).end('{"value":[]}'), 5000);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    if (fault === 'expire_token') this.validTokens.clear();
    const auth = request.headers.authorization;
    if (auth === undefined || !this.validTokens.has(auth.replace(/^Bearer /, ''))) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}');
      return;
    }
    if (fault === 'malformed') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"@odata.context":"x","value":[{"id":');
      return;
    }
    if (url.pathname === '/v1.0/auditLogs/signIns') return this.list(url, response, this.signIns, 'createdDateTime', fault === 'foreign_next');
    if (url.pathname === '/v1.0/auditLogs/directoryAudits') return this.list(url, response, this.audits, 'activityDateTime', fault === 'foreign_next');
    response.writeHead(404).end();
  }

  private list(url: URL, response: ServerResponse, records: Record<string, unknown>[], field: string, foreign: boolean): void {
    const filter = url.searchParams.get('$filter') ?? '';
    const ge = new RegExp(`${field} ge (\\S+)`).exec(filter)?.[1];
    const le = new RegExp(`${field} le (\\S+)`).exec(filter)?.[1];
    const top = Number(url.searchParams.get('$top') ?? '1000');
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
    const time = (r: Record<string, unknown>): number => Date.parse(String(r[field]));
    const matching = records
      .filter((r) => (ge === undefined || time(r) >= Date.parse(ge)) && (le === undefined || time(r) <= Date.parse(le)))
      // Newest first, as Graph lists them; among equal times, by id descending (any fixed order would do).
      .sort((a, b) => time(b) - time(a) || (String(b['id']) < String(a['id']) ? -1 : 1));
    const value = matching.slice(skip, skip + top);
    const page: Record<string, unknown> = { '@odata.context': `${this.base}/v1.0/$metadata#auditLogs/x`, value };
    if (skip + top < matching.length) {
      const next = new URL(url.pathname, foreign ? 'http://evil.example' : this.base);
      next.searchParams.set('$filter', filter);
      next.searchParams.set('$top', String(top));
      next.searchParams.set('$skiptoken', String(skip + top));
      page['@odata.nextLink'] = next.toString();
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  }
}
