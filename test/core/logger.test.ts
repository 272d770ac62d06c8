import assert from 'node:assert/strict';
import test from 'node:test';
import { createLogger } from '../../core/logger.js';

test('logger: one logfmt line per entry, level filtered, secrets redacted by key at any depth', () => {
  const lines: string[] = [];
  const logger = createLogger({ writeErr: (text) => lines.push(text) }, 'info', () => new Date(Date.UTC(2026, 10, 23, 10, 0, 0)));
  const child = logger.child({ id: 'splunk_hec/acme' });
  child.debug('not shown');
  child.info('sending', { endpoint: 'https://splunk.acme.example:8088', token: 'abc123', headers: { Authorization: 'Splunk abc123', accept: 'json' } });
  child.error('failed', { client_secret: 's', attempt: 2, reason: 'HTTP 503 from peer' });
  assert.deepEqual(lines, [
    '2026-11-23T10:00:00.000Z info  sending id=splunk_hec/acme endpoint=https://splunk.acme.example:8088 token="[REDACTED]" headers={"Authorization":"[REDACTED]","accept":"json"}\n',
    '2026-11-23T10:00:00.000Z error failed id=splunk_hec/acme client_secret="[REDACTED]" attempt=2 reason="HTTP 503 from peer"\n',
  ]);
});
