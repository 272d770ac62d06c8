import type { ProcessorFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { NormalizeConfig } from './config.js';
import { NormalizeProcessor } from './normalize.js';

export const normalizeFactory: ProcessorFactory<NormalizeConfig> = {
  kind: 'processor',
  type: 'normalize',
  stability: 'beta',
  description: 'Maps raw IAM records (Keycloak, MFA API, Okta, Entra ID, Auth0, Linux auth, Windows Security, declarative mappings) to OCSF 1.8.0; unmappable records are dead-lettered with their reason.',
  configSchema,
  createDefaultConfig,
  create: (settings, config, next) => new NormalizeProcessor(settings, config, next),
};
