/**
 * `keycloak.admin_event`: Keycloak admin events, as the admin REST API returns them
 * (`GET /admin/realms/{realm}/admin-events`, `AdminEventRepresentation`).
 *
 * What changed is (`resourceType`, `operationType`, `resourcePath`); the new state is in
 * `representation`, a JSON *string* that may be absent, truncated or not JSON at all (it is kept
 * as text then, never a dead letter). Changes to users, memberships and role mappings map to the
 * Account Change / Group Management / User Access Management activities; everything else is the
 * IAM system's own configuration (Account Change, Other, Medium), unknown resource types included.
 *
 * Representations are read for the few fields needed and never copied whole: a CLIENT or
 * IDENTITY_PROVIDER representation carries secrets.
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, asObject } from '../mapper.js';
import type { IamClassUid, IamEvent, OcsfUser } from '../ocsf.js';
import { ACCOUNT_CHANGE, AUTHENTICATION, CLASS, GROUP_MANAGEMENT, SEVERITY, STATUS, USER_ACCESS, createEvent } from '../ocsf.js';
import { KEYCLOAK_PRODUCT, epochMsOf, keycloakErrorText, keycloakUid } from './keycloak-common.js';
import { strOf } from '../mapper.js';

/** How much of an unparseable representation is kept, as text. */
export const MAX_REPRESENTATION_TEXT = 4096;

const HANDLER = {
  CONFIG: 0,
  USER: 1,
  GROUP_MEMBERSHIP: 2,
  ROLE_MAPPING: 3,
  GROUP: 4,
  USER_LOGIN_FAILURE: 5,
  USER_SESSION: 6,
} as const;

/** Resource types with their own mapping; every other one (unknown ones too) is CONFIG. */
const HANDLERS: Readonly<Record<string, number>> = {
  USER: HANDLER.USER,
  GROUP_MEMBERSHIP: HANDLER.GROUP_MEMBERSHIP,
  REALM_ROLE_MAPPING: HANDLER.ROLE_MAPPING,
  CLIENT_ROLE_MAPPING: HANDLER.ROLE_MAPPING,
  GROUP: HANDLER.GROUP,
  USER_LOGIN_FAILURE: HANDLER.USER_LOGIN_FAILURE,
  USER_SESSION: HANDLER.USER_SESSION,
};

/** The representation: a parsed value, or the text that did not parse. */
interface Representation {
  value: unknown;
  badText: string | undefined;
}

function parseRepresentation(raw: unknown): Representation {
  if (typeof raw !== 'string') return { value: raw ?? undefined, badText: undefined };
  if (raw === '') return { value: undefined, badText: undefined };
  try {
    return { value: JSON.parse(raw), badText: undefined };
  } catch {
    return { value: undefined, badText: raw.length > MAX_REPRESENTATION_TEXT ? raw.slice(0, MAX_REPRESENTATION_TEXT) : raw };
  }
}

function asRecord(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** Role names from a representation that is an array of RoleRepresentation. */
function roleNames(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) {
    const one = asRecord(value);
    const name = one === undefined ? undefined : strOf(one['name']);
    return name === undefined ? undefined : [name];
  }
  const names: string[] = [];
  for (const role of value) {
    const r = asRecord(role);
    const name = r === undefined ? undefined : strOf(r['name']);
    if (name !== undefined) names.push(name);
  }
  return names.length > 0 ? names : undefined;
}

function requiredString(record: JsonObject, key: string): string {
  const value = record[key];
  if (typeof value === 'string' && value !== '') return value;
  if (value === undefined || value === null || value === '') throw new MappingError(REASON.MISSING_FIELD, `${key} is missing`);
  throw new MappingError(REASON.INVALID_FIELD, `${key} is ${Array.isArray(value) ? 'an array' : typeof value}, not a string`);
}

function targetUser(uid: string | undefined, realmId: string | undefined): OcsfUser | undefined {
  return uid === undefined ? undefined : { uid, domain: realmId };
}

/** What the handlers decide. */
interface Outcome {
  classUid: IamClassUid;
  activityId: number;
  severityId: number;
}

