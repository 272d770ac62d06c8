/**
 * Auth0 log `type` codes -> OCSF class / activity / status, built once at module load. Auth0's
 * code itself says success or failure, so the status is in the table. The list follows Auth0's
 * "Log Event Type Codes" reference; the normalize README has it for SIEM users.
 */
import { ACCOUNT_CHANGE, AUTHENTICATION, CLASS, FACTOR_TYPE, SEVERITY, STATUS } from '../ocsf.js';
import type { IamClassUid } from '../ocsf.js';

export interface Auth0Spec {
  readonly classUid: IamClassUid;
  readonly activityId: number;
  readonly statusId: number;
  /** A fixed severity; undefined: Informational, Low for failures. */
  readonly severityId: number | undefined;
  readonly mfa: boolean;
  /** The factor the code implies (gd_send_sms: SMS), else from `details.authenticator.type`. */
  readonly factorTypeId: number | undefined;
  readonly factorProvider: string | undefined;
  /** A normalized `status_detail` the code implies (gd_auth_rejected: push_denied). */
  readonly detail: string | undefined;
  /** Auth0's own configuration / Management API: `unmapped.resource_type` / `resource_path`. */
  readonly config: boolean;
  /** A Management API operation (sapi / fapi): the class comes from the request. */
  readonly api: boolean;
}

interface Options {
  severityId?: number;
  mfa?: boolean;
  factorTypeId?: number;
  factorProvider?: string;
  detail?: string;
  config?: boolean;
  api?: boolean;
}

function spec(classUid: IamClassUid, activityId: number, statusId: number, o: Options = {}): Auth0Spec {
  return {
    classUid,
    activityId,
    statusId,
    severityId: o.severityId,
    mfa: o.mfa ?? false,
    factorTypeId: o.factorTypeId,
    factorProvider: o.factorProvider,
    detail: o.detail,
    config: o.config ?? false,
    api: o.api ?? false,
  };
}

const AUTH = CLASS.AUTHENTICATION;
const ACCT = CLASS.ACCOUNT_CHANGE;
const OK = STATUS.SUCCESS;
const FAIL = STATUS.FAILURE;
const MEDIUM = SEVERITY.MEDIUM;
const GUARDIAN = 'Guardian';

const LOGON_OK = spec(AUTH, AUTHENTICATION.LOGON, OK);
const LOGON_FAIL = spec(AUTH, AUTHENTICATION.LOGON, FAIL);
const TOKEN_OK = spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, OK);
const TOKEN_FAIL = spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, FAIL);
const MFA_TOKEN_OK = spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, OK, { mfa: true });
const MFA_TOKEN_FAIL = spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, FAIL, { mfa: true });
const AUTH_OTHER_FAIL = spec(AUTH, AUTHENTICATION.OTHER, FAIL);
const ACCT_OTHER_OK = spec(ACCT, ACCOUNT_CHANGE.OTHER, OK);
const ACCT_OTHER_FAIL = spec(ACCT, ACCOUNT_CHANGE.OTHER, FAIL);
const RESET_OK = spec(ACCT, ACCOUNT_CHANGE.PASSWORD_RESET, OK);
const RESET_FAIL = spec(ACCT, ACCOUNT_CHANGE.PASSWORD_RESET, FAIL);
const LOCK = spec(ACCT, ACCOUNT_CHANGE.LOCK, OK, { severityId: MEDIUM });
const CONFIG_OK = spec(ACCT, ACCOUNT_CHANGE.OTHER, OK, { severityId: MEDIUM, config: true });

