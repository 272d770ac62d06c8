import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { acquireSharedListener, decodeBody, openListenerCount, retryAfterSeconds, sendJson } from '../../core/listener/shared-http.js';
import type { ListenerMember, Route } from '../../core/listener/shared-http.js';
import { RetryableError } from '../../core/errors.js';
import { send } from '../plugins/receivers/http/helpers.js';

/** Answers with the member the token names (or 401), to show routing. */
function echoFront(request: IncomingMessage, response: ServerResponse, route: Route): void {
  const member = route.listener.memberForToken(request.headers.authorization ?? '');
  if (member === undefined || !route.members.includes(member)) sendJson(response, 401, { error: 'unauthorized' });
  else sendJson(response, 200, { member: member.id, tenant: member.tenant, path: route.path });
}

function member(id: string, tenant: string, options: Partial<ListenerMember> = {}): ListenerMember {
  return { id, tenant, family: 'echo', paths: ['/in'], tokens: [{ token: `${id}-token`, tenant }], secrets: [], front: echoFront, ...options };
}

test('members on one endpoint share a server; a token reaches its own member only; the last release closes the server', async () => {
  const [a, b] = await Promise.all([
    acquireSharedListener(member('echo/a', 'acme'), { endpoint: '127.0.0.1:0' }),
    acquireSharedListener(member('echo/b', 'globex', { paths: ['/in', '/other'] }), { endpoint: '127.0.0.1:0' }),
  ]);
  assert.equal(a.listener, b.listener);
  assert.equal(openListenerCount(), 1);
  const port = a.listener.address.port;
  assert.deepEqual((await send(port, '/in', { method: 'GET', headers: { authorization: 'echo/a-token' } })).json, { member: 'echo/a', tenant: 'acme', path: '/in' });
  assert.deepEqual((await send(port, '/other?x=1', { method: 'GET', headers: { authorization: 'echo/b-token' } })).json, { member: 'echo/b', tenant: 'globex', path: '/other' });
  assert.equal((await send(port, '/other', { method: 'GET', headers: { authorization: 'echo/a-token' } })).status, 401);
  const missing = await send(port, '/nowhere', { method: 'GET' });
  assert.deepEqual([missing.status, missing.json], [404, { error: 'not_found', message: 'no receiver serves this path' }]);
  assert.equal(a.listener.counts.not_found, 1);

  await b.release();
  await b.release();
  assert.equal((await send(port, '/other', { method: 'GET', headers: { authorization: 'echo/b-token' } })).status, 404);
  assert.equal((await send(port, '/in', { method: 'GET', headers: { authorization: 'echo/b-token' } })).status, 401);
  assert.equal((await send(port, '/in', { method: 'GET', headers: { authorization: 'echo/a-token' } })).status, 200);
  await a.release();
  assert.equal(openListenerCount(), 0);
  await assert.rejects(send(port, '/in', { method: 'GET' }), { code: 'ECONNREFUSED' });
});

