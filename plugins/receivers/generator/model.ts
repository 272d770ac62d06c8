/**
 * The vendor-neutral description of one generated event. Scenarios and the background noise
 * decide *what* happens (an Act); a format renderer decides how one vendor would log it.
 */

export const FORMATS = [
  'keycloak.event',
  'keycloak.admin_event',
  'mfa_api',
  'okta',
  'entra.signin',
  'entra.audit',
  'auth0',
  'linux.auth',
  'windows.security',
] as const;
export type FormatName = (typeof FORMATS)[number];

export const SCENARIOS = [
  'credential_stuffing',
  'brute_force',
  'password_spray',
  'recovery_abuse',
  'mfa_fatigue',
  'unapproved_account_creation',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** What happened, independent of who logged it. Numbers so that switch statements stay cheap. */
export const A = {
  LOGIN_OK: 0,
  LOGIN_FAIL: 1,
  LOGIN_UNKNOWN_USER: 2,
  LOGIN_LOCKED: 3,
  LOCKOUT: 4,
  LOGOUT: 5,
  TOKEN_REFRESH: 6,
  MFA_OK: 7,
  MFA_PUSH_SENT: 8,
  MFA_PUSH_DENY: 9,
  MFA_TIMEOUT: 10,
  MFA_BAD_CODE: 11,
  RESET_REQUEST: 12,
  RESET_REQUEST_FAIL: 13,
  RESET_DONE: 14,
  PASSWORD_CHANGE: 15,
  USER_CREATE: 16,
  USER_ENABLE: 17,
  USER_DISABLE: 18,
  GROUP_ADD: 19,
  GROUP_REMOVE: 20,
  ROLE_GRANT: 21,
  UNLOCK: 22,
  SUDO: 23,
  IP_BLOCK: 24,
} as const;
export type Action = (typeof A)[keyof typeof A];
export const ACTION_COUNT = 25;

export interface Location {
  readonly city: string;
  readonly state: string;
  readonly countryCode: string;
  readonly country: string;
  readonly postalCode: string;
  readonly lat: number;
  readonly lon: number;
}

export interface Agent {
  readonly raw: string;
  /** Okta's client.userAgent.os / browser spelling. */
  readonly os: string;
  readonly browser: string;
  /** Entra's deviceDetail spelling. */
  readonly entraOs: string;
  readonly entraBrowser: string;
  readonly device: 'Computer' | 'Mobile' | 'Unknown';
  readonly script: boolean;
}

export interface User {
  readonly index: number;
  /** False for names an attacker guessed that exist nowhere. */
  readonly exists: boolean;
  readonly first: string;
  readonly last: string;
  readonly displayName: string;
  /** Keycloak / Okta-style login name, `first.last`. */
  readonly login: string;
  /** Short account name on Windows (sAMAccountName) and Linux hosts. */
  readonly sam: string;
  readonly email: string;
  readonly kcId: string;
  readonly oktaId: string;
  readonly auth0Id: string;
  readonly entraId: string;
  readonly sid: string;
  readonly uid: number;
  readonly home: Location;
  readonly homeIp: string;
  readonly lanIp: string;
  readonly workstation: string;
  readonly agent: Agent;
  readonly deviceId: string;
  readonly mfaMethod: 'push' | 'TOTP' | 'hardware_token' | 'FIDO2';
  readonly admin: boolean;
}

export interface Group {
  readonly name: string;
  readonly kcId: string;
  readonly oktaId: string;
  readonly entraId: string;
  /** Windows group SID and the event id for adding a member (4728 global, 4732 local, 4756 universal). */
  readonly sid: string;
  readonly winEvent: 4728 | 4732 | 4756;
  readonly linux: string;
  readonly privileged: boolean;
}

export interface Role {
  readonly name: string;
  readonly kcId: string;
  /** Entra directory role template id (public, the same in every tenant). */
  readonly entraTemplateId: string;
  readonly entraName: string;
  readonly oktaType: string;
}

/**
 * One event to render. A class so every instance has the same shape (one hidden class on the
 * hot path). `variant` lets a renderer pick among equivalent vendor spellings deterministically.
 */
export class Act {
  action: Action;
  format: FormatName;
  user: User;
  actor: User | null = null;
  ip: string;
  loc: Location;
  agent: Agent;
  risky: boolean;
  attempt = 0;
  variant = 0;
  group: Group | null = null;
  role: Role | null = null;
  host = '';

  constructor(action: Action, format: FormatName, user: User, ip: string, loc: Location, agent: Agent, risky: boolean) {
    this.action = action;
    this.format = format;
    this.user = user;
    this.ip = ip;
    this.loc = loc;
    this.agent = agent;
    this.risky = risky;
  }
}
