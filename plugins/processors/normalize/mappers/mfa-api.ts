/**
 * `mfa_api`: the MFA / lockout / recovery API feed: `event_type` (`mfa.failure`,
 * `account.locked`, `recovery.attempted`, ...), ISO 8601 `timestamp`, `actor_id`, `mfa_method`,
 * `failure_reason`, `outcome`, `source_ip`, `geo_location`, and the adaptive-MFA `risk_context`,
 * which is kept whole in `unmapped.risk_context` (the detector's weights read it) and summarized
 * in `user.risk_score` / `risk_level_id` / `risk_level`.
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, asObject, isoTime, numOf, stableUid, strOf } from '../mapper.js';
import type { IamClassUid, IamEvent, OcsfAuthFactor, OcsfLocation } from '../ocsf.js';
import { ACCOUNT_CHANGE, AUTHENTICATION, CLASS, FACTOR_TYPE, FACTOR_TYPE_NAMES, RISK_LEVEL_NAMES, SEVERITY, STATUS, authFactor, createEvent } from '../ocsf.js';

export const MFA_API_PRODUCT = { name: 'MFA API', vendor_name: 'Generic' } as const;

interface TypeRule {
  readonly classUid: IamClassUid;
  readonly activityId: number;
  /** The status when the record has no (known) `outcome`. */
  readonly statusId: number;
  /** Severity on success; failures are Low, lockouts Medium whatever the outcome. */
  readonly severityId: number;
  /** An MFA step (Authentication with `is_mfa`). */
  readonly mfa: boolean;
  /** The lockout itself: Success whatever `outcome` says (the outcome is the account's state). */
  readonly lock: boolean;
}

const AU = CLASS.AUTHENTICATION;
const AC = CLASS.ACCOUNT_CHANGE;
const INFO = SEVERITY.INFORMATIONAL;

function rule(classUid: IamClassUid, activityId: number, statusId: number, severityId: number, mfa: boolean, lock = false): TypeRule {
  return { classUid, activityId, statusId, severityId, mfa, lock };
}

/** Event types, built once. */
const TYPES: ReadonlyMap<string, TypeRule> = new Map([
  ['mfa.failure', rule(AU, AUTHENTICATION.LOGON, STATUS.FAILURE, INFO, true)],
  ['mfa.success', rule(AU, AUTHENTICATION.LOGON, STATUS.SUCCESS, INFO, true)],
  ['mfa.challenge_sent', rule(AU, AUTHENTICATION.PREAUTH, STATUS.SUCCESS, INFO, true)],
  ['mfa.challenge', rule(AU, AUTHENTICATION.PREAUTH, STATUS.SUCCESS, INFO, true)],
  ['mfa.push_sent', rule(AU, AUTHENTICATION.PREAUTH, STATUS.SUCCESS, INFO, true)],
  ['mfa.enrolled', rule(AC, ACCOUNT_CHANGE.MFA_FACTOR_ENABLE, STATUS.SUCCESS, INFO, false)],
  ['mfa.removed', rule(AC, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, STATUS.SUCCESS, SEVERITY.MEDIUM, false)],
  ['mfa.reset', rule(AC, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, STATUS.SUCCESS, SEVERITY.MEDIUM, false)],
  ['account.locked', rule(AC, ACCOUNT_CHANGE.LOCK, STATUS.SUCCESS, SEVERITY.MEDIUM, false, true)],
  ['account.unlocked', rule(AC, ACCOUNT_CHANGE.UNLOCK, STATUS.SUCCESS, INFO, false)],
  ['recovery.attempted', rule(AC, ACCOUNT_CHANGE.PASSWORD_RESET, STATUS.UNKNOWN, INFO, false)],
  ['recovery.completed', rule(AC, ACCOUNT_CHANGE.PASSWORD_RESET, STATUS.SUCCESS, INFO, false)],
  ['recovery.succeeded', rule(AC, ACCOUNT_CHANGE.PASSWORD_RESET, STATUS.SUCCESS, INFO, false)],
]);
const UNKNOWN_MFA = rule(AU, AUTHENTICATION.OTHER, STATUS.UNKNOWN, INFO, true);
const UNKNOWN_ACCOUNT = rule(AC, ACCOUNT_CHANGE.OTHER, STATUS.UNKNOWN, INFO, false);
const UNKNOWN_OTHER = rule(AU, AUTHENTICATION.OTHER, STATUS.UNKNOWN, INFO, false);

function unknownRule(type: string): TypeRule {
  if (type.startsWith('mfa.')) return UNKNOWN_MFA;
  if (type.startsWith('account.') || type.startsWith('recovery.')) return UNKNOWN_ACCOUNT;
  return UNKNOWN_OTHER;
}