test('claims: another tenant\'s credential, a credential claimed twice, an empty one, a path of another family: errors naming the component only', async () => {
  const first = await acquireSharedListener(member('echo/a', 'acme', { secrets: [{ token: 'hmac-secret-acme', tenant: 'acme' }] }), { endpoint: '127.0.0.1:0' });
  const attempt = (m: ListenerMember): Promise<unknown> => acquireSharedListener(m, { endpoint: '127.0.0.1:0' });
  await assert.rejects(attempt(member('echo/b', 'globex', { tokens: [{ token: 'x', tenant: 'acme' }] })), {
    code: 'tenant_mismatch',
    message: 'echo/b: tokens[0] maps a credential to tenant "acme" but echo/b serves tenant "globex"; a tenant\'s receiver can only claim its own tenant\'s credentials',
  });
  await assert.rejects(attempt(member('echo/b', 'globex', { tokens: [{ token: 'echo/a-token', tenant: 'globex' }] })), {
    code: 'duplicate_credential',
    message: 'echo/b: tokens[0] is already claimed by echo/a on 127.0.0.1:0; each credential must identify exactly one receiver',
  });
  await assert.rejects(attempt(member('echo/b', 'globex', { secrets: [{ token: 'hmac-secret-acme', tenant: 'globex' }], claimNames: { tokens: 'tokens', secrets: 'hmac' } })), {
    code: 'duplicate_credential',
    message: 'echo/b: hmac[0] is already claimed by echo/a on 127.0.0.1:0; each credential must identify exactly one receiver',
  });
  await assert.rejects(attempt(member('echo/b', 'globex', { tokens: [{ token: 'same', tenant: 'globex' }, { token: 'same', tenant: 'globex' }] })), { message: 'echo/b: tokens[1] repeats an earlier entry' });
  await assert.rejects(attempt(member('echo/b', 'globex', { tokens: [{ token: '', tenant: 'globex' }] })), { message: 'echo/b: tokens[0] is empty' });
  await assert.rejects(attempt(member('other/b', 'globex', { family: 'other' })), { code: 'path_conflict', message: 'other/b: path /in on 127.0.0.1:0 is already served by echo/a (a echo receiver)' });
  // None of the refused members left anything behind: their tokens are free, the server still has one member.
  assert.equal(first.listener.leases, 1);
  assert.equal(first.listener.memberForToken('echo/b-token'), undefined);
  const later = await attempt(member('echo/b', 'globex'));
  assert.equal((later as { listener: unknown }).listener, first.listener);
  await (later as { release(): Promise<void> }).release();
  await first.release();
  assert.equal(openListenerCount(), 0);
});

test('a port in use is a PermanentError naming the component; the failed listener is forgotten', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  await assert.rejects(acquireSharedListener(member('echo/a', 'acme'), { endpoint: `127.0.0.1:${port}` }), {
    code: 'listen_failed',
    message: `echo/a: cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
  });
  assert.equal(openListenerCount(), 0);
  await new Promise<void>((resolve) => blocker.close(() => resolve()));
  const lease = await acquireSharedListener(member('echo/a', 'acme'), { endpoint: `127.0.0.1:${port}` });
  assert.equal(lease.listener.address.port, port);
  await lease.release();
});

test('endpoint and tls: a bad endpoint and unreadable tls files are errors naming the component', async () => {
  await assert.rejects(acquireSharedListener(member('echo/a', 'acme'), { endpoint: 'nope' }), { code: 'invalid_endpoint' });
  await assert.rejects(acquireSharedListener(member('echo/a', 'acme'), { endpoint: '127.0.0.1:0', tls: { cert_file: '/nonexistent/c.pem', key_file: '/nonexistent/k.pem' } }), {
    code: 'tls_file_unreadable',
    message: 'echo/a: tls.cert_file /nonexistent/c.pem: ENOENT',
  });
  assert.equal(openListenerCount(), 0);
});

test('decodeBody: identity, gzip, a bomb stopped at the limit, broken gzip, unknown encodings', async () => {
  const text = Buffer.from('{"a":1}\n'.repeat(10));
  assert.deepEqual(await decodeBody(text, undefined, 100), { ok: true, body: text });
  assert.deepEqual(await decodeBody(gzipSync(text), 'gzip', 100), { ok: true, body: text });
  assert.deepEqual(await decodeBody(gzipSync(Buffer.alloc(10_000_000)), 'GZIP', 1000), { ok: false, reason: 'too_large', detail: 'decompressed body is larger than 1000 bytes' });
  const broken = await decodeBody(Buffer.from('nope'), 'gzip', 100);
  assert.equal(broken.ok, false);
  assert.equal((broken as { reason: string }).reason, 'bad_encoding');
  assert.deepEqual(await decodeBody(text, 'deflate', 100), { ok: false, reason: 'unsupported_encoding', detail: 'Content-Encoding "deflate" is not supported (use gzip or none)' });
});

test('retryAfterSeconds: the error\'s hint rounded up, else the default', () => {
  assert.equal(retryAfterSeconds(new RetryableError('busy', 'busy', { retryAfterMs: 1200 }), 5000), '2');
  assert.equal(retryAfterSeconds(new RetryableError('busy', 'busy'), 5000), '5');
  assert.equal(retryAfterSeconds(undefined, 10), '1');
});
