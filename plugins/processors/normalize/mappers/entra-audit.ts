/**
 * `entra.audit`: Microsoft Entra ID directory audits, as the Graph `directoryAudit` resource
 * (`/auditLogs/directoryAudits`) or the Azure Monitor diagnostic record (`category: AuditLogs`,
 * the audit in `properties`). The activity (`activityDisplayName`) picks the class; activities
 * not in the table get a class from the audit `category` and activity 99 Other.
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, arr, asObject, obj, stableUid, str } from '../mapper.js';
import type { IamClassUid, IamEvent, OcsfActor, OcsfUser } from '../ocsf.js';
import { ACCOUNT_CHANGE, CLASS, GROUP_MANAGEMENT, SEVERITY, STATUS, USER_ACCESS, createEvent } from '../ocsf.js';
import { ENTRA_PRODUCT, entraStr, graphBody, modifiedValue, requiredEntraTime } from './entra-common.js';

const FORMAT = 'entra.audit';

interface ActivitySpec {
  readonly classUid: IamClassUid;
  readonly activityId: number;
  readonly severityId: number | undefined;
  /** Changes Entra's own configuration (policies, domains, applications, ...). */
  readonly config: boolean;
}

function activity(classUid: IamClassUid, activityId: number, severityId?: number, config = false): ActivitySpec {
  return { classUid, activityId, severityId, config };
}

const ACCT = CLASS.ACCOUNT_CHANGE;
const GRP = CLASS.GROUP_MANAGEMENT;
const UAM = CLASS.USER_ACCESS;
const MEDIUM = SEVERITY.MEDIUM;
const ASSIGN_ROLE = activity(UAM, USER_ACCESS.ASSIGN_PRIVILEGES, MEDIUM);
const REVOKE_ROLE = activity(UAM, USER_ACCESS.REVOKE_PRIVILEGES);
const PASSWORD_RESET = activity(ACCT, ACCOUNT_CHANGE.PASSWORD_RESET);
const PASSWORD_CHANGE = activity(ACCT, ACCOUNT_CHANGE.PASSWORD_CHANGE);
const FACTOR_ENABLE = activity(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_ENABLE);
const FACTOR_DISABLE = activity(ACCT, ACCOUNT_CHANGE.MFA_FACTOR_DISABLE, MEDIUM);
const UNLOCK = activity(ACCT, ACCOUNT_CHANGE.UNLOCK);

const ACTIVITIES: ReadonlyMap<string, ActivitySpec> = new Map<string, ActivitySpec>([
  ['Add user', activity(ACCT, ACCOUNT_CHANGE.CREATE)],
  ['Invite external user', activity(ACCT, ACCOUNT_CHANGE.CREATE)],
  ['Enable account', activity(ACCT, ACCOUNT_CHANGE.ENABLE)],
  ['Restore user', activity(ACCT, ACCOUNT_CHANGE.ENABLE)],
  ['Disable account', activity(ACCT, ACCOUNT_CHANGE.DISABLE)],
  ['Delete user', activity(ACCT, ACCOUNT_CHANGE.DELETE)],
  ['Hard delete user', activity(ACCT, ACCOUNT_CHANGE.DELETE)],
  ['Update user', activity(ACCT, ACCOUNT_CHANGE.OTHER)],
  ['Reset password', PASSWORD_RESET],
  ['Reset user password', PASSWORD_RESET],
  ['Reset password (by admin)', PASSWORD_RESET],
  ['Reset password (self-service)', PASSWORD_RESET],
  ['Self-service password reset flow activity progress', PASSWORD_RESET],
  ['Change user password', PASSWORD_CHANGE],
  ['Change password (self-service)', PASSWORD_CHANGE],
  ['Unlock user account', UNLOCK],
  ['Unlock user account (self-service)', UNLOCK],
  ['User registered security info', FACTOR_ENABLE],
  ['User registered all required security info', FACTOR_ENABLE],
  ['Admin registered security info', FACTOR_ENABLE],
  ['User deleted security info', FACTOR_DISABLE],
  ['Admin deleted security info', FACTOR_DISABLE],
  ['Add member to group', activity(GRP, GROUP_MANAGEMENT.ADD_USER)],
  ['Remove member from group', activity(GRP, GROUP_MANAGEMENT.REMOVE_USER)],
  ['Add group', activity(GRP, GROUP_MANAGEMENT.CREATE)],
  ['Delete group', activity(GRP, GROUP_MANAGEMENT.DELETE)],
  ['Hard delete group', activity(GRP, GROUP_MANAGEMENT.DELETE)],
  ['Add member to role', ASSIGN_ROLE],
  ['Add eligible member to role', ASSIGN_ROLE],
  ['Add scoped member to role', ASSIGN_ROLE],
  ['Add member to role in PIM completed (permanent)', ASSIGN_ROLE],
  ['Add member to role in PIM completed (timebound)', ASSIGN_ROLE],
  ['Add eligible member to role in PIM completed (permanent)', ASSIGN_ROLE],
  ['Add eligible member to role in PIM completed (timebound)', ASSIGN_ROLE],
  ['Remove member from role', REVOKE_ROLE],
  ['Remove eligible member from role', REVOKE_ROLE],
  ['Remove scoped member from role', REVOKE_ROLE],
  ['Remove member from role in PIM completed (permanent)', REVOKE_ROLE],
  ['Remove member from role in PIM completed (timebound)', REVOKE_ROLE],
  ['Remove eligible member from role in PIM completed (permanent)', REVOKE_ROLE],
  ['Remove eligible member from role in PIM completed (timebound)', REVOKE_ROLE],
]);

