/**
 * `keycloak.event`: Keycloak user events, as the admin REST API returns them
 * (`GET /admin/realms/{realm}/events`, `EventRepresentation`). Every type has an `_ERROR` twin,
 * which is the same activity with status Failure and the error code in `status_code`.
 *
 * Keycloak has no wrong-OTP event: a bad OTP is `LOGIN_ERROR` / `invalid_user_credentials` with
 * `details.credential_type` naming the credential (`otp`), which is what makes it an MFA failure.
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, asObject } from '../mapper.js';
import type { IamClassUid, IamEvent, OcsfAuthFactor, OcsfUser } from '../ocsf.js';
import { ACCOUNT_CHANGE, AUTHENTICATION, CLASS, FACTOR_TYPE, SEVERITY, STATUS, authFactor, createEvent, setAuthProtocol } from '../ocsf.js';
import { KEYCLOAK_PRODUCT, epochMsOf, keycloakErrorText, keycloakUid } from './keycloak-common.js';
import { strOf } from '../mapper.js';

/** Event types whose activity or fields need more than the table row. */
const KIND = {
  PLAIN: 0,
  /** USER_DISABLED_BY_*_LOCKOUT: `num_failures` → unmapped.failed_attempts. */
  LOCKOUT: 1,
  /** CLIENT_LOGIN: the user is the client's service account. */
  CLIENT_LOGIN: 2,
  /** IMPERSONATE: `details.impersonator[_id]` is the actor. */
  IMPERSONATE: 3,
  /** UPDATE_CREDENTIAL: password → Password Change, a second factor → MFA Factor Enable. */
  UPDATE_CREDENTIAL: 4,
  /** REMOVE_CREDENTIAL: a second factor → MFA Factor Disable. */
  REMOVE_CREDENTIAL: 5,
  /** CUSTOM_REQUIRED_ACTION: by `details.custom_required_action`. */
  REQUIRED_ACTION: 6,
  /** Dynamic client registration: a change to the IAM system's own configuration. */
  IAM_CONFIG: 7,
  /** UPDATE_TOTP / REMOVE_TOTP: the factor is OTP whatever the details say. */
  OTP: 8,
} as const;

interface TypeRule {
  readonly classUid: IamClassUid;
  readonly activityId: number;
  readonly statusId: number;
  readonly severityId: number;
  readonly kind: number;
}

const AC = CLASS.ACCOUNT_CHANGE;
const AU = CLASS.AUTHENTICATION;
const INFO = SEVERITY.INFORMATIONAL;
const MEDIUM = SEVERITY.MEDIUM;

