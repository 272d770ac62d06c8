import type { JsonSchema } from '../../../core/api.js';

export type StdoutFormat = 'pretty' | 'ndjson';

export interface StdoutExporterConfig {
  /** `pretty`: one human line per record; `ndjson`: one JSON object per line (as the file exporter). */
  format: StdoutFormat;
}

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    format: {
      type: 'string',
      enum: ['pretty', 'ndjson'],
      default: 'pretty',
      description: 'pretty: one human-readable line per record; ndjson: one JSON object per line.',
    },
  },
};

export function createDefaultConfig(): StdoutExporterConfig {
  return { format: 'pretty' };
}