/** Activities not in the table: the class from the audit category, activity 99 Other. */
const CONFIG = activity(ACCT, ACCOUNT_CHANGE.OTHER, MEDIUM, true);
const BY_CATEGORY: ReadonlyMap<string, ActivitySpec> = new Map<string, ActivitySpec>([
  ['UserManagement', activity(ACCT, ACCOUNT_CHANGE.OTHER)],
  ['GroupManagement', activity(GRP, GROUP_MANAGEMENT.OTHER)],
  ['RoleManagement', activity(UAM, USER_ACCESS.OTHER)],
  ['Policy', CONFIG],
  ['DirectoryManagement', CONFIG],
  ['ApplicationManagement', CONFIG],
  ['AuthorizationPolicy', CONFIG],
  ['Authentication', CONFIG],
]);
const OTHER = activity(ACCT, ACCOUNT_CHANGE.OTHER);

const RESULTS: Readonly<Record<string, number>> = { success: STATUS.SUCCESS, failure: STATUS.FAILURE, timeout: STATUS.FAILURE };

function mapAudit(input: unknown, context: MapContext): IamEvent {
  const record = asObject(input);
  const wrapped = graphBody(record);
  const body = wrapped ?? record;
  const category = str(record, 'category');
  if (wrapped !== undefined && category !== undefined && category !== 'AuditLogs') {
    throw new MappingError(REASON.INVALID_FIELD, `category ${JSON.stringify(category)} is not AuditLogs`);
  }
  const name = body['activityDisplayName'] ?? (wrapped === undefined ? undefined : record['operationName']);
  if (name === undefined || name === null || name === '') throw new MappingError(REASON.MISSING_FIELD, 'activityDisplayName is missing');
  if (typeof name !== 'string') throw new MappingError(REASON.INVALID_FIELD, `activityDisplayName is ${typeof name}, not a string`);
  const { time, original } = requiredEntraTime(body, 'activityDateTime', record, 'time');
  const auditCategory = str(body, 'category');
  const spec = ACTIVITIES.get(name) ?? (auditCategory === undefined ? undefined : BY_CATEGORY.get(auditCategory)) ?? OTHER;
  const result = str(body, 'result');
  const statusId = result === undefined ? STATUS.UNKNOWN : (RESULTS[result] ?? STATUS.OTHER);
  const adding = spec.activityId === GROUP_MANAGEMENT.ADD_USER || spec.activityId === USER_ACCESS.ASSIGN_PRIVILEGES;

  // Targets: the account, its group, the role; the user target's modifiedProperties name the
  // group / role when their own target has no displayName (usual in Graph).
  let targetUser: JsonObject | undefined;
  let servicePrincipal: JsonObject | undefined;
  let group: JsonObject | undefined;
  let role: JsonObject | undefined;
  let first: JsonObject | undefined;
  const targets = arr(body, 'targetResources');
  if (targets !== undefined) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (typeof t !== 'object' || t === null) continue;
      const target = t as JsonObject;
      first ??= target;
      const type = target['type'];
      if (type === 'User') targetUser ??= target;
      else if (type === 'Group') group ??= target;
      else if (type === 'Role') role ??= target;
      else if (type === 'ServicePrincipal') servicePrincipal ??= target;
    }
  }
  let groupName = group === undefined ? undefined : entraStr(group, 'displayName');
  let groupId = group === undefined ? undefined : entraStr(group, 'id');
  let roleName = role === undefined ? undefined : entraStr(role, 'displayName');
  let modifiedNames: string[] | undefined;
  const subject = targetUser ?? (spec.classUid === CLASS.USER_ACCESS || spec.classUid === CLASS.GROUP_MANAGEMENT ? servicePrincipal : undefined);
  const modified = subject === undefined ? undefined : arr(subject, 'modifiedProperties');
  if (modified !== undefined) {
    for (let i = 0; i < modified.length; i++) {
      const m = modified[i];
      if (typeof m !== 'object' || m === null) continue;
      const property = m as JsonObject;
      const key = str(property, 'displayName');
      if (key === undefined) continue;
      (modifiedNames ??= []).push(key);
      const v = modifiedValue(entraStr(property, adding ? 'newValue' : 'oldValue') ?? entraStr(property, adding ? 'oldValue' : 'newValue'));
      if (key === 'Group.DisplayName') groupName ??= v;
      else if (key === 'Group.ObjectID') groupId ??= v;
      else if (key === 'Role.DisplayName') roleName ??= v;
    }
  }

  let user: OcsfUser | undefined;
  if (subject !== undefined) {
    const sp = subject === servicePrincipal;
    user = {
      name: entraStr(subject, sp ? 'displayName' : 'userPrincipalName'),
      uid: entraStr(subject, 'id'),
      full_name: sp ? undefined : entraStr(subject, 'displayName'),
      type: sp ? 'Service' : undefined,
      type_id: sp ? 4 : undefined,
    };
  }

  // Who did it: an admin (initiatedBy.user) or an application; unset for a user's own change.
  const initiatedBy = obj(body, 'initiatedBy');
  const byUser = obj(initiatedBy, 'user');
  const byApp = obj(initiatedBy, 'app');
  const byUserId = entraStr(byUser, 'id');
  let actor: OcsfActor | undefined;
  if (byUser !== undefined && (byUserId !== undefined || entraStr(byUser, 'userPrincipalName') !== undefined)) {
    if (user === undefined || byUserId !== user.uid) {
      actor = { user: { name: entraStr(byUser, 'userPrincipalName'), uid: byUserId, full_name: entraStr(byUser, 'displayName'), type: undefined, type_id: undefined } };
    }
  } else if (byApp !== undefined) {
    actor = { app_name: entraStr(byApp, 'displayName'), app_uid: entraStr(byApp, 'appId') ?? entraStr(byApp, 'servicePrincipalId') };
  }

  const id = entraStr(body, 'id');
  const event = createEvent({
    classUid: spec.classUid,
    activityId: spec.activityId,
    time,
    statusId,
    severityId: spec.severityId ?? (statusId === STATUS.FAILURE ? SEVERITY.LOW : SEVERITY.INFORMATIONAL),
    product: ENTRA_PRODUCT,
    uid: id ?? stableUid(FORMAT, JSON.stringify(record)),
    eventCode: name,
    originalTime: original,
    format: context.format,
    tenant: context.tenant,
    observedTime: context.observedTime,
  });
  event.metadata.correlation_uid = entraStr(body, 'correlationId') ?? entraStr(record, 'correlationId');
  event.status_detail = entraStr(body, 'resultReason');
  event.user = user;
  event.actor = actor;
  const ip = entraStr(byUser, 'ipAddress') ?? entraStr(record, 'callerIpAddress');
  if (ip !== undefined) event.src_endpoint = { ip };
  if (spec.classUid === CLASS.GROUP_MANAGEMENT && (groupName !== undefined || groupId !== undefined)) event.group = { name: groupName, uid: groupId };
  if (spec.classUid === CLASS.USER_ACCESS && roleName !== undefined) event.privileges = [roleName];

  let unmapped: Record<string, unknown> | undefined;
  if (auditCategory !== undefined) unmapped = { category: auditCategory };
  const service = entraStr(body, 'loggedByService');
  if (service !== undefined) (unmapped ??= {})['logged_by_service'] = service;
  if (modifiedNames !== undefined) (unmapped ??= {})['modified_properties'] = modifiedNames;
  const details = arr(body, 'additionalDetails');
  if (details !== undefined) {
    let extra: Record<string, string> | undefined;
    for (let i = 0; i < details.length; i++) {
      const d = details[i];
      if (typeof d !== 'object' || d === null) continue;
      const key = str(d as JsonObject, 'key');
      const v = str(d as JsonObject, 'value');
      if (key === undefined || v === undefined) continue;
      if (key === 'User-Agent') event.http_request = { user_agent: v };
      else (extra ??= {})[key] = v;
    }
    if (extra !== undefined) (unmapped ??= {})['additional_details'] = extra;
  }
  if (spec.config) {
    unmapped ??= {};
    unmapped['resource_type'] = first === undefined ? undefined : entraStr(first, 'type');
    unmapped['resource_path'] = first === undefined ? undefined : entraStr(first, 'id');
    unmapped['resource_name'] = first === undefined ? undefined : entraStr(first, 'displayName');
  }
  event.unmapped = unmapped;
  return event;
}

export const entraAuditMapper: FormatMapper = {
  format: FORMAT,
  payload: 'json',
  map: mapAudit,
};
