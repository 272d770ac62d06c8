import type { ProcessorFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { DetectConfig } from './config.js';
import { DetectProcessor } from './detect.js';
import { workerPartitions } from './partitions.js';

export const detectFactory: ProcessorFactory<DetectConfig> = {
  kind: 'processor',
  type: 'detect',
  stability: 'alpha',
  description: 'Detects credential attacks over rolling event-time windows (built-in identity rule pack and your own rules), with keyed state on worker threads; emits OCSF Detection Findings beside the events.',
  configSchema,
  createDefaultConfig,
  create: (settings, config, next) => new DetectProcessor(settings, config, next, workerPartitions),
};
