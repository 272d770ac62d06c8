/**
 * Okta System Log `eventType` -> OCSF class / activity, built once at module load. The table is
 * documented for SIEM users in the normalize README; keep the two in step.
 */
import { ACCOUNT_CHANGE, AUTHENTICATION, CLASS, FACTOR_TYPE, GROUP_MANAGEMENT, SEVERITY, STATUS, USER_ACCESS } from '../ocsf.js';
import type { IamClassUid } from '../ocsf.js';

/** Whose account the event is about: the actor (sign-ins) or the User / AppUser target (changes). */
export const SUBJECT_ACTOR = 0;
export const SUBJECT_TARGET = 1;

export interface OktaSpec {
  readonly classUid: IamClassUid;
  readonly activityId: number;
  /** A fixed status (a lock is a fact whatever `outcome.result` says); undefined: from the outcome. */
  readonly statusId: number | undefined;
  /** A fixed severity; undefined: Informational, Low for failures. */
  readonly severityId: number | undefined;
  readonly subject: number;
  /** An MFA step (answered, denied or challenged): `is_mfa: true`. */
  readonly mfa: boolean;
  /** The factor when the event type implies it (Okta Verify push), else from debugData / targets. */
  readonly factorTypeId: number | undefined;
  readonly factorProvider: string | undefined;
  /** A change to Okta's own configuration: `unmapped.resource_type` / `resource_path`. */
  readonly config: boolean;
  /** debugData key holding the privileges granted / revoked. */
  readonly privilegeKey: string | undefined;
}

function spec(classUid: IamClassUid, activityId: number, subject: number, options: Partial<OktaSpec> = {}): OktaSpec {
  return {
    classUid,
    activityId,
    statusId: options.statusId,
    severityId: options.severityId,
    subject,
    mfa: options.mfa ?? false,
    factorTypeId: options.factorTypeId,
    factorProvider: options.factorProvider,
    config: options.config ?? false,
    privilegeKey: options.privilegeKey,
  };
}

const A = SUBJECT_ACTOR;
const T = SUBJECT_TARGET;
const AUTH = CLASS.AUTHENTICATION;
const ACCT = CLASS.ACCOUNT_CHANGE;
const UAM = CLASS.USER_ACCESS;
const GRP = CLASS.GROUP_MANAGEMENT;
const MEDIUM = SEVERITY.MEDIUM;
const PUSH = { factorTypeId: FACTOR_TYPE.PUSH, factorProvider: 'Okta Verify' };

const LOGON = spec(AUTH, AUTHENTICATION.LOGON, A);
const LOGOFF = spec(AUTH, AUTHENTICATION.LOGOFF, A);
const MFA_LOGON = spec(AUTH, AUTHENTICATION.LOGON, A, { mfa: true });
const CONFIG = spec(ACCT, ACCOUNT_CHANGE.OTHER, T, { severityId: MEDIUM, config: true });

