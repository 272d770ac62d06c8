/**
 * What the two Keycloak mappers share: the product, the readable text for Keycloak's error codes
 * (org.keycloak.events.Errors), and the record id (Keycloak before 24 sends no `id`).
 */
import type { JsonObject } from '../mapper.js';
import { MappingError, REASON, stableUid } from '../mapper.js';

export const KEYCLOAK_PRODUCT = { name: 'Keycloak', vendor_name: 'Keycloak' } as const;

/** Keycloak error codes in words, for `status_detail` (`status_code` keeps the code itself). */
const ERROR_TEXT: Readonly<Record<string, string>> = {
  invalid_request: 'Invalid request',
  realm_disabled: 'Realm disabled',
  client_not_found: 'Client not found',
  client_disabled: 'Client disabled',
  invalid_client_credentials: 'Invalid client credentials',
  invalid_client: 'Invalid client',
  consent_denied: 'Consent denied by the user',
  resolve_required_actions: 'Required actions not completed',
  user_not_found: 'User not found',
  user_disabled: 'User account disabled',
  user_temporarily_disabled: 'User account temporarily locked out',
  invalid_user_credentials: 'Invalid user credentials',
  different_user_authenticated: 'A different user is already authenticated',
  username_missing: 'Username missing',
  username_in_use: 'Username already in use',
  email_in_use: 'Email already in use',
  invalid_redirect_uri: 'Invalid redirect URI',
  invalid_code: 'Invalid authorization code',
  invalid_token: 'Invalid token',
  invalid_token_type: 'Invalid token type',
  invalid_saml_response: 'Invalid SAML response',
  invalid_authn_request: 'Invalid SAML authentication request',
  invalid_logout_request: 'Invalid SAML logout request',
  invalid_logout_response: 'Invalid SAML logout response',
  invalid_signature: 'Invalid signature',
  invalid_registration: 'Invalid registration',
  invalid_issuer: 'Invalid issuer',
  invalid_form: 'Invalid form submission',
  invalid_config: 'Invalid configuration',
  expired_code: 'Expired code',
  registration_disabled: 'Registration disabled',
  reset_credential_disabled: 'Password reset disabled',
  rejected_by_user: 'Rejected by the user',
  not_allowed: 'Not allowed',
  federated_identity_account_exists: 'An account with this federated identity already exists',
  ssl_required: 'SSL required',
  user_session_not_found: 'User session not found',
  session_expired: 'Session expired',
  email_send_failed: 'Email could not be sent',
  invalid_email: 'Invalid email address',
  identity_provider_login_failure: 'Identity provider login failed',
  identity_provider_error: 'Identity provider error',
  password_confirm_error: 'Password confirmation does not match',
  password_missing: 'Password missing',
  password_rejected: 'Password rejected by the password policy',
  code_verifier_missing: 'PKCE code verifier missing',
  invalid_code_verifier: 'Invalid PKCE code verifier',
  pkce_verification_failed: 'PKCE verification failed',
  invalid_code_challenge_method: 'Invalid PKCE code challenge method',
  not_logged_in: 'Not logged in',
  unknown_identity_provider: 'Unknown identity provider',
  illegal_origin: 'Illegal origin',
  display_unsupported: 'Display mode unsupported',
  access_denied: 'Access denied',
  expired_token: 'Expired token',
  slow_down: 'Polling too fast',
  invalid_grant: 'Invalid grant',
  unauthorized_client: 'Unauthorized client',
  unsupported_grant_type: 'Unsupported grant type',
  invalid_scope: 'Invalid scope',
  user_blocked: 'User blocked',
  credential_not_found: 'Credential not found',
};

/** The error in words: the table above, else the code made readable (`some_error` → `Some error`). */
export function keycloakErrorText(error: string): string {
  const known = ERROR_TEXT[error];
  if (known !== undefined) return known;
  const spaced = error.replace(/[_-]+/g, ' ').trim();
  return spaced === '' ? error : spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/**
 * The event's uid: Keycloak's `id` (24 and later), else a stable hash of the record. The mapper
 * gets the parsed value, not the text, so the hash is over its re-serialization, which is the same
 * for the same text (JSON.parse keeps key order).
 */
export function keycloakUid(record: JsonObject, format: string): string {
  const id = record['id'];
  if (typeof id === 'string' && id !== '') return id;
  return stableUid(format, JSON.stringify(record));
}

/**
 * Keycloak's `time` (epoch ms, a number; a numeric string is accepted) as the shared
 * `requiredEpochMs` reads it, with the same errors, but from a value the caller has read itself
 * (see `strOf` in mapper.ts).
 */
export function epochMsOf(value: unknown, key: string): number {
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return value;
  if (value === undefined || value === null || value === '') throw new MappingError(REASON.MISSING_TIME, `${key} is missing`);
  const ms = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new MappingError(REASON.INVALID_TIME, `${key} is not epoch milliseconds: ${JSON.stringify(value)}`);
  return ms;
}
