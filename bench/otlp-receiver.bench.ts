/**
 * The otlp receiver's hot path: decoding an ExportLogsServiceRequest of 1000 log records (Okta
 * System Log events as string bodies, 5 attributes each, under one resource with 3 attributes)
 * into raw records, from protobuf and from OTLP/JSON; and ingest over loopback HTTP (a gzip
 * protobuf POST answered 200 once the consumer took the batch), one client with keep-alive.
 */
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Bench } from 'tinybench';
import type { Batch, Consumer } from '../core/api.js';
import { RecordingHost, testSettings } from '../core/testing.js';
import { createDefaultConfig } from '../plugins/receivers/otlp/config.js';
import { decodeProtoRequest, parseJsonRequest, toRawRecords } from '../plugins/receivers/otlp/decode.js';
import { OtlpReceiver } from '../plugins/receivers/otlp/receiver.js';
import { ExportLogsServiceRequestType } from '../plugins/shared/otlp/messages.js';

const RECORDS = 1000;
const T0 = 1714591201123;

export const eventsPerTask: Record<string, number> = {
  'otlp-receiver: decode protobuf → raw records': RECORDS,
  'otlp-receiver: decode OTLP/JSON → raw records': RECORDS,
  'otlp-receiver: HTTP ingest (gzip protobuf POST → 200)': RECORDS,
};

function oktaEvent(i: number): string {
  return JSON.stringify({
    uuid: `b1b2b3b6-a9c3-11ef-9a41-${String(i).padStart(12, '0')}`,
    published: new Date(T0 + i).toISOString(),
    eventType: 'user.authentication.auth_via_mfa',
    severity: 'WARN',
    displayMessage: 'Authentication of user via MFA',
    actor: { id: '00u8f3k2jdLq1ZxYb697', type: 'User', alternateId: `user${i % 97}@example.com`, displayName: 'Maria Garcia' },
    client: { ipAddress: `198.51.100.${i % 250}`, userAgent: { rawUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', os: 'Windows 10', browser: 'CHROME' }, geographicalContext: { city: 'Austin', country: 'United States' } },
    outcome: { result: 'FAILURE', reason: 'VERIFICATION_TIMEOUT' },
    authenticationContext: { externalSessionId: '102Xq8aB3cD4eF5gH6iJ7kL8m' },
  });
}

/** The request as OTLP/JSON-shaped values (what both encodings are made from). */
function requestObject(): Record<string, unknown> {
  const logRecords = [];
  for (let i = 0; i < RECORDS; i++) {
    logRecords.push({
      timeUnixNano: String((T0 + i) * 1_000_000),
      observedTimeUnixNano: String((T0 + i + 40) * 1_000_000),
      severityNumber: 13,
      body: { stringValue: oktaEvent(i) },
      attributes: [
        { key: 'authwire.format', value: { stringValue: 'okta' } },
        { key: 'log.record.uid', value: { stringValue: `b1b2b3b6-${i}` } },
        { key: 'okta.org', value: { stringValue: 'example.okta.com' } },
        { key: 'retry.count', value: { intValue: String(i % 3) } },
        { key: 'sampled', value: { boolValue: true } },
      ],
    });
  }
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'okta-forwarder' } }, { key: 'host.name', value: { stringValue: 'fwd-1' } }, { key: 'deployment.environment.name', value: { stringValue: 'prod' } }] },
        scopeLogs: [{ scope: { name: 'okta-poller', version: '1.0.0' }, logRecords }],
      },
    ],
  };
}

class NullConsumer implements Consumer {
  records = 0;
  async consume(batch: Batch): Promise<void> {
    this.records += batch.records.length;
  }
}

let receiver: OtlpReceiver | undefined;
let agent: Agent | undefined;

function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/logs', method: 'POST', agent, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip', 'Content-Length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(200) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function register(bench: Bench): Promise<void> {
  const object = requestObject();
  const proto = Buffer.from(ExportLogsServiceRequestType.encode(ExportLogsServiceRequestType.fromObject(object)).finish());
  const json = JSON.stringify(object);
  const options = { source: 'otlp/bench', observedTime: T0, format: undefined, formatAttribute: 'authwire.format' };
  const check = (n: number): void => {
    if (n !== RECORDS) throw new Error(`decoded ${n} records, expected ${RECORDS}`);
  };
  bench.add('otlp-receiver: decode protobuf → raw records', () => {
    check(toRawRecords(decodeProtoRequest(proto), options).records.length);
  });
  bench.add('otlp-receiver: decode OTLP/JSON → raw records', () => {
    check(toRawRecords(parseJsonRequest(json), options).records.length);
  });

  receiver = new OtlpReceiver(testSettings('receiver', 'otlp/bench'), { ...createDefaultConfig(), endpoint: '127.0.0.1:0' }, new NullConsumer());
  await receiver.start(new RecordingHost());
  const port = receiver.httpAddress()!.port;
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const gzipped = gzipSync(proto);
  bench.add('otlp-receiver: HTTP ingest (gzip protobuf POST → 200)', async () => {
    await post(port, gzipped);
  });
}

export async function teardown(): Promise<void> {
  agent?.destroy();
  await receiver?.shutdown();
}
