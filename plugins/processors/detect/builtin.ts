/**
 * The built-in rule pack for identity attacks, as a function of its parameters. Every rule is an
 * ordinary `RuleDefinition` over the normalized OCSF fields (plugins/processors/normalize/MAPPING.md),
 * so what the pack does can be read, copied and changed in the rule language. The README of this
 * processor documents each rule, its parameters, the reasoning behind each default, and its
 * Splunk SPL and Sentinel KQL equivalents; keep them in step with this file.
 *
 * Rule ids: the twelve of the issue first, in its order, then the variants (higher-severity
 * "followed by a success", the second half of a rule the issue describes as two signals, the
 * informational out-of-scope report). `detect.builtin.<id>` overrides condition, timespan,
 * suppression, severity and on/off per rule; these parameters change what the rules look at.
 */
import type { JsonSchema } from '../../../core/api.js';
import type { FilterDefinition } from './filter.js';
import type { RuleDefinition } from './rules.js';

export interface RiskWeights {
  /** An event whose `user.risk_level_id` is High (3) or Critical (4). */
  high_risk: number;
  /** `unmapped.risk_context.device_familiarity` is `new`. */
  new_device: number;
  /** `unmapped.risk_context.ip_reputation` is `poor`. */
  poor_ip_reputation: number;
  /** `unmapped.risk_context.time_of_day` is `unusual`. */
  unusual_time: number;
}

export interface BuiltinParameters {
  /** Multipliers for MFA / sign-in failures carrying adaptive-MFA or IdP risk (credential_stuffing, brute_force). */
  risk_weights: RiskWeights;
  credential_stuffing: { accounts: number; timespan: string; password_failures: boolean; password_failure_weight: number };
  lockout_cluster: { accounts: number; timespan: string };
  repeated_lockout: { lockouts: number; timespan: string };
  recovery_abuse: { accounts: number; timespan: string; attempts_per_account: number; account_timespan: string };
  password_spray: { accounts: number; timespan: string };
  brute_force: { failures: number; timespan: string; success_timespan: string };
  mfa_fatigue: { pushes: number; timespan: string; success_timespan: string; failure_reasons: string[] };
  privileged_grant: { roles: string[]; groups: string[] };
  account_reenabled: { default_accounts: string[]; dormancy: string; dormancy_rule: boolean };
  /** Sources: exact `metadata.log_name`s, or prefixes written with a trailing `*` (`keycloak.*`). */
  unapproved_account_creation: { connected_systems: string[]; iam_sources: string[]; timespan: string; scope_hosts: string[] };
  membership_drift: { timespan: string };
  iam_config_change: { event_codes: string[]; event_code_prefixes: string[]; resource_types: string[]; resource_paths: string[] };
}

