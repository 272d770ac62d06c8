// Placeholder until the rule pack lands: the built-in rules as a function of their parameters.
import type { JsonSchema } from '../../../core/api.js';
import type { RuleDefinition } from './rules.js';

export type BuiltinParameters = Record<string, unknown>;
export const builtinParametersSchema: JsonSchema = { type: 'object', properties: {} };
export function defaultBuiltinParameters(): BuiltinParameters {
  return {};
}
export function builtinRules(_parameters: BuiltinParameters): RuleDefinition[] {
  return [];
}
