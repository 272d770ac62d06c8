/**
 * Filters select the events a rule looks at. Compiled once, at create time, into predicates over
 * normalized OCSF events; field paths are split once (no per-event parsing).
 *
 *   filter:
 *     class_uid: 3002                         # equality
 *     status_id: [2, 99]                      # any of
 *     metadata.event_code: { prefix: "USER:" }
 *     user.risk_score: { gte: 60 }
 *     is_mfa: true
 *     user.name: { exists: true }
 *     privileges: { in: [Administrator, "Global Administrator"] }   # arrays: any element
 *     any: [ { ... }, { ... } ]               # or
 *     all: [ { ... }, { ... } ]               # and (the default for keys side by side)
 *     not: { ... }
 *
 * Operators: eq, ne, in, not_in, prefix, suffix, contains (strings), gt, gte, lt, lte (numbers),
 * exists (true: present and not null). Strings compare case-sensitively; `ieq` / `iin` compare
 * case-insensitively (account names differ in case between sources).
 */
import type { JsonSchema } from '../../../core/api.js';

export type FilterDefinition = Record<string, unknown>;
export type Predicate = (event: unknown) => boolean;
export type Accessor = (event: unknown) => unknown;

export const OPERATORS = ['eq', 'ne', 'ieq', 'in', 'iin', 'not_in', 'prefix', 'suffix', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists'] as const;

const scalar: JsonSchema = { type: ['string', 'number', 'boolean'] };
const operatorSchema: JsonSchema = {
  type: 'object',
  minProperties: 1,
  properties: {
    eq: scalar, ne: scalar, ieq: { type: 'string' },
    in: { type: 'array', items: scalar }, iin: { type: 'array', items: { type: 'string' } }, not_in: { type: 'array', items: scalar },
    prefix: { type: 'string' }, suffix: { type: 'string' }, contains: { type: 'string' },
    gt: { type: 'number' }, gte: { type: 'number' }, lt: { type: 'number' }, lte: { type: 'number' },
    exists: { type: 'boolean' },
  },
};

/**
 * The JSON schema of a filter, recursive through any / all / not. It refers to itself as
 * `#/definitions/filter`: the schema that embeds it puts it under `definitions.filter`.
 */
export const filterSchema: JsonSchema = {
  type: 'object',
  minProperties: 1,
  propertyNames: { pattern: '^(any|all|not|[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*)$' },
  properties: {
    any: { type: 'array', minItems: 1, items: { $ref: '#/definitions/filter' } },
    all: { type: 'array', minItems: 1, items: { $ref: '#/definitions/filter' } },
    not: { $ref: '#/definitions/filter' },
  },
  additionalProperties: { anyOf: [scalar, { type: 'array', items: scalar }, operatorSchema] },
};

/** Reads a dotted path; where a step meets an array, the result is the array of its elements' values. */
export function compileAccessor(path: string): Accessor {
  const parts = path.split('.');
  return (event: unknown): unknown => {
    let value: unknown = event;
    for (let i = 0; i < parts.length; i++) {
      if (value === null || value === undefined) return undefined;
      if (Array.isArray(value)) {
        const rest = parts.slice(i);
        const found: unknown[] = [];
        for (const item of value) {
          let inner: unknown = item;
          for (const part of rest) inner = inner === null || inner === undefined ? undefined : (inner as Record<string, unknown>)[part];
          if (Array.isArray(inner)) found.push(...inner);
          else if (inner !== undefined) found.push(inner);
        }
        return found;
      }
      value = (value as Record<string, unknown>)[parts[i]!];
    }
    return value;
  };
}

/** True when `test` holds for the value, or for any element when the value is an array. */
function anyOf(value: unknown, test: (v: unknown) => boolean): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (test(item)) return true;
    return false;
  }
  return test(value);
}

function lower(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function compileCondition(accessor: Accessor, spec: unknown): Predicate {
  if (Array.isArray(spec)) {
    const set = new Set(spec);
    return (event) => anyOf(accessor(event), (v) => set.has(v));
  }
  if (spec === null || typeof spec !== 'object') return (event) => anyOf(accessor(event), (v) => v === spec);
  const tests: Predicate[] = [];
  for (const [op, operand] of Object.entries(spec as Record<string, unknown>)) {
    switch (op) {
      case 'eq': tests.push((e) => anyOf(accessor(e), (v) => v === operand)); break;
      case 'ne': tests.push((e) => !anyOf(accessor(e), (v) => v === operand)); break;
      case 'ieq': {
        const wanted = lower(operand);
        tests.push((e) => anyOf(accessor(e), (v) => lower(v) === wanted));
        break;
      }
      case 'in': {
        const set = new Set(operand as unknown[]);
        tests.push((e) => anyOf(accessor(e), (v) => set.has(v)));
        break;
      }
      case 'iin': {
        const set = new Set((operand as string[]).map((s) => s.toLowerCase()));
        tests.push((e) => anyOf(accessor(e), (v) => set.has(lower(v) as string)));
        break;
      }
      case 'not_in': {
        const set = new Set(operand as unknown[]);
        tests.push((e) => !anyOf(accessor(e), (v) => set.has(v)));
        break;
      }
      case 'prefix': tests.push((e) => anyOf(accessor(e), (v) => typeof v === 'string' && v.startsWith(operand as string))); break;
      case 'suffix': tests.push((e) => anyOf(accessor(e), (v) => typeof v === 'string' && v.endsWith(operand as string))); break;
      case 'contains': tests.push((e) => anyOf(accessor(e), (v) => typeof v === 'string' && v.includes(operand as string))); break;
      case 'gt': tests.push((e) => anyOf(accessor(e), (v) => typeof v === 'number' && v > (operand as number))); break;
      case 'gte': tests.push((e) => anyOf(accessor(e), (v) => typeof v === 'number' && v >= (operand as number))); break;
      case 'lt': tests.push((e) => anyOf(accessor(e), (v) => typeof v === 'number' && v < (operand as number))); break;
      case 'lte': tests.push((e) => anyOf(accessor(e), (v) => typeof v === 'number' && v <= (operand as number))); break;
      case 'exists': {
        const present = (e: unknown): boolean => {
          const v = accessor(e);
          return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
        };
        tests.push(operand === true ? present : (e) => !present(e));
        break;
      }
      default:
        throw new Error(`unknown filter operator "${op}"`);
    }
  }
  return allOf(tests);
}

function allOf(tests: readonly Predicate[]): Predicate {
  if (tests.length === 1) return tests[0]!;
  return (event) => {
    for (const test of tests) if (!test(event)) return false;
    return true;
  };
}

/** Compiles a filter definition (validated against `filterSchema`) into one predicate. */
export function compileFilter(definition: FilterDefinition): Predicate {
  const tests: Predicate[] = [];
  for (const [key, spec] of Object.entries(definition)) {
    if (key === 'any') {
      const alternatives = (spec as FilterDefinition[]).map(compileFilter);
      tests.push((event) => {
        for (const alternative of alternatives) if (alternative(event)) return true;
        return false;
      });
    } else if (key === 'all') {
      tests.push(allOf((spec as FilterDefinition[]).map(compileFilter)));
    } else if (key === 'not') {
      const inner = compileFilter(spec as FilterDefinition);
      tests.push((event) => !inner(event));
    } else {
      tests.push(compileCondition(compileAccessor(key), spec));
    }
  }
  return tests.length === 0 ? () => true : allOf(tests);
}
