import { A } from '../model.js';
import type { Act } from '../model.js';
import type { FormatSpec, RenderContext } from './common.js';
import { iso, unsupported } from './common.js';

/**
 * The MFA / lockout API feed: only adverse events (MFA failures, lockouts, recovery attempts),
 * each with the provider's risk assessment. Attack traffic carries riskier context than noise.
 */

const RECOVERY = ['email', 'sms', 'security_questions', 'helpdesk'] as const;

function riskContext(act: Act, ctx: RenderContext): Record<string, unknown> {
  const r = ctx.r;
  if (!act.risky) {
    return {
      geo_relative_to_baseline: 'usual',
      ip_reputation: 'good',
      time_of_day: r.chance(0.9) ? 'usual' : 'unusual',
      device_familiarity: r.chance(0.92) ? 'known' : 'new',
      risk_score: r.range(3, 30),
    };
  }
  return {
    geo_relative_to_baseline: r.chance(0.2) ? 'impossible_travel' : 'new_country',
    ip_reputation: r.chance(0.7) ? 'poor' : 'unknown',
    time_of_day: r.chance(0.6) ? 'unusual' : 'usual',
    device_familiarity: 'new',
    risk_score: r.range(70, 98),
  };
}

function render(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const u = act.user;
  const loc = act.loc;
  const base = {
    event_id: r.uuid(),
    event_type: '',
    timestamp: iso(time),
    actor_id: u.exists ? u.kcId : u.login,
  };
  let rest: Record<string, unknown>;
  switch (act.action) {
    case A.MFA_BAD_CODE:
    case A.MFA_PUSH_DENY:
    case A.MFA_TIMEOUT:
      base.event_type = 'mfa.failure';
      rest = {
        mfa_method: act.action === A.MFA_BAD_CODE ? (u.mfaMethod === 'push' || u.mfaMethod === 'FIDO2' ? 'TOTP' : u.mfaMethod) : 'push',
        // A denied push is a rejected number-match: the API reports it as a wrong code.
        failure_reason: act.action === A.MFA_TIMEOUT ? 'expired_code' : 'wrong_code',
        outcome: 'failure',
      };
      break;
    case A.LOCKOUT:
      base.event_type = 'account.locked';
      rest = { mfa_method: u.mfaMethod, outcome: 'blocked', failed_attempts: act.attempt };
      break;
    case A.RESET_REQUEST:
    case A.RESET_REQUEST_FAIL:
      base.event_type = 'recovery.attempted';
      rest = { recovery_method: RECOVERY[act.variant % RECOVERY.length], outcome: act.action === A.RESET_REQUEST_FAIL ? 'blocked' : 'failure' };
      break;
    default:
      return unsupported('mfa_api', act.action);
  }
  return JSON.stringify({
    ...base,
    ...rest,
    source_ip: act.ip,
    geo_location: { country: loc.countryCode, city: loc.city, lat: loc.lat, lon: loc.lon },
    risk_context: riskContext(act, ctx),
  });
}

export const mfaApi: FormatSpec = {
  name: 'mfa_api',
  supports: [A.MFA_BAD_CODE, A.MFA_PUSH_DENY, A.MFA_TIMEOUT, A.LOCKOUT, A.RESET_REQUEST, A.RESET_REQUEST_FAIL],
  render,
};
