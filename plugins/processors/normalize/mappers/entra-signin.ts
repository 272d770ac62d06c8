/**
 * `entra.signin`: Microsoft Entra ID sign-ins, as the Graph `signIn` resource
 * (`/auditLogs/signIns`) or as the Azure Monitor diagnostic record (`category: SignInLogs`,
 * `NonInteractiveUserSignInLogs`, `ServicePrincipalSignInLogs`, ... with the sign-in in
 * `properties`). The outcome is `status.errorCode` (`resultType` in the diagnostic record): the
 * table below says what each code becomes; see the normalize README for the reasoning.
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, arr, asObject, num, obj, stableUid, str } from '../mapper.js';
import type { IamEvent, OcsfAuthFactor, OcsfEndpoint, OcsfUser } from '../ocsf.js';
import { AUTHENTICATION, CLASS, FACTOR_TYPE, RISK_LEVEL_NAMES, SEVERITY, STATUS, authFactor, createEvent } from '../ocsf.js';
import { ENTRA_PRODUCT, entraStr, graphBody, requiredEntraTime } from './entra-common.js';

const FORMAT = 'entra.signin';

interface CodeSpec {
  readonly activityId: number;
  readonly statusId: number;
  /** A normalized `status_detail`; undefined: the vendor's `failureReason`. */
  readonly detail: string | undefined;
  readonly severityId: number | undefined;
  /** The code is about the MFA step (`is_mfa: true`). */
  readonly mfa: boolean;
}

function code(activityId: number, statusId: number, options: { detail?: string; severityId?: number; mfa?: boolean } = {}): CodeSpec {
  return { activityId, statusId, detail: options.detail, severityId: options.severityId, mfa: options.mfa ?? false };
}

const LOGON = AUTHENTICATION.LOGON;
const FAILURE = code(LOGON, STATUS.FAILURE);
/** Interrupts: Entra stopped the sign-in to ask the user something; neither success nor failure. */
const INTERRUPT = code(LOGON, STATUS.OTHER);

/** `status.errorCode` -> activity / status. Codes not listed are failures (Logon, Failure, the code kept). */
const CODES: ReadonlyMap<number, CodeSpec> = new Map<number, CodeSpec>([
  [0, code(LOGON, STATUS.SUCCESS)],
  [50126, FAILURE], // invalid username or password
  [50034, FAILURE], // user account does not exist
  [50055, FAILURE], // password expired
  [50056, FAILURE], // invalid or null password
  [50057, FAILURE], // account disabled
  [53003, FAILURE], // blocked by Conditional Access
  // Account locked (smart lockout, or sign-in from a malicious IP blocked): a refused sign-in,
  // not the lock itself, which Entra does not log as its own event.
  [50053, code(LOGON, STATUS.FAILURE, { detail: 'account_locked', severityId: SEVERITY.MEDIUM })],
  [500121, code(LOGON, STATUS.FAILURE, { mfa: true })], // MFA step failed (denied, no answer, wrong code)
  // MFA required: the password step passed and the MFA challenge was issued (MAPPING.md Preauth row).
  [50074, code(AUTHENTICATION.PREAUTH, STATUS.SUCCESS, { mfa: true })],
  [50076, code(AUTHENTICATION.PREAUTH, STATUS.SUCCESS, { mfa: true })],
  [50072, INTERRUPT], // MFA registration required
  [50079, INTERRUPT], // MFA registration required
  [50058, INTERRUPT], // silent sign-in without a session (user not known yet)
  [50097, INTERRUPT], // device authentication required
  [50125, INTERRUPT], // password reset / registration interrupt
  [50140, INTERRUPT], // "Keep me signed in" interrupt
  [50199, INTERRUPT], // security confirmation interrupt
  [16000, INTERRUPT], // account selection
  [16003, INTERRUPT], // account not in the directory yet (selection)
  [81010, INTERRUPT], // Seamless SSO fallback
  [81012, INTERRUPT],
  [81016, INTERRUPT],
]);

