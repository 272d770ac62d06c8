/**
 * `okta`: Okta System Log `LogEvent` objects (`GET /api/v1/logs`, event hooks, log streaming).
 * The table of event types is in okta-table.ts; the conventions are MAPPING.md's.
 *
 * Quirks handled (all seen in published samples): `client.ipAddress` as JSON null or the string
 * "null", `client.zone` "null", `uuid` missing or a placeholder ("uuid": a stable hash of the
 * record is used), ids and names "unknown" for users Okta could not identify, SystemPrincipal and
 * app (PublicClientApp) actors, and `debugData.risk` / `behaviors` as Java map strings
 * ("{level=LOW}").
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, arr, asObject, num, obj, requiredIsoTime, stableUid, str } from '../mapper.js';
import type { IamEvent, OcsfActor, OcsfEndpoint, OcsfLocation, OcsfUser } from '../ocsf.js';
import { CLASS, FACTOR_TYPE, RISK_LEVEL_NAMES, SEVERITY, STATUS, authFactor, createEvent } from '../ocsf.js';
import type { FactorSpec, OktaSpec } from './okta-table.js';
import { OKTA_FACTORS, OKTA_METHODS, OKTA_RESULTS, OKTA_RISK_LEVELS, OKTA_TYPES, SUBJECT_ACTOR, fallbackSpec } from './okta-table.js';

const FORMAT = 'okta';
const PRODUCT = { name: 'Okta', vendor_name: 'Okta' } as const;

/** A string that is not one of Okta's "no value" spellings. */
function value(object: JsonObject | undefined, key: string): string | undefined {
  const v = str(object, key);
  return v === undefined || v === 'unknown' || v === 'null' || v === 'UNKNOWN' ? undefined : v;
}

function oktaUser(party: JsonObject): OcsfUser {
  const system = party['type'] === 'SystemPrincipal';
  return {
    name: value(party, 'alternateId'),
    uid: value(party, 'id'),
    full_name: value(party, 'displayName'),
    type: system ? 'System' : undefined,
    type_id: system ? 3 : undefined,
  };
}

function isUserParty(party: JsonObject): boolean {
  const type = party['type'];
  return type === 'User' || type === 'SystemPrincipal' || type === undefined;
}

/** Whoever acted: a person or Okta itself as `actor.user`, an application as `actor.app_*`. */
function oktaActor(party: JsonObject): OcsfActor {
  if (isUserParty(party)) return { user: oktaUser(party) };
  return { app_name: value(party, 'displayName'), app_uid: value(party, 'id') };
}

function location(geo: JsonObject | undefined): OcsfLocation | undefined {
  if (geo === undefined) return undefined;
  const point = obj(geo, 'geolocation');
  const loc: OcsfLocation = {
    city: value(geo, 'city'),
    country: value(geo, 'country'),
    region: value(geo, 'state'),
    postal_code: value(geo, 'postalCode'),
    lat: num(point, 'lat'),
    long: num(point, 'lon'),
  };
  return loc.city === undefined && loc.country === undefined && loc.lat === undefined ? undefined : loc;
}

function endpoint(client: JsonObject | undefined, security: JsonObject | undefined): OcsfEndpoint | undefined {
  const ip = value(client, 'ipAddress');
  const loc = location(obj(client, 'geographicalContext'));
  const isp = str(security, 'isp');
  if (ip === undefined && loc === undefined && isp === undefined) return undefined;
  const asNumber = num(security, 'asNumber');
  const domain = str(security, 'domain');
  const asOrg = str(security, 'asOrg');
  return {
    ip,
    location: loc,
    domain: domain === '.' ? undefined : domain,
    isp,
    autonomous_system: asNumber === undefined && asOrg === undefined ? undefined : { number: asNumber, name: asOrg },
  };
}

/** True for Okta reason codes (`INVALID_CREDENTIALS`), false for reasons in words. */
function isCode(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

/** "Super administrator, Read-only administrator" -> its names. */
function splitList(text: string): string[] {
  const parts = text.split(',');
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!.trim();
    if (name !== '') names.push(name);
  }
  return names;
}

/** `level=HIGH` inside "{reasons=..., level=HIGH}". */
function riskLevel(risk: string): number | undefined {
  const at = risk.indexOf('level=');
  if (at < 0) return undefined;
  let end = at + 6;
  while (end < risk.length && risk.charCodeAt(end) !== 44 /* , */ && risk.charCodeAt(end) !== 125 /* } */) end++;
  return OKTA_RISK_LEVELS[risk.slice(at + 6, end).trim().toUpperCase()];
}

