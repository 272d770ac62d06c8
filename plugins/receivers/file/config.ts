import type { JsonSchema } from '../../../core/api.js';

export type StartAt = 'beginning' | 'end';
export type FileEncoding = 'utf-8' | 'utf8' | 'latin1' | 'iso-8859-1';

export interface FileReceiverConfig {
  /** Glob patterns of the files to tail; relative ones resolve against the working directory. */
  include?: string[];
  /** Glob patterns matched against the absolute path of every included file; a match is skipped. */
  exclude: string[];
  /** Where to start in a file with no checkpoint that exists at the first poll. Files appearing later are read from the beginning. */
  start_at: StartAt;
  /** The normalizer's format name given to every line (`linux.auth`, `windows.security` for NDJSON, ...). */
  format: string;
  /** Go-style duration between polls (directory listing, fingerprinting, reading). */
  poll_interval: string;
  /** A line longer than this (without its LF / CRLF) is dead-lettered as `line_too_long` (its first max_line_bytes bytes kept), not split. */
  max_line_bytes: number;
  encoding: FileEncoding;
  /** Maximum lines per batch handed downstream (a batch never mixes files). */
  batch_size: number;
  /** Files are identified by their first this-many bytes (so a renamed file is recognised). */
  fingerprint_size: number;
  /** An unterminated last line that has not grown for this long is emitted as it is; `0s` waits forever. */
  force_flush_period: string;
  /** Files read (and kept open) at once; more matches are handled in groups of half this. */
  max_concurrent_files: number;
  /** Bytes read from one file in one poll at most; a file with more waiting is polled again at once, after the others had their turn. */
  max_bytes_per_poll: number;
}

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['include'],
  properties: {
    include: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      description: 'Glob patterns of the files to tail (*, ?, [...], ** for any number of directories).',
    },
    exclude: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description: 'Glob patterns, matched against absolute paths, of included files to skip (e.g. **/*.gz).',
    },
    start_at: { type: 'string', enum: ['beginning', 'end'], default: 'end', description: 'Where to start in files without a checkpoint found at the first poll.' },
    format: {
      type: 'string',
      pattern: '^[a-z0-9_]+(?:\\.[a-z0-9_]+)*$',
      default: 'linux.auth',
      description: 'The normalizer format name of each line (linux.auth, windows.security, mapping.<name>, ...).',
    },
    poll_interval: { type: 'string', format: 'duration', default: '200ms', description: 'Time between polls.' },
    max_line_bytes: {
      type: 'integer',
      minimum: 16,
      maximum: 67_108_864,
      default: 1_048_576,
      description: 'Longer lines are dead-lettered (line_too_long) with their first max_line_bytes bytes.',
    },
    encoding: { type: 'string', enum: ['utf-8', 'utf8', 'latin1', 'iso-8859-1'], default: 'utf-8', description: 'Text encoding of the files; invalid UTF-8 bytes become U+FFFD.' },
    batch_size: { type: 'integer', minimum: 1, maximum: 100_000, default: 100, description: 'Maximum lines per batch.' },
    fingerprint_size: { type: 'integer', minimum: 16, maximum: 65_536, default: 1000, description: 'Bytes at the start of a file that identify it.' },
    force_flush_period: {
      type: 'string',
      format: 'duration',
      default: '500ms',
      description: 'Emit an unterminated last line after it stopped growing for this long (0s: never).',
    },
    max_concurrent_files: { type: 'integer', minimum: 2, maximum: 65_536, default: 1024, description: 'Files open at once at most.' },
    max_bytes_per_poll: {
      type: 'integer',
      minimum: 65_536,
      maximum: 1_073_741_824,
      default: 4_194_304,
      description: 'Bytes read from one file per poll at most (raised to max_line_bytes + 2 when smaller).',
    },
  },
};

export function createDefaultConfig(): FileReceiverConfig {
  return {
    exclude: [],
    start_at: 'end',
    format: 'linux.auth',
    poll_interval: '200ms',
    max_line_bytes: 1_048_576,
    encoding: 'utf-8',
    batch_size: 100,
    fingerprint_size: 1000,
    force_flush_period: '500ms',
    max_concurrent_files: 1024,
    max_bytes_per_poll: 4_194_304,
  };
}
