import { A } from '../model.js';
import type { Act } from '../model.js';
import type { FormatSpec, RenderContext } from './common.js';
import { iso, unsupported } from './common.js';

/** Okta System Log LogEvent (`GET /api/v1/logs`), one object per event. */

interface OktaType {
  readonly eventType: string;
  readonly legacy: string | null;
  readonly display: string;
  readonly severity: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly result: string;
  readonly reason: string | null;
  readonly requestUri: string;
}

function t(eventType: string, legacy: string | null, display: string, severity: OktaType['severity'], result: string, reason: string | null, requestUri: string): OktaType {
  return { eventType, legacy, display, severity, result, reason, requestUri };
}

const SESSION_OK = t('user.session.start', 'core.user_auth.login_success', 'User login to Okta', 'INFO', 'SUCCESS', null, '/idp/idx/identify');
const SESSION_BAD_PW = t('user.session.start', 'core.user_auth.login_failed', 'User login to Okta', 'WARN', 'FAILURE', 'INVALID_CREDENTIALS', '/idp/idx/identify');
const SESSION_UNKNOWN = t('user.session.start', 'core.user_auth.login_failed', 'User login to Okta', 'WARN', 'FAILURE', 'VERIFICATION_ERROR', '/idp/idx/identify');
const SESSION_LOCKED = t('user.session.start', 'core.user_auth.account_locked', 'User login to Okta', 'WARN', 'FAILURE', 'LOCKED_OUT', '/idp/idx/identify');
const LOCK = t('user.account.lock', 'core.user_auth.account_locked', 'Max sign in attempts exceeded', 'WARN', 'FAILURE', 'LOCKED_OUT', '/idp/idx/identify');
const UNLOCK = t('user.account.unlock', 'core.user.account.unlock', 'Unlock user account', 'INFO', 'SUCCESS', null, '/api/v1/users/{id}/lifecycle/unlock');
const LOGOUT = t('user.session.end', 'core.user_auth.logout_success', 'User logout from Okta', 'INFO', 'SUCCESS', null, '/login/signout');
const REFRESH = t('app.oauth2.as.token.grant.refresh_token', 'app.oauth2.as.token.grant.refresh_token_success', 'OAuth2 refresh token is granted', 'INFO', 'SUCCESS', null, '/oauth2/default/v1/token');
const MFA_OK = t('user.authentication.auth_via_mfa', 'core.user.factor.attempt_success', 'Authentication of user via MFA', 'INFO', 'SUCCESS', null, '/idp/idx/challenge/answer');
const MFA_BAD = t('user.authentication.auth_via_mfa', 'core.user.factor.attempt_fail', 'Authentication of user via MFA', 'INFO', 'FAILURE', 'INVALID_CREDENTIALS', '/idp/idx/challenge/answer');
const MFA_TIMEOUT = t('user.authentication.auth_via_mfa', 'core.user.factor.attempt_fail', 'Authentication of user via MFA', 'INFO', 'FAILURE', 'VERIFICATION_TIMEOUT', '/idp/idx/authenticators/poll');
const PUSH_SENT = t('system.push.send_factor_verify_push', null, 'Push notification sent for verify', 'INFO', 'SUCCESS', null, '/idp/idx/challenge');
const PUSH_DENY = t('user.mfa.okta_verify.deny_push', 'core.user.factor.push_reject', 'User rejected Okta push verify', 'WARN', 'FAILURE', 'INVALID_CREDENTIALS', '/idp/idx/authenticators/poll');
const RESET_SENT = t('system.email.password_reset.sent_message', null, 'Sending password reset email', 'INFO', 'SUCCESS', null, '/idp/idx/recover');
const RESET_FAIL = t('user.account.reset_password', 'core.user.account.reset_password', 'Fired when the user\'s Okta password is reset', 'WARN', 'FAILURE', 'Password reset not allowed', '/idp/idx/recover');
const RESET_DONE = t('user.account.reset_password', 'core.user.account.reset_password', 'Fired when the user\'s Okta password is reset', 'INFO', 'SUCCESS', null, '/idp/idx/challenge/answer');
const PW_CHANGE = t('user.account.update_password', 'core.user.config.password_update.success', 'User update password for Okta', 'INFO', 'SUCCESS', null, '/idp/myaccount/password');
const CREATE = t('user.lifecycle.create', 'core.user.config.user_creation.success', 'Create Okta user', 'INFO', 'SUCCESS', null, '/api/v1/users');
const ACTIVATE = t('user.lifecycle.activate', 'core.user.config.user_activated', 'Activate Okta user', 'INFO', 'SUCCESS', null, '/api/v1/users/{id}/lifecycle/activate');
const SUSPEND = t('user.lifecycle.suspend', 'core.user.config.user_status.suspended', 'Suspend Okta user', 'INFO', 'SUCCESS', null, '/api/v1/users/{id}/lifecycle/suspend');
const GROUP_ADD = t('group.user_membership.add', 'core.user_group_member.user_add', 'Add user to group membership', 'INFO', 'SUCCESS', null, '/api/v1/groups/{gid}/users/{id}');
const GROUP_REMOVE = t('group.user_membership.remove', 'core.user_group_member.user_remove', 'Remove user from group membership', 'INFO', 'SUCCESS', null, '/api/v1/groups/{gid}/users/{id}');
const PRIV_GRANT = t('user.account.privilege.grant', 'core.user.admin_privilege.granted', 'Grant user privilege', 'INFO', 'SUCCESS', null, '/api/v1/users/{id}/roles');

