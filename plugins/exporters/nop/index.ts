import type { ExporterFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { NopExporterConfig } from './config.js';
import { NopExporter } from './nop.js';

export const nopExporterFactory: ExporterFactory<NopExporterConfig> = {
  kind: 'exporter',
  type: 'nop',
  stability: 'beta',
  description: 'Accepts and drops every batch; for benchmarks and for pipelines under test.',
  configSchema,
  createDefaultConfig,
  create(settings) {
    return new NopExporter(settings.id);
  },
};
