import type { JsonSchema } from '../../../core/api.js';

export const DEFAULT_ROTATE_BYTES = 104_857_600; // 100 MiB
export const DEFAULT_MAX_BACKUPS = 10;

/**
 * The file exporter's config. `path` is required and has no default, so it is optional in this
 * type: `createDefaultConfig()` leaves it out and the schema's `required` makes the host report
 * it missing.
 */
export interface FileExporterConfig {
  /** Where to write; a relative path resolves against the process's working directory. */
  path?: string;
  /** Rotate before a batch would take the file past this many bytes; 0 never rotates. */
  rotate_bytes: number;
  /** How many rotated files (`<path>.1` newest … `<path>.N` oldest) to keep; 0 keeps all. */
  max_backups: number;
  format: 'ndjson';
}

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      description: 'File to append NDJSON to. Relative paths resolve against the working directory. Parent directories are created at start.',
      examples: ['data/events.ndjson'],
    },
    rotate_bytes: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_ROTATE_BYTES,
      description: 'Rotate before a batch would take the file past this size in bytes; 0 never rotates. A batch is never split across files.',
    },
    max_backups: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_MAX_BACKUPS,
      description: 'Rotated files to keep (<path>.1 is the newest); older ones are deleted. 0 keeps all.',
    },
    format: {
      type: 'string',
      enum: ['ndjson'],
      default: 'ndjson',
      description: 'Output encoding; one JSON object per line.',
    },
  },
};

export function createDefaultConfig(): FileExporterConfig {
  return { rotate_bytes: DEFAULT_ROTATE_BYTES, max_backups: DEFAULT_MAX_BACKUPS, format: 'ndjson' };
}