const REQUEST_ID = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function requestId(ctx: RenderContext): string {
  // Okta request ids look like base64 with an AAA... suffix: 27 characters.
  return `${ctx.r.base62(22)}AAA${REQUEST_ID[ctx.r.int(26)]}${ctx.r.digits(1)}`;
}

function pick(act: Act): OktaType {
  switch (act.action) {
    case A.LOGIN_OK: return SESSION_OK;
    case A.LOGIN_FAIL: return SESSION_BAD_PW;
    case A.LOGIN_UNKNOWN_USER: return SESSION_UNKNOWN;
    case A.LOGIN_LOCKED: return SESSION_LOCKED;
    case A.LOCKOUT: return LOCK;
    case A.UNLOCK: return UNLOCK;
    case A.LOGOUT: return LOGOUT;
    case A.TOKEN_REFRESH: return REFRESH;
    case A.MFA_OK: return MFA_OK;
    case A.MFA_BAD_CODE: return MFA_BAD;
    case A.MFA_TIMEOUT: return MFA_TIMEOUT;
    case A.MFA_PUSH_SENT: return PUSH_SENT;
    case A.MFA_PUSH_DENY: return PUSH_DENY;
    case A.RESET_REQUEST: return RESET_SENT;
    case A.RESET_REQUEST_FAIL: return RESET_FAIL;
    case A.RESET_DONE: return RESET_DONE;
    case A.PASSWORD_CHANGE: return PW_CHANGE;
    case A.USER_CREATE: return CREATE;
    case A.USER_ENABLE: return ACTIVATE;
    case A.USER_DISABLE: return SUSPEND;
    case A.GROUP_ADD: return GROUP_ADD;
    case A.GROUP_REMOVE: return GROUP_REMOVE;
    case A.ROLE_GRANT: return PRIV_GRANT;
    default: return unsupported('okta', act.action);
  }
}

const ADMIN_ACTIONS: ReadonlySet<number> = new Set([A.USER_CREATE, A.USER_ENABLE, A.USER_DISABLE, A.GROUP_ADD, A.GROUP_REMOVE, A.ROLE_GRANT, A.UNLOCK]);

