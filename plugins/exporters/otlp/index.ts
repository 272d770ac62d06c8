import type { ExporterFactory } from '../../../core/api.js';
import { resolveExporterHelperConfig } from '../../../core/exporter/config.js';
import { QueuedExporter } from '../../../core/exporter/queued-exporter.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { OtlpExporterConfig } from './config.js';
import { OtlpGrpcSender } from './grpc-sender.js';
import { OtlpHttpSender } from './sender.js';

export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  stability: 'alpha',
  description: 'Sends OCSF events as OTLP log records over OTLP/HTTP (POST /v1/logs, protobuf or JSON, gzip) or OTLP/gRPC, one record per event with flattened OCSF attributes.',
  configSchema,
  createDefaultConfig,
  create(settings, config) {
    const helper = resolveExporterHelperConfig(config);
    if (config.protocol === 'grpc') return new QueuedExporter(settings, helper, new OtlpGrpcSender(settings, config));
    return new QueuedExporter(settings, helper, new OtlpHttpSender(settings, config));
  },
};
