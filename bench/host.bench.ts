/**
 * The host's own per-batch cost: a batch handed to a receiver's output crosses the tenant check,
 * the counters, fan-out, a no-op processor and a null (nop) exporter. Compare batch sizes to see
 * the per-batch part of the cost against the per-record part.
 */
import type { Bench } from 'tinybench';
import type { Batch, Consumer, ExporterFactory, ProcessorFactory, RawRecord, ReceiverFactory } from '../core/api.js';
import { loadConfig } from '../core/config/load.js';
import { nopLogger } from '../core/logger.js';
import { Service } from '../core/service.js';
import { createBuiltinRegistry } from '../plugins/index.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Hands its `next` out, so the benchmark drives the graph directly. */
let receiverOutput: Consumer | undefined;
const handleReceiver: ReceiverFactory<Record<string, never>> = {
  kind: 'receiver', type: 'bench_handle', stability: 'development', description: 'benchmark entry point',
  configSchema: { type: 'object', properties: {} }, createDefaultConfig: () => ({}),
  create(_settings, _config, next) {
    receiverOutput = next;
    return { async start() {}, async shutdown() {} };
  },
};

const passthroughProcessor: ProcessorFactory<Record<string, never>> = {
  kind: 'processor', type: 'bench_passthrough', stability: 'development', description: 'forwards batches untouched',
  configSchema: { type: 'object', properties: {} }, createDefaultConfig: () => ({}),
  create(_settings, _config, next) {
    return { mutatesData: false, async start() {}, async shutdown() {}, consume: (batch: Batch) => next.consume(batch) };
  },
};

function rawBatch(size: number): Batch<RawRecord> {
  const records: RawRecord[] = [];
  for (let i = 0; i < size; i++) {
    records.push({ format: 'keycloak.event', payload: `{"id":"${i}","time":1700000000000,"type":"LOGIN"}`, observedTime: 1700000000000, source: 'bench_handle' });
  }
  return { tenant: 'bench', records };
}

const SIZES = [1, 100, 1000];
const END_TO_END_RECORDS = 20_000;
const END_TO_END = `host: generator -> no-op processor -> null exporter, ${END_TO_END_RECORDS} records in batches of 100 (start to drained shutdown)`;
export const eventsPerTask: Record<string, number> = {
  ...Object.fromEntries(SIZES.map((size) => [`host: batch of ${size} through receiver -> processor -> nop exporter`, size])),
  [END_TO_END]: END_TO_END_RECORDS,
};

/** A null exporter that says when it has seen a given number of records. */
let expected = 0;
let seen = 0;
let reached: (() => void) | undefined;
const countingNullExporter: ExporterFactory<Record<string, never>> = {
  kind: 'exporter', type: 'bench_null', stability: 'development', description: 'drops records, counting them',
  configSchema: { type: 'object', properties: {} }, createDefaultConfig: () => ({}),
  create() {
    return {
      async start() {}, async shutdown() {},
      async consume(batch: Batch) {
        seen += batch.records.length;
        if (seen >= expected) reached?.();
      },
    };
  },
};

let service: Service | undefined;

export async function register(bench: Bench): Promise<void> {
  const registry = createBuiltinRegistry();
  registry.register(handleReceiver);
  registry.register(passthroughProcessor);
  registry.register(countingNullExporter);
  const dir = mkdtempSync(join(tmpdir(), 'authwire-bench-'));
  writeFileSync(join(dir, 'bench.yaml'), `
receivers: { bench_handle: {} }
processors: { bench_passthrough: {} }
exporters: { nop: {} }
service:
  pipelines:
    logs: { tenant: bench, receivers: [bench_handle], processors: [bench_passthrough], exporters: [nop] }
`);
  const config = await loadConfig([dir], { registry });
  service = new Service(config, { logger: nopLogger, dataDir: join(dir, 'data'), workers: 1 });
  await service.start();
  const output = receiverOutput!;
  for (const size of SIZES) {
    const batch = rawBatch(size);
    bench.add(`host: batch of ${size} through receiver -> processor -> nop exporter`, () => output.consume(batch));
  }

  const e2eDir = mkdtempSync(join(tmpdir(), 'authwire-bench-e2e-'));
  writeFileSync(join(e2eDir, 'e2e.yaml'), `
receivers: { generator: { seed: 1, count: ${END_TO_END_RECORDS}, batch_size: 100, rate: 100000, start_time: "2026-11-23T00:00:00Z" } }
processors: { bench_passthrough: {} }
exporters: { bench_null: {} }
service:
  pipelines:
    logs: { tenant: bench, receivers: [generator], processors: [bench_passthrough], exporters: [bench_null] }
`);
  const e2eConfig = await loadConfig([e2eDir], { registry });
  bench.add(END_TO_END, async () => {
    expected = END_TO_END_RECORDS;
    seen = 0;
    const done = new Promise<void>((resolve) => (reached = resolve));
    const e2e = new Service(e2eConfig, { logger: nopLogger, dataDir: join(e2eDir, 'data'), workers: 1 });
    await e2e.start();
    await done;
    await e2e.shutdown();
  });
}

export async function teardown(): Promise<void> {
  await service?.shutdown();
}
