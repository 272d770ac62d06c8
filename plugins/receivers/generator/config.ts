import type { JsonSchema } from '../../../core/api.js';
import { FORMATS, SCENARIOS } from './model.js';
import type { FormatName, ScenarioName } from './model.js';

export interface GeneratorConfig {
  /** Records per second. */
  rate: number;
  /** Same seed and config => byte-identical records (times included when start_time is set). */
  seed: number;
  formats: FormatName[];
  /** Attack scenarios, started one per scenario_interval in this order; [] = noise only. */
  scenarios: ScenarioName[];
  /** Go-style duration between scenario starts (measured in records: interval × rate). */
  scenario_interval: string;
  /** Stop after this many records; unset = run until shutdown. */
  count?: number;
  batch_size: number;
  /** When set: simulated event times (start_time + i/rate) and fast-forward, as fast as the consumer accepts. */
  start_time?: string;
  /** The simulated organisation's DNS domain (emails, UPNs, hostnames). */
  tenant_domain: string;
  /** Multiplies how often noise holds failures, resets and account changes (1 = busy; 0.05 ≈ a quiet, realistic day). */
  noise_failure_scale: number;
}

export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    rate: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000, default: 20, description: 'Records per second.' },
    seed: { type: 'integer', minimum: 0, maximum: 4_294_967_295, default: 1, description: 'PRNG seed; same seed and config give identical output.' },
    formats: {
      type: 'array',
      items: { type: 'string', enum: [...FORMATS] },
      uniqueItems: true,
      minItems: 1,
      default: [...FORMATS],
      description: 'Vendor formats to emit.',
    },
    scenarios: {
      type: 'array',
      items: { type: 'string', enum: [...SCENARIOS] },
      uniqueItems: true,
      default: [...SCENARIOS],
      description: 'Attack scenarios to rotate through; empty for background noise only.',
    },
    scenario_interval: {
      type: 'string',
      pattern: '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$',
      default: '30s',
      description: 'One scenario starts every interval (Go-style duration, e.g. 30s, 1m30s).',
    },
    count: { type: 'integer', minimum: 1, description: 'Stop after this many records; unset = run until shutdown.' },
    batch_size: { type: 'integer', minimum: 1, maximum: 100_000, default: 100, description: 'Maximum records per batch.' },
    start_time: {
      type: 'string',
      format: 'date-time',
      description: 'Simulated clock start (RFC 3339); when set, records are produced as fast as the consumer accepts them.',
    },
    tenant_domain: {
      type: 'string',
      pattern: '^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$',
      default: 'example.com',
      description: 'DNS domain of the simulated organisation.',
    },
    noise_failure_scale: {
      type: 'number',
      minimum: 0,
      maximum: 10,
      default: 1,
      description: 'Multiplies how often noise holds failures, resets and account changes (1 = busy; 0.05 = a quiet, realistic day).',
    },
  },
};

export function createDefaultConfig(): GeneratorConfig {
  return {
    rate: 20,
    seed: 1,
    formats: [...FORMATS],
    scenarios: [...SCENARIOS],
    scenario_interval: '30s',
    batch_size: 100,
    tenant_domain: 'example.com',
    noise_failure_scale: 1,
  };
}