export const OKTA_TYPES: ReadonlyMap<string, OktaSpec> = new Map<string, OktaSpec>([
  // Sign-in, MFA, sign-out
  ['user.session.start', LOGON],
  ['user.authentication.verify', LOGON],
  ['user.authentication.sso', LOGON],
  ['user.authentication.authenticate', LOGON],
  ['user.authentication.auth_via_AD_agent', LOGON],
  ['user.authentication.auth_via_LDAP_agent', LOGON],
  ['user.authentication.auth_via_IDP', LOGON],
  ['user.authentication.auth_via_social', LOGON],
  ['user.authentication.auth_via_inbound_SAML', LOGON],
  ['user.authentication.auth_via_radius', LOGON],
  ['user.authentication.auth_via_richclient', LOGON],
  ['user.session.access_admin_app', LOGON],
  ['user.authentication.auth_via_mfa', MFA_LOGON],
  ['user.mfa.okta_verify.deny_push', spec(AUTH, AUTHENTICATION.LOGON, A, { mfa: true, statusId: STATUS.FAILURE, ...PUSH })],
  ['user.mfa.okta_verify.deny_push_upgrade_needed', spec(AUTH, AUTHENTICATION.LOGON, A, { mfa: true, statusId: STATUS.FAILURE, ...PUSH })],
  ['system.push.send_factor_verify_push', spec(AUTH, AUTHENTICATION.PREAUTH, A, { mfa: true, ...PUSH })],
  ['system.sms.send_factor_verify_message', spec(AUTH, AUTHENTICATION.PREAUTH, A, { mfa: true, factorTypeId: FACTOR_TYPE.SMS })],
  ['system.voice.send_mfa_challenge_call', spec(AUTH, AUTHENTICATION.PREAUTH, A, { mfa: true, factorTypeId: FACTOR_TYPE.PHONE_CALL })],
  ['system.email.mfa_challenge.sent_message', spec(AUTH, AUTHENTICATION.PREAUTH, A, { mfa: true, factorTypeId: FACTOR_TYPE.EMAIL })],
  ['policy.evaluate_sign_on', spec(AUTH, AUTHENTICATION.PREAUTH, A)],
  ['user.session.end', LOGOFF],
  ['user.session.expire', LOGOFF],
  ['user.session.clear', spec(AUTH, AUTHENTICATION.LOGOFF, T)],
  ['app.oauth2.as.token.grant.refresh_token', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_RENEW, A)],
  ['app.oauth2.token.grant.refresh_token', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_RENEW, A)],
  ['app.oauth2.as.token.grant.access_token', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, A)],
  ['app.oauth2.as.token.grant.id_token', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, A)],
  ['app.oauth2.token.grant.access_token', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, A)],
  ['app.oauth2.token.grant.id_token', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, A)],
  // Account lifecycle and credentials
  ['user.lifecycle.create', spec(ACCT, ACCOUNT_CHANGE.CREATE, T)],
  ['user.lifecycle.activate', spec(ACCT, ACCOUNT_CHANGE.ENABLE, T)],
  ['user.lifecycle.reactivate', spec(ACCT, ACCOUNT_CHANGE.ENABLE, T)],
  ['user.lifecycle.unsuspend', spec(ACCT, ACCOUNT_CHANGE.ENABLE, T)],
  ['user.lifecycle.deactivate', spec(ACCT, ACCOUNT_CHANGE.DISABLE, T)],
  ['user.lifecycle.suspend', spec(ACCT, ACCOUNT_CHANGE.DISABLE, T)],
  ['user.lifecycle.delete', spec(ACCT, ACCOUNT_CHANGE.DELETE, T)],
  ['user.lifecycle.delete.initiated', spec(ACCT, ACCOUNT_CHANGE.DELETE, T)],
  ['user.lifecycle.delete.completed', spec(ACCT, ACCOUNT_CHANGE.DELETE, T)],
  ['user.account.lock', spec(ACCT, ACCOUNT_CHANGE.LOCK, T, { statusId: STATUS.SUCCESS, severityId: MEDIUM })],
  ['user.account.lock.limit', spec(ACCT, ACCOUNT_CHANGE.LOCK, T, { statusId: STATUS.SUCCESS, severityId: MEDIUM })],
  ['user.account.unlock', spec(ACCT, ACCOUNT_CHANGE.UNLOCK, T)],
  ['user.account.unlock_by_admin', spec(ACCT, ACCOUNT_CHANGE.UNLOCK, T)],
  ['user.account.update_password', spec(ACCT, ACCOUNT_CHANGE.PASSWORD_CHANGE, T)],
  ['user.account.reset_password', spec(ACCT, ACCOUNT_CHANGE.PASSWORD_RESET, T)],
  ['system.email.password_reset.sent_message', spec(ACCT, ACCOUNT_CHANGE.PASSWORD_RESET, T)],
  ['system.sms.send_password_reset_message', spec(ACCT, ACCOUNT_CHANGE.PASSWORD_RESET, T)],
  ['user.mfa.factor.activate', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, T)],
  ['user.mfa.factor.deactivate', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, T, { severityId: MEDIUM })],
  ['user.mfa.factor.reset_all', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, T, { severityId: MEDIUM })],
  ['user.mfa.factor.suspend', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, T, { severityId: MEDIUM })],
  // Privileges and groups
  ['user.account.privilege.grant', spec(UAM, USER_ACCESS.ASSIGN_PRIVILEGES, T, { severityId: MEDIUM, privilegeKey: 'privilegeGranted' })],
  ['user.account.privilege.revoke', spec(UAM, USER_ACCESS.REVOKE_PRIVILEGES, T, { privilegeKey: 'privilegeRevoked' })],
  ['group.privilege.grant', spec(GRP, GROUP_MANAGEMENT.ASSIGN_PRIVILEGES, T, { severityId: MEDIUM, privilegeKey: 'privilegeGranted' })],
  ['group.privilege.revoke', spec(GRP, GROUP_MANAGEMENT.REVOKE_PRIVILEGES, T, { privilegeKey: 'privilegeRevoked' })],
  ['group.user_membership.add', spec(GRP, GROUP_MANAGEMENT.ADD_USER, T)],
  ['group.user_membership.remove', spec(GRP, GROUP_MANAGEMENT.REMOVE_USER, T)],
  ['group.lifecycle.create', spec(GRP, GROUP_MANAGEMENT.CREATE, T)],
  ['group.lifecycle.delete', spec(GRP, GROUP_MANAGEMENT.DELETE, T)],
  // Okta's own configuration (the IAM system watching itself)
  ['system.idp.lifecycle.create', CONFIG],
  ['system.idp.lifecycle.update', CONFIG],
  ['system.idp.lifecycle.activate', CONFIG],
  ['system.idp.lifecycle.deactivate', CONFIG],
  ['system.idp.lifecycle.delete', CONFIG],
]);

