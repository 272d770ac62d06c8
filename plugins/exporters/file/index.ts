import type { ExporterFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { FileExporterConfig } from './config.js';
import { FileExporter } from './file.js';

export const fileExporterFactory: ExporterFactory<FileExporterConfig> = {
  kind: 'exporter',
  type: 'file',
  stability: 'alpha',
  description: 'Appends records as NDJSON to a local file, rotating by size.',
  configSchema,
  createDefaultConfig,
  create(settings, config) {
    return new FileExporter(settings, config);
  },
};
