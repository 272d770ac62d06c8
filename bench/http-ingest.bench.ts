/**
 * Push ingest over loopback: POSTs of 1000 NDJSON lines (plain and gzip) to the http receiver and
 * of 1000 concatenated HEC events to the splunk_hec receiver, each answered after consume resolved,
 * into a consumer that drops the batch. Client and server share this process (and its core), so
 * the figures are a floor for a separate sender.
 */
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Bench } from 'tinybench';
import type { Batch, Consumer } from '../core/api.js';
import { RecordingHost, testSettings } from '../core/testing.js';
import { HttpReceiver } from '../plugins/receivers/http/http.js';
import { httpReceiverFactory } from '../plugins/receivers/http/index.js';
import { SplunkHecReceiver } from '../plugins/receivers/splunk_hec/hec.js';
import { splunkHecReceiverFactory } from '../plugins/receivers/splunk_hec/index.js';

const LINES = 1000;
const TOKEN = 'bench-http-token-0000000001';
const HEC_TOKEN = 'bench-hec-token-00000000002';

const NDJSON_TASK = `http: POST ${LINES} NDJSON lines (okta events)`;
const GZIP_TASK = `http: POST ${LINES} NDJSON lines, gzip`;
const HEC_TASK = `splunk_hec: POST ${LINES} concatenated events`;

export const eventsPerTask: Record<string, number> = { [NDJSON_TASK]: LINES, [GZIP_TASK]: LINES, [HEC_TASK]: LINES };

class Dropping implements Consumer {
  records = 0;
  async consume(batch: Batch): Promise<void> {
    this.records += batch.records.length;
  }
}

function oktaLine(i: number): string {
  return JSON.stringify({
    uuid: `9b0d4e1c-0000-11f0-8000-${String(i).padStart(12, '0')}`,
    published: new Date(Date.UTC(2026, 2, 1, 12) + i).toISOString(),
    eventType: i % 7 === 0 ? 'user.authentication.auth_via_mfa' : 'user.session.start',
    outcome: { result: i % 5 === 0 ? 'FAILURE' : 'SUCCESS', reason: i % 5 === 0 ? 'INVALID_CREDENTIALS' : null },
    actor: { id: `00u${i}`, type: 'User', alternateId: `user${i % 300}@example.com`, displayName: `User ${i % 300}` },
    client: { ipAddress: `198.51.100.${i % 250}`, userAgent: { rawUserAgent: 'Mozilla/5.0', os: 'Linux', browser: 'FIREFOX' }, geographicalContext: { city: 'Lyon', country: 'France' } },
    severity: 'INFO',
    displayMessage: 'User login to Okta',
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let port = 0;
const receivers: { shutdown(): Promise<void> }[] = [];

function post(path: string, headers: Record<string, string>, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function register(bench: Bench): Promise<void> {
  const host = new RecordingHost();
  const http = new HttpReceiver(testSettings('receiver', 'http/bench', { tenant: 'bench' }), { ...httpReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', tokens: [{ token: TOKEN, tenant: 'bench' }] }, new Dropping());
  const hec = new SplunkHecReceiver(testSettings('receiver', 'splunk_hec/bench', { tenant: 'bench' }), { ...splunkHecReceiverFactory.createDefaultConfig(), endpoint: '127.0.0.1:0', format: 'okta', tokens: [{ token: HEC_TOKEN, tenant: 'bench' }] }, new Dropping());
  await http.start(host);
  await hec.start(host);
  receivers.push(hec, http);
  port = http.address!.port;

  const lines = Array.from({ length: LINES }, (_, i) => oktaLine(i));
  const ndjson = Buffer.from(lines.join('\n'));
  const gzipped = gzipSync(ndjson);
  const hecBody = Buffer.from(lines.map((line) => `{"time":1772366400,"sourcetype":"okta","event":${line}}`).join(''));
  const ndjsonHeaders = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' };

  bench.add(NDJSON_TASK, () => post('/v1/events', ndjsonHeaders, ndjson));
  bench.add(GZIP_TASK, () => post('/v1/events', { ...ndjsonHeaders, 'content-encoding': 'gzip' }, gzipped));
  bench.add(HEC_TASK, () => post('/services/collector/event', { authorization: `Splunk ${HEC_TOKEN}` }, hecBody));
}

export async function teardown(): Promise<void> {
  agent.destroy();
  for (const receiver of receivers.splice(0)) await receiver.shutdown();
}