/** [type, class, activity, severity on success, kind]; each also gets its `_ERROR` twin. */
const BASE_TYPES: ReadonlyArray<readonly [string, IamClassUid, number, number, number]> = [
  ['LOGIN', AU, AUTHENTICATION.LOGON, INFO, KIND.PLAIN],
  ['LOGOUT', AU, AUTHENTICATION.LOGOFF, INFO, KIND.PLAIN],
  ['CODE_TO_TOKEN', AU, AUTHENTICATION.SERVICE_TICKET_REQUEST, INFO, KIND.PLAIN],
  ['REFRESH_TOKEN', AU, AUTHENTICATION.SERVICE_TICKET_RENEW, INFO, KIND.PLAIN],
  ['CLIENT_LOGIN', AU, AUTHENTICATION.LOGON, INFO, KIND.CLIENT_LOGIN],
  ['IDENTITY_PROVIDER_LOGIN', AU, AUTHENTICATION.LOGON, INFO, KIND.PLAIN],
  ['TOKEN_EXCHANGE', AU, AUTHENTICATION.SERVICE_TICKET_REQUEST, INFO, KIND.PLAIN],
  ['OAUTH2_DEVICE_CODE_TO_TOKEN', AU, AUTHENTICATION.SERVICE_TICKET_REQUEST, INFO, KIND.PLAIN],
  ['AUTHREQID_TO_TOKEN', AU, AUTHENTICATION.SERVICE_TICKET_REQUEST, INFO, KIND.PLAIN],
  ['PERMISSION_TOKEN', AU, AUTHENTICATION.SERVICE_TICKET_REQUEST, INFO, KIND.PLAIN],
  ['OAUTH2_EXTENSION_GRANT', AU, AUTHENTICATION.SERVICE_TICKET_REQUEST, INFO, KIND.PLAIN],
  ['JWT_BEARER', AU, AUTHENTICATION.SERVICE_TICKET_REQUEST, INFO, KIND.PLAIN],
  ['IMPERSONATE', AU, AUTHENTICATION.ACCOUNT_SWITCH, INFO, KIND.IMPERSONATE],
  ['IDENTITY_PROVIDER_FIRST_LOGIN', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['IDENTITY_PROVIDER_POST_LOGIN', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['IDENTITY_PROVIDER_RESPONSE', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['IDENTITY_PROVIDER_RETRIEVE_TOKEN', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['INTROSPECT_TOKEN', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['VALIDATE_ACCESS_TOKEN', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['USER_INFO_REQUEST', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['RESTART_AUTHENTICATION', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['PUSHED_AUTHORIZATION_REQUEST', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['OAUTH2_DEVICE_AUTH', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['OAUTH2_DEVICE_VERIFY_USER_CODE', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['GRANT_CONSENT', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['UPDATE_CONSENT', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['REVOKE_GRANT', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['INVALID_SIGNATURE', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['CLIENT_INFO', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['REGISTER_NODE', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],
  ['UNREGISTER_NODE', AU, AUTHENTICATION.OTHER, INFO, KIND.PLAIN],

  ['REGISTER', AC, ACCOUNT_CHANGE.CREATE, INFO, KIND.PLAIN],
  ['DELETE_ACCOUNT', AC, ACCOUNT_CHANGE.DELETE, INFO, KIND.PLAIN],
  ['UPDATE_PASSWORD', AC, ACCOUNT_CHANGE.PASSWORD_CHANGE, INFO, KIND.PLAIN],
  ['RESET_PASSWORD', AC, ACCOUNT_CHANGE.PASSWORD_RESET, INFO, KIND.PLAIN],
  ['SEND_RESET_PASSWORD', AC, ACCOUNT_CHANGE.PASSWORD_RESET, INFO, KIND.PLAIN],
  ['UPDATE_TOTP', AC, ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, INFO, KIND.OTP],
  ['REMOVE_TOTP', AC, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, MEDIUM, KIND.OTP],
  ['UPDATE_CREDENTIAL', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.UPDATE_CREDENTIAL],
  ['REMOVE_CREDENTIAL', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.REMOVE_CREDENTIAL],
  ['CUSTOM_REQUIRED_ACTION', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.REQUIRED_ACTION],
  ['USER_DISABLED_BY_TEMPORARY_LOCKOUT', AC, ACCOUNT_CHANGE.LOCK, MEDIUM, KIND.LOCKOUT],
  ['USER_DISABLED_BY_PERMANENT_LOCKOUT', AC, ACCOUNT_CHANGE.LOCK, MEDIUM, KIND.LOCKOUT],
  ['UPDATE_EMAIL', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['UPDATE_PROFILE', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['VERIFY_EMAIL', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['VERIFY_PROFILE', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['SEND_VERIFY_EMAIL', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['EXECUTE_ACTIONS', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['EXECUTE_ACTION_TOKEN', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['FEDERATED_IDENTITY_LINK', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['REMOVE_FEDERATED_IDENTITY', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['IDENTITY_PROVIDER_LINK_ACCOUNT', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['SEND_IDENTITY_PROVIDER_LINK', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['CLIENT_INITIATED_ACCOUNT_LINKING', AC, ACCOUNT_CHANGE.OTHER, INFO, KIND.PLAIN],
  ['CLIENT_REGISTER', AC, ACCOUNT_CHANGE.OTHER, MEDIUM, KIND.IAM_CONFIG],
  ['CLIENT_UPDATE', AC, ACCOUNT_CHANGE.OTHER, MEDIUM, KIND.IAM_CONFIG],
  ['CLIENT_DELETE', AC, ACCOUNT_CHANGE.OTHER, MEDIUM, KIND.IAM_CONFIG],
];

function buildRules(): Map<string, TypeRule> {
  const rules = new Map<string, TypeRule>();
  for (const [type, classUid, activityId, severityId, kind] of BASE_TYPES) {
    rules.set(type, { classUid, activityId, statusId: STATUS.SUCCESS, severityId, kind });
    rules.set(`${type}_ERROR`, { classUid, activityId, statusId: STATUS.FAILURE, severityId: SEVERITY.LOW, kind });
  }
  return rules;
}

/** Every known type and its `_ERROR` twin, built once. */
const RULES = buildRules();
const UNKNOWN_SUCCESS: TypeRule = { classUid: AU, activityId: AUTHENTICATION.OTHER, statusId: STATUS.SUCCESS, severityId: INFO, kind: KIND.PLAIN };
const UNKNOWN_FAILURE: TypeRule = { classUid: AU, activityId: AUTHENTICATION.OTHER, statusId: STATUS.FAILURE, severityId: SEVERITY.LOW, kind: KIND.PLAIN };

/** A Keycloak credential type (`details.credential_type`) as an OCSF factor. */
interface CredentialRule {
  readonly factorTypeId: number;
  /** A second factor (or passwordless authenticator): not the password. */
  readonly mfa: boolean;
  readonly isTotp: boolean;
}
const CREDENTIALS: Readonly<Record<string, CredentialRule>> = {
  otp: { factorTypeId: FACTOR_TYPE.OTP, mfa: true, isTotp: false },
  totp: { factorTypeId: FACTOR_TYPE.OTP, mfa: true, isTotp: true },
  hotp: { factorTypeId: FACTOR_TYPE.OTP, mfa: true, isTotp: false },
  webauthn: { factorTypeId: FACTOR_TYPE.WEBAUTHN, mfa: true, isTotp: false },
  'webauthn-passwordless': { factorTypeId: FACTOR_TYPE.WEBAUTHN, mfa: true, isTotp: false },
  'recovery-authn-codes': { factorTypeId: FACTOR_TYPE.OTHER, mfa: true, isTotp: false },
  password: { factorTypeId: FACTOR_TYPE.PASSWORD, mfa: false, isTotp: false },
};
const OTP_CREDENTIAL = CREDENTIALS['otp']!;

/** Required actions (`details.custom_required_action`) that are credential changes. */
const REQUIRED_ACTIONS: Readonly<Record<string, { activityId: number; credential: CredentialRule | undefined }>> = {
  UPDATE_PASSWORD: { activityId: ACCOUNT_CHANGE.PASSWORD_CHANGE, credential: CREDENTIALS['password'] },
  CONFIGURE_TOTP: { activityId: ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, credential: OTP_CREDENTIAL },
  'webauthn-register': { activityId: ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, credential: CREDENTIALS['webauthn'] },
  'webauthn-register-passwordless': { activityId: ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, credential: CREDENTIALS['webauthn-passwordless'] },
  CONFIGURE_RECOVERY_AUTHN_CODES: { activityId: ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, credential: CREDENTIALS['recovery-authn-codes'] },
};

/** `details.auth_method` → OCSF auth protocol. */
const AUTH_METHODS: Readonly<Record<string, number>> = { 'openid-connect': 4, saml: 5 };

function typeField(record: JsonObject): string {
  const type = record['type'];
  if (typeof type === 'string' && type !== '') return type;
  if (type === undefined || type === null || type === '') throw new MappingError(REASON.MISSING_FIELD, 'type is missing');
  throw new MappingError(REASON.INVALID_FIELD, `type is ${Array.isArray(type) ? 'an array' : typeof type}, not a string`);
}

function map(value: unknown, context: MapContext): IamEvent {
  const record = asObject(value);
  const type = typeField(record);
  const rawTime = record['time'];
  const time = epochMsOf(rawTime, 'time');
  const rule = RULES.get(type) ?? (type.endsWith('_ERROR') ? UNKNOWN_FAILURE : UNKNOWN_SUCCESS);
  const rawDetails = record['details'];
  const details = typeof rawDetails === 'object' && rawDetails !== null && !Array.isArray(rawDetails) ? (rawDetails as JsonObject) : undefined;
  const kind = rule.kind;
  const failed = rule.statusId === STATUS.FAILURE;

  // The credential the event is about decides MFA-ness and, for some types, the activity.
  const credentialType = details === undefined ? undefined : strOf(details['credential_type']);
  let credential = credentialType === undefined ? undefined : CREDENTIALS[credentialType];
  let activityId = rule.activityId;
  let severityId = rule.severityId;
  if (kind === KIND.OTP) {
    credential ??= OTP_CREDENTIAL;
  } else if (kind === KIND.UPDATE_CREDENTIAL || kind === KIND.REMOVE_CREDENTIAL) {
    if (credential !== undefined) {
      if (credential.mfa) {
        activityId = kind === KIND.UPDATE_CREDENTIAL ? ACCOUNT_CHANGE.MFA_FACTOR_ENABLE : ACCOUNT_CHANGE.MFA_FACTOR_DISABLE;
        if (kind === KIND.REMOVE_CREDENTIAL && !failed) severityId = MEDIUM;
      } else if (kind === KIND.UPDATE_CREDENTIAL) {
        activityId = ACCOUNT_CHANGE.PASSWORD_CHANGE;
      }
    }
  } else if (kind === KIND.REQUIRED_ACTION && details !== undefined) {
    const action = strOf(details['custom_required_action']);
    const known = action === undefined ? undefined : REQUIRED_ACTIONS[action];
    if (known !== undefined) {
      activityId = known.activityId;
      credential ??= known.credential;
    }
  }

  const event = createEvent({
    classUid: rule.classUid,
    activityId,
    time,
    statusId: rule.statusId,
    severityId,
    product: KEYCLOAK_PRODUCT,
    uid: keycloakUid(record, context.format),
    eventCode: type,
    originalTime: typeof rawTime === 'string' ? rawTime : String(rawTime),
    format: context.format,
    tenant: context.tenant,
    observedTime: context.observedTime,
  });

  const isAuthentication = rule.classUid === AU;
  const error = strOf(record['error']);
  if (error !== undefined) {
    event.status_code = error;
    // A rejected second factor is the normalized MFA failure reason, not "invalid credentials".
    event.status_detail = credential !== undefined && credential.mfa && error === 'invalid_user_credentials' ? 'wrong_code' : keycloakErrorText(error);
  }

  const realmId = strOf(record['realmId']);
  const userId = strOf(record['userId']);
  const username = details === undefined ? undefined : strOf(details['username']);
  const email = details === undefined ? undefined : strOf(details['email']);
  if (userId !== undefined || username !== undefined || email !== undefined) {
    const user: OcsfUser = { name: username, uid: userId, email_addr: email, domain: realmId };
    if (kind === KIND.CLIENT_LOGIN) {
      user.type_id = 4;
      user.type = 'Service';
    }
    event.user = user;
  }
  const ip = strOf(record['ipAddress']);
  if (ip !== undefined) event.src_endpoint = { ip };
  const clientId = strOf(record['clientId']);
  if (clientId !== undefined) event.service = { name: clientId, uid: clientId };
  const sessionId = strOf(record['sessionId']);
  if (sessionId !== undefined) event.session = { uid: sessionId };

  let mappedAuthMethod = false;
  let factorShown = false;
  // On account changes the factor is what changed, so only second factors: a password change is
  // Password Change whether Keycloak calls it UPDATE_PASSWORD or UPDATE_CREDENTIAL.
  if (credential !== undefined && (isAuthentication || credential.mfa)) {
    const factor: OcsfAuthFactor = credential.isTotp ? authFactor(credential.factorTypeId, { is_totp: true }) : authFactor(credential.factorTypeId);
    event.auth_factors = [factor];
    factorShown = credentialType !== undefined && CREDENTIALS[credentialType] !== undefined;
    if (isAuthentication) event.is_mfa = credential.mfa;
  }
  if (details !== undefined) {
    event.metadata.correlation_uid = strOf(details['code_id']);
    if (isAuthentication) {
      const method = strOf(details['auth_method']);
      // Two known values: comparing beats a keyed lookup, which must internalize the string first.
      const protocol = method === 'openid-connect' ? AUTH_METHODS['openid-connect'] : method === 'saml' ? AUTH_METHODS['saml'] : undefined;
      if (protocol !== undefined) {
        setAuthProtocol(event, protocol);
        mappedAuthMethod = true;
      }
    }
    if (kind === KIND.IMPERSONATE) {
      const name = strOf(details['impersonator']);
      const uid = strOf(details['impersonator_id']);
      if (name !== undefined || uid !== undefined) event.actor = { user: { name, uid } };
    }
  }

  // unmapped: the realm, the details keys mapped nowhere else, and the lockout's failure count.
  let unmapped: JsonObject | undefined;
  if (realmId !== undefined) unmapped = { realmId };
  if (details !== undefined) {
    let failures = Number.NaN;
    if (kind === KIND.LOCKOUT) {
      const raw = details['num_failures'];
      failures = typeof raw === 'number' ? raw : typeof raw === 'string' && raw !== '' ? Number(raw) : Number.NaN;
    }
    const failuresMapped = Number.isFinite(failures);
    let rest: JsonObject | undefined;
    for (const key in details) {
      if (key === 'username' || key === 'email' || key === 'code_id' || key === '__proto__') continue;
      if (key === 'credential_type' && factorShown) continue;
      if (key === 'auth_method' && mappedAuthMethod) continue;
      if (key === 'num_failures' && failuresMapped) continue;
      if (kind === KIND.IMPERSONATE && (key === 'impersonator' || key === 'impersonator_id')) continue;
      (rest ??= {})[key] = details[key];
    }
    if (failuresMapped) (unmapped ??= {})['failed_attempts'] = failures;
    if (rest !== undefined) (unmapped ??= {})['details'] = rest;
  }
  if (kind === KIND.IAM_CONFIG) (unmapped ??= {})['resource_type'] = 'CLIENT';
  event.unmapped = unmapped;
  return event;
}

export const keycloakEventMapper: FormatMapper = {
  format: 'keycloak.event',
  payload: 'json',
  map,
};

/** For the docs and tests: the table the mapper uses. */
export const keycloakEventTypes: ReadonlyMap<string, TypeRule> = RULES;
