import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadServerTls, parseEndpoint } from '../../core/listener/endpoint.js';

test('parseEndpoint: host:port, [v6]:port and :port (loopback); anything else names the component', () => {
  assert.deepEqual(parseEndpoint('0.0.0.0:5514', 'syslog/a'), { host: '0.0.0.0', port: 5514 });
  assert.deepEqual(parseEndpoint('[::1]:4318', 'otlp'), { host: '::1', port: 4318 });
  assert.deepEqual(parseEndpoint(':8088', 'splunk_hec'), { host: '127.0.0.1', port: 8088 });
  assert.deepEqual(parseEndpoint('localhost:0', 'http'), { host: 'localhost', port: 0 });
  assert.throws(() => parseEndpoint('5514', 'syslog/a'), { code: 'invalid_endpoint', message: 'syslog/a: endpoint "5514" is not host:port (e.g. 127.0.0.1:5514, [::1]:5514, 0.0.0.0:5514)' });
  assert.throws(() => parseEndpoint('host:70000', 'syslog/a'), { code: 'invalid_endpoint' });
});

test('loadServerTls: missing files and client_auth without a CA are clear errors', async () => {
  await assert.rejects(loadServerTls({ cert_file: '/nonexistent/cert.pem', key_file: '/nonexistent/key.pem' }, 'http/acme'), {
    code: 'tls_file_unreadable',
    message: 'http/acme: tls.cert_file /nonexistent/cert.pem: ENOENT',
  });
  await assert.rejects(loadServerTls({ cert_file: '/etc/hostname', key_file: '/etc/hostname', client_auth: 'require' }, 'http/acme'), {
    code: 'invalid_tls',
    message: 'http/acme: tls.client_auth require needs tls.ca_file',
  });
  const options = await loadServerTls({ cert_file: '/etc/hostname', key_file: '/etc/hostname' }, 'http/acme');
  assert.equal(options.requestCert, false);
  assert.equal(options.rejectUnauthorized, false);
});