export const AUTH0_TYPES: ReadonlyMap<string, Auth0Spec> = new Map<string, Auth0Spec>([
  // Sign-in
  ['s', LOGON_OK],
  ['ssa', LOGON_OK],
  ['scoa', LOGON_OK],
  ['f', LOGON_FAIL],
  ['fp', LOGON_FAIL],
  ['fu', LOGON_FAIL],
  ['fc', LOGON_FAIL],
  ['fco', LOGON_FAIL],
  ['fcoa', LOGON_FAIL],
  ['fsa', LOGON_FAIL],
  ['pwd_leak', spec(AUTH, AUTHENTICATION.LOGON, FAIL, { severityId: MEDIUM })],
  ['w', spec(AUTH, AUTHENTICATION.OTHER, STATUS.OTHER)],
  // Sign-out
  ['slo', spec(AUTH, AUTHENTICATION.LOGOFF, OK)],
  ['flo', spec(AUTH, AUTHENTICATION.LOGOFF, FAIL)],
  ['oidc_backchannel_logout_succeeded', spec(AUTH, AUTHENTICATION.LOGOFF, OK)],
  ['oidc_backchannel_logout_failed', spec(AUTH, AUTHENTICATION.LOGOFF, FAIL)],
  // Token exchanges
  ['seacft', TOKEN_OK],
  ['feacft', TOKEN_FAIL],
  ['seccft', TOKEN_OK],
  ['feccft', TOKEN_FAIL],
  ['sede', TOKEN_OK],
  ['fede', TOKEN_FAIL],
  ['sens', TOKEN_OK],
  ['fens', TOKEN_FAIL],
  ['sepft', TOKEN_OK],
  ['fepft', TOKEN_FAIL],
  ['sepotpft', TOKEN_OK],
  ['fepotpft', TOKEN_FAIL],
  ['sd', TOKEN_OK],
  ['fd', TOKEN_FAIL],
  ['ciba_exchange_succeeded', TOKEN_OK],
  ['ciba_exchange_failed', TOKEN_FAIL],
  ['seoobft', MFA_TOKEN_OK],
  ['feoobft', MFA_TOKEN_FAIL],
  ['seotpft', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, OK, { mfa: true, factorTypeId: FACTOR_TYPE.OTP })],
  ['feotpft', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.OTP })],
  ['sercft', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, OK, { mfa: true, factorTypeId: FACTOR_TYPE.OTHER, factorProvider: 'recovery code' })],
  ['fercft', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_REQUEST, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.OTHER, factorProvider: 'recovery code' })],
  ['sertft', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_RENEW, OK)],
  ['fertft', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_RENEW, FAIL)],
  ['ferrt', spec(AUTH, AUTHENTICATION.SERVICE_TICKET_RENEW, FAIL)],
  ['srrt', spec(AUTH, AUTHENTICATION.OTHER, OK)],
  // MFA (Guardian): steps answered
  ['gd_auth_succeed', spec(AUTH, AUTHENTICATION.LOGON, OK, { mfa: true })],
  ['gd_auth_failed', spec(AUTH, AUTHENTICATION.LOGON, FAIL, { mfa: true })],
  ['gd_auth_rejected', spec(AUTH, AUTHENTICATION.LOGON, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.PUSH, factorProvider: GUARDIAN, detail: 'push_denied' })],
  ['gd_recovery_succeed', spec(AUTH, AUTHENTICATION.LOGON, OK, { mfa: true, factorTypeId: FACTOR_TYPE.OTHER, factorProvider: 'recovery code' })],
  ['gd_recovery_failed', spec(AUTH, AUTHENTICATION.LOGON, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.OTHER, factorProvider: 'recovery code', detail: 'wrong_code' })],
  ['gd_otp_rate_limit_exceed', spec(AUTH, AUTHENTICATION.LOGON, FAIL, { mfa: true, severityId: MEDIUM, detail: 'wrong_code' })],
  ['gd_recovery_rate_limit_exceed', spec(AUTH, AUTHENTICATION.LOGON, FAIL, { mfa: true, severityId: MEDIUM, factorTypeId: FACTOR_TYPE.OTHER, factorProvider: 'recovery code', detail: 'wrong_code' })],
  ['gd_webauthn_challenge_failed', spec(AUTH, AUTHENTICATION.LOGON, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.WEBAUTHN })],
  // MFA: challenges issued (and prompts)
  ['gd_start_auth', spec(AUTH, AUTHENTICATION.PREAUTH, OK, { mfa: true })],
  ['mfar', spec(AUTH, AUTHENTICATION.PREAUTH, OK, { mfa: true })],
  ['gd_send_pn', spec(AUTH, AUTHENTICATION.PREAUTH, OK, { mfa: true, factorTypeId: FACTOR_TYPE.PUSH, factorProvider: GUARDIAN })],
  ['gd_send_pn_failure', spec(AUTH, AUTHENTICATION.PREAUTH, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.PUSH, factorProvider: GUARDIAN, detail: 'method_unavailable' })],
  ['gd_send_sms', spec(AUTH, AUTHENTICATION.PREAUTH, OK, { mfa: true, factorTypeId: FACTOR_TYPE.SMS })],
  ['gd_send_sms_failure', spec(AUTH, AUTHENTICATION.PREAUTH, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.SMS, detail: 'method_unavailable' })],
  ['gd_send_voice', spec(AUTH, AUTHENTICATION.PREAUTH, OK, { mfa: true, factorTypeId: FACTOR_TYPE.PHONE_CALL })],
  ['gd_send_voice_failure', spec(AUTH, AUTHENTICATION.PREAUTH, FAIL, { mfa: true, factorTypeId: FACTOR_TYPE.PHONE_CALL, detail: 'method_unavailable' })],
  ['gd_send_email', spec(AUTH, AUTHENTICATION.PREAUTH, OK, { mfa: true, factorTypeId: FACTOR_TYPE.EMAIL })],
  ['gd_send_mail', spec(AUTH, AUTHENTICATION.PREAUTH, OK, { mfa: true, factorTypeId: FACTOR_TYPE.EMAIL })],
  // Passwordless codes and pre-login checks: first-factor challenges, not MFA
  ['cs', spec(AUTH, AUTHENTICATION.PREAUTH, OK)],
  ['cls', spec(AUTH, AUTHENTICATION.PREAUTH, OK)],
  ['pla', spec(AUTH, AUTHENTICATION.PREAUTH, OK)],
  ['fpar', AUTH_OTHER_FAIL],
  ['fdeaz', AUTH_OTHER_FAIL],
  ['fdeac', AUTH_OTHER_FAIL],
  ['fdecc', AUTH_OTHER_FAIL],
  // Attack protection
  ['limit_wc', LOCK], // IP blocked for one account after too many failed logins
  ['limit_sul', LOCK], // user blocked: too many logins per time period from one IP
  ['limit_mu', spec(AUTH, AUTHENTICATION.OTHER, FAIL, { severityId: MEDIUM })], // IP blocked across many accounts
  ['ublkdu', spec(ACCT, ACCOUNT_CHANGE.UNLOCK, OK)],
  ['api_limit', AUTH_OTHER_FAIL],
  ['limit_ui', AUTH_OTHER_FAIL],
  ['limit_delegation', AUTH_OTHER_FAIL],
  // Accounts
  ['ss', spec(ACCT, ACCOUNT_CHANGE.CREATE, OK)],
  ['fs', spec(ACCT, ACCOUNT_CHANGE.CREATE, FAIL)],
  ['signup_pwd_leak', spec(ACCT, ACCOUNT_CHANGE.CREATE, FAIL, { severityId: MEDIUM })],
  ['du', spec(ACCT, ACCOUNT_CHANGE.DELETE, OK)],
  ['sdu', spec(ACCT, ACCOUNT_CHANGE.DELETE, OK)],
  ['fdu', spec(ACCT, ACCOUNT_CHANGE.DELETE, FAIL)],
  // Auth0's "change password" is its reset flow: scpr = reset requested, scp = new password set.
  ['scpr', RESET_OK],
  ['fcpr', RESET_FAIL],
  ['scp', RESET_OK],
  ['fcp', RESET_FAIL],
  ['scph', ACCT_OTHER_OK],
  ['fcph', ACCT_OTHER_FAIL],
  ['sce', ACCT_OTHER_OK],
  ['fce', ACCT_OTHER_FAIL],
  ['scu', ACCT_OTHER_OK],
  ['fcu', ACCT_OTHER_FAIL],
  ['scpn', ACCT_OTHER_OK],
  ['fcpn', ACCT_OTHER_FAIL],
  ['sv', ACCT_OTHER_OK],
  ['fv', ACCT_OTHER_FAIL],
  ['svr', ACCT_OTHER_OK],
  ['fvr', ACCT_OTHER_FAIL],
  ['fn', ACCT_OTHER_FAIL],
  ['si', ACCT_OTHER_OK],
  ['fi', ACCT_OTHER_FAIL],
  ['sui', ACCT_OTHER_OK],
  ['fui', ACCT_OTHER_FAIL],
  // MFA enrolment
  ['gd_enrollment_complete', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, OK)],
  ['gd_start_enroll', ACCT_OTHER_OK],
  ['gd_start_enroll_failed', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, FAIL)],
  ['gd_webauthn_enrollment_failed', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, FAIL, { factorTypeId: FACTOR_TYPE.WEBAUTHN })],
  ['gd_unenroll', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, OK, { severityId: MEDIUM })],
  ['gd_user_delete', spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, OK, { severityId: MEDIUM })],
  ['gd_update_device_account', ACCT_OTHER_OK],
  // Auth0's own configuration and Management API
  ['gd_tenant_update', CONFIG_OK],
  ['gd_module_switch', CONFIG_OK],
  ['sapi', spec(ACCT, ACCOUNT_CHANGE.OTHER, OK, { severityId: MEDIUM, config: true, api: true })],
  ['fapi', spec(ACCT, ACCOUNT_CHANGE.OTHER, FAIL, { severityId: MEDIUM, config: true, api: true })],
  ['mgmt_api_read', spec(ACCT, ACCOUNT_CHANGE.OTHER, OK, { config: true })],
]);

