/**
 * Filters: exact truth tables for every operator (scalars, arrays, missing and null values,
 * wrong types), array paths, nesting, accessors, the class_uid a filter requires, and a
 * differential test of the compiled filters against a plain reference interpreter, over
 * generated normalized events (and mutated copies with arrays, nulls and missing fields), for
 * every filter of every built-in rule.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { RawRecord } from '../../../../core/api.js';
import { builtinRules, defaultBuiltinParameters } from '../../../../plugins/processors/detect/builtin.js';
import type { BuiltinParameters } from '../../../../plugins/processors/detect/builtin.js';
import { compileAccessor, compileFilter, filterClasses } from '../../../../plugins/processors/detect/filter.js';
import type { FilterDefinition } from '../../../../plugins/processors/detect/filter.js';
import type { RuleDefinition } from '../../../../plugins/processors/detect/rules.js';
import { mapperTable, mapRecord } from '../../../../plugins/processors/normalize/normalize.js';
import { Engine } from '../../../../plugins/receivers/generator/engine.js';
import { FORMATS, SCENARIOS } from '../../../../plugins/receivers/generator/model.js';
import { mulberry32 } from '../../../helpers.js';

// ---- the reference: the rule language read literally -----------------------------------------

/** A dotted path; where a step meets an array, the values of the rest of the path of each element (array values spread, undefined left out). */
function refRead(event: unknown, path: string): unknown {
  const parts = path.split('.');
  let value: unknown = event;
  for (let i = 0; i < parts.length; i++) {
    if (value === null || value === undefined) return undefined;
    if (Array.isArray(value)) {
      const found: unknown[] = [];
      for (const item of value) {
        let inner: unknown = item;
        for (const part of parts.slice(i)) inner = inner === null || inner === undefined ? undefined : (inner as Record<string, unknown>)[part];
        if (Array.isArray(inner)) found.push(...inner);
        else if (inner !== undefined) found.push(inner);
      }
      return found;
    }
    value = (value as Record<string, unknown>)[parts[i]!];
  }
  return value;
}

/** The value, or its elements when it is an array. */
function candidates(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function refOperator(op: string, operand: unknown, value: unknown): boolean {
  const some = (test: (v: unknown) => boolean): boolean => candidates(value).some(test);
  const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);
  switch (op) {
    case 'eq': return some((v) => v === operand);
    case 'ne': return !some((v) => v === operand);
    case 'ieq': return some((v) => lower(v) === lower(operand));
    case 'in': return some((v) => (operand as unknown[]).includes(v));
    case 'iin': return some((v) => (operand as string[]).some((s) => s.toLowerCase() === lower(v)));
    case 'not_in': return !some((v) => (operand as unknown[]).includes(v));
    case 'prefix': return some((v) => typeof v === 'string' && v.startsWith(operand as string));
    case 'suffix': return some((v) => typeof v === 'string' && v.endsWith(operand as string));
    case 'contains': return some((v) => typeof v === 'string' && v.includes(operand as string));
    case 'gt': return some((v) => typeof v === 'number' && v > (operand as number));
    case 'gte': return some((v) => typeof v === 'number' && v >= (operand as number));
    case 'lt': return some((v) => typeof v === 'number' && v < (operand as number));
    case 'lte': return some((v) => typeof v === 'number' && v <= (operand as number));
    case 'exists': {
      const present = value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
      return operand === true ? present : !present;
    }
    default: throw new Error(`reference: unknown operator ${op}`);
  }
}

function refMatch(definition: FilterDefinition, event: unknown): boolean {
  for (const [key, spec] of Object.entries(definition)) {
    let holds: boolean;
    if (key === 'any') holds = (spec as FilterDefinition[]).some((inner) => refMatch(inner, event));
    else if (key === 'all') holds = (spec as FilterDefinition[]).every((inner) => refMatch(inner, event));
    else if (key === 'not') holds = !refMatch(spec as FilterDefinition, event);
    else {
      const value = refRead(event, key);
      if (Array.isArray(spec)) holds = refOperator('in', spec, value);
      else if (spec === null || typeof spec !== 'object') holds = refOperator('eq', spec, value);
      else holds = Object.entries(spec as Record<string, unknown>).every(([op, operand]) => refOperator(op, operand, value));
    }
    if (!holds) return false;
  }
  return true;
}