export function defaultBuiltinParameters(): BuiltinParameters {
  return {
    risk_weights: { high_risk: 1.5, new_device: 1.5, poor_ip_reputation: 1.5, unusual_time: 1.25 },
    credential_stuffing: { accounts: 10, timespan: '10m', password_failures: true, password_failure_weight: 0.5 },
    lockout_cluster: { accounts: 5, timespan: '15m' },
    repeated_lockout: { lockouts: 3, timespan: '1h' },
    recovery_abuse: { accounts: 10, timespan: '15m', attempts_per_account: 5, account_timespan: '1h' },
    password_spray: { accounts: 15, timespan: '10m' },
    brute_force: { failures: 10, timespan: '10m', success_timespan: '30m' },
    mfa_fatigue: { pushes: 5, timespan: '10m', success_timespan: '30m', failure_reasons: ['push_denied', 'push_timeout'] },
    privileged_grant: {
      roles: [
        'realm-admin', 'admin', 'manage-users', 'manage-realm', 'manage-clients', 'manage-identity-providers',
        'Global Administrator', 'Privileged Role Administrator', 'Privileged Authentication Administrator', 'User Administrator',
        'Security Administrator', 'Application Administrator', 'Hybrid Identity Administrator', 'Authentication Policy Administrator',
        'Super administrator', 'Organization administrator', 'SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN', 'APP_ADMIN',
        'Administrator', 'Admin',
      ],
      groups: [
        'Domain Admins', 'Enterprise Admins', 'Schema Admins', 'Administrators', 'Account Operators', 'Backup Operators',
        'Server Operators', 'Group Policy Creator Owners', 'DnsAdmins', 'sudo', 'wheel', 'admin', 'root',
      ],
    },
    account_reenabled: {
      default_accounts: ['admin', 'administrator', 'guest', 'root', 'defaultaccount', 'wdagutilityaccount', 'krbtgt', 'sa', 'test', 'demo', 'user'],
      dormancy: '720h',
      dormancy_rule: false,
    },
    unapproved_account_creation: {
      connected_systems: ['linux.auth', 'windows.security'],
      iam_sources: ['keycloak.*', 'okta', 'entra.*', 'auth0'],
      timespan: '1h',
      scope_hosts: [],
    },
    membership_drift: { timespan: '1h' },
    iam_config_change: {
      event_codes: [
        // Okta: log streaming (the IdP's own event export) switched off or removed.
        'system.log_stream.lifecycle.deactivate', 'system.log_stream.lifecycle.delete', 'system.log_stream.lifecycle.update',
        // Entra ID: federation and external identity providers.
        'Set domain authentication', 'Set federation settings on domain', 'Update domain', 'Verify domain', 'Add unverified domain',
        'Add identity provider', 'Update identity provider', 'Delete identity provider',
        'Add partner to cross-tenant access setting', 'Update a partner cross-tenant identity sync setting',
      ],
      event_code_prefixes: [
        // Keycloak admin events: identity brokering, user federation (LDAP/Kerberos are COMPONENTs), event settings.
        'IDENTITY_PROVIDER:', 'IDENTITY_PROVIDER_MAPPER:', 'COMPONENT:',
        // Okta: IdP lifecycle.
        'system.idp.lifecycle.',
      ],
      // Auth0 Management API resources (connections = IdPs / federation, log-streams = event export).
      resource_types: ['IDENTITY_PROVIDER', 'IDENTITY_PROVIDER_MAPPER', 'connections', 'log-streams', 'IdentityProvider'],
      // Keycloak: REALM updates at events/config turn admin / login event logging on or off.
      resource_paths: ['events/config'],
    },
  };
}

const durationSchema: JsonSchema = { type: 'string', format: 'duration' };
const names: JsonSchema = { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true };
const positive: JsonSchema = { type: 'number', exclusiveMinimum: 0 };
const count: JsonSchema = { type: 'integer', minimum: 1 };

/** A strict object schema whose every property has its default from `defaults`. */
function section(properties: Record<string, JsonSchema>, defaults: Record<string, unknown>, description: string): JsonSchema {
  const withDefaults: Record<string, JsonSchema> = {};
  for (const [key, schema] of Object.entries(properties)) withDefaults[key] = { ...schema, default: defaults[key] };
  return { type: 'object', additionalProperties: false, description, properties: withDefaults, default: defaults };
}

function buildSchema(): JsonSchema {
  const d = defaultBuiltinParameters();
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      risk_weights: section({ high_risk: positive, new_device: positive, poor_ip_reputation: positive, unusual_time: positive }, { ...d.risk_weights }, 'Multipliers for risky failures (a failure counts as the product of the ones it matches).'),
      credential_stuffing: section({ accounts: positive, timespan: durationSchema, password_failures: { type: 'boolean' }, password_failure_weight: positive }, { ...d.credential_stuffing }, 'MFA (and password) failures across distinct accounts of a tenant.'),
      lockout_cluster: section({ accounts: count, timespan: durationSchema }, { ...d.lockout_cluster }, 'Lockouts of distinct accounts.'),
      repeated_lockout: section({ lockouts: count, timespan: durationSchema }, { ...d.repeated_lockout }, 'Lockouts of one account.'),
      recovery_abuse: section({ accounts: count, timespan: durationSchema, attempts_per_account: count, account_timespan: durationSchema }, { ...d.recovery_abuse }, 'Password reset / recovery attempts.'),
      password_spray: section({ accounts: count, timespan: durationSchema }, { ...d.password_spray }, 'Failures against distinct accounts from one source IP.'),
      brute_force: section({ failures: positive, timespan: durationSchema, success_timespan: durationSchema }, { ...d.brute_force }, 'Failures against one account.'),
      mfa_fatigue: section({ pushes: count, timespan: durationSchema, success_timespan: durationSchema, failure_reasons: names }, { ...d.mfa_fatigue, failure_reasons: [...d.mfa_fatigue.failure_reasons] }, 'Denied / unanswered push prompts to one user.'),
      privileged_grant: section({ roles: names, groups: names }, { roles: [...d.privileged_grant.roles], groups: [...d.privileged_grant.groups] }, 'Privileged roles and groups (compared case-insensitively).'),
      account_reenabled: section({ default_accounts: names, dormancy: durationSchema, dormancy_rule: { type: 'boolean' } }, { ...d.account_reenabled, default_accounts: [...d.account_reenabled.default_accounts] }, 'Default accounts (case-insensitive) and the dormancy period.'),
      unapproved_account_creation: section(
        { connected_systems: names, iam_sources: names, timespan: durationSchema, scope_hosts: names },
        { ...d.unapproved_account_creation, connected_systems: [...d.unapproved_account_creation.connected_systems], iam_sources: [...d.unapproved_account_creation.iam_sources], scope_hosts: [] },
        'Connected systems, IAM sources (log names; a trailing * makes a prefix), the matching window, and the hosts in the IAM scope (empty: all).',
      ),
      membership_drift: section({ timespan: durationSchema }, { ...d.membership_drift }, 'Out-of-band membership change reverted by the IAM.'),
      iam_config_change: section(
        { event_codes: names, event_code_prefixes: names, resource_types: names, resource_paths: names },
        { event_codes: [...d.iam_config_change.event_codes], event_code_prefixes: [...d.iam_config_change.event_code_prefixes], resource_types: [...d.iam_config_change.resource_types], resource_paths: [...d.iam_config_change.resource_paths] },
        'Which IAM configuration changes (activity 99) are identity-provider / federation / event-logging changes.',
      ),
    },
  };
}