/** A code not in the table: kept, Account Change / Other, status unknown. */
export const AUTH0_UNKNOWN = spec(ACCT, ACCOUNT_CHANGE.OTHER, STATUS.UNKNOWN);

/** `details.authenticator.type` -> factor. */
export interface Auth0Factor { readonly typeId: number; readonly provider: string | undefined; readonly totp: boolean }
export const AUTH0_AUTHENTICATORS: ReadonlyMap<string, Auth0Factor> = new Map<string, Auth0Factor>([
  ['otp', { typeId: FACTOR_TYPE.OTP, provider: undefined, totp: true }],
  ['push-notification', { typeId: FACTOR_TYPE.PUSH, provider: GUARDIAN, totp: false }],
  ['push', { typeId: FACTOR_TYPE.PUSH, provider: GUARDIAN, totp: false }],
  ['guardian', { typeId: FACTOR_TYPE.PUSH, provider: GUARDIAN, totp: false }],
  ['sms', { typeId: FACTOR_TYPE.SMS, provider: undefined, totp: false }],
  ['phone', { typeId: FACTOR_TYPE.SMS, provider: undefined, totp: false }],
  ['voice', { typeId: FACTOR_TYPE.PHONE_CALL, provider: undefined, totp: false }],
  ['email', { typeId: FACTOR_TYPE.EMAIL, provider: undefined, totp: false }],
  ['webauthn-roaming', { typeId: FACTOR_TYPE.WEBAUTHN, provider: undefined, totp: false }],
  ['webauthn-platform', { typeId: FACTOR_TYPE.WEBAUTHN, provider: undefined, totp: false }],
  ['recovery-code', { typeId: FACTOR_TYPE.OTHER, provider: 'recovery code', totp: false }],
  ['duo', { typeId: FACTOR_TYPE.OTHER, provider: 'Duo Security', totp: false }],
]);

/** Management API requests (sapi / fapi) on accounts, by method and path shape. */
export const API_USER_CREATE = spec(ACCT, ACCOUNT_CHANGE.CREATE, OK);
export const API_USER_DELETE = spec(ACCT, ACCOUNT_CHANGE.DELETE, OK);
export const API_USER_BLOCK = spec(ACCT, ACCOUNT_CHANGE.DISABLE, OK);
export const API_USER_UNBLOCK = spec(ACCT, ACCOUNT_CHANGE.ENABLE, OK);
export const API_USER_PASSWORD = spec(ACCT, ACCOUNT_CHANGE.PASSWORD_RESET, OK);
export const API_USER_UPDATE = spec(ACCT, ACCOUNT_CHANGE.OTHER, OK);
export const API_ROLE_ASSIGN = spec(CLASS.USER_ACCESS, 1, OK, { severityId: MEDIUM });
export const API_ROLE_REVOKE = spec(CLASS.USER_ACCESS, 2, OK);
export const API_FACTOR_REMOVE = spec(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, OK, { severityId: MEDIUM });
