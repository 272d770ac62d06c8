import type { JsonSchema } from '../../../core/api.js';

/** The nop exporter takes no settings. */
export type NopExporterConfig = Record<string, never>;

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {},
};

export function createDefaultConfig(): NopExporterConfig {
  return {};
}