/**
 * Event types not in the table: the class is chosen from the prefix (activity 99 Other). Okta's
 * configuration namespaces (policies, IdPs, zones, org factors, API tokens, authorization servers,
 * directory schema, brands, app integrations) are the IAM system's own configuration.
 */
const CONFIG_PREFIXES = [
  'policy.', 'system.idp.', 'system.mfa.factor.', 'zone.', 'security.', 'system.api_token.', 'system.org.', 'oauth2.as.',
  'app.oauth2.as.key.', 'app.oauth2.key.', 'app.oauth2.admin.consent.', 'directory.', 'system.brand.', 'application.lifecycle.',
  'system.feature.', 'system.agent.', 'system.email.template.',
];
const OTHER_AUTH = spec(AUTH, AUTHENTICATION.OTHER, A);
const OTHER_ACCOUNT = spec(ACCT, ACCOUNT_CHANGE.OTHER, T);
const OTHER_GROUP = spec(GRP, GROUP_MANAGEMENT.OTHER, T);
const OTHER_ACCESS = spec(UAM, USER_ACCESS.OTHER, T);

export function fallbackSpec(eventType: string): OktaSpec {
  if (eventType.startsWith('user.authentication.') || eventType.startsWith('user.session.') || eventType.startsWith('app.oauth2.token.') || eventType.startsWith('app.oauth2.as.token.') || eventType.startsWith('app.oauth2.authorize') || eventType.startsWith('app.oauth2.as.authorize') || eventType.startsWith('user.mfa.okta_verify')) return OTHER_AUTH;
  if (eventType.startsWith('group.')) return OTHER_GROUP;
  if (eventType.startsWith('application.user_membership.') || eventType.startsWith('user.account.privilege.')) return OTHER_ACCESS;
  for (const prefix of CONFIG_PREFIXES) if (eventType.startsWith(prefix)) return CONFIG;
  return OTHER_ACCOUNT;
}

/** A factor: type and, where the name says it, the authenticator product. */
export interface FactorSpec {
  readonly typeId: number;
  readonly provider: string | undefined;
  readonly totp: boolean;
}

function factor(typeId: number, provider?: string, totp = false): FactorSpec {
  return { typeId, provider, totp };
}

