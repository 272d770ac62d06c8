import type { ExporterFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { StdoutExporterConfig } from './config.js';
import { StdoutExporter } from './stdout.js';

export const stdoutExporterFactory: ExporterFactory<StdoutExporterConfig> = {
  kind: 'exporter',
  type: 'stdout',
  stability: 'alpha',
  description: 'Writes records to standard output, one human-readable line or one JSON object per record.',
  configSchema,
  createDefaultConfig,
  create(settings, config) {
    return new StdoutExporter(settings, config);
  },
};