export const builtinParametersSchema: JsonSchema = buildSchema();

// ---- filters shared by several rules -------------------------------------------------------

const SIGN_IN_FAILURE: FilterDefinition = { class_uid: 3002, activity_id: 1, status_id: 2 };
const SIGN_IN_SUCCESS: FilterDefinition = { class_uid: 3002, activity_id: 1, status_id: 1 };
const MFA_FAILURE: FilterDefinition = { ...SIGN_IN_FAILURE, is_mfa: true };
const MFA_SUCCESS: FilterDefinition = { ...SIGN_IN_SUCCESS, is_mfa: true };
const LOCKOUT: FilterDefinition = { class_uid: 3001, activity_id: 9 };
const RECOVERY: FilterDefinition = { class_uid: 3001, activity_id: 4 };
const ACCOUNT_CREATE: FilterDefinition = { class_uid: 3001, activity_id: 1 };
/** A failed push: the push factor failed, for a reason that says the user denied or ignored it. */
function pushFailure(reasons: readonly string[]): FilterDefinition {
  return { ...MFA_FAILURE, 'auth_factors.factor_type_id': 5, status_detail: { in: [...reasons] } };
}

/** `log_name` is one of the sources: exact names, or prefixes written `name*`. */
export function sourceFilter(sources: readonly string[], field = 'metadata.log_name'): FilterDefinition {
  const exact = sources.filter((s) => !s.endsWith('*'));
  const prefixes = sources.filter((s) => s.endsWith('*')).map((s) => s.slice(0, -1));
  const any: FilterDefinition[] = [];
  if (exact.length > 0) any.push({ [field]: { in: exact } });
  for (const prefix of prefixes) any.push({ [field]: { prefix } });
  // An empty list matches nothing (a field that no event has).
  if (any.length === 0) return { [field]: { in: [] } };
  return any.length === 1 ? any[0]! : { any };
}

/** Host names in scope: exact names (case-insensitive), or prefixes written `name*`. */
function hostFilter(hosts: readonly string[]): FilterDefinition {
  const exact = hosts.filter((s) => !s.endsWith('*'));
  const prefixes = hosts.filter((s) => s.endsWith('*')).map((s) => s.slice(0, -1));
  const any: FilterDefinition[] = [];
  if (exact.length > 0) any.push({ 'dst_endpoint.hostname': { iin: exact } });
  for (const prefix of prefixes) any.push({ 'dst_endpoint.hostname': { prefix } });
  return any.length === 1 ? any[0]! : { any };
}

function riskWeights(w: RiskWeights): { filter: FilterDefinition; weight: number }[] {
  return [
    { filter: { 'user.risk_level_id': { gte: 3 } }, weight: w.high_risk },
    { filter: { 'unmapped.risk_context.device_familiarity': 'new' }, weight: w.new_device },
    { filter: { 'unmapped.risk_context.ip_reputation': 'poor' }, weight: w.poor_ip_reputation },
    { filter: { 'unmapped.risk_context.time_of_day': 'unusual' }, weight: w.unusual_time },
  ];
}