function render(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const dir = ctx.dir;
  const kind = pick(act);
  const u = act.user;
  const adminAction = ADMIN_ACTIONS.has(act.action);
  const actorUser = adminAction ? (act.actor ?? dir.admins[0]!) : u;
  const actor = actorUser.exists
    ? { id: actorUser.oktaId, type: 'User', alternateId: actorUser.email, displayName: actorUser.displayName, detailEntry: null }
    : { id: 'unknown', type: 'User', alternateId: u.login.includes('@') ? u.login : `${u.login}@${dir.domain}`, displayName: 'unknown', detailEntry: null };
  const userTarget = { id: u.oktaId, type: 'User', alternateId: u.email, displayName: u.displayName, detailEntry: null };
  let target: unknown[] | null = null;
  if (adminAction || act.action === A.LOCKOUT || act.action === A.RESET_DONE || act.action === A.RESET_REQUEST_FAIL) {
    target = [userTarget];
    if ((act.action === A.GROUP_ADD || act.action === A.GROUP_REMOVE) && act.group !== null) {
      target.push({ id: act.group.oktaId, type: 'UserGroup', alternateId: 'unknown', displayName: act.group.name, detailEntry: null });
    }
  } else if (act.action === A.MFA_OK || act.action === A.MFA_BAD_CODE || act.action === A.MFA_TIMEOUT || act.action === A.MFA_PUSH_DENY || act.action === A.MFA_PUSH_SENT) {
    const factor = act.action === A.MFA_BAD_CODE ? 'Google Authenticator' : 'Okta Verify';
    target = [userTarget, { id: `aut${r.base62(17)}`, type: 'AuthenticatorEnrollment', alternateId: 'unknown', displayName: factor, detailEntry: { methodTypeUsed: act.action === A.MFA_BAD_CODE ? 'Enter a passcode' : 'Get a push notification' } }];
  }
  const geo = { city: act.loc.city, state: act.loc.state, country: act.loc.country, postalCode: act.loc.postalCode, geolocation: { lat: act.loc.lat, lon: act.loc.lon } };
  const id = requestId(ctx);
  const debugData: Record<string, string> = {
    requestId: id,
    requestUri: kind.requestUri.replace('{id}', u.oktaId).replace('{gid}', act.group?.oktaId ?? ''),
    threatSuspected: act.risky && !act.agent.script ? 'true' : 'false',
    url: `${kind.requestUri.replace('{id}', u.oktaId).replace('{gid}', act.group?.oktaId ?? '')}?`,
  };
  if (act.action === A.LOGIN_OK || act.action === A.LOGIN_FAIL) debugData['deviceFingerprint'] = r.hex(32);
  if (act.action === A.ROLE_GRANT && act.role !== null) debugData['privilegeGranted'] = act.role.oktaType;
  return JSON.stringify({
    uuid: `${r.hex(8)}-${r.hex(4)}-11ef-${r.hex(4)}-${r.hex(12)}`,
    published: iso(time),
    eventType: kind.eventType,
    version: '0',
    severity: kind.severity,
    legacyEventType: kind.legacy,
    displayMessage: kind.display,
    actor,
    client: {
      userAgent: { rawUserAgent: act.agent.raw, os: act.agent.os, browser: act.agent.browser },
      zone: act.risky ? 'null' : 'OFF_NETWORK',
      device: act.agent.device,
      id: null,
      ipAddress: act.ip,
      geographicalContext: geo,
    },
    device: null,
    authenticationContext: {
      authenticationProvider: adminAction ? null : 'OKTA_AUTHENTICATION_PROVIDER',
      credentialProvider: act.action === A.MFA_PUSH_DENY || act.action === A.MFA_OK ? 'OKTA_CREDENTIAL_PROVIDER' : null,
      credentialType: act.action === A.LOGIN_OK || act.action === A.LOGIN_FAIL ? 'PASSWORD' : null,
      issuer: null,
      interface: null,
      authenticationStep: 0,
      externalSessionId: act.action === A.LOGIN_UNKNOWN_USER ? 'unknown' : `102${r.base62(22)}`,
    },
    outcome: { result: kind.result, reason: kind.reason },
    securityContext: act.risky
      ? { asNumber: 64496 + (act.variant % 16), asOrg: 'example hosting ltd', isp: 'example hosting ltd', domain: 'example.net', isProxy: act.agent.script }
      : { asNumber: 64512 + (u.index & 7), asOrg: 'example broadband', isp: 'example broadband', domain: 'example.org', isProxy: false },
    debugContext: { debugData },
    transaction: { type: 'WEB', id, detail: {} },
    request: { ipChain: [{ ip: act.ip, geographicalContext: geo, version: 'V4', source: null }] },
    target,
  });
}

export const okta: FormatSpec = {
  name: 'okta',
  supports: [
    A.LOGIN_OK, A.LOGIN_FAIL, A.LOGIN_UNKNOWN_USER, A.LOGIN_LOCKED, A.LOCKOUT, A.UNLOCK, A.LOGOUT, A.TOKEN_REFRESH,
    A.MFA_OK, A.MFA_BAD_CODE, A.MFA_TIMEOUT, A.MFA_PUSH_SENT, A.MFA_PUSH_DENY, A.RESET_REQUEST, A.RESET_REQUEST_FAIL,
    A.RESET_DONE, A.PASSWORD_CHANGE, A.USER_CREATE, A.USER_ENABLE, A.USER_DISABLE, A.GROUP_ADD, A.GROUP_REMOVE, A.ROLE_GRANT,
  ],
  render,
};
