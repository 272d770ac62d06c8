/**
 * `auth0`: Auth0 tenant log events, as the Management API returns them (`GET /api/v2/logs`:
 * `{date, type, description, client_id, client_name, ip, user_agent, user_id, user_name,
 * connection, strategy, details, location_info, log_id}`) or wrapped as a log stream delivers
 * them (`{log_id, data: {...}}`). The `type` code table is in auth0-table.ts.
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, arr, asObject, num, obj, requiredIsoTime, stableUid, str } from '../mapper.js';
import type { IamEvent, OcsfActor, OcsfEndpoint, OcsfUser } from '../ocsf.js';
import { CLASS, FACTOR_TYPE, SEVERITY, STATUS, authFactor, createEvent } from '../ocsf.js';
import type { Auth0Factor, Auth0Spec } from './auth0-table.js';
import {
  API_FACTOR_REMOVE, API_ROLE_ASSIGN, API_ROLE_REVOKE, API_USER_BLOCK, API_USER_CREATE, API_USER_DELETE, API_USER_PASSWORD,
  API_USER_UNBLOCK, API_USER_UPDATE, AUTH0_AUTHENTICATORS, AUTH0_TYPES, AUTH0_UNKNOWN,
} from './auth0-table.js';

const FORMAT = 'auth0';
const PRODUCT = { name: 'Auth0', vendor_name: 'Okta' } as const;
const API_PREFIX = '/api/v2/';

/** The log record: `data` of a log-stream envelope, else the record itself. */
function logRecord(record: JsonObject): JsonObject {
  if (record['type'] !== undefined) return record;
  const data = record['data'];
  if (data === undefined || data === null) throw new MappingError(REASON.MISSING_FIELD, 'type is missing');
  if (typeof data !== 'object' || Array.isArray(data)) throw new MappingError(REASON.INVALID_FIELD, `data is ${Array.isArray(data) ? 'an array' : typeof data}, not a log record object`);
  return data as JsonObject;
}

