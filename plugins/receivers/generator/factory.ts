import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { GeneratorConfig } from './config.js';
import { GeneratorReceiver } from './generator.js';

export const generatorFactory: ReceiverFactory<GeneratorConfig> = {
  kind: 'receiver',
  type: 'generator',
  stability: 'beta',
  description: 'Seeded, realistic IAM traffic (Keycloak, MFA API, Okta, Entra, Auth0, Linux auth.log, Windows Security) with credential-attack scenarios, for demos, tests and benchmarks.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: GeneratorConfig, next: Consumer): GeneratorReceiver {
    return new GeneratorReceiver(settings, config, next);
  },
};
