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

type Fields = Record<string, unknown>;

// ---- how filters run -----------------------------------------------------------------------
//
// Each filter and each accessor is compiled to the source of one function (`new Function`), with
// the field names as literal property reads. A function of its own per filter matters: closures
// made by one factory share their code and its inline caches, so a read like `event[name]` in a
// shared closure sees every rule's field names, goes megamorphic and costs tens of nanoseconds; a
// literal read in its own function is monomorphic on the (one) shape of normalized events. No
// text of the config reaches the source but field names, written as JSON string literals, and
// finite numbers / booleans; every other operand is passed in as a constant. Element tests (for
// array values) are closures made here, once per condition, never per event.
//
// Semantics, exactly those of reading the path with `compileAccessor` and testing the result:
// a null or missing step gives undefined (tested as such); where a step meets an array, the values
// of `rest of path` of each element are collected (an array value adds its elements, undefined is
// skipped) and the condition holds when it holds for any of them; a final array value holds when
// any element does.

type Test = (value: unknown) => boolean;

/** True when `test` holds for some element. */
function someElement(items: readonly unknown[], test: Test): boolean {
  for (let k = 0; k < items.length; k++) if (test(items[k])) return true;
  return false;
}

/** Plain property steps from `from` to the end; a null or missing step gives undefined. */
function walk(value: unknown, parts: readonly string[], from: number): unknown {
  for (let j = from; j < parts.length; j++) value = value === null || value === undefined ? undefined : (value as Fields)[parts[j]!];
  return value;
}

/** The values of `parts[from..]` of each item (no array handling inside an item); array values add their elements. */
function collect(items: readonly unknown[], parts: readonly string[], from: number): unknown[] {
  const found: unknown[] = [];
  for (let k = 0; k < items.length; k++) {
    const inner = walk(items[k], parts, from);
    if (Array.isArray(inner)) for (let m = 0; m < inner.length; m++) found.push(inner[m]);
    else if (inner !== undefined) found.push(inner);
  }
  return found;
}

/** `test` holds for some value of `collect(items, parts, from)`, without the array. */
function someCollected(items: readonly unknown[], parts: readonly string[], from: number, test: Test): boolean {
  for (let k = 0; k < items.length; k++) {
    const inner = walk(items[k], parts, from);
    if (Array.isArray(inner)) {
      if (someElement(inner, test)) return true;
    } else if (inner !== undefined && test(inner)) return true;
  }
  return false;
}

/** `collect(items, parts, from)` is not empty. */
function existsCollected(items: readonly unknown[], parts: readonly string[], from: number): boolean {
  for (let k = 0; k < items.length; k++) {
    const inner = walk(items[k], parts, from);
    if (Array.isArray(inner) ? inner.length > 0 : inner !== undefined) return true;
  }
  return false;
}

const RUNTIME = { someElement, someCollected, existsCollected, collect };
const RUNTIME_NAMES = Object.keys(RUNTIME);
const RUNTIME_VALUES = Object.values(RUNTIME);

/** Builds the source of one function; constants are passed in, not written into it. */
class Source {
  private readonly constants: unknown[] = [];

  constant(value: unknown): string {
    this.constants.push(value);
    return `k${this.constants.length - 1}`;
  }

  /** A literal for finite numbers and booleans, a constant for anything else. */
  operand(value: unknown): string {
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number' && Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
    return this.constant(value);
  }

  /**
   * Walks `parts` from the event (in `v`, a scratch variable) and ends in `final` (over `v`), or
   * `missing` at a null / missing step, or `atArray(i)` where step `i` meets an array.
   */
  path(parts: readonly string[], final: string, missing: string, atArray: (from: number) => string): string {
    let expression = final;
    for (let i = parts.length - 1; i >= 0; i--) {
      expression = `(v === null || v === undefined ? ${missing} : Array.isArray(v) ? ${atArray(i)} : (v = v[${JSON.stringify(parts[i])}], ${expression}))`;
    }
    return `(v = e, ${expression})`;
  }

  compile<T>(body: string): T {
    const constants = this.constants.map((_, i) => `const k${i} = k[${i}];\n`).join('');
    return new Function(...RUNTIME_NAMES, 'k', `"use strict";\n${constants}return ${body};`)(...RUNTIME_VALUES, this.constants) as T;
  }
}