/** `authenticationDetails[].authenticationMethod` -> factor. */
interface Method { readonly typeId: number; readonly provider: string | undefined; readonly totp: boolean }
const AUTHENTICATOR = 'Microsoft Authenticator';
const METHODS: ReadonlyMap<string, Method> = new Map<string, Method>([
  ['Password', { typeId: FACTOR_TYPE.PASSWORD, provider: undefined, totp: false }],
  ['Mobile app notification', { typeId: FACTOR_TYPE.PUSH, provider: AUTHENTICATOR, totp: false }],
  ['Passwordless phone sign-in', { typeId: FACTOR_TYPE.PUSH, provider: AUTHENTICATOR, totp: false }],
  ['Mobile app verification code', { typeId: FACTOR_TYPE.OTP, provider: AUTHENTICATOR, totp: true }],
  ['OATH verification code', { typeId: FACTOR_TYPE.OTP, provider: undefined, totp: true }],
  ['Text message', { typeId: FACTOR_TYPE.SMS, provider: undefined, totp: false }],
  ['Phone call', { typeId: FACTOR_TYPE.PHONE_CALL, provider: undefined, totp: false }],
  ['FIDO2 security key', { typeId: FACTOR_TYPE.WEBAUTHN, provider: undefined, totp: false }],
  ['Passkey (device-bound)', { typeId: FACTOR_TYPE.WEBAUTHN, provider: undefined, totp: false }],
  ['Windows Hello for Business', { typeId: FACTOR_TYPE.OTHER, provider: 'Windows Hello for Business', totp: false }],
  ['Email', { typeId: FACTOR_TYPE.EMAIL, provider: undefined, totp: false }],
  ['Email OTP', { typeId: FACTOR_TYPE.EMAIL, provider: undefined, totp: false }],
  ['X.509 Certificate', { typeId: FACTOR_TYPE.OTHER, provider: 'X.509 Certificate', totp: false }],
  ['Temporary Access Pass', { typeId: FACTOR_TYPE.OTHER, provider: 'Temporary Access Pass', totp: false }],
]);

const RISK_LEVELS: Readonly<Record<string, number>> = { none: 0, low: 1, medium: 2, high: 3 };

const SIGNIN_CATEGORIES = new Set([
  'SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs',
  'MicrosoftServicePrincipalSignInLogs', 'ADFSSignInLogs',
]);
const SERVICE_CATEGORIES = new Set(['ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'MicrosoftServicePrincipalSignInLogs']);

/** The error code: `status.errorCode` (number), else the diagnostic record's `resultType` (string). */
function errorCode(status: JsonObject | undefined, record: JsonObject, diagnostic: boolean): number {
  let raw: unknown = status?.['errorCode'];
  let field = 'status.errorCode';
  if ((raw === undefined || raw === null) && diagnostic) {
    raw = record['resultType'];
    field = 'resultType';
  }
  if (raw === undefined || raw === null || raw === '') throw new MappingError(REASON.MISSING_FIELD, 'status.errorCode is missing');
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n)) throw new MappingError(REASON.INVALID_FIELD, `${field} is not an error code: ${JSON.stringify(raw)}`);
  return n;
}

/** Normalized MFA failure reason (MAPPING.md) from Entra's words, e.g. "MFA denied; user declined". */
function mfaReason(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const t = text.toLowerCase();
  if (t.includes('declined') || t.includes('denied the') || t.includes('rejected') || t.includes('fraud')) return 'push_denied';
  if (t.includes('did not respond') || t.includes('timed out') || t.includes('timeout')) return 'push_timeout';
  if (t.includes('invalid verification code') || t.includes('invalid code') || t.includes('wrong code') || t.includes('incorrect')) return 'wrong_code';
  if (t.includes('expired')) return 'expired_code';
  if (t.includes('not available') || t.includes('unavailable') || t.includes('no phone')) return 'method_unavailable';
  return undefined;
}

