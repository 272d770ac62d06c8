import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { KeycloakConfig } from './config.js';
import { KeycloakReceiver } from './keycloak.js';

export const keycloakReceiverFactory: ReceiverFactory<KeycloakConfig> = {
  kind: 'receiver',
  type: 'keycloak',
  stability: 'alpha',
  description: 'Pulls Keycloak user events and admin events from the admin REST API (client-credentials token), with a durable checkpoint and de-duplication across overlapping windows.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: KeycloakConfig, next: Consumer): KeycloakReceiver {
    return new KeycloakReceiver(settings, config, next);
  },
};
