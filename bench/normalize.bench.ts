/**
 * The normalizer, per format: a batch of 1000 raw records (JSON text, as receivers hand them over)
 * through the normalize processor, JSON parsing included. The records cycle through the format's
 * golden inputs (plugins/processors/normalize/testdata/<format>/), the ones that map.
 * Target (issue 3): at least 400,000 events/s on one core for keycloak.event and mfa_api.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from 'tinybench';
import type { Batch, RawRecord } from '../core/api.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../core/testing.js';
import { normalizeFactory } from '../plugins/processors/normalize/index.js';

const BATCH = 1000;
const testdata = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'plugins', 'processors', 'normalize', 'testdata');

export const eventsPerTask: Record<string, number> = {};

/** Drops what it is given: the benchmark measures normalizing, not keeping. */
class DropConsumer extends CollectingConsumer {
  override async consume(): Promise<void> {}
}

function inputsOf(format: string): string[] {
  const inputs: string[] = [];
  for (const file of readdirSync(join(testdata, format)).filter((name) => name.endsWith('.json')).sort()) {
    const golden = JSON.parse(readFileSync(join(testdata, format, file), 'utf8')) as { input?: unknown; expected?: unknown };
    if (golden.expected === undefined || golden.input === undefined) continue;
    inputs.push(typeof golden.input === 'string' ? golden.input : JSON.stringify(golden.input));
  }
  return inputs;
}

export async function register(bench: Bench): Promise<void> {
  let formats: string[];
  try {
    formats = readdirSync(testdata, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return;
  }
  const processor = await normalizeFactory.create(testSettings('processor', 'normalize'), normalizeFactory.createDefaultConfig(), new DropConsumer());
  const host = new RecordingHost();
  await processor.start(host);
  for (const format of formats) {
    const inputs = inputsOf(format);
    if (inputs.length === 0) continue;
    const records: RawRecord[] = [];
    for (let i = 0; i < BATCH; i++) records.push({ format, payload: inputs[i % inputs.length]!, observedTime: Date.UTC(2026, 0, 1), source: 'bench' });
    const batch: Batch = { tenant: 'bench', records };
    const name = `normalize: ${format}, batch of ${BATCH} (${inputs.length} distinct records)`;
    eventsPerTask[name] = BATCH;
    bench.add(name, () => processor.consume(batch));
  }
}
