import type { Batch, Consumer } from '../../../../core/api.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import type { GeneratorConfig } from '../../../../plugins/receivers/generator/config.js';
import type { GeneratorReceiver } from '../../../../plugins/receivers/generator/generator.js';
import { generatorFactory } from '../../../../plugins/receivers/generator/index.js';

export interface Rec {
  format: string;
  payload: string;
  observedTime: number;
  source: string;
}

export const START = '2024-11-23T19:20:00Z';

export function config(overrides: Partial<GeneratorConfig>): GeneratorConfig {
  return { ...generatorFactory.createDefaultConfig(), start_time: START, ...overrides };
}

export function create(cfg: GeneratorConfig, next: Consumer): GeneratorReceiver {
  return generatorFactory.create(testSettings('receiver', 'generator/test'), cfg, next) as GeneratorReceiver;
}

/** Runs a fast-forward generator to completion and returns its records. */
export async function run(overrides: Partial<GeneratorConfig>): Promise<{ records: Rec[]; batches: Batch[]; host: RecordingHost }> {
  const consumer = new CollectingConsumer();
  const host = new RecordingHost();
  const g = create(config(overrides), consumer);
  await g.start(host);
  await g.done;
  await g.shutdown();
  return { records: consumer.records as Rec[], batches: consumer.batches, host };
}

export function json(rec: Rec): Record<string, any> {
  return JSON.parse(rec.payload) as Record<string, any>;
}

export const ATTACK_IP = /\b(?:203\.0\.113|192\.0\.2)\.\d{1,3}\b/;
