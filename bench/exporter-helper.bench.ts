/**
 * The shared exporter helper's own overhead: 1000-record batches through QueuedExporter into a
 * sender that resolves at once and encodes nothing (prepare returns the record, a fixed size), so
 * the numbers are batching, queueing, slot and counter work only, not any exporter's encoding.
 * The harness owns the Bench; this file only adds tasks.
 */
import type { Bench } from 'tinybench';
import type { Batch, PipelineRecord, RawRecord } from '../core/api.js';
import { exporterHelperDefaults, resolveExporterHelperConfig } from '../core/exporter/config.js';
import { QueuedExporter } from '../core/exporter/queued-exporter.js';
import type { ExportRequest, Sender } from '../core/exporter/sender.js';
import { RecordingHost, testSettings } from '../core/testing.js';

const CONSUME = 'exporter helper: consume 1000 records (queued)';
const CONSUME_AND_FLUSH = 'exporter helper: consume + flush 1000 records (sent)';

class InstantSender implements Sender<PipelineRecord> {
  requests = 0;
  prepare(record: PipelineRecord): PipelineRecord {
    return record;
  }
  sizeOf(): number {
    return 200;
  }
  send(_request: ExportRequest<PipelineRecord>): Promise<void> {
    this.requests += 1;
    return Promise.resolve();
  }
}

function rawBatch(size: number): Batch {
  const records: RawRecord[] = [];
  for (let i = 0; i < size; i++) {
    records.push({ format: 'okta', payload: `{"uuid":"u${i}","eventType":"user.session.start"}`, observedTime: 1714591201123 + i, source: 'okta/bench' });
  }
  return { tenant: 'bench', records };
}

const exporters: QueuedExporter<PipelineRecord>[] = [];

async function newExporter(id: string): Promise<QueuedExporter<PipelineRecord>> {
  const config = resolveExporterHelperConfig(exporterHelperDefaults());
  const exporter = new QueuedExporter(testSettings('exporter', id, { tenant: 'bench' }), config, new InstantSender());
  await exporter.start(new RecordingHost());
  exporters.push(exporter);
  return exporter;
}

export async function register(bench: Bench): Promise<void> {
  const batch = rawBatch(1000);
  const queued = await newExporter('bench/queued');
  const flushed = await newExporter('bench/flushed');
  const halfQueue = queued.metrics().queue_capacity / 2;
  bench.add(CONSUME, async () => {
    await queued.consume(batch);
    // The sends resolve at once but on later turns; drain now and then so the queue never refuses.
    if (queued.metrics().queue_size > halfQueue) await queued.flush();
  });
  bench.add(CONSUME_AND_FLUSH, async () => {
    await flushed.consume(batch);
    await flushed.flush();
  });
}

export async function teardown(): Promise<void> {
  await Promise.all(exporters.splice(0).map((exporter) => exporter.shutdown()));
}

export const eventsPerTask: Record<string, number> = {
  [CONSUME]: 1000,
  [CONSUME_AND_FLUSH]: 1000,
};
