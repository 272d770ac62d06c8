/**
 * The rule language: its JSON schema (validated at startup with the rest of the config) and its
 * compilation into what the router needs (filters, key and value accessors, weights — closures
 * built once) and what a partition needs (`WindowRule`, plain data).
 */
import type { JsonSchema } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import type { Condition, ConditionOp, WindowKind, WindowRule } from './engine.js';
import { compileAccessor, compileFilter, filterSchema } from './filter.js';
import type { Accessor, FilterDefinition, Predicate } from './filter.js';

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITY_ID: Readonly<Record<Severity, number>> = { informational: 1, low: 2, medium: 3, high: 4, critical: 5 };

export type ConditionDefinition = Partial<Record<ConditionOp, number>>;

export interface RuleDefinition {
  id: string;
  name: string;
  description: string;
  severity: Severity;
  /** MITRE ATT&CK technique ids, e.g. T1110.003. */
  attack: string[];
  type: WindowKind;
  /** Count kinds: the events counted; absence: the events (A) that need a B. */
  filter?: FilterDefinition;
  /** Fields whose values, with the tenant, make the key; empty: one key per tenant. */
  group_by: string[];
  /** value_count: the field whose distinct values are counted. */
  field?: string;
  timespan: string;
  /** Count kinds: the threshold. */
  condition?: ConditionDefinition;
  /** temporal / temporal_ordered: the sub-rules, each with its own filter and (default gte 1) condition. */
  stages?: { name: string; filter: FilterDefinition; condition?: ConditionDefinition }[];
  /** absence: the event (B) whose absence is reported. */
  absent?: { filter: FilterDefinition };
  /** absence: where B must be relative to A (default either). */
  direction?: 'before' | 'after' | 'either';
  /** Per-event weights: an event counts as the product of the weights of the entries it matches (1 when none). */
  weights?: { filter: FilterDefinition; weight: number }[];
  /** One detection per key per this period (default: the processor's `suppress`). */
  suppress?: string;
  /** false turns a rule off. */
  enabled?: boolean;
}

const conditionSchema: JsonSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  properties: { gt: { type: 'number' }, gte: { type: 'number' }, lt: { type: 'number' }, lte: { type: 'number' }, eq: { type: 'number' } },
};

const fieldPath: JsonSchema = { type: 'string', pattern: '^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*$' };
const filterRef: JsonSchema = { $ref: '#/definitions/filter' };

/** The JSON schema of one rule; the schema that embeds it must also hold `definitions.filter`. */
export const ruleSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'name', 'severity', 'type', 'timespan'],
  properties: {
    id: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    severity: { enum: ['informational', 'low', 'medium', 'high', 'critical'] },
    attack: { type: 'array', items: { type: 'string', pattern: '^T[0-9]{4}(\\.[0-9]{3})?$' } },
    type: { enum: ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'absence'] },
    filter: filterRef,
    group_by: { type: 'array', items: fieldPath },
    field: fieldPath,
    timespan: { type: 'string', format: 'duration' },
    condition: conditionSchema,
    stages: {
      type: 'array',
      minItems: 2,
      items: { type: 'object', required: ['name', 'filter'], properties: { name: { type: 'string' }, filter: filterRef, condition: conditionSchema } },
    },
    absent: { type: 'object', required: ['filter'], properties: { filter: filterRef } },
    direction: { enum: ['before', 'after', 'either'] },
    weights: {
      type: 'array',
      items: { type: 'object', required: ['filter', 'weight'], properties: { filter: filterRef, weight: { type: 'number', exclusiveMinimum: 0 } } },
    },
    suppress: { type: 'string', format: 'duration' },
    enabled: { type: 'boolean' },
  },
  allOf: [
    { if: { properties: { type: { const: 'value_count' } } }, then: { required: ['field', 'condition', 'filter'] } },
    { if: { properties: { type: { const: 'event_count' } } }, then: { required: ['condition', 'filter'] } },
    { if: { properties: { type: { enum: ['temporal', 'temporal_ordered'] } } }, then: { required: ['stages'] } },
    { if: { properties: { type: { const: 'absence' } } }, then: { required: ['filter', 'absent'] } },
  ],
};

export { filterSchema };

/** What the router evaluates per event for one rule. */
export interface RouterRule {
  readonly index: number;
  readonly definition: RuleDefinition;
  /** Count kinds and absence A: stage 0; temporal: one per stage; absence B: stage 1. */
  readonly stageFilters: readonly Predicate[];
  readonly keyFields: readonly Accessor[];
  readonly valueField: Accessor | undefined;
  readonly weights: readonly { readonly filter: Predicate; readonly weight: number }[];
  readonly window: WindowRule;
}

function condition(definition: ConditionDefinition | undefined, fallback: Condition): Condition {
  if (definition === undefined) return fallback;
  const [op, value] = Object.entries(definition)[0] as [ConditionOp, number];
  return { op, value };
}

/** The filter of each stage, in `RouterRule.stageFilters` order. */
export function stageFilterDefinitions(definition: RuleDefinition): FilterDefinition[] {
  if (definition.type === 'temporal' || definition.type === 'temporal_ordered') return (definition.stages ?? []).map((stage) => stage.filter);
  const filters = [definition.filter ?? {}];
  if (definition.type === 'absence') filters.push(definition.absent!.filter);
  return filters;
}

/** Compiles validated rule definitions; `index` follows their order. */
export function compileRules(definitions: readonly RuleDefinition[], defaultSuppressMs: number): RouterRule[] {
  return definitions.map((definition, index) => {
    const stageFilters: Predicate[] = stageFilterDefinitions(definition).map(compileFilter);
    const stages: Condition[] = [];
    if (definition.type === 'temporal' || definition.type === 'temporal_ordered') {
      for (const stage of definition.stages ?? []) stages.push(condition(stage.condition, { op: 'gte', value: 1 }));
    }
    const window: WindowRule = {
      index,
      kind: definition.type,
      timespanMs: parseDuration(definition.timespan),
      suppressMs: definition.suppress !== undefined ? parseDuration(definition.suppress) : defaultSuppressMs,
      condition: condition(definition.condition, { op: 'gte', value: 1 }),
      stages,
      direction: definition.direction ?? 'either',
    };
    return {
      index,
      definition,
      stageFilters,
      keyFields: definition.group_by.map(compileAccessor),
      valueField: definition.field !== undefined ? compileAccessor(definition.field) : undefined,
      weights: (definition.weights ?? []).map((w) => ({ filter: compileFilter(w.filter), weight: w.weight })),
      window,
    };
  });
}
