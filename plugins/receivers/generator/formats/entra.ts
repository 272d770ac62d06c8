import { A } from '../model.js';
import type { Act } from '../model.js';
import type { FormatSpec, RenderContext } from './common.js';
import { isoSeconds, unsupported } from './common.js';

/**
 * Microsoft Entra ID through Microsoft Graph: `signIn` (auditLogs/signIns) and `directoryAudit`
 * (auditLogs/directoryAudits), one resource object per record.
 */

/** First-party application ids are the same in every tenant. */
const APPS = [
  { appId: '00000002-0000-0ff1-ce00-000000000000', appDisplayName: 'Office 365 Exchange Online', resourceId: '00000002-0000-0ff1-ce00-000000000000', resourceDisplayName: 'Office 365 Exchange Online' },
  { appId: '1fec8e78-bce4-4aaf-ab1b-5451cc387264', appDisplayName: 'Microsoft Teams', resourceId: '00000003-0000-0000-c000-000000000000', resourceDisplayName: 'Microsoft Graph' },
  { appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', appDisplayName: 'Azure Portal', resourceId: '797f4846-ba00-4fd7-ba43-dac1f8f63013', resourceDisplayName: 'Windows Azure Service Management API' },
  { appId: '00000003-0000-0ff1-ce00-000000000000', appDisplayName: 'Office 365 SharePoint Online', resourceId: '00000003-0000-0ff1-ce00-000000000000', resourceDisplayName: 'Office 365 SharePoint Online' },
] as const;

interface Status {
  readonly errorCode: number;
  readonly failureReason: string;
  readonly additionalDetails: string | null;
}

const OK: Status = { errorCode: 0, failureReason: 'Other.', additionalDetails: null };
const BAD_PASSWORD: Status = { errorCode: 50126, failureReason: 'Error validating credentials due to invalid username or password.', additionalDetails: 'The user didn\'t enter the right credentials. It\'s expected to see some number of these errors in your logs due to users making mistakes.' };
const NO_USER: Status = { errorCode: 50034, failureReason: 'The user account does not exist in the directory. To sign into this application, the account must be added to the directory.', additionalDetails: null };
const LOCKED: Status = { errorCode: 50053, failureReason: 'The account is locked, you\'ve tried to sign in too many times with an incorrect user ID or password.', additionalDetails: 'Account is locked because user tried to sign in too many times with an incorrect user ID or password.' };
const MFA_DENIED: Status = { errorCode: 500121, failureReason: 'Authentication failed during strong authentication request.', additionalDetails: 'MFA denied; user declined the authentication' };
const MFA_NO_RESPONSE: Status = { errorCode: 500121, failureReason: 'Authentication failed during strong authentication request.', additionalDetails: 'MFA denied; user did not respond to mobile app notification' };
const MFA_BAD_CODE: Status = { errorCode: 500121, failureReason: 'Authentication failed during strong authentication request.', additionalDetails: 'MFA denied; invalid verification code' };
const MFA_REQUIRED: Status = { errorCode: 50074, failureReason: 'Strong Authentication is required.', additionalDetails: 'MFA required in Azure AD' };

function step(time: number, method: string, detail: string, succeeded: boolean, result: string, requirement: string): Record<string, unknown> {
  return { authenticationStepDateTime: isoSeconds(time), authenticationMethod: method, authenticationMethodDetail: detail, succeeded, authenticationStepResultDetail: result, authenticationStepRequirement: requirement };
}

function renderSignIn(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const u = act.user;
  const app = APPS[act.variant % APPS.length]!;
  let status: Status;
  let interactive = true;
  let requirement = 'singleFactorAuthentication';
  let steps: Record<string, unknown>[];
  switch (act.action) {
    case A.LOGIN_OK:
      status = OK;
      steps = [step(time, 'Password', 'Password in the cloud', true, 'Correct password', 'Primary authentication')];
      break;
    case A.LOGIN_FAIL:
      status = BAD_PASSWORD;
      steps = [step(time, 'Password', 'Password in the cloud', false, 'Invalid username or password or Invalid on-premise username or password.', 'Primary authentication')];
      break;
    case A.LOGIN_UNKNOWN_USER:
      status = NO_USER;
      steps = [];
      break;
    case A.LOGIN_LOCKED:
    case A.LOCKOUT:
      status = LOCKED;
      steps = [step(time, 'Password', 'Password in the cloud', false, 'Account is locked', 'Primary authentication')];
      break;
    case A.TOKEN_REFRESH:
      status = OK;
      interactive = false;
      steps = [step(time, 'Previously satisfied', '', true, 'First factor requirement satisfied by claim in the token', 'Primary authentication')];
      break;
    case A.MFA_OK:
      status = OK;
      requirement = 'multiFactorAuthentication';
      steps = [
        step(time - 9000, 'Password', 'Password in the cloud', true, 'Correct password', 'Primary authentication'),
        step(time, 'Mobile app notification', '', true, 'MFA successfully completed', 'MFA'),
      ];
      break;
    case A.MFA_PUSH_SENT:
      status = MFA_REQUIRED;
      requirement = 'multiFactorAuthentication';
      steps = [step(time, 'Password', 'Password in the cloud', true, 'Correct password', 'Primary authentication')];
      break;
    case A.MFA_PUSH_DENY:
    case A.MFA_TIMEOUT:
    case A.MFA_BAD_CODE: {
      const denied = act.action === A.MFA_PUSH_DENY;
      const code = act.action === A.MFA_BAD_CODE;
      status = denied ? MFA_DENIED : code ? MFA_BAD_CODE : MFA_NO_RESPONSE;
      requirement = 'multiFactorAuthentication';
      steps = [
        step(time - 2000, 'Password', 'Password in the cloud', true, 'Correct password', 'Primary authentication'),
        step(time, code ? 'OATH verification code' : 'Mobile app notification', '', false, denied ? 'MFA denied; user declined the authentication' : code ? 'Invalid verification code' : 'MFA denied; user did not respond to mobile app notification', 'MFA'),
      ];
      break;
    }
    default:
      return unsupported('entra.signin', act.action);
  }
  const failed = status.errorCode !== 0;
  const riskLevel = act.risky ? (failed ? 'medium' : 'high') : 'none';
  return JSON.stringify({
    id: r.uuid(),
    createdDateTime: isoSeconds(time),
    userDisplayName: u.exists ? u.displayName : null,
    userPrincipalName: u.exists ? u.email : `${u.login}@${ctx.dir.domain}`,
    userId: u.exists ? u.entraId : '00000000-0000-0000-0000-000000000000',
    appId: app.appId,
    appDisplayName: app.appDisplayName,
    ipAddress: act.ip,
    clientAppUsed: act.agent.script ? 'Other clients' : act.agent.device === 'Mobile' ? 'Mobile Apps and Desktop clients' : 'Browser',
    correlationId: r.uuid(),
    conditionalAccessStatus: failed ? 'notApplied' : 'success',
    isInteractive: interactive,
    riskDetail: 'none',
    riskLevelAggregated: riskLevel,
    riskLevelDuringSignIn: riskLevel,
    riskState: act.risky ? 'atRisk' : 'none',
    riskEventTypes_v2: act.risky ? ['unfamiliarFeatures'] : [],
    resourceDisplayName: app.resourceDisplayName,
    resourceId: app.resourceId,
    status,
    deviceDetail: {
      deviceId: act.risky || !u.exists ? '' : u.deviceId,
      displayName: act.risky || !u.exists ? '' : u.workstation,
      operatingSystem: act.agent.entraOs,
      browser: act.agent.entraBrowser,
      isCompliant: !act.risky && u.exists,
      isManaged: !act.risky && u.exists,
      trustType: act.risky || !u.exists ? '' : 'Azure AD joined',
    },
    location: {
      city: act.loc.city,
      state: act.loc.state,
      countryOrRegion: act.loc.countryCode,
      geoCoordinates: { altitude: null, latitude: act.loc.lat, longitude: act.loc.lon },
    },
    appliedConditionalAccessPolicies: [],
    authenticationRequirement: requirement,
    authenticationDetails: steps,
  });
}

function renderAudit(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const dir = ctx.dir;
  const u = act.user;
  const admin = act.actor ?? dir.admins[0]!;
  let category = 'UserManagement';
  let activity: string;
  let operationType: string;
  let service = 'Core Directory';
  let result = 'success';
  let resultReason = '';
  let selfService = false;
  const userTarget: Record<string, unknown> = { id: u.entraId, displayName: null, type: 'User', userPrincipalName: u.email, groupType: null, modifiedProperties: [] as unknown[] };
  const targets: Record<string, unknown>[] = [userTarget];
  switch (act.action) {
    case A.USER_CREATE:
      activity = 'Add user';
      operationType = 'Add';
      userTarget['modifiedProperties'] = [
        { displayName: 'AccountEnabled', oldValue: '[]', newValue: '[true]' },
        { displayName: 'DisplayName', oldValue: '[]', newValue: JSON.stringify([u.displayName]) },
        { displayName: 'UserPrincipalName', oldValue: '[]', newValue: JSON.stringify([u.email]) },
        { displayName: 'UserType', oldValue: '[]', newValue: '["Member"]' },
      ];
      break;
    case A.USER_ENABLE:
    case A.USER_DISABLE: {
      const on = act.action === A.USER_ENABLE;
      activity = on ? 'Enable account' : 'Disable account';
      operationType = 'Update';
      userTarget['modifiedProperties'] = [{ displayName: 'AccountEnabled', oldValue: on ? '[false]' : '[true]', newValue: on ? '[true]' : '[false]' }];
      break;
    }
    case A.GROUP_ADD:
    case A.GROUP_REMOVE: {
      const g = act.group ?? dir.groups[0]!;
      const add = act.action === A.GROUP_ADD;
      category = 'GroupManagement';
      activity = add ? 'Add member to group' : 'Remove member from group';
      operationType = add ? 'Assign' : 'Unassign';
      const name = JSON.stringify(g.name);
      userTarget['modifiedProperties'] = [
        { displayName: 'Group.ObjectID', oldValue: add ? null : JSON.stringify(g.entraId), newValue: add ? JSON.stringify(g.entraId) : null },
        { displayName: 'Group.DisplayName', oldValue: add ? null : name, newValue: add ? name : null },
      ];
      targets.push({ id: g.entraId, displayName: null, type: 'Group', userPrincipalName: null, groupType: 'unifiedGroups', modifiedProperties: [] });
      break;
    }
    case A.ROLE_GRANT: {
      const role = act.role ?? dir.roles[0]!;
      category = 'RoleManagement';
      activity = 'Add member to role';
      operationType = 'Assign';
      userTarget['modifiedProperties'] = [
        { displayName: 'Role.TemplateId', oldValue: null, newValue: JSON.stringify(role.entraTemplateId) },
        { displayName: 'Role.DisplayName', oldValue: null, newValue: JSON.stringify(role.entraName) },
      ];
      targets.push({ id: role.entraTemplateId, displayName: role.entraName, type: 'Role', userPrincipalName: null, groupType: null, modifiedProperties: [] });
      break;
    }
    case A.RESET_DONE:
      activity = 'Reset user password';
      operationType = 'Update';
      break;
    case A.RESET_REQUEST:
    case A.RESET_REQUEST_FAIL:
      activity = 'Reset password (self-service)';
      operationType = 'Update';
      service = 'Self-service Password Management';
      selfService = true;
      if (act.action === A.RESET_REQUEST_FAIL) {
        result = 'failure';
        resultReason = 'User\'s account is locked';
      } else {
        result = 'failure';
        resultReason = 'User did not complete the verification steps';
      }
      break;
    case A.UNLOCK:
      activity = 'Unlock user account';
      operationType = 'Update';
      service = 'Self-service Password Management';
      break;
    default:
      return unsupported('entra.audit', act.action);
  }
  const initiator = selfService ? u : admin;
  return JSON.stringify({
    id: `Directory_${r.uuid().toUpperCase()}_${r.base62(5).toUpperCase()}_${r.digits(9)}`,
    category,
    correlationId: r.uuid(),
    result,
    resultReason,
    activityDisplayName: activity,
    activityDateTime: isoSeconds(time),
    loggedByService: service,
    operationType,
    initiatedBy: {
      app: null,
      user: { id: initiator.entraId, displayName: null, userPrincipalName: initiator.email, ipAddress: act.ip, userType: null, homeTenantId: null, homeTenantName: null },
    },
    targetResources: targets,
    additionalDetails: [
      { key: 'UserType', value: 'Member' },
      { key: 'User-Agent', value: act.agent.raw },
    ],
  });
}

export const entraSignIn: FormatSpec = {
  name: 'entra.signin',
  supports: [A.LOGIN_OK, A.LOGIN_FAIL, A.LOGIN_UNKNOWN_USER, A.LOGIN_LOCKED, A.LOCKOUT, A.TOKEN_REFRESH, A.MFA_OK, A.MFA_PUSH_SENT, A.MFA_PUSH_DENY, A.MFA_TIMEOUT, A.MFA_BAD_CODE],
  render: renderSignIn,
};

export const entraAudit: FormatSpec = {
  name: 'entra.audit',
  supports: [A.USER_CREATE, A.USER_ENABLE, A.USER_DISABLE, A.GROUP_ADD, A.GROUP_REMOVE, A.ROLE_GRANT, A.RESET_DONE, A.RESET_REQUEST, A.RESET_REQUEST_FAIL, A.UNLOCK],
  render: renderAudit,
};