function map(value: unknown, context: MapContext): IamEvent {
  const record = asObject(value);
  const operation = requiredString(record, 'operationType');
  const resourceType = requiredString(record, 'resourceType');
  const rawTime = record['time'];
  const time = epochMsOf(rawTime, 'time');
  const path = strOf(record['resourcePath']) ?? '';
  const segments = path === '' ? [] : path.split('/');
  const rep = parseRepresentation(record['representation']);
  const repObject = asRecord(rep.value);
  const realmId = strOf(record['realmId']);
  const handler = HANDLERS[resourceType] ?? HANDLER.CONFIG;

  const out: Outcome = { classUid: CLASS.ACCOUNT_CHANGE, activityId: ACCOUNT_CHANGE.OTHER, severityId: SEVERITY.INFORMATIONAL };
  let user: OcsfUser | undefined;
  let groupUid: string | undefined;
  let groupName: string | undefined;
  let privileges: string[] | undefined;
  let resource: { uid?: string; type?: string } | undefined;
  let sessionUid: string | undefined;
  let resourceName: string | undefined;
  let subgroup: JsonObject | undefined;
  let configEnabled: boolean | undefined;
  let configRequirement: string | undefined;

  switch (handler) {
    case HANDLER.USER: {
      const sub = segments[2];
      user = targetUser(segments[0] === 'users' ? segments[1] : undefined, realmId);
      if (sub === undefined) {
        if (operation === 'CREATE') out.activityId = ACCOUNT_CHANGE.CREATE;
        else if (operation === 'DELETE') out.activityId = ACCOUNT_CHANGE.DELETE;
        else if (operation === 'UPDATE' && repObject !== undefined) {
          // Keycloak gives no before-state: the representation's `enabled` is what the admin set.
          const enabled = repObject['enabled'];
          if (enabled === true) out.activityId = ACCOUNT_CHANGE.ENABLE;
          else if (enabled === false) out.activityId = ACCOUNT_CHANGE.DISABLE;
        }
        if (repObject !== undefined) {
          const first = strOf(repObject['firstName']);
          const last = strOf(repObject['lastName']);
          user = {
            name: strOf(repObject['username']),
            uid: user?.uid ?? strOf(repObject['id']),
            email_addr: strOf(repObject['email']),
            full_name: first !== undefined && last !== undefined ? `${first} ${last}` : (first ?? last),
            domain: realmId,
          };
        }
      } else if (sub === 'reset-password' || sub === 'reset-password-email') {
        out.activityId = ACCOUNT_CHANGE.PASSWORD_RESET;
      } else if (sub === 'execute-actions-email') {
        if (Array.isArray(rep.value) && rep.value.includes('UPDATE_PASSWORD')) out.activityId = ACCOUNT_CHANGE.PASSWORD_RESET;
      } else if (sub === 'logout') {
        out.classUid = CLASS.AUTHENTICATION;
        out.activityId = AUTHENTICATION.LOGOFF;
      } else if (sub === 'impersonation') {
        out.classUid = CLASS.AUTHENTICATION;
        out.activityId = AUTHENTICATION.ACCOUNT_SWITCH;
      } else if (sub === 'credentials' && operation === 'DELETE') {
        // A credential removed by an admin: Keycloak does not say which kind, so not MFA Factor
        // Disable for sure, but an OTP/WebAuthn removal is the usual case and worth Medium.
        out.severityId = SEVERITY.MEDIUM;
      }
      break;
    }
    case HANDLER.GROUP_MEMBERSHIP: {
      out.classUid = CLASS.GROUP_MANAGEMENT;
      out.activityId = operation === 'CREATE' ? GROUP_MANAGEMENT.ADD_USER : operation === 'DELETE' ? GROUP_MANAGEMENT.REMOVE_USER : GROUP_MANAGEMENT.OTHER;
      user = targetUser(segments[0] === 'users' ? segments[1] : undefined, realmId);
      groupUid = segments[2] === 'groups' ? segments[3] : undefined;
      if (repObject !== undefined) {
        groupUid ??= strOf(repObject['id']);
        groupName = strOf(repObject['name']);
      }
      break;
    }
    case HANDLER.ROLE_MAPPING: {
      // (users|groups)/<id>/role-mappings/(realm | clients/<client uuid>)
      const principal = segments[0];
      privileges = roleNames(rep.value);
      const clientUid = segments[3] === 'clients' ? segments[4] : undefined;
      resource = clientUid !== undefined ? { uid: clientUid, type: 'Client' } : segments[3] === 'realm' ? { uid: realmId, type: 'Realm' } : undefined;
      const grant = operation === 'CREATE';
      const revoke = operation === 'DELETE';
      if (principal === 'groups') {
        out.classUid = CLASS.GROUP_MANAGEMENT;
        out.activityId = grant ? GROUP_MANAGEMENT.ASSIGN_PRIVILEGES : revoke ? GROUP_MANAGEMENT.REVOKE_PRIVILEGES : GROUP_MANAGEMENT.OTHER;
        groupUid = segments[1];
      } else {
        out.classUid = CLASS.USER_ACCESS;
        out.activityId = grant ? USER_ACCESS.ASSIGN_PRIVILEGES : revoke ? USER_ACCESS.REVOKE_PRIVILEGES : USER_ACCESS.OTHER;
        user = targetUser(principal === 'users' ? segments[1] : undefined, realmId);
      }
      if (grant) out.severityId = SEVERITY.MEDIUM;
      break;
    }
    case HANDLER.GROUP: {
      out.classUid = CLASS.GROUP_MANAGEMENT;
      groupUid = segments[0] === 'groups' ? segments[1] : undefined;
      if (segments[2] === 'children' && operation === 'CREATE') {
        out.activityId = GROUP_MANAGEMENT.ADD_SUBGROUP;
        if (repObject !== undefined) subgroup = { uid: strOf(repObject['id']), name: strOf(repObject['name']) };
      } else {
        out.activityId = segments.length > 2 ? GROUP_MANAGEMENT.OTHER : operation === 'CREATE' ? GROUP_MANAGEMENT.CREATE : operation === 'DELETE' ? GROUP_MANAGEMENT.DELETE : GROUP_MANAGEMENT.OTHER;
        if (repObject !== undefined) {
          groupUid ??= strOf(repObject['id']);
          groupName = strOf(repObject['name']);
        }
      }
      break;
    }
    case HANDLER.USER_LOGIN_FAILURE: {
      // attack-detection/brute-force/users[/<uid>]: clearing login failures unlocks the account(s).
      if (operation === 'DELETE') out.activityId = ACCOUNT_CHANGE.UNLOCK;
      const at = segments.indexOf('users');
      user = targetUser(at >= 0 ? segments[at + 1] : undefined, realmId);
      break;
    }
    case HANDLER.USER_SESSION: {
      out.classUid = CLASS.AUTHENTICATION;
      out.activityId = operation === 'DELETE' ? AUTHENTICATION.LOGOFF : AUTHENTICATION.OTHER;
      sessionUid = segments[0] === 'sessions' ? segments[1] : undefined;
      break;
    }
    default: {
      // The IAM system's own configuration: realm and event settings, flows, IdPs, clients, ...
      out.severityId = SEVERITY.MEDIUM;
      if (repObject !== undefined) {
        resourceName = strOf(repObject['alias']) ?? strOf(repObject['clientId']) ?? strOf(repObject['name']) ?? strOf(repObject['realm']) ?? strOf(repObject['displayName']);
      }
      if (resourceName === undefined && segments[0] === 'identity-provider' && segments[1] === 'instances') resourceName = segments[2];
      // The settings that switch protection off (an IdP, a required action, an OTP step): kept
      // so that a rule can see them without the representation, which may hold secrets.
      if (repObject !== undefined) {
        const enabled = repObject['enabled'];
        if (typeof enabled === 'boolean') configEnabled = enabled;
        configRequirement = strOf(repObject['requirement']);
      }
    }
  }

  const error = strOf(record['error']);
  const event = createEvent({
    classUid: out.classUid,
    activityId: out.activityId,
    time,
    statusId: error === undefined ? STATUS.SUCCESS : STATUS.FAILURE,
    severityId: error === undefined ? out.severityId : SEVERITY.LOW,
    product: KEYCLOAK_PRODUCT,
    uid: keycloakUid(record, context.format),
    eventCode: `${resourceType}:${operation}`,
    originalTime: typeof rawTime === 'string' ? rawTime : String(rawTime),
    format: context.format,
    tenant: context.tenant,
    observedTime: context.observedTime,
  });
  if (error !== undefined) {
    event.status_code = error;
    event.status_detail = keycloakErrorText(error);
  }

  const auth = asRecord(record['authDetails']);
  if (auth !== undefined) {
    const adminUid = strOf(auth['userId']);
    const appName = strOf(auth['clientId']);
    if (adminUid !== undefined || appName !== undefined) {
      event.actor = { user: adminUid === undefined ? undefined : { uid: adminUid, domain: strOf(auth['realmId']) }, app_name: appName };
    }
    const ip = strOf(auth['ipAddress']);
    if (ip !== undefined) event.src_endpoint = { ip };
  }
  event.user = user;
  if (groupUid !== undefined || groupName !== undefined) event.group = { name: groupName, uid: groupUid };
  event.privileges = privileges;
  event.resource = resource;
  if (sessionUid !== undefined) event.session = { uid: sessionUid };

  const unmapped: JsonObject = { realmId, resource_type: resourceType, resource_path: path === '' ? undefined : path };
  if (resourceName !== undefined) unmapped['resource_name'] = resourceName;
  if (subgroup !== undefined) unmapped['subgroup'] = subgroup;
  if (configEnabled !== undefined) unmapped['enabled'] = configEnabled;
  if (configRequirement !== undefined) unmapped['requirement'] = configRequirement;
  if (resourceType === 'REALM' && path === 'events/config' && repObject !== undefined) unmapped['events_config'] = repObject;
  if (rep.badText !== undefined) unmapped['representation'] = rep.badText;
  const details = asRecord(record['details']);
  if (details !== undefined) unmapped['details'] = details;
  event.unmapped = unmapped;
  return event;
}

export const keycloakAdminEventMapper: FormatMapper = {
  format: 'keycloak.admin_event',
  payload: 'json',
  map,
};
