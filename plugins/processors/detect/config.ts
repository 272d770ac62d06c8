import type { JsonSchema } from '../../../core/api.js';
import { builtinParametersSchema, defaultBuiltinParameters } from './builtin.js';
import type { BuiltinParameters } from './builtin.js';
import { filterSchema, ruleSchema } from './rules.js';
import type { ConditionDefinition, RuleDefinition, Severity } from './rules.js';

/** Changes to one built-in rule (thresholds, window, severity, on/off). */
export interface BuiltinOverride {
  enabled?: boolean;
  condition?: ConditionDefinition;
  timespan?: string;
  suppress?: string;
  severity?: Severity;
}

export interface DetectConfig {
  /** `builtin` (the rule pack) and/or rule definitions, in evaluation order. */
  rules: (string | RuleDefinition)[];
  /** Per built-in rule id: overrides. */
  builtin: Record<string, BuiltinOverride>;
  /** Parameters of the built-in rules (privileged roles and groups, default accounts, IAM scope...). */
  parameters: BuiltinParameters;
  /** Worker threads for the rule state; unset: the host's --workers; 0: on the pipeline's own thread. */
  workers?: number;
  /** How far behind the newest event an event may arrive and still be judged on time. */
  allowed_out_of_orderness: string;
  /** How much later still an event is accepted into windows that are still open. */
  allowed_lateness: string;
  /** Default suppression period of a rule: one detection per (rule, key) per period. */
  suppress: string;
  /** Keys tracked per rule per partition; beyond it new keys are counted, not tracked. */
  max_keys_per_rule: number;
  /** With worker threads: hand-offs to the workers whose findings are still being counted. */
  max_batches_in_flight: number;
  /** With worker threads: events of consecutive pipeline batches handed to the workers together. */
  worker_batch_events: number;
  /** With worker threads: how long routed events wait for more before they are handed over. */
  worker_batch_timeout: string;
}

const overrideSchema: JsonSchema = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    condition: (ruleSchema.properties as Record<string, JsonSchema>).condition!,
    timespan: { type: 'string', format: 'duration' },
    suppress: { type: 'string', format: 'duration' },
    severity: { enum: ['informational', 'low', 'medium', 'high', 'critical'] },
  },
};

export const configSchema: JsonSchema = {
  type: 'object',
  definitions: { filter: filterSchema },
  properties: {
    rules: { type: 'array', minItems: 1, items: { anyOf: [{ const: 'builtin' }, ruleSchema] } },
    builtin: { type: 'object', propertyNames: { pattern: '^[a-z][a-z0-9_]*$' }, additionalProperties: overrideSchema },
    parameters: builtinParametersSchema,
    workers: { type: 'integer', minimum: 0, maximum: 64 },
    allowed_out_of_orderness: { type: 'string', format: 'duration' },
    allowed_lateness: { type: 'string', format: 'duration' },
    suppress: { type: 'string', format: 'duration' },
    max_keys_per_rule: { type: 'integer', minimum: 1 },
    max_batches_in_flight: { type: 'integer', minimum: 1, maximum: 64 },
    worker_batch_events: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    worker_batch_timeout: { type: 'string', format: 'duration' },
  },
};

export function createDefaultConfig(): DetectConfig {
  return {
    rules: ['builtin'],
    builtin: {},
    parameters: defaultBuiltinParameters(),
    allowed_out_of_orderness: '10s',
    allowed_lateness: '1m',
    suppress: '15m',
    max_keys_per_rule: 100_000,
    max_batches_in_flight: 4,
    worker_batch_events: 4000,
    worker_batch_timeout: '5ms',
  };
}
