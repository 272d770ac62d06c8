import assert from 'node:assert/strict';
import test from 'node:test';
import { AdminServer } from '../../core/admin.js';
import { newStats } from '../../core/counting.js';

test('admin endpoint: /healthz follows the service state, /metrics returns counters, other methods are refused', async () => {
  let healthy = true;
  const stats = newStats('file/acme', 'exporter', 'acme');
  stats.records = 42;
  const admin = new AdminServer(0, () => [stats], () => healthy);
  const port = await admin.start();
  try {
    const base = `http://127.0.0.1:${port}`;
    let response = await fetch(`${base}/healthz`);
    assert.deepEqual([response.status, await response.json()], [200, { status: 'ok' }]);
    healthy = false;
    response = await fetch(`${base}/healthz`);
    assert.deepEqual([response.status, await response.json()], [503, { status: 'unavailable' }]);
    response = await fetch(`${base}/metrics`);
    assert.deepEqual(await response.json(), { components: [{ id: 'file/acme', kind: 'exporter', tenant: 'acme', records: 42, batches: 0, refused: 0, errors: 0, deadLettered: 0, deadLetterReasons: {} }] });
    response = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(response.status, 405);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await admin.stop();
  }
});
