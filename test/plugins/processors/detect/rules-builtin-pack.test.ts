/** The built-in pack as data: ids and order, valid rule definitions, strict parameter schema. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { validateAgainst } from '../../../../core/config/schema.js';
import { builtinParametersSchema, builtinRules, defaultBuiltinParameters } from '../../../../plugins/processors/detect/builtin.js';
import { configSchema, createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import { resolveRules } from '../../../../plugins/processors/detect/detect.js';
import { filterSchema, ruleSchema } from '../../../../plugins/processors/detect/rules.js';

const REQUIRED = ['credential_stuffing', 'lockout_cluster', 'repeated_lockout', 'recovery_abuse', 'password_spray', 'brute_force', 'mfa_fatigue', 'privileged_grant', 'account_reenabled', 'unapproved_account_creation', 'membership_drift', 'iam_config_change'];
const VARIANTS = ['brute_force_success', 'mfa_fatigue_success', 'recovery_abuse_account', 'account_reenabled_after_dormancy', 'account_created_out_of_scope'];

test('the pack: the twelve required ids in order, then the variants', () => {
  assert.deepEqual(builtinRules(defaultBuiltinParameters()).map((r) => r.id), [...REQUIRED, ...VARIANTS]);
});

test('enabled by default: all but the dormancy and out-of-scope variants', () => {
  assert.deepEqual(resolveRules(createDefaultConfig()).map((r) => r.id), [...REQUIRED, 'brute_force_success', 'mfa_fatigue_success', 'recovery_abuse_account']);
});

test('every built-in rule is a valid rule definition with severity and ATT&CK ids', () => {
  const schema = { ...ruleSchema, definitions: { filter: filterSchema } };
  for (const rule of builtinRules(defaultBuiltinParameters())) {
    assert.deepEqual(validateAgainst(schema, rule), [], rule.id);
    assert.ok(rule.attack.length > 0, rule.id);
    assert.ok(rule.description.length > 0, rule.id);
  }
});

test('severities and ATT&CK ids', () => {
  assert.deepEqual(builtinRules(defaultBuiltinParameters()).map((r) => [r.id, r.type, r.severity, r.attack.join(' ')]), [
    ['credential_stuffing', 'value_count', 'high', 'T1110.004'],
    ['lockout_cluster', 'value_count', 'high', 'T1110'],
    ['repeated_lockout', 'event_count', 'medium', 'T1110.001'],
    ['recovery_abuse', 'value_count', 'high', 'T1110 T1098'],
    ['password_spray', 'value_count', 'high', 'T1110.003'],
    ['brute_force', 'event_count', 'medium', 'T1110.001'],
    ['mfa_fatigue', 'event_count', 'high', 'T1621'],
    ['privileged_grant', 'event_count', 'medium', 'T1098 T1098.003 T1098.007'],
    ['account_reenabled', 'event_count', 'medium', 'T1078.001'],
    ['unapproved_account_creation', 'absence', 'high', 'T1136 T1136.001'],
    ['membership_drift', 'temporal_ordered', 'medium', 'T1098 T1098.007'],
    ['iam_config_change', 'event_count', 'high', 'T1484.002 T1556.007 T1562.008'],
    ['brute_force_success', 'temporal_ordered', 'critical', 'T1110.001 T1078'],
    ['mfa_fatigue_success', 'temporal_ordered', 'critical', 'T1621 T1078'],
    ['recovery_abuse_account', 'event_count', 'medium', 'T1110 T1098'],
    ['account_reenabled_after_dormancy', 'absence', 'medium', 'T1078'],
    ['account_created_out_of_scope', 'event_count', 'informational', 'T1136.001'],
  ]);
});

test('parameters: the defaults validate; every section is strict (unknown keys are errors)', () => {
  assert.deepEqual(validateAgainst(builtinParametersSchema, defaultBuiltinParameters()), []);
  assert.deepEqual(validateAgainst(configSchema, createDefaultConfig()), []);
  const problems = validateAgainst(builtinParametersSchema, { brute_force: { failures: 5, typo: 1 }, nosuch: {} });
  assert.deepEqual(problems.map((p) => [p.path.join('.'), p.atKey]), [['nosuch', true], ['brute_force.typo', true]]);
  assert.ok(validateAgainst(builtinParametersSchema, { brute_force: { timespan: '10 minutes' } }).length > 0);
  assert.ok(validateAgainst(builtinParametersSchema, { mfa_fatigue: { pushes: 0 } }).length > 0);
});

test('parameters: every key of every section has a default in the schema equal to defaultBuiltinParameters()', () => {
  const defaults = defaultBuiltinParameters() as unknown as Record<string, Record<string, unknown>>;
  const sections = builtinParametersSchema.properties as Record<string, { properties: Record<string, { default: unknown }>; additionalProperties: boolean; default: unknown }>;
  assert.deepEqual(Object.keys(sections), Object.keys(defaults));
  for (const [name, section] of Object.entries(sections)) {
    assert.equal(section.additionalProperties, false, name);
    assert.deepEqual(section.default, defaults[name], name);
    assert.deepEqual(Object.keys(section.properties), Object.keys(defaults[name]!), name);
    for (const [key, property] of Object.entries(section.properties)) assert.deepEqual(property.default, defaults[name]![key], `${name}.${key}`);
  }
});

test('empty lists match nothing (no rule silently widens to every event)', () => {
  const p = defaultBuiltinParameters();
  p.iam_config_change = { event_codes: [], event_code_prefixes: [], resource_types: [], resource_paths: [] };
  p.unapproved_account_creation.iam_sources = [];
  const rules = builtinRules(p);
  const config = rules.find((r) => r.id === 'iam_config_change')!;
  assert.deepEqual(config.filter, { class_uid: 3001, activity_id: 99, any: [{ 'metadata.event_code': { in: [] } }] });
  assert.deepEqual(rules.find((r) => r.id === 'unapproved_account_creation')!.absent, { filter: { all: [{ class_uid: 3001, activity_id: 1 }, { 'metadata.log_name': { in: [] } }] } });
});
