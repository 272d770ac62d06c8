/**
 * otlp: the pure encoder on 1000 normalized OCSF events (protobuf and OTLP/JSON, flattened
 * attributes and kvlist body), request framing, and the Sender's throughput over loopback
 * (prepare + frame + gzip + POST + reply) against a sink that answers like an OTLP receiver.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bench } from 'tinybench';
import type { ExportRequest } from '../core/exporter/sender.js';
import { RecordingHost, testSettings } from '../core/testing.js';
import { createDefaultConfig } from '../plugins/exporters/otlp/config.js';
import { encodeLogRecordJson, encodeLogRecordProto, frameProtoRequest, protoEnvelope } from '../plugins/exporters/otlp/encoder.js';
import type { OtlpEncoderOptions } from '../plugins/exporters/otlp/encoder.js';
import { OtlpHttpSender } from '../plugins/exporters/otlp/sender.js';
import type { OtlpItem } from '../plugins/exporters/otlp/sender.js';
import { T0, normalizedEvents } from './fixtures.js';

let server: Server | undefined;
const senders: OtlpHttpSender[] = [];

async function sink(): Promise<string> {
  server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': 0 });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function loopbackSender(url: string, encoding: 'proto' | 'json', compression: 'gzip' | 'none'): Promise<OtlpHttpSender> {
  const config = { ...createDefaultConfig(), endpoint: url, encoding, compression };
  const sender = new OtlpHttpSender(testSettings('exporter', `otlp/${encoding}-${compression}`, { tenant: 'bench' }), config);
  await sender.start(new RecordingHost());
  senders.push(sender);
  return sender;
}

const FLAT: OtlpEncoderOptions = { ocsfAs: 'attributes', attributePrefix: 'ocsf.' };
const BODY: OtlpEncoderOptions = { ocsfAs: 'body', attributePrefix: 'ocsf.' };

export async function register(bench: Bench): Promise<void> {
  const events = normalizedEvents(1000);
  const now = T0 + 5000;
  bench.add('otlp: encode 1000 normalized events, protobuf, flattened attributes', () => {
    for (let i = 0; i < events.length; i++) encodeLogRecordProto(events[i]!, FLAT, now);
  });
  bench.add('otlp: encode 1000 normalized events, protobuf, kvlist body', () => {
    for (let i = 0; i < events.length; i++) encodeLogRecordProto(events[i]!, BODY, now);
  });
  bench.add('otlp: encode 1000 normalized events, OTLP/JSON, flattened attributes', () => {
    for (let i = 0; i < events.length; i++) encodeLogRecordJson(events[i]!, FLAT, now);
  });
  const envelope = protoEnvelope({ resourceAttributes: [['service.name', 'authwire'], ['authwire.tenant', 'bench']], scopeName: 'authwire', scopeVersion: '' });
  const records = events.map((event) => encodeLogRecordProto(event, FLAT, now));
  bench.add('otlp: frame a protobuf request of 1000 encoded records', () => {
    frameProtoRequest(envelope, records);
  });

  const url = await sink();
  const signal = new AbortController().signal;
  const request = (sender: OtlpHttpSender): ExportRequest<OtlpItem> => {
    const items = events.map((event) => sender.prepare(event));
    return { tenant: 'bench', items, bytes: items.reduce((sum, item) => sum + sender.sizeOf(item), 0), attempt: 1 };
  };
  const protoGzip = await loopbackSender(url, 'proto', 'gzip');
  const protoPlain = await loopbackSender(url, 'proto', 'none');
  const jsonGzip = await loopbackSender(url, 'json', 'gzip');
  bench.add('otlp: prepare + POST 1000 normalized events, protobuf, gzip, loopback', async () => {
    await protoGzip.send(request(protoGzip), signal);
  });
  bench.add('otlp: prepare + POST 1000 normalized events, protobuf, no compression, loopback', async () => {
    await protoPlain.send(request(protoPlain), signal);
  });
  bench.add('otlp: prepare + POST 1000 normalized events, OTLP/JSON, gzip, loopback', async () => {
    await jsonGzip.send(request(jsonGzip), signal);
  });
}

export async function teardown(): Promise<void> {
  for (const sender of senders.splice(0)) await sender.shutdown();
  if (server !== undefined) {
    server.closeAllConnections();
    server.close();
    server = undefined;
  }
}

export const eventsPerTask: Record<string, number> = {
  'otlp: encode 1000 normalized events, protobuf, flattened attributes': 1000,
  'otlp: encode 1000 normalized events, protobuf, kvlist body': 1000,
  'otlp: encode 1000 normalized events, OTLP/JSON, flattened attributes': 1000,
  'otlp: frame a protobuf request of 1000 encoded records': 1000,
  'otlp: prepare + POST 1000 normalized events, protobuf, gzip, loopback': 1000,
  'otlp: prepare + POST 1000 normalized events, protobuf, no compression, loopback': 1000,
  'otlp: prepare + POST 1000 normalized events, OTLP/JSON, gzip, loopback': 1000,
};
