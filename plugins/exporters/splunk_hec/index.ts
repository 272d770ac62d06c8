import type { ExporterFactory } from '../../../core/api.js';
import { resolveExporterHelperConfig } from '../../../core/exporter/config.js';
import { QueuedExporter } from '../../../core/exporter/queued-exporter.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { SplunkHecExporterConfig } from './config.js';
import { HecSender } from './sender.js';

export const splunkHecExporterFactory: ExporterFactory<SplunkHecExporterConfig> = {
  kind: 'exporter',
  type: 'splunk_hec',
  stability: 'alpha',
  description: 'Sends OCSF events to Splunk HTTP Event Collector (/services/collector/event), with gzip, per-class sourcetypes, index-time fields and optional indexer acknowledgement.',
  configSchema,
  createDefaultConfig,
  create(settings, config) {
    const resolved = resolveExporterHelperConfig(config);
    return new QueuedExporter(settings, resolved, new HecSender(settings, config, { attemptTimeoutMs: resolved.timeoutMs }));
  },
};