// ---- truth tables --------------------------------------------------------------------------

/** Values of `f` in the events of the tables, by name. */
const VALUES: Record<string, unknown> = {
  missing: undefined,
  null: null,
  str: 'Admin',
  strLower: 'admin',
  strOther: 'guest',
  num5: 5,
  num3: 3,
  num7: 7,
  numStr: '5',
  true: true,
  false: false,
  emptyArr: [],
  arrWithAdmin: ['guest', 'Admin'],
  arrWith5: [1, 5],
  arrOther: ['guest', 9],
  arrNull: [null],
  object: { a: 1 },
};
const NAMES = Object.keys(VALUES);

function eventWith(name: string): Record<string, unknown> {
  return name === 'missing' ? { g: 1 } : { g: 1, f: VALUES[name] };
}

/** The names of the values for which `{ f: spec }` holds, compiled and in the reference. */
function holdsFor(spec: unknown): string[] {
  const compiled = compileFilter({ f: spec });
  const names = NAMES.filter((name) => compiled(eventWith(name)));
  assert.deepEqual(names, NAMES.filter((name) => refMatch({ f: spec }, eventWith(name))), `reference disagrees for ${JSON.stringify(spec)}`);
  return names;
}

test('truth table: equality, shorthand and eq / ne', () => {
  assert.deepEqual(holdsFor('Admin'), ['str', 'arrWithAdmin']);
  assert.deepEqual(holdsFor(5), ['num5', 'arrWith5']);
  assert.deepEqual(holdsFor(true), ['true']);
  assert.deepEqual(holdsFor(false), ['false']);
  assert.deepEqual(holdsFor({ eq: 'Admin' }), ['str', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ eq: 5 }), ['num5', 'arrWith5']);
  assert.deepEqual(holdsFor({ ne: 'Admin' }), NAMES.filter((n) => n !== 'str' && n !== 'arrWithAdmin'));
  assert.deepEqual(holdsFor({ ne: 5 }), NAMES.filter((n) => n !== 'num5' && n !== 'arrWith5'));
});

test('truth table: ieq / iin compare strings case-insensitively, other types exactly', () => {
  assert.deepEqual(holdsFor({ ieq: 'ADMIN' }), ['str', 'strLower', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ ieq: 'admin' }), ['str', 'strLower', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ iin: ['ADMIN', 'root'] }), ['str', 'strLower', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ iin: ['Guest'] }), ['strOther', 'arrWithAdmin', 'arrOther']);
  assert.deepEqual(holdsFor({ iin: [] }), []);
});

test('truth table: list shorthand, in / not_in', () => {
  assert.deepEqual(holdsFor(['Admin', 5]), ['str', 'num5', 'arrWithAdmin', 'arrWith5']);
  assert.deepEqual(holdsFor({ in: ['Admin', 5] }), ['str', 'num5', 'arrWithAdmin', 'arrWith5']);
  assert.deepEqual(holdsFor({ in: [true] }), ['true']);
  assert.deepEqual(holdsFor({ in: [] }), []);
  assert.deepEqual(holdsFor([]), []);
  assert.deepEqual(holdsFor({ not_in: ['Admin', 5] }), NAMES.filter((n) => !['str', 'num5', 'arrWithAdmin', 'arrWith5'].includes(n)));
  assert.deepEqual(holdsFor({ not_in: [] }), NAMES);
});

test('truth table: prefix / suffix / contains hold for strings only, case-sensitively', () => {
  assert.deepEqual(holdsFor({ prefix: 'Ad' }), ['str', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ prefix: '' }), ['str', 'strLower', 'strOther', 'numStr', 'arrWithAdmin', 'arrOther']);
  assert.deepEqual(holdsFor({ suffix: 'min' }), ['str', 'strLower', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ contains: 'dmi' }), ['str', 'strLower', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ contains: 'es' }), ['strOther', 'arrWithAdmin', 'arrOther']);
  assert.deepEqual(holdsFor({ prefix: '5' }), ['numStr']);
});

