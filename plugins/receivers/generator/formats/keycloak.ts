import { A } from '../model.js';
import type { Act } from '../model.js';
import type { FormatSpec, RenderContext } from './common.js';
import { unsupported } from './common.js';

/**
 * Keycloak EventRepresentation and AdminEventRepresentation, as the admin REST API
 * (`GET /admin/realms/{realm}/events`, `/admin-events`) returns them.
 */

const CLIENTS = ['account-console', 'hr-portal', 'grafana', 'gitlab'] as const;
const REDIRECT: Record<(typeof CLIENTS)[number], string> = {
  'account-console': '/realms/{realm}/account/',
  'hr-portal': 'https://hr.{domain}/oauth2/callback',
  grafana: 'https://grafana.{domain}/login/generic_oauth',
  gitlab: 'https://gitlab.{domain}/users/auth/openid_connect/callback',
};

function redirectUri(client: (typeof CLIENTS)[number], ctx: RenderContext): string {
  const template = REDIRECT[client];
  return template.startsWith('/')
    ? `https://sso.${ctx.dir.domain}${template.replace('{realm}', ctx.dir.realm)}`
    : template.replace('{domain}', ctx.dir.domain);
}

/** Keycloak writes NOT_BEFORE as a zone-less LocalDateTime; the demo servers run in UTC. */
function localDateTime(time: number): string {
  return new Date(time).toISOString().slice(0, 19);
}

function renderEvent(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const u = act.user;
  const client = CLIENTS[act.variant % CLIENTS.length]!;
  const codeId = r.uuid();
  let type: string;
  let error: string | undefined;
  let clientId: string | null = client;
  let userId: string | null = u.exists ? u.kcId : null;
  let sessionId: string | null = null;
  let details: Record<string, string>;
  const loginDetails = (): Record<string, string> => ({
    auth_method: 'openid-connect',
    auth_type: 'code',
    redirect_uri: redirectUri(client, ctx),
    code_id: codeId,
    username: u.login,
  });
  switch (act.action) {
    case A.LOGIN_OK:
      type = 'LOGIN';
      sessionId = codeId;
      details = { ...loginDetails(), consent: 'no_consent_required' };
      break;
    case A.LOGIN_FAIL:
      type = 'LOGIN_ERROR';
      error = 'invalid_user_credentials';
      details = loginDetails();
      break;
    case A.LOGIN_UNKNOWN_USER:
      type = 'LOGIN_ERROR';
      error = 'user_not_found';
      userId = null;
      details = loginDetails();
      break;
    case A.LOGIN_LOCKED:
      type = 'LOGIN_ERROR';
      error = 'user_temporarily_disabled';
      details = loginDetails();
      break;
    case A.MFA_BAD_CODE:
      // Keycloak has no separate wrong-OTP error: the OTP form reports invalid credentials.
      type = 'LOGIN_ERROR';
      error = 'invalid_user_credentials';
      details = { ...loginDetails(), credential_type: 'otp' };
      break;
    case A.LOCKOUT:
      // Sent by the brute-force protector itself: no client, no session.
      type = 'USER_DISABLED_BY_TEMPORARY_LOCKOUT';
      clientId = null;
      details = { reason: 'brute_force_attack detected', num_failures: String(act.attempt), not_before: localDateTime(time + 900_000) };
      break;
    case A.LOGOUT:
      type = 'LOGOUT';
      sessionId = r.uuid();
      details = { redirect_uri: redirectUri(client, ctx) };
      break;
    case A.TOKEN_REFRESH:
      type = 'REFRESH_TOKEN';
      sessionId = r.uuid();
      details = {
        token_id: r.uuid(),
        grant_type: 'refresh_token',
        refresh_token_id: r.uuid(),
        refresh_token_type: 'Refresh',
        scope: 'openid profile email',
        updated_refresh_token_id: r.uuid(),
        client_auth_method: 'client-secret',
      };
      break;
    case A.RESET_REQUEST:
      type = 'SEND_RESET_PASSWORD';
      details = { ...loginDetails(), auth_type: 'code', email: u.email };
      break;
    case A.RESET_REQUEST_FAIL:
      type = 'SEND_RESET_PASSWORD_ERROR';
      error = u.exists ? 'user_disabled' : 'user_not_found';
      if (!u.exists) userId = null;
      details = loginDetails();
      break;
    case A.RESET_DONE:
      type = 'RESET_PASSWORD';
      details = loginDetails();
      break;
    case A.PASSWORD_CHANGE:
      if (act.variant % 2 === 0) {
        type = 'UPDATE_PASSWORD';
        details = { ...loginDetails(), custom_required_action: 'UPDATE_PASSWORD' };
      } else {
        type = 'UPDATE_TOTP';
        details = { ...loginDetails(), custom_required_action: 'CONFIGURE_TOTP', credential_type: 'otp' };
      }
      break;
    default:
      return unsupported('keycloak.event', act.action);
  }
  const event: Record<string, unknown> = {
    id: r.uuid(),
    time,
    type,
    realmId: ctx.dir.realmId,
    clientId,
    userId,
    sessionId,
    ipAddress: act.ip,
  };
  if (error !== undefined) event['error'] = error;
  event['details'] = details;
  return JSON.stringify(event);
}