/** The normalized MFA failure reason (MAPPING.md) for an MFA step Okta failed. */
function mfaReason(eventType: string, reason: string | undefined, push: boolean): string | undefined {
  if (eventType.startsWith('user.mfa.okta_verify.deny_push')) return 'push_denied';
  if (reason === 'INVALID_CREDENTIALS' || reason === 'INVALID_PASSCODE') return push ? 'push_denied' : 'wrong_code';
  if (reason === 'VERIFICATION_TIMEOUT' || reason === 'PUSH_TIMEOUT') return push ? 'push_timeout' : 'expired_code';
  if (reason === 'FACTOR_NOT_ENROLLED' || reason === 'FACTOR_NOT_ACTIVE') return 'method_unavailable';
  return undefined;
}

function mapOkta(input: unknown, context: MapContext): IamEvent {
  const record = asObject(input);
  const eventType = record['eventType'];
  if (eventType === undefined || eventType === null || eventType === '') throw new MappingError(REASON.MISSING_FIELD, 'eventType is missing');
  if (typeof eventType !== 'string') throw new MappingError(REASON.INVALID_FIELD, `eventType is ${typeof eventType}, not a string`);
  const { time, original } = requiredIsoTime(record, 'published');
  const spec: OktaSpec = OKTA_TYPES.get(eventType) ?? fallbackSpec(eventType);

  const outcome = obj(record, 'outcome');
  const result = str(outcome, 'result');
  const reason = str(outcome, 'reason');
  const outcomeStatus = result === undefined ? STATUS.UNKNOWN : (OKTA_RESULTS[result] ?? STATUS.OTHER);
  const statusId = spec.statusId ?? outcomeStatus;

  // Targets, in one pass: the account, its group, the app, the authenticator, the policy.
  let targetUser: JsonObject | undefined;
  let appUser: JsonObject | undefined;
  let group: JsonObject | undefined;
  let app: JsonObject | undefined;
  let enrollment: JsonObject | undefined;
  let policy: JsonObject | undefined;
  let rule: JsonObject | undefined;
  let first: JsonObject | undefined;
  const targets = arr(record, 'target');
  if (targets !== undefined) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (typeof t !== 'object' || t === null) continue;
      const target = t as JsonObject;
      first ??= target;
      const type = target['type'];
      if (type === 'User') targetUser ??= target;
      else if (type === 'AppUser') appUser ??= target;
      else if (type === 'UserGroup' || type === 'AppGroup') group ??= target;
      else if (type === 'AppInstance') app ??= target;
      else if (type === 'AuthenticatorEnrollment') enrollment ??= target;
      else if (type === 'PolicyEntity') policy ??= target;
      else if (type === 'PolicyRule' || type === 'Rule') rule ??= target;
    }
  }
  targetUser ??= appUser;

  // Who the event is about, and who did it (MAPPING.md: actor only when it differs).
  const actorParty = obj(record, 'actor');
  let user: OcsfUser | undefined;
  let actor: OcsfActor | undefined;
  if (spec.subject === SUBJECT_ACTOR) {
    if (actorParty !== undefined && isUserParty(actorParty)) user = oktaUser(actorParty);
    else {
      if (targetUser !== undefined) user = oktaUser(targetUser);
      if (actorParty !== undefined) actor = oktaActor(actorParty);
    }
  } else {
    if (targetUser !== undefined) {
      user = oktaUser(targetUser);
      if (actorParty !== undefined && str(actorParty, 'id') !== str(targetUser, 'id')) actor = oktaActor(actorParty);
    } else if (actorParty !== undefined) {
      // No account target: a user changing their own account; else (groups, configuration) the actor.
      if (spec.classUid === CLASS.ACCOUNT_CHANGE && !spec.config && isUserParty(actorParty) && actorParty['type'] !== 'SystemPrincipal') user = oktaUser(actorParty);
      else actor = oktaActor(actorParty);
    }
  }

  const debugData = obj(obj(record, 'debugContext'), 'debugData');
  const risk = str(debugData, 'risk');
  const behaviors = str(debugData, 'behaviors');
  const riskId = risk === undefined ? undefined : riskLevel(risk);
  if (riskId !== undefined && user !== undefined) {
    user.risk_level_id = riskId;
    user.risk_level = RISK_LEVEL_NAMES[riskId];
  }

  // The factor: implied by the event type, else debugData.factor, else the authenticator target.
  let factor: FactorSpec | undefined;
  let provider = spec.factorProvider;
  const enrollmentName = enrollment === undefined ? undefined : value(enrollment, 'displayName');
  if (spec.factorTypeId === undefined) {
    const debugFactor = str(debugData, 'factor');
    if (debugFactor !== undefined) factor = OKTA_FACTORS.get(debugFactor);
    if (factor === undefined && enrollment !== undefined) {
      const method = str(obj(enrollment, 'detailEntry'), 'methodTypeUsed');
      if (method !== undefined) factor = OKTA_METHODS.get(method);
    }
    provider = factor?.provider ?? enrollmentName;
  }
  const factorTypeId = spec.factorTypeId ?? factor?.typeId;
  const isAuth = spec.classUid === CLASS.AUTHENTICATION;

  let statusDetail = reason;
  if (reason === 'LOCKED_OUT') statusDetail = 'account_locked';
  else if (spec.mfa && statusId === STATUS.FAILURE) statusDetail = mfaReason(eventType, reason, factorTypeId === FACTOR_TYPE.PUSH) ?? reason;

  let severityId = spec.severityId ?? (statusId === STATUS.FAILURE ? SEVERITY.LOW : SEVERITY.INFORMATIONAL);
  if (reason === 'LOCKED_OUT' && severityId < SEVERITY.MEDIUM) severityId = SEVERITY.MEDIUM;
  if (riskId === 3 && severityId < SEVERITY.HIGH) severityId = SEVERITY.HIGH;

  const uuid = str(record, 'uuid');
  const event = createEvent({
    classUid: spec.classUid,
    activityId: spec.activityId,
    time,
    statusId,
    severityId,
    product: PRODUCT,
    // Placeholders ("uuid" in published test data) are not ids: hash the record instead.
    uid: uuid !== undefined && uuid.length >= 16 ? uuid : stableUid(FORMAT, JSON.stringify(record)),
    eventCode: eventType,
    originalTime: original,
    format: context.format,
    tenant: context.tenant,
    observedTime: context.observedTime,
  });
  event.metadata.correlation_uid = value(obj(record, 'transaction'), 'id');
  event.message = str(record, 'displayMessage');
  if (reason !== undefined && isCode(reason)) event.status_code = reason;
  event.status_detail = statusDetail;
  event.user = user;
  const client = obj(record, 'client');
  event.src_endpoint = endpoint(client, obj(record, 'securityContext'));
  const userAgent = value(obj(client, 'userAgent'), 'rawUserAgent');
  if (userAgent !== undefined) event.http_request = { user_agent: userAgent };

  const sessionId = value(obj(record, 'authenticationContext'), 'externalSessionId');
  if (isAuth) {
    if (sessionId !== undefined) event.session = { uid: sessionId };
    if (app !== undefined) event.service = { name: value(app, 'displayName'), uid: value(app, 'id') };
  } else if (actor !== undefined && sessionId !== undefined) {
    actor.session = { uid: sessionId };
  }
  event.actor = actor;

  if (spec.mfa) event.is_mfa = true;
  if (factorTypeId !== undefined) {
    event.auth_factors = [authFactor(factorTypeId, { provider, is_totp: factor?.totp === true ? true : undefined })];
  } else if (isAuth && str(obj(record, 'authenticationContext'), 'credentialType') === 'PASSWORD') {
    event.auth_factors = [authFactor(FACTOR_TYPE.PASSWORD)];
  }

  if (spec.classUid === CLASS.GROUP_MANAGEMENT && group !== undefined) event.group = { name: value(group, 'displayName'), uid: value(group, 'id') };
  if (spec.privilegeKey !== undefined) {
    const granted = str(debugData, spec.privilegeKey);
    if (granted !== undefined) event.privileges = splitList(granted);
  }
  if (spec.classUid === CLASS.USER_ACCESS && app !== undefined) event.resource = { name: value(app, 'displayName'), uid: value(app, 'id'), type: 'AppInstance' };

  let unmapped: Record<string, unknown> | undefined;
  if (risk !== undefined || behaviors !== undefined || debugData?.['threatSuspected'] === 'true') {
    unmapped = { risk_context: { risk, behaviors, threat_suspected: debugData?.['threatSuspected'] === 'true' ? true : undefined } };
  }
  const zone = value(client, 'zone');
  if (zone !== undefined) (unmapped ??= {})['zone'] = zone;
  if (spec.statusId !== undefined && result !== undefined && spec.statusId !== outcomeStatus) (unmapped ??= {})['outcome_result'] = result;
  if (spec.config) {
    const resourceType = first === undefined ? undefined : str(first, 'type');
    const resourcePath = str(debugData, 'requestUri') ?? (first === undefined ? undefined : str(first, 'id'));
    if (resourceType !== undefined || resourcePath !== undefined) {
      unmapped ??= {};
      unmapped['resource_type'] = resourceType;
      unmapped['resource_path'] = resourcePath;
      unmapped['resource_name'] = first === undefined ? undefined : value(first, 'displayName');
    }
  }
  if (policy !== undefined || rule !== undefined) {
    unmapped ??= {};
    unmapped['policy'] = policy === undefined ? undefined : value(policy, 'displayName');
    unmapped['policy_rule'] = rule === undefined ? undefined : value(rule, 'displayName');
  }
  event.unmapped = unmapped;
  return event;
}

export const oktaMapper: FormatMapper = {
  format: FORMAT,
  payload: 'json',
  map: mapOkta,
};
