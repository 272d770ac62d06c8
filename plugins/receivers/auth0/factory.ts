import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { Auth0Receiver } from './auth0.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { Auth0Config } from './config.js';

export const auth0ReceiverFactory: ReceiverFactory<Auth0Config> = {
  kind: 'receiver',
  type: 'auth0',
  stability: 'alpha',
  description: 'Pulls Auth0 tenant logs from the Management API by checkpoint (/api/v2/logs?from=<log_id>&take=100) with a durable checkpoint; client-credentials token.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: Auth0Config, next: Consumer): Auth0Receiver {
    return new Auth0Receiver(settings, config, next);
  },
};