/** The built-in rules for these parameters, in their fixed order. */
export function builtinRules(parameters: BuiltinParameters): RuleDefinition[] {
  const p = parameters;
  const pushFail = pushFailure(p.mfa_fatigue.failure_reasons);
  // Failures that are MFA-fatigue pushes are left to mfa_fatigue, so one attack is one finding.
  const notPush: FilterDefinition = { not: { 'auth_factors.factor_type_id': 5, is_mfa: true } };
  const stuffingFilter: FilterDefinition = p.credential_stuffing.password_failures ? { ...SIGN_IN_FAILURE } : { ...MFA_FAILURE };
  const stuffingWeights = riskWeights(p.risk_weights);
  if (p.credential_stuffing.password_failures) stuffingWeights.unshift({ filter: { not: { is_mfa: true } }, weight: p.credential_stuffing.password_failure_weight });
  const connected = sourceFilter(p.unapproved_account_creation.connected_systems);
  const iam = sourceFilter(p.unapproved_account_creation.iam_sources);
  const scoped = p.unapproved_account_creation.scope_hosts.length > 0;
  const hostCreate: FilterDefinition = { all: [ACCOUNT_CREATE, connected] };
  const inScope: FilterDefinition = scoped ? { all: [ACCOUNT_CREATE, connected, hostFilter(p.unapproved_account_creation.scope_hosts)] } : hostCreate;
  const cfg = p.iam_config_change;
  const configAny: FilterDefinition[] = [];
  if (cfg.event_codes.length > 0) configAny.push({ 'metadata.event_code': { in: [...cfg.event_codes] } });
  for (const prefix of cfg.event_code_prefixes) configAny.push({ 'metadata.event_code': { prefix } });
  if (cfg.resource_types.length > 0) configAny.push({ 'unmapped.resource_type': { in: [...cfg.resource_types] } });
  if (cfg.resource_paths.length > 0) configAny.push({ 'unmapped.resource_path': { in: [...cfg.resource_paths] } });
  const membershipChange: FilterDefinition = { class_uid: 3006, activity_id: [3, 4] };

  return [
    {
      id: 'credential_stuffing',
      name: 'Credential stuffing: failed sign-ins across many accounts',
      description:
        `Failed MFA steps${p.credential_stuffing.password_failures ? ' (and, weighted ' + p.credential_stuffing.password_failure_weight + ', failed passwords)' : ''} on at least ${p.credential_stuffing.accounts} distinct accounts of the tenant within ${p.credential_stuffing.timespan}: leaked credential pairs replayed against many accounts. Risky failures (high IdP risk, new device, poor IP reputation, unusual hour) count more.`,
      severity: 'high',
      attack: ['T1110.004'],
      type: 'value_count',
      filter: stuffingFilter,
      group_by: [],
      field: 'user.name',
      timespan: p.credential_stuffing.timespan,
      condition: { gte: p.credential_stuffing.accounts },
      weights: stuffingWeights,
    },
    {
      id: 'lockout_cluster',
      name: 'Lockout cluster: many accounts locked out',
      description: `At least ${p.lockout_cluster.accounts} distinct accounts locked out within ${p.lockout_cluster.timespan}: a spray or stuffing run tripping the IdP's lockout policy.`,
      severity: 'high',
      attack: ['T1110'],
      type: 'value_count',
      filter: LOCKOUT,
      group_by: [],
      field: 'user.name',
      timespan: p.lockout_cluster.timespan,
      condition: { gte: p.lockout_cluster.accounts },
    },
    {
      id: 'repeated_lockout',
      name: 'Repeated lockouts of one account',
      description: `The same account locked out ${p.repeated_lockout.lockouts} times within ${p.repeated_lockout.timespan}: guessing resumes after each unlock.`,
      severity: 'medium',
      attack: ['T1110.001'],
      type: 'event_count',
      filter: LOCKOUT,
      group_by: ['user.name'],
      timespan: p.repeated_lockout.timespan,
      condition: { gte: p.repeated_lockout.lockouts },
    },
    {
      id: 'recovery_abuse',
      name: 'Recovery-flow abuse across many accounts',
      description: `Password reset / account recovery attempted for at least ${p.recovery_abuse.accounts} distinct accounts within ${p.recovery_abuse.timespan}: account enumeration, reset-email / SMS bombing, or takeover through the recovery flow.`,
      severity: 'high',
      attack: ['T1110', 'T1098'],
      type: 'value_count',
      filter: RECOVERY,
      group_by: [],
      field: 'user.name',
      timespan: p.recovery_abuse.timespan,
      condition: { gte: p.recovery_abuse.accounts },
    },
    {
      id: 'password_spray',
      name: 'Password spray from one source',
      description: `One source IP failing sign-ins against at least ${p.password_spray.accounts} distinct accounts within ${p.password_spray.timespan}.`,
      severity: 'high',
      attack: ['T1110.003'],
      type: 'value_count',
      filter: { ...SIGN_IN_FAILURE, 'src_endpoint.ip': { exists: true } },
      group_by: ['src_endpoint.ip'],
      field: 'user.name',
      timespan: p.password_spray.timespan,
      condition: { gte: p.password_spray.accounts },
    },
    {
      id: 'brute_force',
      name: 'Brute force against one account',
      description: `At least ${p.brute_force.failures} failed sign-ins (passwords or one-time codes; push prompts are mfa_fatigue's) for one account within ${p.brute_force.timespan}.`,
      severity: 'medium',
      attack: ['T1110.001'],
      type: 'event_count',
      filter: { ...SIGN_IN_FAILURE, ...notPush },
      group_by: ['user.name'],
      timespan: p.brute_force.timespan,
      condition: { gte: p.brute_force.failures },
    },
    {
      id: 'mfa_fatigue',
      name: 'MFA fatigue: repeated push prompts denied or ignored',
      description: `At least ${p.mfa_fatigue.pushes} push prompts for one user denied or left unanswered within ${p.mfa_fatigue.timespan}: an attacker with the password pushing until the user gives in.`,
      severity: 'high',
      attack: ['T1621'],
      type: 'event_count',
      filter: pushFail,
      group_by: ['user.name'],
      timespan: p.mfa_fatigue.timespan,
      condition: { gte: p.mfa_fatigue.pushes },
    },
    {
      id: 'privileged_grant',
      name: 'Privileged role or group granted',
      description: 'A privileged role assigned to a user, or a user added to a privileged group (lists in parameters.privileged_grant).',
      severity: 'medium',
      attack: ['T1098', 'T1098.003', 'T1098.007'],
      type: 'event_count',
      filter: {
        any: [
          { class_uid: 3005, activity_id: 1, privileges: { iin: [...p.privileged_grant.roles] } },
          { class_uid: 3006, activity_id: 3, 'group.name': { iin: [...p.privileged_grant.groups] } },
        ],
      },
      group_by: ['user.name'],
      timespan: '1m',
      condition: { gte: 1 },
    },
    {
      id: 'account_reenabled',
      name: 'Default account enabled',
      description: 'A default or built-in account (admin, administrator, guest, root, ...) enabled or reactivated: these should stay disabled.',
      severity: 'medium',
      attack: ['T1078.001'],
      type: 'event_count',
      filter: { class_uid: 3001, activity_id: 2, 'user.name': { iin: [...p.account_reenabled.default_accounts] } },
      group_by: ['user.name'],
      timespan: '1m',
      condition: { gte: 1 },
    },
    {
      id: 'unapproved_account_creation',
      name: 'Account created on a connected system without IAM provisioning',
      description: `An account created on a connected system (${p.unapproved_account_creation.connected_systems.join(', ')}) with no creation of the same account name by the IAM (${p.unapproved_account_creation.iam_sources.join(', ')}) within ${p.unapproved_account_creation.timespan} before or after it.`,
      severity: 'high',
      attack: ['T1136', 'T1136.001'],
      type: 'absence',
      filter: inScope,
      absent: { filter: { all: [ACCOUNT_CREATE, iam] } },
      direction: 'either',
      group_by: ['user.name'],
      timespan: p.unapproved_account_creation.timespan,
    },
    {
      id: 'membership_drift',
      name: 'Group membership changed out of band, then reverted by the IAM',
      description: `A user added to or removed from a group directly on a connected system, then the same membership changed by the IAM within ${p.membership_drift.timespan} (drift correction): someone bypassed the IAM.`,
      severity: 'medium',
      attack: ['T1098', 'T1098.007'],
      type: 'temporal_ordered',
      group_by: ['user.name', 'group.name'],
      timespan: p.membership_drift.timespan,
      stages: [
        { name: 'out_of_band_change', filter: { all: [membershipChange, connected] } },
        { name: 'iam_correction', filter: { all: [membershipChange, iam] } },
      ],
    },
    {
      id: 'iam_config_change',
      name: 'Identity provider, federation or IAM event logging changed',
      description: 'A change to the IAM system\'s identity providers, federation / user federation, or its own event logging (lists in parameters.iam_config_change).',
      severity: 'high',
      attack: ['T1484.002', 'T1556.007', 'T1562.008'],
      type: 'event_count',
      filter: { class_uid: 3001, activity_id: 99, any: configAny.length > 0 ? configAny : [{ 'metadata.event_code': { in: [] } }] },
      group_by: ['metadata.event_code'],
      timespan: '1m',
      condition: { gte: 1 },
    },
    // ---- variants, after the twelve ----
    {
      id: 'brute_force_success',
      name: 'Brute force against one account followed by a successful sign-in',
      description: `At least ${p.brute_force.failures} failed sign-ins for one account, then a successful sign-in of that account, all within ${p.brute_force.success_timespan}.`,
      severity: 'critical',
      attack: ['T1110.001', 'T1078'],
      type: 'temporal_ordered',
      group_by: ['user.name'],
      timespan: p.brute_force.success_timespan,
      stages: [
        { name: 'failures', filter: { ...SIGN_IN_FAILURE, ...notPush }, condition: { gte: p.brute_force.failures } },
        { name: 'success', filter: SIGN_IN_SUCCESS },
      ],
    },
    {
      id: 'mfa_fatigue_success',
      name: 'MFA fatigue followed by an approved MFA step',
      description: `At least ${p.mfa_fatigue.pushes} push prompts denied or ignored, then a successful MFA step for the same user, all within ${p.mfa_fatigue.success_timespan}: the user gave in.`,
      severity: 'critical',
      attack: ['T1621', 'T1078'],
      type: 'temporal_ordered',
      group_by: ['user.name'],
      timespan: p.mfa_fatigue.success_timespan,
      stages: [
        { name: 'pushes', filter: pushFail, condition: { gte: p.mfa_fatigue.pushes } },
        { name: 'approved', filter: MFA_SUCCESS },
      ],
    },
    {
      id: 'recovery_abuse_account',
      name: 'Recovery flow hammered for one account',
      description: `At least ${p.recovery_abuse.attempts_per_account} password reset / recovery attempts for one account within ${p.recovery_abuse.account_timespan}: guessing recovery answers / codes, or reset bombing.`,
      severity: 'medium',
      attack: ['T1110', 'T1098'],
      type: 'event_count',
      filter: RECOVERY,
      group_by: ['user.name'],
      timespan: p.recovery_abuse.account_timespan,
      condition: { gte: p.recovery_abuse.attempts_per_account },
    },
    {
      id: 'account_reenabled_after_dormancy',
      name: 'Account enabled after a long time disabled',
      description: `An account enabled with no disable (or creation) of it seen within ${p.account_reenabled.dormancy} before: it was disabled longer than that. Also fires when the disable was never seen (before authwire ran, or before a restart: state is in memory), which is why it is off by default.`,
      severity: 'medium',
      attack: ['T1078'],
      type: 'absence',
      filter: { class_uid: 3001, activity_id: 2 },
      absent: { filter: { class_uid: 3001, activity_id: [1, 5] } },
      direction: 'before',
      group_by: ['user.name'],
      timespan: p.account_reenabled.dormancy,
      enabled: p.account_reenabled.dormancy_rule,
    },
    {
      id: 'account_created_out_of_scope',
      name: 'Account created on a system outside the IAM scope',
      description: 'An account created on a connected system that is not among parameters.unapproved_account_creation.scope_hosts: reported for inventory, not as an attack (the IAM is not expected to provision it).',
      severity: 'informational',
      attack: ['T1136.001'],
      type: 'event_count',
      filter: scoped ? { all: [hostCreate, { not: hostFilter(p.unapproved_account_creation.scope_hosts) }] } : hostCreate,
      group_by: ['user.name'],
      timespan: '1m',
      condition: { gte: 1 },
      enabled: scoped,
    },
  ];
}