/**
 * Reads a dotted path; where a step meets an array, the result is the array of its elements'
 * values (an element whose value is an array adds its elements; undefined ones are left out).
 */
export function compileAccessor(path: string): Accessor {
  const parts = path.split('.');
  const source = new Source();
  const P = source.constant(parts);
  let body = 'let v = e;\n';
  parts.forEach((part, i) => {
    body += `if (v === null || v === undefined) return undefined;\nif (Array.isArray(v)) return collect(v, ${P}, ${i});\nv = v[${JSON.stringify(part)}];\n`;
  });
  return source.compile<Accessor>(`function accessor(e) {\n${body}return v;\n}`);
}

function lower(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** "Some value at `parts` passes": `test` for arrays and the missing case, `inline` (over `v`) for one value. */
function someAt(source: Source, parts: readonly string[], test: Test, inline?: (v: string) => string): string {
  const T = source.constant(test);
  const P = source.constant(parts);
  const one = inline !== undefined ? inline('v') : `${T}(v)`;
  return source.path(parts, `(Array.isArray(v) ? someElement(v, ${T}) : ${one})`, String(test(undefined)), (from) => `someCollected(v, ${P}, ${from}, ${T})`);
}

function equalAt(source: Source, parts: readonly string[], operand: unknown): string {
  const K = source.operand(operand);
  const T = source.constant((v: unknown) => v === operand);
  const P = source.constant(parts);
  // An array is never === a scalar operand: the comparison first, the array test only when it fails.
  return source.path(parts, `(v === ${K} || (Array.isArray(v) && someElement(v, ${T})))`, String(operand === undefined), (from) => `someCollected(v, ${P}, ${from}, ${T})`);
}

function memberAt(source: Source, parts: readonly string[], operand: unknown): string {
  const set = new Set(operand as unknown[]);
  const S = source.constant(set);
  return someAt(source, parts, (v) => set.has(v), (v) => `${S}.has(${v})`);
}

function existsAt(source: Source, parts: readonly string[]): string {
  const P = source.constant(parts);
  return source.path(parts, '(v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))', 'false', (from) => `existsCollected(v, ${P}, ${from})`);
}

function and(expressions: readonly string[]): string {
  return expressions.length === 0 ? 'true' : `(${expressions.join(' && ')})`;
}

function conditionSource(source: Source, parts: readonly string[], spec: unknown): string {
  if (Array.isArray(spec)) return memberAt(source, parts, spec);
  if (spec === null || typeof spec !== 'object') return equalAt(source, parts, spec);
  const tests: string[] = [];
  for (const [op, operand] of Object.entries(spec as Record<string, unknown>)) {
    switch (op) {
      case 'eq': tests.push(equalAt(source, parts, operand)); break;
      case 'ne': tests.push(`!${equalAt(source, parts, operand)}`); break;
      case 'ieq': {
        const wanted = lower(operand);
        tests.push(someAt(source, parts, (v) => lower(v) === wanted));
        break;
      }
      case 'in': tests.push(memberAt(source, parts, operand)); break;
      case 'iin': {
        const set = new Set((operand as string[]).map((s) => s.toLowerCase()));
        tests.push(someAt(source, parts, (v) => set.has(lower(v) as string)));
        break;
      }
      case 'not_in': tests.push(`!${memberAt(source, parts, operand)}`); break;
      case 'prefix': {
        const text = operand as string;
        tests.push(someAt(source, parts, (v) => typeof v === 'string' && v.startsWith(text), (v) => `(typeof ${v} === 'string' && ${v}.startsWith(${source.constant(text)}))`));
        break;
      }
      case 'suffix': {
        const text = operand as string;
        tests.push(someAt(source, parts, (v) => typeof v === 'string' && v.endsWith(text), (v) => `(typeof ${v} === 'string' && ${v}.endsWith(${source.constant(text)}))`));
        break;
      }
      case 'contains': {
        const text = operand as string;
        tests.push(someAt(source, parts, (v) => typeof v === 'string' && v.includes(text), (v) => `(typeof ${v} === 'string' && ${v}.includes(${source.constant(text)}))`));
        break;
      }
      case 'gt': {
        const n = operand as number;
        tests.push(someAt(source, parts, (v) => typeof v === 'number' && v > n, (v) => `(typeof ${v} === 'number' && ${v} > ${source.operand(n)})`));
        break;
      }
      case 'gte': {
        const n = operand as number;
        tests.push(someAt(source, parts, (v) => typeof v === 'number' && v >= n, (v) => `(typeof ${v} === 'number' && ${v} >= ${source.operand(n)})`));
        break;
      }
      case 'lt': {
        const n = operand as number;
        tests.push(someAt(source, parts, (v) => typeof v === 'number' && v < n, (v) => `(typeof ${v} === 'number' && ${v} < ${source.operand(n)})`));
        break;
      }
      case 'lte': {
        const n = operand as number;
        tests.push(someAt(source, parts, (v) => typeof v === 'number' && v <= n, (v) => `(typeof ${v} === 'number' && ${v} <= ${source.operand(n)})`));
        break;
      }
      case 'exists': tests.push(operand === true ? existsAt(source, parts) : `!${existsAt(source, parts)}`); break;
      default:
        throw new Error(`unknown filter operator "${op}"`);
    }
  }
  return and(tests);
}

function filterSource(source: Source, definition: FilterDefinition): string {
  const tests: string[] = [];
  for (const [key, spec] of Object.entries(definition)) {
    if (key === 'any') {
      const alternatives = (spec as FilterDefinition[]).map((inner) => filterSource(source, inner));
      tests.push(alternatives.length === 0 ? 'false' : `(${alternatives.join(' || ')})`);
    } else if (key === 'all') {
      tests.push(and((spec as FilterDefinition[]).map((inner) => filterSource(source, inner))));
    } else if (key === 'not') {
      tests.push(`!${filterSource(source, spec as FilterDefinition)}`);
    } else {
      tests.push(conditionSource(source, key.split('.'), spec));
    }
  }
  return and(tests);
}

/** Compiles a filter definition (validated against `filterSchema`) into one predicate. */
export function compileFilter(definition: FilterDefinition): Predicate {
  const source = new Source();
  const expression = filterSource(source, definition);
  return source.compile<Predicate>(`function filter(e) {\nlet v;\nreturn ${expression};\n}`);
}

/**
 * The `class_uid`s an event must have for the filter to be able to match it, or undefined when
 * the filter does not restrict them (for events whose `class_uid` is a number, as the router's
 * are). Read from top-level `class_uid` equality / `in` conditions, through `all` (each) and
 * `any` (every alternative); `not` and other operators restrict nothing. The router uses it to
 * test an event only against the filters of its class.
 */
export function filterClasses(definition: FilterDefinition): ReadonlySet<number> | undefined {
  let classes: Set<number> | undefined;
  const restrict = (allowed: ReadonlySet<number> | undefined): void => {
    if (allowed === undefined) return;
    classes = classes === undefined ? new Set(allowed) : new Set([...classes].filter((c) => allowed.has(c)));
  };
  for (const [key, spec] of Object.entries(definition)) {
    if (key === 'all') {
      for (const inner of spec as FilterDefinition[]) restrict(filterClasses(inner));
    } else if (key === 'any') {
      const alternatives = spec as FilterDefinition[];
      let union: Set<number> | undefined = new Set();
      for (const inner of alternatives) {
        const allowed = filterClasses(inner);
        if (allowed === undefined) {
          union = undefined;
          break;
        }
        for (const c of allowed) union.add(c);
      }
      restrict(union);
    } else if (key === 'class_uid') {
      restrict(conditionClasses(spec));
    }
  }
  return classes;
}

function numbers(values: readonly unknown[]): Set<number> {
  return new Set(values.filter((v): v is number => typeof v === 'number'));
}

function conditionClasses(spec: unknown): ReadonlySet<number> | undefined {
  if (Array.isArray(spec)) return numbers(spec);
  if (spec === null || typeof spec !== 'object') return numbers([spec]);
  let classes: ReadonlySet<number> | undefined;
  for (const [op, operand] of Object.entries(spec as Record<string, unknown>)) {
    let allowed: ReadonlySet<number> | undefined;
    if (op === 'eq') allowed = numbers([operand]);
    else if (op === 'in') allowed = numbers(operand as unknown[]);
    else continue;
    classes = classes === undefined ? allowed : new Set([...classes].filter((c) => allowed!.has(c)));
  }
  return classes;
}