test('truth table: gt / gte / lt / lte hold for numbers only', () => {
  assert.deepEqual(holdsFor({ gt: 5 }), ['num7', 'arrOther']);
  assert.deepEqual(holdsFor({ gte: 5 }), ['num5', 'num7', 'arrWith5', 'arrOther']);
  assert.deepEqual(holdsFor({ lt: 5 }), ['num3', 'arrWith5']);
  assert.deepEqual(holdsFor({ lte: 5 }), ['num5', 'num3', 'arrWith5']);
  assert.deepEqual(holdsFor({ gte: 4, lt: 6 }), ['num5', 'arrWith5']);
  assert.deepEqual(holdsFor({ gt: 100 }), []);
});

test('truth table: exists (null, missing and an empty array are absent)', () => {
  const present = NAMES.filter((n) => !['missing', 'null', 'emptyArr'].includes(n));
  assert.deepEqual(holdsFor({ exists: true }), present);
  assert.deepEqual(holdsFor({ exists: false }), ['missing', 'null', 'emptyArr']);
  assert.deepEqual(holdsFor({ exists: true, ne: 5 }), present.filter((n) => n !== 'num5' && n !== 'arrWith5'));
});

test('operators side by side in one map all hold; an empty map holds', () => {
  assert.deepEqual(holdsFor({ prefix: 'A', suffix: 'n' }), ['str', 'arrWithAdmin']);
  assert.deepEqual(holdsFor({ in: ['Admin', 'guest'], ne: 'guest' }), ['str']);
  assert.equal(compileFilter({})({}), true);
  assert.equal(compileFilter({})({ f: 1 }), true);
});

test('an unknown operator is an error at compile time', () => {
  assert.throws(() => compileFilter({ f: { like: 'x' } }), /unknown filter operator "like"/);
});

// ---- paths through objects and arrays --------------------------------------------------------

test('two- and three-step paths; missing and null steps', () => {
  const f = compileFilter({ 'a.b': 1 });
  assert.deepEqual([{ a: { b: 1 } }, { a: { b: 2 } }, { a: {} }, { a: null }, {}, { a: 1 }, { a: { b: [2, 1] } }].map(f), [true, false, false, false, false, false, true]);
  const deep = compileFilter({ 'a.b.c': { gte: 2 } });
  assert.deepEqual([{ a: { b: { c: 2 } } }, { a: { b: { c: 1 } } }, { a: { b: null } }, { a: { b: { c: [0, 3] } } }, { a: null }].map(deep), [true, false, false, true, false]);
  const ne = compileFilter({ 'a.b.c': { ne: 1 } });
  assert.deepEqual([{ a: { b: { c: 1 } } }, { a: { b: { c: 2 } } }, { a: null }, {}].map(ne), [false, true, true, true]);
  // A step into a primitive reads its property, as JavaScript does (a string's length).
  assert.equal(compileFilter({ 'a.length': 3 })({ a: 'abc' }), true);
});

test('a step meeting an array: any element, through the rest of the path', () => {
  const f = compileFilter({ 'auth_factors.factor_type_id': 5 });
  const cases: [unknown, boolean][] = [
    [{ auth_factors: [{ factor_type_id: 1 }, { factor_type_id: 5 }] }, true],
    [{ auth_factors: [{ factor_type_id: 1 }] }, false],
    [{ auth_factors: [] }, false],
    [{ auth_factors: [null, {}, { factor_type_id: 5 }] }, true],
    [{ auth_factors: [{ factor_type_id: [2, 5] }] }, true],
    [{ auth_factors: [{ factor_type_id: [[5]] }] }, false],
    [{ auth_factors: [[{ factor_type_id: 5 }]] }, false],
    [{ auth_factors: { factor_type_id: 5 } }, true],
    [{ auth_factors: null }, false],
    [{}, false],
  ];
  for (const [event, expected] of cases) {
    assert.equal(f(event), expected, JSON.stringify(event));
    assert.equal(refMatch({ 'auth_factors.factor_type_id': 5 }, event), expected, `reference: ${JSON.stringify(event)}`);
  }
  // `ne` / `not_in`: no collected value is equal; nothing collected holds.
  const ne = compileFilter({ 'auth_factors.factor_type_id': { ne: 5 } });
  assert.deepEqual(cases.map(([event]) => ne(event)), [false, true, true, false, false, true, true, false, true, true]);
  const deep = compileFilter({ 'a.b.c': 'x' });
  assert.deepEqual([{ a: [{ b: { c: 'x' } }] }, { a: { b: [{ c: 'y' }, { c: 'x' }] } }, { a: [{ b: [{ c: 'x' }] }] }, { a: [{ b: null }] }].map(deep), [true, true, false, false]);
});