function signInUser(body: JsonObject, service: boolean): OcsfUser | undefined {
  if (service) {
    const name = entraStr(body, 'servicePrincipalName') ?? entraStr(body, 'appDisplayName');
    const uid = entraStr(body, 'servicePrincipalId');
    if (name === undefined && uid === undefined) return undefined;
    return { name, uid, full_name: undefined, type: 'Service', type_id: 4 };
  }
  const name = entraStr(body, 'userPrincipalName');
  const uid = entraStr(body, 'userId');
  const fullName = entraStr(body, 'userDisplayName');
  if (name === undefined && uid === undefined && fullName === undefined) return undefined;
  return { name, uid, full_name: fullName, type: undefined, type_id: undefined };
}

function signInEndpoint(body: JsonObject, record: JsonObject): OcsfEndpoint | undefined {
  const ip = entraStr(body, 'ipAddress') ?? entraStr(record, 'callerIpAddress');
  const loc = obj(body, 'location');
  const point = obj(loc, 'geoCoordinates');
  const city = entraStr(loc, 'city');
  const country = entraStr(loc, 'countryOrRegion');
  const lat = num(point, 'latitude');
  const device = obj(body, 'deviceDetail');
  const deviceId = entraStr(device, 'deviceId');
  const deviceName = entraStr(device, 'displayName');
  const asn = num(body, 'autonomousSystemNumber');
  if (ip === undefined && city === undefined && country === undefined && lat === undefined && deviceId === undefined && deviceName === undefined) return undefined;
  return {
    ip,
    name: deviceName,
    uid: deviceId,
    location: city === undefined && country === undefined && lat === undefined ? undefined : { city, country, region: entraStr(loc, 'state'), lat, long: num(point, 'longitude') },
    autonomous_system: asn === undefined ? undefined : { number: asn },
  };
}

