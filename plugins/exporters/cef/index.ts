import type { ExporterFactory } from '../../../core/api.js';
import { resolveExporterHelperConfig } from '../../../core/exporter/config.js';
import { QueuedExporter } from '../../../core/exporter/queued-exporter.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { CefExporterConfig } from './config.js';
import { CefSender } from './sender.js';

export const cefExporterFactory: ExporterFactory<CefExporterConfig> = {
  kind: 'exporter',
  type: 'cef',
  stability: 'alpha',
  description: 'Sends OCSF events as ArcSight CEF:0 over syslog (RFC 5424 or 3164) on TCP, TLS or UDP, for ArcSight, QRadar and Microsoft Sentinel.',
  configSchema,
  createDefaultConfig,
  create(settings, config) {
    return new QueuedExporter(settings, resolveExporterHelperConfig(config), new CefSender(settings, config));
  },
};
