import type { JsonSchema } from '../../../core/api.js';
import { mappingDefinitionSchema } from './mappers/declarative.js';
import type { MappingDefinition } from './mappers/declarative.js';

export interface NormalizeConfig {
  /** Declarative mappings for sources without a built-in mapper: records of format `mapping.<name>`. */
  mappings: Record<string, MappingDefinition>;
}

export const configSchema: JsonSchema = {
  type: 'object',
  properties: {
    mappings: {
      type: 'object',
      description: 'Declarative mappings by name; records with format mapping.<name> use them.',
      propertyNames: { pattern: '^[a-z][a-z0-9_]*$' },
      additionalProperties: mappingDefinitionSchema,
    },
  },
};

export function createDefaultConfig(): NormalizeConfig {
  return { mappings: {} };
}