function mapSignIn(input: unknown, context: MapContext): IamEvent {
  const record = asObject(input);
  const wrapped = graphBody(record);
  const diagnostic = wrapped !== undefined;
  const body = wrapped ?? record;
  const category = str(record, 'category');
  if (category !== undefined && diagnostic && !SIGNIN_CATEGORIES.has(category)) {
    throw new MappingError(REASON.INVALID_FIELD, `category ${JSON.stringify(category)} is not a sign-in log category`);
  }
  const { time, original } = requiredEntraTime(body, 'createdDateTime', record, 'time');
  const status = obj(body, 'status');
  const errorNumber = errorCode(status, record, diagnostic);
  const spec = CODES.get(errorNumber) ?? FAILURE;
  const errorText = String(errorNumber);
  const failureReason = entraStr(status, 'failureReason') ?? (diagnostic ? entraStr(record, 'resultDescription') : undefined);
  const additional = entraStr(status, 'additionalDetails');

  // Factors tried, in order; the failed MFA step's words name why MFA failed.
  let factors: OcsfAuthFactor[] | undefined;
  let stepDetail: string | undefined;
  const steps = arr(body, 'authenticationDetails');
  if (steps !== undefined) {
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      if (typeof s !== 'object' || s === null) continue;
      const step = s as JsonObject;
      const name = str(step, 'authenticationMethod');
      if (name === undefined || name === 'Previously satisfied') continue;
      const method = METHODS.get(name);
      (factors ??= []).push(method === undefined ? authFactor(FACTOR_TYPE.OTHER, { provider: name }) : authFactor(method.typeId, { provider: method.provider, is_totp: method.totp ? true : undefined }));
      if (step['succeeded'] === false) stepDetail = str(step, 'authenticationStepResultDetail');
    }
  }
  if (factors === undefined) {
    const mfaMethod = str(obj(body, 'mfaDetail'), 'authMethod');
    const method = mfaMethod === undefined ? undefined : METHODS.get(mfaMethod);
    if (method !== undefined) factors = [authFactor(method.typeId, { provider: method.provider, is_totp: method.totp ? true : undefined })];
  }

  const requirement = str(body, 'authenticationRequirement');
  const isMfa = spec.mfa || (spec.statusId === STATUS.SUCCESS && requirement === 'multiFactorAuthentication');
  let statusDetail: string | undefined;
  if (spec.statusId !== STATUS.SUCCESS) {
    statusDetail = spec.detail ?? (spec.mfa ? (mfaReason(additional) ?? mfaReason(stepDetail)) : undefined) ?? failureReason;
  }

  const user = signInUser(body, category !== undefined && SERVICE_CATEGORIES.has(category));
  const riskText = entraStr(body, 'riskLevelAggregated') ?? entraStr(body, 'riskLevelDuringSignIn');
  const riskId = riskText === undefined ? undefined : RISK_LEVELS[riskText];
  if (user !== undefined && riskId !== undefined) {
    user.risk_level_id = riskId;
    user.risk_level = RISK_LEVEL_NAMES[riskId];
  }
  let severityId = spec.severityId ?? (spec.statusId === STATUS.FAILURE ? SEVERITY.LOW : SEVERITY.INFORMATIONAL);
  if (riskId === 3 && severityId < SEVERITY.HIGH) severityId = SEVERITY.HIGH;

  const id = entraStr(body, 'id');
  const event = createEvent({
    classUid: CLASS.AUTHENTICATION,
    activityId: spec.activityId,
    time,
    statusId: spec.statusId,
    severityId,
    product: ENTRA_PRODUCT,
    uid: id ?? stableUid(FORMAT, JSON.stringify(record)),
    eventCode: errorText,
    originalTime: original,
    format: context.format,
    tenant: context.tenant,
    observedTime: context.observedTime,
  });
  event.metadata.correlation_uid = entraStr(body, 'correlationId') ?? entraStr(record, 'correlationId');
  event.status_code = errorText;
  event.status_detail = statusDetail;
  event.message = additional;
  event.user = user;
  event.src_endpoint = signInEndpoint(body, record);
  const userAgent = entraStr(body, 'userAgent');
  if (userAgent !== undefined) event.http_request = { user_agent: userAgent };
  const appName = entraStr(body, 'appDisplayName');
  const appId = entraStr(body, 'appId');
  if (appName !== undefined || appId !== undefined) event.service = { name: appName, uid: appId };
  const sessionId = entraStr(body, 'sessionId');
  if (sessionId !== undefined) event.session = { uid: sessionId };
  event.auth_factors = factors;
  if (isMfa) event.is_mfa = true;

  let unmapped: Record<string, unknown> | undefined;
  if (diagnostic && category !== undefined) unmapped = { category };
  const clientApp = entraStr(body, 'clientAppUsed');
  if (clientApp !== undefined) (unmapped ??= {})['client_app_used'] = clientApp;
  const interactive = body['isInteractive'];
  if (typeof interactive === 'boolean') (unmapped ??= {})['is_interactive'] = interactive;
  const ca = entraStr(body, 'conditionalAccessStatus');
  if (ca !== undefined) (unmapped ??= {})['conditional_access_status'] = ca;
  if (requirement !== undefined) (unmapped ??= {})['authentication_requirement'] = requirement;
  const resource = entraStr(body, 'resourceDisplayName');
  if (resource !== undefined) (unmapped ??= {})['resource_display_name'] = resource;
  const riskState = entraStr(body, 'riskState');
  const riskEvents = arr(body, 'riskEventTypes_v2') ?? arr(body, 'riskEventTypes');
  if ((riskId !== undefined && riskId > 0) || (riskState !== undefined && riskState !== 'none') || (riskEvents !== undefined && riskEvents.length > 0)) {
    (unmapped ??= {})['risk_context'] = {
      risk_level_aggregated: entraStr(body, 'riskLevelAggregated'),
      risk_level_during_sign_in: entraStr(body, 'riskLevelDuringSignIn'),
      risk_state: riskState,
      risk_detail: entraStr(body, 'riskDetail'),
      risk_event_types: riskEvents,
    };
  }
  event.unmapped = unmapped;
  return event;
}

export const entraSignInMapper: FormatMapper = {
  format: FORMAT,
  payload: 'json',
  map: mapSignIn,
};
