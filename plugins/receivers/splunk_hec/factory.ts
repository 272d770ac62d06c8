import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { SplunkHecReceiverConfig } from './config.js';
import { SplunkHecReceiver } from './hec.js';

export const splunkHecReceiverFactory: ReceiverFactory<SplunkHecReceiverConfig> = {
  kind: 'receiver',
  type: 'splunk_hec',
  stability: 'alpha',
  description: 'Splunk HTTP Event Collector input (/services/collector/event, /raw, /health): HEC tokens per tenant on a shared port, gzip, HEC reply codes.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: SplunkHecReceiverConfig, next: Consumer): SplunkHecReceiver {
    return new SplunkHecReceiver(settings, config, next);
  },
};
