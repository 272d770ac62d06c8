import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { HttpReceiverConfig } from './config.js';
import { HttpReceiver } from './http.js';

export const httpReceiverFactory: ReceiverFactory<HttpReceiverConfig> = {
  kind: 'receiver',
  type: 'http',
  stability: 'alpha',
  description: 'Receives pushed events over HTTP(S): JSON, JSON arrays, NDJSON or lines, gzip; bearer token or HMAC per tenant on a shared port; Okta event hooks and Auth0 log streams.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: HttpReceiverConfig, next: Consumer): HttpReceiver {
    return new HttpReceiver(settings, config, next);
  },
};
