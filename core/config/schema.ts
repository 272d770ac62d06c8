import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../api.js';
import { isDuration } from '../duration.js';
import { isSecretKey } from '../logger.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** A problem found by schema validation, relative to the validated value. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
  /** True when the location is a key (unknown key), not a value. */
  atKey: boolean;
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false, coerceTypes: false });
  addFormats(ajv);
  ajv.addFormat('duration', { type: 'string', validate: isDuration });
  return ajv;
}

const ajv = createAjv();
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Unknown keys are errors (DESIGN.md, convention 1): every object schema that declares
 * `properties` and says nothing about other keys gets `additionalProperties: false`.
 */
export function closeSchema(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = { ...schema };
  if (copy.properties && typeof copy.properties === 'object') {
    const properties: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(copy.properties as Record<string, unknown>)) {
      properties[key] = isSchema(value) ? closeSchema(value) : value;
    }
    copy.properties = properties;
    if (copy.additionalProperties === undefined && copy.patternProperties === undefined) copy.additionalProperties = false;
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else']) {
    const value = copy[key];
    if (isSchema(value)) copy[key] = closeSchema(value);
  }
  for (const key of ['oneOf', 'anyOf', 'allOf']) {
    const value = copy[key];
    if (Array.isArray(value)) copy[key] = value.map((item) => (isSchema(item) ? closeSchema(item) : item));
  }
  for (const key of ['definitions', '$defs']) {
    const value = copy[key];
    if (value && typeof value === 'object') {
      copy[key] = Object.fromEntries(Object.entries(value).map(([name, item]) => [name, isSchema(item) ? closeSchema(item) : item]));
    }
  }
  return copy;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compiles a schema once (per schema object). Throws when the schema itself is invalid. */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(closeSchema(schema));
    compiled.set(schema, validate);
  }
  return validate;
}

/** Validates `value` in place (applying schema defaults) and returns every problem found. */
export function validateAgainst(schema: JsonSchema, value: unknown): SchemaProblem[] {
  const validate = compileSchema(schema);
  if (validate(value)) return [];
  return describeErrors(validate.errors ?? []);
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function describe(value: unknown, path: readonly (string | number)[] = []): string {
  if (value === null) return 'null';
  // A value under a secret's key (token, client_secret, headers.Authorization, ...) is described, never quoted.
  if (typeof value === 'string' && path.some((part) => typeof part === 'string' && isSecretKey(part))) return `a string of ${value.length} characters (not shown: it is a secret)`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean (true or false)',
  object: 'a map', array: 'a list', null: 'null',
};

/** Closest candidate by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closest(key, known);
  if (suggestion) return `unknown key (did you mean "${suggestion}"?)`;
  return known.length > 0 ? `unknown key (valid keys: ${known.join(', ')})` : 'unknown key (this component takes no settings)';
}

function describeErrors(errors: readonly ErrorObject[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const path = pointerToPath(error.instancePath);
    let problem: SchemaProblem;
    switch (error.keyword) {
      case 'additionalProperties': {
        const key = (error.params as { additionalProperty: string }).additionalProperty;
        const known = Object.keys(((error.parentSchema as JsonSchema | undefined)?.properties as object | undefined) ?? {});
        problem = { path: [...path, key], message: unknownKeyMessage(key, known), atKey: true };
        break;
      }
      case 'required': {
        const key = (error.params as { missingProperty: string }).missingProperty;
        problem = { path: [...path, key], message: 'is required', atKey: true };
        break;
      }
      case 'type': {
        const expected = String((error.params as { type: string | string[] }).type)
          .split(',')
          .map((t) => TYPE_NAMES[t] ?? t)
          .join(' or ');
        problem = { path, message: `must be ${expected}, got ${describe(error.data, path)}`, atKey: false };
        break;
      }
      case 'enum': {
        const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
        problem = { path, message: `must be one of ${allowed}, got ${describe(error.data, path)}`, atKey: false };
        break;
      }
      case 'format': {
        const format = (error.params as { format: string }).format;
        const hint = format === 'duration' ? 'a duration such as 250ms, 5s or 1m30s' : format === 'uri' ? 'a URL' : `a valid ${format}`;
        problem = { path, message: `must be ${hint}, got ${describe(error.data, path)}`, atKey: false };
        break;
      }
      default:
        problem = { path, message: `${error.message ?? 'is invalid'}${error.keyword === 'oneOf' || error.keyword === 'anyOf' ? '' : `, got ${describe(error.data, path)}`}`, atKey: false };
    }
    const id = problem.path.join('\u0000') + '\u0001' + problem.message;
    if (!seen.has(id)) {
      seen.add(id);
      problems.push(problem);
    }
  }
  return problems;
}