test('exists through arrays: something collected (null counts, undefined does not)', () => {
  const f = compileFilter({ 'a.b': { exists: true } });
  const cases: [unknown, boolean][] = [
    [{ a: [{ b: 1 }] }, true],
    [{ a: [{ c: 1 }] }, false],
    [{ a: [{ b: null }] }, true],
    [{ a: [{ b: [] }] }, false],
    [{ a: [{ b: [undefined] }] }, true],
    [{ a: [] }, false],
    [{ a: { b: null } }, false],
    [{ a: { b: [] } }, false],
    [{ a: { b: 0 } }, true],
    [{ a: { b: '' } }, true],
  ];
  for (const [event, expected] of cases) {
    assert.equal(f(event), expected, JSON.stringify(event));
    assert.equal(refMatch({ 'a.b': { exists: true } }, event), expected, `reference: ${JSON.stringify(event)}`);
    assert.equal(compileFilter({ 'a.b': { exists: false } })(event), !expected, `exists false: ${JSON.stringify(event)}`);
  }
});

test('a final array value: any element; arrays inside it are not searched', () => {
  const f = compileFilter({ privileges: { iin: ['global administrator'] } });
  assert.deepEqual([{ privileges: ['Global Administrator'] }, { privileges: ['User'] }, { privileges: [['Global Administrator']] }, { privileges: 'GLOBAL ADMINISTRATOR' }, { privileges: [] }].map(f), [true, false, false, true, false]);
});

test('events that are null, arrays or primitives are read as the rule language says', () => {
  const cases: unknown[] = [null, undefined, [], [{ f: 5 }], [{ f: [5] }], 5, 'x', { f: 5 }];
  for (const definition of [{ f: 5 }, { f: { ne: 5 } }, { f: { exists: true } }, { f: { exists: false } }, { 'f.g': 5 }, { 'f.g': { ne: 5 } }, { length: 1 }]) {
    const compiled = compileFilter(definition);
    for (const event of cases) assert.equal(compiled(event), refMatch(definition, event), `${JSON.stringify(definition)} on ${JSON.stringify(event)}`);
  }
  assert.deepEqual(cases.map(compileFilter({ f: 5 })), [false, false, false, true, true, false, false, true]);
});

// ---- any / all / not --------------------------------------------------------------------------

test('any / all / not, nested, with keys beside them', () => {
  const f = compileFilter({
    class_uid: 3002,
    any: [{ status_id: 2 }, { all: [{ status_id: 1 }, { is_mfa: true }] }],
    not: { 'user.name': { prefix: 'svc-' } },
  });
  const table: [Record<string, unknown>, boolean][] = [
    [{ class_uid: 3002, status_id: 2, user: { name: 'alice' } }, true],
    [{ class_uid: 3002, status_id: 2, user: { name: 'svc-backup' } }, false],
    [{ class_uid: 3002, status_id: 1, is_mfa: true }, true],
    [{ class_uid: 3002, status_id: 1, is_mfa: false }, false],
    [{ class_uid: 3002, status_id: 3 }, false],
    [{ class_uid: 3001, status_id: 2 }, false],
  ];
  for (const [event, expected] of table) assert.equal(f(event), expected, JSON.stringify(event));
  assert.equal(compileFilter({ any: [{ a: 1 }] })({ a: 1 }), true);
  assert.equal(compileFilter({ all: [{ a: 1 }, { b: 2 }] })({ a: 1, b: 3 }), false);
  assert.equal(compileFilter({ not: { not: { a: 1 } } })({ a: 1 }), true);
  assert.equal(compileFilter({ any: [] })({ a: 1 }), false);
  assert.equal(compileFilter({ all: [] })({ a: 1 }), true);
});