function renderAdminEvent(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const u = act.user;
  const dir = ctx.dir;
  const admin = act.actor ?? dir.admins[0]!;
  let operationType: string;
  let resourceType: string;
  let resourcePath: string;
  let representation: string | undefined;
  switch (act.action) {
    case A.USER_CREATE:
      operationType = 'CREATE';
      resourceType = 'USER';
      resourcePath = `users/${u.kcId}`;
      representation = JSON.stringify({ username: u.login, enabled: true, emailVerified: false, firstName: u.first, lastName: u.last, email: u.email, requiredActions: ['UPDATE_PASSWORD'], groups: [] });
      break;
    case A.USER_ENABLE:
    case A.USER_DISABLE:
      operationType = 'UPDATE';
      resourceType = 'USER';
      resourcePath = `users/${u.kcId}`;
      representation = JSON.stringify({ id: u.kcId, username: u.login, enabled: act.action === A.USER_ENABLE, emailVerified: true, firstName: u.first, lastName: u.last, email: u.email });
      break;
    case A.GROUP_ADD:
    case A.GROUP_REMOVE: {
      const g = act.group ?? dir.groups[0]!;
      operationType = act.action === A.GROUP_ADD ? 'CREATE' : 'DELETE';
      resourceType = 'GROUP_MEMBERSHIP';
      resourcePath = `users/${u.kcId}/groups/${g.kcId}`;
      representation = JSON.stringify({ id: g.kcId, name: g.name, path: `/${g.name}`, subGroups: [] });
      break;
    }
    case A.ROLE_GRANT: {
      const role = act.role ?? dir.roles[0]!;
      operationType = 'CREATE';
      resourceType = 'REALM_ROLE_MAPPING';
      resourcePath = `users/${u.kcId}/role-mappings/realm`;
      representation = JSON.stringify([{ id: role.kcId, name: role.name, composite: false, clientRole: false, containerId: dir.realmId }]);
      break;
    }
    case A.RESET_DONE:
      operationType = 'ACTION';
      resourceType = 'USER';
      resourcePath = `users/${u.kcId}/reset-password`;
      break;
    case A.UNLOCK:
      operationType = 'DELETE';
      resourceType = 'USER_LOGIN_FAILURE';
      resourcePath = `attack-detection/brute-force/users/${u.kcId}`;
      break;
    default:
      return unsupported('keycloak.admin_event', act.action);
  }
  const event: Record<string, unknown> = {
    id: r.uuid(),
    time,
    realmId: dir.realmId,
    authDetails: { realmId: dir.realmId, clientId: 'security-admin-console', userId: admin.kcId, ipAddress: act.ip },
    operationType,
    resourceType,
    resourcePath,
  };
  if (representation !== undefined) event['representation'] = representation;
  return JSON.stringify(event);
}

export const keycloakEvent: FormatSpec = {
  name: 'keycloak.event',
  supports: [A.LOGIN_OK, A.LOGIN_FAIL, A.LOGIN_UNKNOWN_USER, A.LOGIN_LOCKED, A.MFA_BAD_CODE, A.LOCKOUT, A.LOGOUT, A.TOKEN_REFRESH, A.RESET_REQUEST, A.RESET_REQUEST_FAIL, A.RESET_DONE, A.PASSWORD_CHANGE],
  render: renderEvent,
};

export const keycloakAdminEvent: FormatSpec = {
  name: 'keycloak.admin_event',
  supports: [A.USER_CREATE, A.USER_ENABLE, A.USER_DISABLE, A.GROUP_ADD, A.GROUP_REMOVE, A.ROLE_GRANT, A.RESET_DONE, A.UNLOCK],
  render: renderAdminEvent,
};
