/**
 * Exporter encoders on a 1000-record batch (half raw Okta JSON text, half OCSF Authentication
 * events): NDJSON (file and stdout) and pretty (stdout). The harness owns the Bench; this file
 * only adds tasks.
 */
import type { Bench } from 'tinybench';
import type { Batch, OcsfEvent, RawRecord } from '../core/api.js';
import { encodeNdjson, encodePretty } from '../plugins/exporters/stdout/encoder.js';

function exporterBatch(size: number): Batch {
  const records: (RawRecord | OcsfEvent)[] = [];
  const t0 = 1714591201123;
  for (let i = 0; i < size; i++) {
    const user = `user${i % 97}@example.com`;
    const ip = `203.0.113.${i % 250}`;
    if (i % 2 === 0) {
      records.push({
        format: 'okta',
        payload: `{"actor":{"alternateId":"${user}","type":"User"},"client":{"ipAddress":"${ip}"},"eventType":"user.session.start","outcome":{"result":"${i % 5 === 0 ? 'FAILURE' : 'SUCCESS'}"},"uuid":"u${i}"}`,
        observedTime: t0 + i,
        source: 'okta/bench',
      });
    } else {
      records.push({
        class_uid: 3002,
        activity_id: 1,
        type_uid: 300201,
        category_uid: 3,
        severity_id: 1,
        time: t0 + i,
        status: i % 5 === 1 ? 'Failure' : 'Success',
        status_id: i % 5 === 1 ? 2 : 1,
        metadata: { product: { name: 'Okta' }, version: '1.8.0', uid: `u${i}`, event_code: 'user.session.start', tenant_uid: 'bench' },
        user: { name: user },
        src_endpoint: { ip },
      });
    }
  }
  return { tenant: 'bench', records };
}

export function register(bench: Bench): void {
  const batch = exporterBatch(1000);
  bench.add('exporters: ndjson encode 1000 records', () => {
    encodeNdjson(batch);
  });
  bench.add('exporters: pretty encode 1000 records', () => {
    encodePretty(batch, { color: false });
  });
}

export const eventsPerTask: Record<string, number> = {
  'exporters: ndjson encode 1000 records': 1000,
  'exporters: pretty encode 1000 records': 1000,
};