test('operands are data, never code: field names and strings with quotes, backslashes and line breaks', () => {
  const text = 'a"b\'c\\d\ne`${x}\u2028';
  const f = compileFilter({ f: text, g: { prefix: text }, h: { in: [text] } });
  assert.equal(f({ f: text, g: `${text}tail`, h: [text] }), true);
  assert.equal(f({ f: 'a"b', g: text, h: text }), false);
  assert.equal(compileFilter({ '__proto__.x': 1 })({ x: 2 }), false);
  const odd = 'q"\\\n\u2028]; throw 1; //';
  assert.equal(compileFilter({ [odd]: 1 })({ [odd]: 1 }), true);
  assert.equal(compileAccessor(`${odd}.${odd}`)({ [odd]: { [odd]: 'v' } }), 'v');
});

// ---- accessors --------------------------------------------------------------------------------

test('compileAccessor reads values exactly: scalars, arrays collected through, missing as undefined', () => {
  const cases: [string, unknown, unknown][] = [
    ['a', { a: 1 }, 1],
    ['a', { a: [1, 2] }, [1, 2]],
    ['a', {}, undefined],
    ['a', null, undefined],
    ['a', [{ a: 1 }, { a: [2, 3] }, {}, null, { a: null }], [1, 2, 3, null]],
    ['a.b', { a: { b: 'x' } }, 'x'],
    ['a.b', { a: null }, undefined],
    ['a.b', { a: { b: null } }, null],
    ['a.b', { a: [{ b: 1 }, { b: [2] }, { c: 3 }] }, [1, 2]],
    ['a.b', { a: [] }, []],
    ['a.b.c', { a: { b: { c: 7 } } }, 7],
    ['a.b.c', { a: { b: [{ c: 1 }, { c: 2 }] } }, [1, 2]],
    ['a.b.c', { a: [{ b: { c: 1 } }, { b: [{ c: 2 }] }] }, [1]],
    ['a.b.c', { a: { b: 5 } }, undefined],
  ];
  for (const [path, event, expected] of cases) {
    assert.deepEqual(compileAccessor(path)(event), expected, `${path} of ${JSON.stringify(event)}`);
    assert.deepEqual(refRead(event, path), expected, `reference: ${path} of ${JSON.stringify(event)}`);
  }
});

// ---- the classes a filter requires ------------------------------------------------------------

test('filterClasses: class_uid equality and lists, through all and any; nothing else restricts', () => {
  const classes = (definition: FilterDefinition): number[] | undefined => {
    const found = filterClasses(definition);
    return found === undefined ? undefined : [...found].sort();
  };
  assert.deepEqual(classes({ class_uid: 3002, activity_id: 1 }), [3002]);
  assert.deepEqual(classes({ class_uid: [3001, 3006] }), [3001, 3006]);
  assert.deepEqual(classes({ class_uid: { eq: 3005 } }), [3005]);
  assert.deepEqual(classes({ class_uid: { in: [3001, 3002], eq: 3002 } }), [3002]);
  assert.deepEqual(classes({ class_uid: { in: [3001, 3002], ne: 3002 } }), [3001, 3002]);
  assert.deepEqual(classes({ class_uid: { ne: 3002 } }), undefined);
  assert.deepEqual(classes({ class_uid: { gte: 3000 } }), undefined);
  assert.deepEqual(classes({ class_uid: '3002' }), []);
  assert.deepEqual(classes({ activity_id: 1 }), undefined);
  assert.deepEqual(classes({}), undefined);
  assert.deepEqual(classes({ not: { class_uid: 3002 } }), undefined);
  assert.deepEqual(classes({ all: [{ class_uid: [3001, 3002] }, { class_uid: 3002 }] }), [3002]);
  assert.deepEqual(classes({ all: [{ class_uid: 3001 }, { activity_id: 1 }] }), [3001]);
  assert.deepEqual(classes({ any: [{ class_uid: 3005 }, { class_uid: 3006 }] }), [3005, 3006]);
  assert.deepEqual(classes({ any: [{ class_uid: 3005 }, { activity_id: 1 }] }), undefined);
  assert.deepEqual(classes({ class_uid: 3001, any: [{ class_uid: 3005 }, { class_uid: 3001 }] }), [3001]);
  assert.deepEqual(classes({ class_uid: 3001, all: [{ class_uid: 3002 }] }), []);
  assert.deepEqual(classes({ any: [] }), []);
  assert.deepEqual(classes({ 'actor.class_uid': 3002 }), undefined);
});