/** `outcome` → status. */
const OUTCOMES: Readonly<Record<string, number>> = {
  success: STATUS.SUCCESS,
  succeeded: STATUS.SUCCESS,
  allowed: STATUS.SUCCESS,
  approved: STATUS.SUCCESS,
  failure: STATUS.FAILURE,
  failed: STATUS.FAILURE,
  blocked: STATUS.FAILURE,
  denied: STATUS.FAILURE,
  rejected: STATUS.FAILURE,
};

/** `mfa_method` → [factor type, is TOTP]; events get their own factor object, built as a literal. */
const METHODS: Readonly<Record<string, readonly [number, boolean]>> = {
  TOTP: [FACTOR_TYPE.OTP, true],
  totp: [FACTOR_TYPE.OTP, true],
  OTP: [FACTOR_TYPE.OTP, false],
  otp: [FACTOR_TYPE.OTP, false],
  HOTP: [FACTOR_TYPE.OTP, false],
  push: [FACTOR_TYPE.PUSH, false],
  hardware_token: [FACTOR_TYPE.HARDWARE_TOKEN, false],
  FIDO2: [FACTOR_TYPE.WEBAUTHN, false],
  fido2: [FACTOR_TYPE.WEBAUTHN, false],
  webauthn: [FACTOR_TYPE.WEBAUTHN, false],
  U2F: [FACTOR_TYPE.U2F, false],
  sms: [FACTOR_TYPE.SMS, false],
  SMS: [FACTOR_TYPE.SMS, false],
  voice: [FACTOR_TYPE.PHONE_CALL, false],
  phone_call: [FACTOR_TYPE.PHONE_CALL, false],
  email: [FACTOR_TYPE.EMAIL, false],
  security_question: [FACTOR_TYPE.SECURITY_QUESTION, false],
};

const RISK_LEVELS: Readonly<Record<string, number>> = { info: 0, none: 0, low: 1, medium: 2, high: 3, critical: 4 };

function eventType(record: JsonObject): string {
  const type = record['event_type'];
  if (typeof type === 'string' && type !== '') return type;
  if (type === undefined || type === null || type === '') throw new MappingError(REASON.MISSING_FIELD, 'event_type is missing');
  throw new MappingError(REASON.INVALID_FIELD, `event_type is ${Array.isArray(type) ? 'an array' : typeof type}, not a string`);
}

/**
 * Epoch ms of `timestamp`. The API's own shape (`YYYY-MM-DDThh:mm:ss.sssZ`) is read by hand, which
 * is several times faster than Date.parse; anything else goes through the shared ISO parser.
 */
function timestampOf(value: unknown): number {
  if (value === undefined || value === null || value === '') throw new MappingError(REASON.MISSING_TIME, 'timestamp is missing');
  if (typeof value !== 'string') throw new MappingError(REASON.INVALID_TIME, `timestamp is ${typeof value}, not an ISO 8601 string`);
  const fast = value.length === 24 ? parseIsoMillisZ(value) : Number.NaN;
  return Number.isNaN(fast) ? isoTime(value, 'timestamp') : fast;
}

/** Two decimal digits at `i` as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DDThh:mm:ss.sssZ` → epoch ms, or NaN when the text is not exactly that. Days are counted
 * with Hinnant's days-from-civil (cheaper than Date.UTC); a day past the month's end rolls over
 * into the next month, as Date.parse does.
 */
function parseIsoMillisZ(s: string): number {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) return Number.NaN;
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  const ms10 = twoDigits(s, 20);
  const ms1 = s.charCodeAt(22) - 48;
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms10 < 0 || ms1 < 0 || ms1 > 9) return Number.NaN;
  const year = century * 100 + yy - (month <= 2 ? 1 : 0);
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146097 + dayOfEra - 719468;
  return days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms10 * 10 + ms1;
}

const PUSH_REASONS: Readonly<Record<string, string>> = { wrong_code: 'push_denied', expired_code: 'push_timeout' };