/** `debugContext.debugData.factor` (Okta factor types and Identity Engine authenticator keys). */
export const OKTA_FACTORS: ReadonlyMap<string, FactorSpec> = new Map([
  ['OKTA_VERIFY_PUSH', factor(FACTOR_TYPE.PUSH, 'Okta Verify')],
  ['push', factor(FACTOR_TYPE.PUSH, 'Okta Verify')],
  ['OKTA_VERIFY', factor(FACTOR_TYPE.OTHER, 'Okta Verify')],
  ['SIGNED_NONCE', factor(FACTOR_TYPE.OTHER, 'Okta Verify')],
  ['FIDO_WEBAUTHN', factor(FACTOR_TYPE.WEBAUTHN)],
  ['webauthn', factor(FACTOR_TYPE.WEBAUTHN)],
  ['U2F', factor(FACTOR_TYPE.U2F)],
  ['u2f', factor(FACTOR_TYPE.U2F)],
  ['TOKEN_SOFTWARE_TOTP', factor(FACTOR_TYPE.OTP, undefined, true)],
  ['token:software:totp', factor(FACTOR_TYPE.OTP, undefined, true)],
  ['OKTA_VERIFY_TOTP', factor(FACTOR_TYPE.OTP, 'Okta Verify', true)],
  ['OKTA_SOFT_TOKEN', factor(FACTOR_TYPE.OTP, 'Okta Verify', true)],
  ['GOOGLE_AUTHENTICATOR', factor(FACTOR_TYPE.OTP, 'Google Authenticator', true)],
  ['SYMANTEC_VIP', factor(FACTOR_TYPE.OTP, 'Symantec VIP')],
  ['TOKEN_HARDWARE', factor(FACTOR_TYPE.HARDWARE_TOKEN)],
  ['token:hardware', factor(FACTOR_TYPE.HARDWARE_TOKEN)],
  ['YUBIKEY_TOKEN', factor(FACTOR_TYPE.HARDWARE_TOKEN, 'YubiKey')],
  ['RSA_SECURID', factor(FACTOR_TYPE.HARDWARE_TOKEN, 'RSA SecurID')],
  ['SMS_FACTOR', factor(FACTOR_TYPE.SMS)],
  ['sms', factor(FACTOR_TYPE.SMS)],
  ['CALL_FACTOR', factor(FACTOR_TYPE.PHONE_CALL)],
  ['call', factor(FACTOR_TYPE.PHONE_CALL)],
  ['EMAIL_FACTOR', factor(FACTOR_TYPE.EMAIL)],
  ['email', factor(FACTOR_TYPE.EMAIL)],
  ['QUESTION', factor(FACTOR_TYPE.SECURITY_QUESTION)],
  ['question', factor(FACTOR_TYPE.SECURITY_QUESTION)],
  ['PASSWORD_AS_FACTOR', factor(FACTOR_TYPE.PASSWORD)],
  ['password', factor(FACTOR_TYPE.PASSWORD)],
  ['DUO_SECURITY', factor(FACTOR_TYPE.OTHER, 'Duo Security')],
]);

/** `AuthenticatorEnrollment` target `detailEntry.methodTypeUsed` (Identity Engine). */
export const OKTA_METHODS: ReadonlyMap<string, FactorSpec> = new Map([
  ['Get a push notification', factor(FACTOR_TYPE.PUSH)],
  ['Enter a passcode', factor(FACTOR_TYPE.OTP, undefined, true)],
  ['Enter a code', factor(FACTOR_TYPE.OTP, undefined, true)],
  ['Use Okta FastPass', factor(FACTOR_TYPE.OTHER)],
  ['Receive a code via SMS', factor(FACTOR_TYPE.SMS)],
  ['SMS', factor(FACTOR_TYPE.SMS)],
  ['Receive a voice call', factor(FACTOR_TYPE.PHONE_CALL)],
  ['Voice call', factor(FACTOR_TYPE.PHONE_CALL)],
  ['Email', factor(FACTOR_TYPE.EMAIL)],
  ['Password', factor(FACTOR_TYPE.PASSWORD)],
  ['Security Key or Biometric Authenticator', factor(FACTOR_TYPE.WEBAUTHN)],
  ['Security key or biometric authenticator', factor(FACTOR_TYPE.WEBAUTHN)],
]);

/** `outcome.result` -> status: SUCCESS/ALLOW Success, FAILURE/DENY Failure, CHALLENGE and the rest Other. */
export const OKTA_RESULTS: Readonly<Record<string, number>> = {
  SUCCESS: STATUS.SUCCESS,
  ALLOW: STATUS.SUCCESS,
  FAILURE: STATUS.FAILURE,
  DENY: STATUS.FAILURE,
  UNKNOWN: STATUS.UNKNOWN,
};

/** `debugData.risk` `level=` -> OCSF risk_level_id. */
export const OKTA_RISK_LEVELS: Readonly<Record<string, number>> = { NONE: 0, LOW: 1, MEDIUM: 2, HIGH: 3 };
