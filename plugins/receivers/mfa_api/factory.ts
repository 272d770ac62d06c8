import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { MfaApiConfig } from './config.js';
import { MfaApiReceiver } from './mfa-api.js';

export const mfaApiReceiverFactory: ReceiverFactory<MfaApiConfig> = {
  kind: 'receiver',
  type: 'mfa_api',
  stability: 'alpha',
  description: 'Pulls MFA failures, lockouts and recovery attempts from the generic MFA API (paged polling or server-sent events), and optionally its aggregate login metrics.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: MfaApiConfig, next: Consumer): MfaApiReceiver {
    return new MfaApiReceiver(settings, config, next);
  },
};
