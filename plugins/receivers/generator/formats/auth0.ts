import { A } from '../model.js';
import type { Act } from '../model.js';
import type { FormatSpec, RenderContext } from './common.js';
import { iso, unsupported } from './common.js';

/**
 * Auth0 tenant log events (`GET /api/v2/logs`). Every other record arrives the way a log stream
 * (webhook / EventBridge) delivers it, wrapped as `{ log_id, data: {...} }`, so both shapes are
 * exercised downstream; which one is decided by the seeded stream.
 */

const CONNECTION = 'Username-Password-Authentication';
const CLIENTS = [
  { id: 'Xq3FmZ8kP2vR7tYw1nB5cL9dH4jS6gAe', name: 'Employee Portal' },
  { id: 'p7KdN2wQ9xR4tY6uM1zB8cV3fG5hJ0sL', name: 'Expenses' },
  { id: 'Lm4Tq8Wz2Xc6Vb1Nn9Rk3Fd7Gh5Js0Pa', name: 'Support Desk' },
] as const;

interface Kind {
  readonly type: string;
  readonly description: string;
}

function renderDetails(act: Act, time: number, ctx: RenderContext): Record<string, unknown> {
  const r = ctx.r;
  switch (act.action) {
    case A.LOGIN_OK:
      return {
        prompts: [
          { name: 'prompt-authenticate', completedAt: time - 40, connection: CONNECTION, connection_id: '', strategy: 'auth0', identity: act.user.auth0Id.slice(6), stats: { loginsCount: 10 + (act.user.index % 90) }, elapsedTime: null },
          { name: 'login', flow: 'universal-login', initiatedAt: time - 5200, completedAt: time - 10, user_id: act.user.auth0Id, user_name: act.user.email, elapsedTime: 5190 },
        ],
        initiatedAt: time - 5210,
        completedAt: time,
        elapsedTime: 5210,
        session_id: r.base62(32),
        stats: { loginsCount: 10 + (act.user.index % 90) },
      };
    case A.LOGIN_FAIL:
    case A.LOGIN_UNKNOWN_USER:
    case A.LOGIN_LOCKED:
      return { error: { message: act.action === A.LOGIN_LOCKED ? 'user is blocked' : 'Wrong email or password.' } };
    case A.LOCKOUT:
    case A.IP_BLOCK:
      return { timestamp: time, connection: CONNECTION, user_id: act.user.exists ? act.user.auth0Id : undefined, ip: act.ip };
    case A.MFA_PUSH_SENT:
    case A.MFA_PUSH_DENY:
    case A.MFA_TIMEOUT:
    case A.MFA_BAD_CODE:
    case A.MFA_OK:
      return { authenticator: { type: act.action === A.MFA_BAD_CODE ? 'otp' : 'push-notification' }, user_id: act.user.auth0Id };
    case A.RESET_REQUEST:
    case A.RESET_REQUEST_FAIL:
    case A.RESET_DONE:
      return { email: act.user.email, body: { email: act.user.email, connection: CONNECTION, tenant: ctx.dir.realm } };
    default:
      return {};
  }
}

function kind(act: Act): Kind {
  switch (act.action) {
    case A.LOGIN_OK: return { type: 's', description: '' };
    case A.LOGIN_FAIL: return { type: 'fp', description: 'Wrong email or password.' };
    case A.LOGIN_UNKNOWN_USER: return { type: 'fu', description: 'Wrong email or password.' };
    case A.LOGIN_LOCKED: return { type: 'f', description: 'user is blocked' };
    case A.LOCKOUT: return { type: 'limit_wc', description: 'Blocked Account' };
    case A.IP_BLOCK: return { type: 'limit_mu', description: 'Blocked IP Address' };
    case A.LOGOUT: return { type: 'slo', description: 'Successful logout' };
    case A.TOKEN_REFRESH: return { type: 'sertft', description: 'Successful exchange of refresh token for access token' };
    case A.MFA_OK: return { type: 'gd_auth_succeed', description: 'MFA authentication succeeded' };
    case A.MFA_PUSH_SENT: return { type: 'gd_send_pn', description: 'Push notification for MFA sent successfully' };
    case A.MFA_PUSH_DENY: return { type: 'gd_auth_rejected', description: 'MFA authentication rejected by user' };
    case A.MFA_TIMEOUT: return { type: 'gd_auth_failed', description: 'MFA push notification expired' };
    case A.MFA_BAD_CODE: return { type: 'gd_auth_failed', description: 'Invalid otp_code' };
    case A.RESET_REQUEST: return { type: 'scpr', description: '' };
    case A.RESET_REQUEST_FAIL: return { type: 'fcpr', description: 'Too many password reset requests' };
    case A.RESET_DONE: return { type: 'scp', description: 'Password changed successfully' };
    case A.PASSWORD_CHANGE: return { type: 'scp', description: 'Password changed successfully' };
    case A.USER_CREATE: return { type: 'ss', description: '' };
    default: return unsupported('auth0', act.action);
  }
}

function logId(time: number, ctx: RenderContext): string {
  // 56 digits: "900" + the UTC time to the millisecond + 36 random digits.
  const d = new Date(time).toISOString();
  const stamp = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}${d.slice(20, 23)}`;
  return `900${stamp}${ctx.r.digits(36)}`;
}

function render(act: Act, time: number, ctx: RenderContext): string {
  const u = act.user;
  const k = kind(act);
  const client = CLIENTS[act.variant % CLIENTS.length]!;
  const id = logId(time, ctx);
  const data: Record<string, unknown> = {
    date: iso(time),
    type: k.type,
    description: k.description,
    connection: CONNECTION,
    connection_id: 'con_' + 'Zp3Xw9Kq2Rv7Lm4T',
    client_id: client.id,
    client_name: client.name,
    ip: act.ip,
    user_agent: act.agent.raw,
    details: renderDetails(act, time, ctx),
    hostname: ctx.dir.auth0Tenant,
    user_id: u.exists ? u.auth0Id : '',
    user_name: u.exists ? u.email : `${u.login}@${ctx.dir.domain}`,
    strategy: 'auth0',
    strategy_type: 'database',
    log_id: id,
  };
  if (act.risky) {
    data['location_info'] = { country_code: act.loc.countryCode, country_name: act.loc.country, city_name: act.loc.city, latitude: act.loc.lat, longitude: act.loc.lon };
  }
  return JSON.stringify(ctx.r.chance(0.5) ? { log_id: id, data } : data);
}

export const auth0: FormatSpec = {
  name: 'auth0',
  supports: [
    A.LOGIN_OK, A.LOGIN_FAIL, A.LOGIN_UNKNOWN_USER, A.LOGIN_LOCKED, A.LOCKOUT, A.IP_BLOCK, A.LOGOUT, A.TOKEN_REFRESH,
    A.MFA_OK, A.MFA_PUSH_SENT, A.MFA_PUSH_DENY, A.MFA_TIMEOUT, A.MFA_BAD_CODE, A.RESET_REQUEST, A.RESET_REQUEST_FAIL,
    A.RESET_DONE, A.PASSWORD_CHANGE, A.USER_CREATE,
  ],
  render,
};