function decode(segment: string): string {
  if (segment.indexOf('%') < 0) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** What a Management API request did to an account, from its method and path; undefined: configuration. */
function apiSpec(method: string | undefined, parts: string[], body: JsonObject | undefined): Auth0Spec | undefined {
  if (parts[0] !== 'users') return undefined;
  const m = method?.toLowerCase();
  if (parts.length === 1) return m === 'post' ? API_USER_CREATE : undefined;
  if (parts.length === 2) {
    if (m === 'delete') return API_USER_DELETE;
    if (m !== 'patch') return undefined;
    const blocked = body?.['blocked'];
    if (blocked === true) return API_USER_BLOCK;
    if (blocked === false) return API_USER_UNBLOCK;
    if (body?.['password'] !== undefined) return API_USER_PASSWORD;
    return API_USER_UPDATE;
  }
  const sub = parts[2];
  if (sub === 'roles') return m === 'post' ? API_ROLE_ASSIGN : m === 'delete' ? API_ROLE_REVOKE : undefined;
  if ((sub === 'authenticators' || sub === 'authentication-methods' || sub === 'multifactor' || sub === 'enrollments') && m === 'delete') return API_FACTOR_REMOVE;
  return undefined;
}

/** Normalized MFA failure reason (MAPPING.md) from Auth0's description. */
function mfaReason(description: string | undefined, push: boolean): string | undefined {
  if (description === undefined) return undefined;
  const t = description.toLowerCase();
  if (t.includes('expired') || t.includes('timed out') || t.includes('timeout')) return push ? 'push_timeout' : 'expired_code';
  if (t.includes('reject') || t.includes('denied')) return 'push_denied';
  if (t.includes('invalid') || t.includes('wrong') || t.includes('incorrect')) return 'wrong_code';
  return undefined;
}

function endpoint(log: JsonObject): OcsfEndpoint | undefined {
  const ip = str(log, 'ip');
  const info = obj(log, 'location_info');
  if (ip === undefined && info === undefined) return undefined;
  return {
    ip,
    location: info === undefined ? undefined : {
      city: str(info, 'city_name'),
      country: str(info, 'country_code') ?? str(info, 'country_name'),
      region: str(info, 'subdivision_code'),
      lat: num(info, 'latitude'),
      long: num(info, 'longitude'),
    },
  };
}

function mapAuth0(input: unknown, context: MapContext): IamEvent {
  const record = asObject(input);
  const log = logRecord(record);
  const type = log['type'];
  if (type === undefined || type === null || type === '') throw new MappingError(REASON.MISSING_FIELD, 'type is missing');
  if (typeof type !== 'string') throw new MappingError(REASON.INVALID_FIELD, `type is ${typeof type}, not a string`);
  const { time, original } = requiredIsoTime(log, 'date');
  const base = AUTH0_TYPES.get(type) ?? AUTH0_UNKNOWN;
  const details = obj(log, 'details');
  const description = str(log, 'description');

  // Management API operations: what the request did, who made it, on which account.
  let spec = base;
  let apiUser: OcsfUser | undefined;
  let apiActor: OcsfActor | undefined;
  let resourcePath: string | undefined;
  let resourceType: string | undefined;
  let privileges: string[] | undefined;
  if (base.api || base.config) {
    const request = obj(details, 'request');
    const path = str(request, 'path');
    resourcePath = path;
    if (path !== undefined && path.startsWith(API_PREFIX)) {
      const query = path.indexOf('?');
      const parts = (query < 0 ? path.slice(API_PREFIX.length) : path.slice(API_PREFIX.length, query)).split('/');
      resourceType = parts[0];
      const body = obj(request, 'body');
      const found = base.api ? apiSpec(str(request, 'method'), parts, body) : undefined;
      if (found !== undefined) {
        spec = found;
        if (parts[1] !== undefined) apiUser = { name: undefined, uid: decode(parts[1]), full_name: undefined, type: undefined, type_id: undefined };
        const roles = arr(body, 'roles');
        if (roles !== undefined) {
          for (let i = 0; i < roles.length; i++) if (typeof roles[i] === 'string') (privileges ??= []).push(roles[i] as string);
        }
      }
    }
    const admin = obj(obj(request, 'auth'), 'user');
    if (admin !== undefined) {
      apiActor = { user: { name: str(admin, 'email') ?? str(admin, 'name'), uid: str(admin, 'user_id'), full_name: undefined, type: undefined, type_id: undefined } };
    } else if (str(log, 'user_id') !== undefined) {
      apiActor = { user: { name: str(log, 'user_name'), uid: str(log, 'user_id'), full_name: undefined, type: undefined, type_id: undefined } };
    }
    if (apiActor !== undefined) {
      const clientName = str(log, 'client_name');
      if (clientName !== undefined) apiActor.app_name = clientName;
      const clientId = str(log, 'client_id');
      if (clientId !== undefined) apiActor.app_uid = clientId;
    }
  }
  const statusId = base.api ? base.statusId : spec.statusId;

  // The factor: implied by the code, else the authenticator the details name.
  let factorTypeId = spec.factorTypeId;
  let provider = spec.factorProvider;
  let totp = false;
  if (factorTypeId === undefined && (spec.mfa || spec.classUid === CLASS.ACCOUNT_CHANGE)) {
    const kind = str(obj(details, 'authenticator'), 'type');
    const factor: Auth0Factor | undefined = kind === undefined ? undefined : AUTH0_AUTHENTICATORS.get(kind);
    if (factor !== undefined) {
      factorTypeId = factor.typeId;
      provider = factor.provider;
      totp = factor.totp;
    }
  }
  if (factorTypeId === undefined && (type === 'cs' || type === 'cls')) {
    factorTypeId = str(log, 'connection') === 'sms' || str(log, 'strategy') === 'sms' ? FACTOR_TYPE.SMS : FACTOR_TYPE.EMAIL;
  }

  // details.error is an object ({message, oauthError, type}) or, on some codes (fn), the text.
  const errorMessage = str(details, 'error') ?? str(obj(details, 'error'), 'message');
  let statusDetail: string | undefined;
  let severityId = spec.severityId ?? (statusId === STATUS.FAILURE ? SEVERITY.LOW : SEVERITY.INFORMATIONAL);
  if (statusId === STATUS.FAILURE || statusId === STATUS.OTHER) {
    const words = errorMessage ?? (base.api ? str(obj(obj(details, 'response'), 'body'), 'message') : undefined) ?? description;
    statusDetail = spec.detail ?? (spec.mfa ? mfaReason(words, factorTypeId === FACTOR_TYPE.PUSH) : undefined) ?? words;
    // "user is blocked": the account is blocked (by an admin or by brute-force protection).
    if (type === 'f' && words !== undefined && words.toLowerCase() === 'user is blocked') {
      statusDetail = 'account_locked';
      if (severityId < SEVERITY.MEDIUM) severityId = SEVERITY.MEDIUM;
    }
  }

  const logId = str(log, 'log_id') ?? str(record, 'log_id') ?? str(log, '_id');
  const event = createEvent({
    classUid: spec.classUid,
    activityId: spec.activityId,
    time,
    statusId,
    severityId,
    product: PRODUCT,
    uid: logId ?? stableUid(FORMAT, JSON.stringify(record)),
    eventCode: type,
    originalTime: original,
    format: context.format,
    tenant: context.tenant,
    observedTime: context.observedTime,
  });
  event.message = description;
  event.status_detail = statusDetail;
  const oauthError = str(obj(details, 'error'), 'oauthError');
  if (statusId === STATUS.FAILURE && oauthError !== undefined && oauthError.indexOf(' ') < 0) event.status_code = oauthError;
  else if (base.api && statusId === STATUS.FAILURE) {
    const httpStatus = num(obj(details, 'response'), 'statusCode');
    if (httpStatus !== undefined) event.status_code = String(httpStatus);
  }

  if (base.api || base.config) {
    event.user = apiUser;
    event.actor = apiActor;
    event.privileges = privileges;
  } else {
    const userId = str(log, 'user_id') ?? str(details, 'user_id');
    const userName = str(log, 'user_name');
    if (userId !== undefined || userName !== undefined) event.user = { name: userName, uid: userId, full_name: undefined, type: undefined, type_id: undefined };
  }
  event.src_endpoint = endpoint(log);
  const userAgent = str(log, 'user_agent');
  if (userAgent !== undefined && userAgent !== 'unknown') event.http_request = { user_agent: userAgent };
  const clientName = str(log, 'client_name');
  const clientId = str(log, 'client_id');
  if (spec.classUid === CLASS.AUTHENTICATION) {
    if (clientName !== undefined || clientId !== undefined) event.service = { name: clientName, uid: clientId };
    const sessionId = str(details, 'session_id');
    if (sessionId !== undefined) event.session = { uid: sessionId };
  }
  if (spec.mfa) event.is_mfa = true;
  if (factorTypeId !== undefined) event.auth_factors = [authFactor(factorTypeId, { provider, is_totp: totp ? true : undefined })];

  let unmapped: Record<string, unknown> | undefined;
  const connection = str(log, 'connection');
  if (connection !== undefined) unmapped = { connection };
  const strategy = str(log, 'strategy');
  if (strategy !== undefined) (unmapped ??= {})['strategy'] = strategy;
  if (spec.config || (base.api && spec !== base)) {
    unmapped ??= {};
    unmapped['resource_type'] = resourceType;
    unmapped['resource_path'] = resourcePath;
  }
  event.unmapped = unmapped;
  return event;
}

export const auth0Mapper: FormatMapper = {
  format: FORMAT,
  payload: 'json',
  map: mapAuth0,
};
