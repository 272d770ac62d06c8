import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { OktaConfig } from './config.js';
import { OktaReceiver } from './okta.js';

export const oktaReceiverFactory: ReceiverFactory<OktaConfig> = {
  kind: 'receiver',
  type: 'okta',
  stability: 'alpha',
  description: 'Pulls the Okta System Log (/api/v1/logs polling requests, following Link rel="next") with a durable checkpoint; SSWS API token or OAuth for Okta.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: OktaConfig, next: Consumer): OktaReceiver {
    return new OktaReceiver(settings, config, next);
  },
};
