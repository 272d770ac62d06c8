/**
 * Acceptance: the real OpenTelemetry JS SDK (@opentelemetry/sdk-logs with its OTLP/HTTP
 * exporters, protobuf and JSON) sends log records to the receiver, and every record arrives with
 * its body as the payload and its attributes (and its resource's and scope's) intact.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { LogRecord } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { RawRecord } from '../../../../core/api.js';
import { startReceiver } from './helpers.js';

const OKTA = '{"uuid":"a1","eventType":"user.session.start","outcome":{"result":"FAILURE","reason":"INVALID_CREDENTIALS"},"actor":{"alternateId":"alice@example.com"},"client":{"ipAddress":"203.0.113.7"},"published":"2024-05-01T19:20:00.000Z"}';
const KEYCLOAK = '{"time":1714591200000,"type":"LOGIN_ERROR","realmId":"acme","userId":"0f1e","ipAddress":"192.0.2.10","error":"invalid_user_credentials"}';
const WINDOWS = { EventID: 4625, TargetUserName: 'lrodriguez', IpAddress: '198.51.100.23', Status: '0xc000006d', Keywords: ['Audit Failure'] };

const RESOURCE = { 'service.name': 'sso-forwarder', 'host.name': 'sso-1', 'deployment.environment.name': 'prod' };
const SCOPE = { 'otel.scope.name': 'idp-forwarder', 'otel.scope.version': '1.2.3' };

/** What the application logs: body and attributes of every type the SDK's transformer encodes. */
const EMITTED: LogRecord[] = [
  {
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: OKTA,
    attributes: { seq: 1, 'authwire.format': 'okta', 'event.domain': 'okta', 'sample.rate': 0.25, 'is.replay': false, tags: ['stuffing', 'edge'], origin: { region: 'eu-west-1', shard: 7 } },
  },
  { body: WINDOWS, attributes: { seq: 2, 'authwire.format': 'windows.security', 'host.name': 'FS01.corp.example.com' } },
  { body: KEYCLOAK, attributes: { seq: 3, 'user.id': '0f1e' } },
];

/** What the pipeline must get: body as payload; resource, then scope, then record attributes (the record's host.name wins). */
const EXPECTED: Omit<RawRecord, 'observedTime'>[] = [
  {
    format: 'okta',
    payload: OKTA,
    source: 'otlp/sdk',
    attributes: { ...RESOURCE, ...SCOPE, seq: 1, 'authwire.format': 'okta', 'event.domain': 'okta', 'sample.rate': 0.25, 'is.replay': false, tags: ['stuffing', 'edge'], origin: { region: 'eu-west-1', shard: 7 } },
  },
  { format: 'windows.security', payload: WINDOWS, source: 'otlp/sdk', attributes: { ...RESOURCE, ...SCOPE, seq: 2, 'authwire.format': 'windows.security', 'host.name': 'FS01.corp.example.com' } },
  { format: 'keycloak.event', payload: KEYCLOAK, source: 'otlp/sdk', attributes: { ...RESOURCE, ...SCOPE, seq: 3, 'user.id': '0f1e' } },
];

async function sendWithSdk(processorOf: (exporter: LogRecordExporter) => LogRecordProcessor, exporter: LogRecordExporter): Promise<void> {
  const provider = new LoggerProvider({ resource: resourceFromAttributes(RESOURCE), processors: [processorOf(exporter)] });
  const logger = provider.getLogger('idp-forwarder', '1.2.3');
  for (const record of EMITTED) logger.emit(record);
  await provider.forceFlush();
  await provider.shutdown();
}

function bySeq(records: RawRecord[]): Omit<RawRecord, 'observedTime'>[] {
  return records
    .map(({ observedTime: _observed, ...rest }) => rest)
    .sort((a, b) => (a.attributes!['seq'] as number) - (b.attributes!['seq'] as number));
}

for (const variant of [
  { name: 'protobuf, gzip, BatchLogRecordProcessor', make: (url: string) => new ProtoExporter({ url, compression: 'gzip' as never, headers: { Authorization: 'Bearer sdk-test-token-0123456789' } }), processor: (e: LogRecordExporter) => new BatchLogRecordProcessor(e) },
  { name: 'protobuf, SimpleLogRecordProcessor', make: (url: string) => new ProtoExporter({ url, headers: { Authorization: 'Bearer sdk-test-token-0123456789' } }), processor: (e: LogRecordExporter) => new SimpleLogRecordProcessor(e) },
  { name: 'JSON, gzip, BatchLogRecordProcessor', make: (url: string) => new JsonExporter({ url, compression: 'gzip' as never, headers: { Authorization: 'Bearer sdk-test-token-0123456789' } }), processor: (e: LogRecordExporter) => new BatchLogRecordProcessor(e) },
  { name: 'JSON, SimpleLogRecordProcessor', make: (url: string) => new JsonExporter({ url, headers: { Authorization: 'Bearer sdk-test-token-0123456789' } }), processor: (e: LogRecordExporter) => new SimpleLogRecordProcessor(e) },
]) {
  test(`the OpenTelemetry JS SDK (${variant.name}): every record arrives with its body and attributes intact`, async () => {
    const { receiver, host, consumer, url } = await startReceiver({ format: 'keycloak.event', tokens: ['sdk-test-token-0123456789'] }, 'otlp/sdk');
    try {
      await sendWithSdk(variant.processor, variant.make(`${url}/v1/logs`));
      assert.deepEqual(bySeq(consumer.records), EXPECTED);
      assert.deepEqual(host.deadLetters, []);
      assert.deepEqual(host.errors, []);
      assert.equal(receiver.metrics()['records_accepted'], 3);
      assert.equal(receiver.metrics()['records_rejected'], 0);
    } finally {
      await receiver.shutdown();
    }
  });
}

test('the SDK without the bearer token is refused (401) and nothing reaches the pipeline', async () => {
  const { receiver, consumer, url } = await startReceiver({ format: 'okta', tokens: ['sdk-test-token-0123456789'] }, 'otlp/sdk');
  try {
    await sendWithSdk((e) => new SimpleLogRecordProcessor(e), new ProtoExporter({ url: `${url}/v1/logs` }));
    assert.equal(consumer.records.length, 0);
    assert.equal(receiver.metrics()['requests_unauthorized'], 3);
  } finally {
    await receiver.shutdown();
  }
});