// ---- differential: compiled filters against the reference, on generated events --------------

const TENANT = 'acme';

/** Normalized events of the generator (all formats, all attack scenarios), as the bench and determinism tests make them. */
function generate(count: number): Record<string, unknown>[] {
  const engine = new Engine({ seed: 7, formats: FORMATS, scenarios: SCENARIOS, scenarioEvery: 200, domain: 'example.com' });
  const mappers = mapperTable({ mappings: {} });
  const context = { tenant: TENANT, observedTime: 0, format: '' };
  const start = Date.UTC(2026, 10, 23);
  const events: Record<string, unknown>[] = [];
  for (let i = 0; events.length < count; i++) {
    const time = start + i * 50;
    const raw = engine.next(time, { format: '', payload: '', observedTime: time, source: 'test' } as RawRecord);
    context.format = raw.format;
    context.observedTime = time;
    const result = mapRecord(mappers, raw, context);
    if ('reason' in result) continue;
    events.push(result as Record<string, unknown>);
  }
  return events;
}

const prng = mulberry32;

/** A copy with fields changed the ways real sources differ: missing, null, wrapped in arrays, re-cased, emptied. */
function mutate(event: Record<string, unknown>, random: () => number): Record<string, unknown> {
  const copy = structuredClone(event);
  const paths = ['class_uid', 'activity_id', 'status_id', 'is_mfa', 'status_detail', 'user', 'user.name', 'user.risk_level_id', 'src_endpoint', 'src_endpoint.ip', 'auth_factors', 'privileges', 'group', 'group.name', 'metadata.log_name', 'metadata.event_code', 'unmapped', 'dst_endpoint.hostname'];
  const changes = 1 + Math.floor(random() * 3);
  for (let n = 0; n < changes; n++) {
    const path = paths[Math.floor(random() * paths.length)]!.split('.');
    let parent: Record<string, unknown> = copy;
    for (const part of path.slice(0, -1)) {
      const next = parent[part];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        parent = {};
        break;
      }
      parent = next as Record<string, unknown>;
    }
    const last = path.at(-1)!;
    const value = parent[last];
    switch (Math.floor(random() * 7)) {
      case 0: delete parent[last]; break;
      case 1: parent[last] = null; break;
      case 2: parent[last] = [value]; break;
      case 3: parent[last] = []; break;
      case 4: parent[last] = typeof value === 'string' ? value.toUpperCase() : value; break;
      case 5: parent[last] = [null, value, 'Administrator']; break;
      default: parent[last] = typeof value === 'number' ? String(value) : value;
    }
  }
  return copy;
}

/** Every filter of a rule: filter, stages, absent, weights. */
function filtersOf(rule: RuleDefinition): [string, FilterDefinition][] {
  const found: [string, FilterDefinition][] = [];
  if (rule.filter !== undefined) found.push([`${rule.id}.filter`, rule.filter]);
  for (const stage of rule.stages ?? []) found.push([`${rule.id}.stages.${stage.name}`, stage.filter]);
  if (rule.absent !== undefined) found.push([`${rule.id}.absent`, rule.absent.filter]);
  (rule.weights ?? []).forEach((weight, i) => found.push([`${rule.id}.weights.${i}`, weight.filter]));
  return found;
}

