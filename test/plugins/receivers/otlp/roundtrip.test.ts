/**
 * authwire's own otlp exporter → the otlp receiver: OCSF events sent as OTLP log records arrive as
 * raw records whose payload (ocsf_as: body) or attributes (ocsf_as: attributes) carry the event.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { authEvent } from '../../exporters/testrecords.js';
import { RESOURCE, assertBodyMode, exportEvents } from './exporting.js';
import { startReceiver } from './helpers.js';

for (const encoding of ['proto', 'json'] as const) {
  test(`otlp exporter (OTLP/HTTP ${encoding}, ocsf_as: body) → otlp receiver: each event arrives as the payload`, async () => {
    const started = await startReceiver({ format: 'ocsf' }, 'otlp/in');
    try {
      const exporterHost = await exportEvents({ endpoint: started.url, encoding, ocsf_as: 'body' });
      assertBodyMode(started, exporterHost);
    } finally {
      await started.receiver.shutdown();
    }
  });
}

test('otlp exporter (ocsf_as: attributes) → otlp receiver: the message is the payload, the flattened event the attributes', async () => {
  const started = await startReceiver({ format: 'ocsf.message' }, 'otlp/in');
  try {
    await exportEvents({ endpoint: started.url, ocsf_as: 'attributes' }, [authEvent]);
    assert.deepEqual(started.consumer.records.map((r) => [r.format, r.payload, r.source]), [['ocsf.message', 'User login failed', 'otlp/in']]);
    assert.deepEqual(started.consumer.records[0]!.attributes, {
      ...RESOURCE,
      'log.record.uid': 'e1',
      'ocsf.activity_id': 1,
      'ocsf.category_uid': 3,
      'ocsf.class_uid': 3002,
      'ocsf.message': 'User login failed',
      'ocsf.metadata.event_code': 'user.session.start',
      'ocsf.metadata.product.name': 'Okta',
      'ocsf.metadata.product.vendor_name': 'Okta',
      'ocsf.metadata.tenant_uid': 'acme',
      'ocsf.metadata.uid': 'e1',
      'ocsf.metadata.version': '1.8.0',
      'ocsf.severity_id': 1,
      'ocsf.src_endpoint.ip': '203.0.113.7',
      'ocsf.status': 'Failure',
      'ocsf.status_id': 2,
      'ocsf.time': 1714591202000,
      'ocsf.type_uid': 300201,
      'ocsf.user.name': 'alice@example.com',
      'ocsf.user.uid': '00u1',
    });
  } finally {
    await started.receiver.shutdown();
  }
});