function map(value: unknown, context: MapContext): IamEvent {
  const record = asObject(value);
  const type = eventType(record);
  const timestamp = record['timestamp'];
  const time = timestampOf(timestamp);
  const rule = TYPES.get(type) ?? unknownRule(type);

  const outcome = strOf(record['outcome']);
  const failureReason = strOf(record['failure_reason']);
  let statusId = rule.statusId;
  const outcomeStatus = outcome === undefined ? undefined : OUTCOMES[outcome];
  if (!rule.lock && outcomeStatus !== undefined) statusId = outcomeStatus;
  const failed = statusId === STATUS.FAILURE;
  const severityId = rule.lock ? rule.severityId : failed ? SEVERITY.LOW : rule.severityId;

  const id = strOf(record['event_id']);
  const event = createEvent({
    classUid: rule.classUid,
    activityId: rule.activityId,
    time,
    statusId,
    severityId,
    product: MFA_API_PRODUCT,
    uid: id ?? stableUid(context.format, JSON.stringify(record)),
    eventCode: type,
    originalTime: timestamp as string,
    format: context.format,
    tenant: context.tenant,
    observedTime: context.observedTime,
  });

  if (!rule.lock) {
    event.status_code = failureReason ?? (failed ? outcome : undefined);
    // A push is not a code: a wrong answer to a push is a denial, an expired one went unanswered
    // (MAPPING.md's normalized reasons, which the MFA-fatigue rule counts).
    const push = failureReason !== undefined && strOf(record['mfa_method']) === 'push';
    const detail = push ? (PUSH_REASONS[failureReason] ?? failureReason) : failureReason;
    event.status_detail = detail ?? (outcome === 'blocked' ? 'blocked' : undefined);
  }

  const rawRisk = record['risk_context'];
  const risk = typeof rawRisk === 'object' && rawRisk !== null && !Array.isArray(rawRisk) ? (rawRisk as JsonObject) : undefined;
  const actorId = strOf(record['actor_id']);
  let riskScore: number | undefined;
  let riskLevelId: number | undefined;
  if (risk !== undefined) {
    const score = numOf(risk['risk_score']);
    if (score !== undefined && score >= 0 && score <= 100) {
      riskScore = score;
      riskLevelId = score >= 80 ? 4 : Math.floor(score / 20);
    } else {
      const level = strOf(risk['risk_level']);
      riskLevelId = level === undefined ? undefined : RISK_LEVELS[level.toLowerCase()];
    }
  }
  if (actorId !== undefined || riskLevelId !== undefined) {
    event.user = {
      // actor_id is the only account identifier this API gives: it is the name rules key on.
      name: actorId,
      uid: actorId,
      risk_level: riskLevelId === undefined ? undefined : RISK_LEVEL_NAMES[riskLevelId],
      risk_level_id: riskLevelId,
      risk_score: riskScore,
    };
  }

  const ip = strOf(record['source_ip']);
  const rawGeo = record['geo_location'];
  const geo = typeof rawGeo === 'object' && rawGeo !== null && !Array.isArray(rawGeo) ? (rawGeo as JsonObject) : undefined;
  let location: OcsfLocation | undefined;
  if (geo !== undefined) {
    location = {
      city: strOf(geo['city']),
      country: strOf(geo['country']),
      region: strOf(geo['region']),
      lat: numOf(geo['lat']),
      long: numOf(geo['lon']) ?? numOf(geo['long']),
    };
  }
  if (ip !== undefined || location !== undefined) event.src_endpoint = { ip, location };

  const method = strOf(record['mfa_method']);
  let methodMapped = true;
  if (method !== undefined) {
    const known = METHODS[method];
    methodMapped = known !== undefined;
    const factor: OcsfAuthFactor = known === undefined ? authFactor(FACTOR_TYPE.OTHER) : known[1] ? { factor_type: 'OTP', factor_type_id: FACTOR_TYPE.OTP, is_totp: true } : { factor_type: FACTOR_TYPE_NAMES[known[0]] ?? 'Other', factor_type_id: known[0] };
    event.auth_factors = [factor];
  }
  if (rule.mfa) event.is_mfa = true;

  let unmapped: JsonObject | undefined;
  if (risk !== undefined) unmapped = { risk_context: risk };
  const attempts = record['failed_attempts'];
  if (attempts !== undefined && attempts !== null) (unmapped ??= {})['failed_attempts'] = typeof attempts === 'string' && attempts !== '' && Number.isFinite(Number(attempts)) ? Number(attempts) : attempts;
  const recovery = record['recovery_method'];
  if (recovery !== undefined && recovery !== null) (unmapped ??= {})['recovery_method'] = recovery;
  // Kept where the status does not already say it: the lock's outcome (the account's state, not
  // the event's status), an outcome of unknown meaning, and `blocked` behind a failure reason.
  if (outcome !== undefined && (rule.lock || outcomeStatus === undefined || (outcome === 'blocked' && failureReason !== undefined))) (unmapped ??= {})['outcome'] = outcome;
  if (!methodMapped) (unmapped ??= {})['mfa_method'] = method;
  event.unmapped = unmapped;
  return event;
}

export const mfaApiMapper: FormatMapper = {
  format: 'mfa_api',
  payload: 'json',
  map,
};