function packFilters(): [string, FilterDefinition][] {
  const defaults = defaultBuiltinParameters();
  // The defaults, and parameters that switch on the other shapes (scoped hosts with a prefix, MFA-only stuffing, the dormancy rule).
  const scoped: BuiltinParameters = {
    ...defaults,
    credential_stuffing: { ...defaults.credential_stuffing, password_failures: false },
    account_reenabled: { ...defaults.account_reenabled, dormancy_rule: true },
    unapproved_account_creation: { ...defaults.unapproved_account_creation, scope_hosts: ['DC01', 'web*'] },
  };
  return [...builtinRules(defaults), ...builtinRules(scoped).map((rule) => ({ ...rule, id: `${rule.id}[scoped]` }))].flatMap(filtersOf);
}

test('differential: every built-in filter, compiled, agrees with the reference on generated events and mutations', () => {
  const events = generate(3000);
  const random = prng(11);
  const mutated = events.map((event) => mutate(event, random));
  const all = [...events, ...mutated];
  const filters = packFilters();
  assert.ok(filters.length >= 40, `${filters.length} filters`);
  let matches = 0;
  for (const [name, definition] of filters) {
    const compiled = compileFilter(definition);
    let matched = 0;
    for (let i = 0; i < all.length; i++) {
      const expected = refMatch(definition, all[i]);
      if (compiled(all[i]) !== expected) assert.fail(`${name} on event ${i}: expected ${expected}\n${JSON.stringify(all[i])}`);
      if (expected) matched++;
    }
    matches += matched;
  }
  // The events exercise the filters: each class of the pack is generated, and many filters match.
  assert.ok(matches > all.length, `only ${matches} matches`);
  const classes = new Set(events.map((event) => event.class_uid));
  for (const classUid of [3001, 3002, 3005, 3006]) assert.ok(classes.has(classUid), `no event of class ${classUid}`);
});

test('differential: built-in filters on events whose every field is randomised among the tables values', () => {
  const random = prng(5);
  const pick = (): unknown => VALUES[NAMES[Math.floor(random() * NAMES.length)]!];
  const classes = [3001, 3002, 3005, 3006];
  const filters = packFilters().map(([name, definition]) => [name, definition, compileFilter(definition)] as const);
  for (let i = 0; i < 2000; i++) {
    const event: Record<string, unknown> = {
      class_uid: classes[i % 4],
      activity_id: [1, 2, 3, 4, 9, 99][Math.floor(random() * 6)],
      status_id: random() < 0.5 ? 1 : 2,
      is_mfa: random() < 0.5 ? true : pick(),
      status_detail: random() < 0.5 ? 'push_denied' : pick(),
      auth_factors: random() < 0.5 ? [{ factor_type_id: 5 }, { factor_type_id: pick() }] : pick(),
      user: random() < 0.8 ? { name: random() < 0.5 ? 'ADMIN' : pick(), risk_level_id: pick() } : pick(),
      privileges: random() < 0.5 ? ['global administrator', pick()] : pick(),
      group: random() < 0.8 ? { name: random() < 0.5 ? 'domain admins' : pick() } : pick(),
      metadata: { log_name: random() < 0.5 ? 'keycloak.admin' : ['okta', 'linux.auth', 'windows.security', 'entra.audit', pick()][Math.floor(random() * 5)], event_code: random() < 0.5 ? 'IDENTITY_PROVIDER:UPDATE' : pick() },
      unmapped: random() < 0.7 ? { risk_context: { device_familiarity: random() < 0.5 ? 'new' : pick(), ip_reputation: pick() }, resource_type: pick() } : pick(),
      src_endpoint: random() < 0.7 ? { ip: pick() } : pick(),
      dst_endpoint: { hostname: random() < 0.5 ? 'dc01' : 'web-3' },
    };
    for (const [name, definition, compiled] of filters) {
      const expected = refMatch(definition, event);
      if (compiled(event) !== expected) assert.fail(`${name}: expected ${expected}\n${JSON.stringify(event)}`);
    }
  }
});
