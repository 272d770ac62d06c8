import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { OtlpReceiverConfig } from './config.js';
import { OtlpReceiver } from './receiver.js';

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  stability: 'alpha',
  description: 'Receives OTLP log records (OTLP/HTTP POST /v1/logs, protobuf or JSON, gzip; OTLP/gRPC optionally) whose bodies are vendor IAM events; attributes travel beside the payload.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: OtlpReceiverConfig, next: Consumer): OtlpReceiver {
    return new OtlpReceiver(settings, config, next);
  },
};
