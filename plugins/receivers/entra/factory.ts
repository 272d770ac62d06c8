import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { EntraConfig } from './config.js';
import { EntraReceiver } from './entra.js';

export const entraReceiverFactory: ReceiverFactory<EntraConfig> = {
  kind: 'receiver',
  type: 'entra',
  stability: 'alpha',
  description: 'Pulls Microsoft Entra ID sign-in and directory audit logs from Microsoft Graph (client credentials, createdDateTime/activityDateTime watermark with overlap, @odata.nextLink paging, oldest first).',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: EntraConfig, next: Consumer): EntraReceiver {
    return new EntraReceiver(settings, config, next);
  },
};
