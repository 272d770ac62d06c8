/** authwire's otlp exporter as the sending side of the receiver tests. */
import assert from 'node:assert/strict';
import type { OcsfEvent } from '../../../../core/api.js';
import type { QueuedExporter } from '../../../../core/exporter/queued-exporter.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import type { OtlpExporterConfig } from '../../../../plugins/exporters/otlp/config.js';
import { otlpExporterFactory } from '../../../../plugins/exporters/otlp/index.js';
import type { OtlpItem } from '../../../../plugins/exporters/otlp/sender.js';
import { authEvent, detectionEvent } from '../../exporters/testrecords.js';
import type { Started } from './helpers.js';

export const EVENTS: OcsfEvent[] = [
  { ...authEvent, auth_factors: [{ factor_type: 'Push Notification', factor_type_id: 5, provider: 'Okta Verify' }], count: 1.5 },
  detectionEvent,
];

/** Sends the events through a started exporter, waits until they are delivered (retries included), and shuts it down. */
export async function exportEvents(overrides: Partial<OtlpExporterConfig>, events: OcsfEvent[] = EVENTS): Promise<RecordingHost> {
  const defaults = otlpExporterFactory.createDefaultConfig();
  const config: OtlpExporterConfig = { ...defaults, batch: { ...defaults.batch, timeout: '1ms' }, ...overrides };
  const exporter = (await otlpExporterFactory.create(testSettings('exporter', 'otlp/out', { tenant: 'acme' }), config)) as QueuedExporter<OtlpItem>;
  const host = new RecordingHost();
  await exporter.start(host);
  await exporter.consume({ tenant: 'acme', records: events });
  await exporter.flush();
  await exporter.shutdown();
  return host;
}

export const RESOURCE = { 'service.name': 'authwire', 'authwire.tenant': 'acme', 'otel.scope.name': 'authwire' };

export function assertBodyMode(started: Started, exporterHost: RecordingHost): void {
  assert.deepEqual(exporterHost.deadLetters, []);
  assert.deepEqual(started.host.deadLetters, []);
  assert.deepEqual(started.consumer.records.map((r) => [r.format, r.payload]), EVENTS.map((event) => ['ocsf', event]));
  assert.deepEqual(started.consumer.records.map((r) => r.attributes), [
    { ...RESOURCE, 'log.record.uid': 'e1', 'ocsf.class_uid': 3002, 'ocsf.type_uid': 300201 },
    { ...RESOURCE, 'log.record.uid': 'd1', 'ocsf.class_uid': 2004, 'ocsf.type_uid': 200401 },
  ]);
}
