/**
 * The normalized event: OCSF 1.8.0, IAM category (3) classes Account Change 3001,
 * Authentication 3002, User Access Management 3005, Group Management 3006.
 *
 * Every event is built by `createEvent`, which sets every field of every class in one fixed
 * order (absent ones `undefined`, which JSON leaves out), so all events share one object shape
 * and the detector and encoders downstream stay monomorphic. Mappers assign the fields that
 * exist; they never add keys (`unmapped` is the one open map, for vendor fields with no OCSF home).
 */
import type { OcsfEvent } from '../../../core/api.js';

export const OCSF_VERSION = '1.8.0';

export const CLASS = {
  ACCOUNT_CHANGE: 3001,
  AUTHENTICATION: 3002,
  USER_ACCESS: 3005,
  GROUP_MANAGEMENT: 3006,
} as const;
export type IamClassUid = (typeof CLASS)[keyof typeof CLASS];

export const CLASS_NAMES: Readonly<Record<IamClassUid, string>> = {
  3001: 'Account Change',
  3002: 'Authentication',
  3005: 'User Access Management',
  3006: 'Group Management',
};

/** Activity captions per class, from the OCSF 1.8.0 schema (0 Unknown and 99 Other in all). */
export const ACTIVITY_NAMES: Readonly<Record<IamClassUid, Readonly<Record<number, string>>>> = {
  3001: { 0: 'Unknown', 1: 'Create', 2: 'Enable', 3: 'Password Change', 4: 'Password Reset', 5: 'Disable', 6: 'Delete', 7: 'Attach Policy', 8: 'Detach Policy', 9: 'Lock', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable', 12: 'Unlock', 99: 'Other' },
  3002: { 0: 'Unknown', 1: 'Logon', 2: 'Logoff', 3: 'Authentication Ticket', 4: 'Service Ticket Request', 5: 'Service Ticket Renew', 6: 'Preauth', 7: 'Account Switch', 99: 'Other' },
  3005: { 0: 'Unknown', 1: 'Assign Privileges', 2: 'Revoke Privileges', 99: 'Other' },
  3006: { 0: 'Unknown', 1: 'Assign Privileges', 2: 'Revoke Privileges', 3: 'Add User', 4: 'Remove User', 5: 'Delete', 6: 'Create', 7: 'Add Subgroup', 8: 'Remove Subgroup', 99: 'Other' },
};

export const ACCOUNT_CHANGE = { UNKNOWN: 0, CREATE: 1, ENABLE: 2, PASSWORD_CHANGE: 3, PASSWORD_RESET: 4, DISABLE: 5, DELETE: 6, ATTACH_POLICY: 7, DETACH_POLICY: 8, LOCK: 9, MFA_FACTOR_ENABLE: 10, MFA_FACTOR_DISABLE: 11, UNLOCK: 12, OTHER: 99 } as const;
export const AUTHENTICATION = { UNKNOWN: 0, LOGON: 1, LOGOFF: 2, AUTHENTICATION_TICKET: 3, SERVICE_TICKET_REQUEST: 4, SERVICE_TICKET_RENEW: 5, PREAUTH: 6, ACCOUNT_SWITCH: 7, OTHER: 99 } as const;
export const USER_ACCESS = { UNKNOWN: 0, ASSIGN_PRIVILEGES: 1, REVOKE_PRIVILEGES: 2, OTHER: 99 } as const;
export const GROUP_MANAGEMENT = { UNKNOWN: 0, ASSIGN_PRIVILEGES: 1, REVOKE_PRIVILEGES: 2, ADD_USER: 3, REMOVE_USER: 4, DELETE: 5, CREATE: 6, ADD_SUBGROUP: 7, REMOVE_SUBGROUP: 8, OTHER: 99 } as const;

export const STATUS = { UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, OTHER: 99 } as const;
export const STATUS_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Success', 2: 'Failure', 99: 'Other' };

/**
 * Severity convention (documented in the README): Informational for successes and routine
 * changes, Low for failures, Medium for lockouts, MFA factor removal, privilege grants and changes
 * to the IAM system's own configuration, High only where the source says so.
 */
export const SEVERITY = { UNKNOWN: 0, INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5, FATAL: 6, OTHER: 99 } as const;
export const SEVERITY_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal', 99: 'Other' };

export const LOGON_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'System', 2: 'Interactive', 3: 'Network', 4: 'Batch', 5: 'OS Service', 7: 'Unlock', 8: 'Network Cleartext', 9: 'New Credentials', 10: 'Remote Interactive', 11: 'Cached Interactive', 12: 'Cached Remote Interactive', 13: 'Cached Unlock', 99: 'Other' };
export const AUTH_PROTOCOL_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'NTLM', 2: 'Kerberos', 3: 'Digest', 4: 'OpenID', 5: 'SAML', 6: 'OAUTH 2.0', 7: 'PAP', 8: 'CHAP', 9: 'EAP', 10: 'RADIUS', 11: 'Basic Authentication', 12: 'LDAP', 99: 'Other' };
export const FACTOR_TYPE = { UNKNOWN: 0, SMS: 1, SECURITY_QUESTION: 2, PHONE_CALL: 3, BIOMETRIC: 4, PUSH: 5, HARDWARE_TOKEN: 6, OTP: 7, EMAIL: 8, U2F: 9, WEBAUTHN: 10, PASSWORD: 11, OTHER: 99 } as const;
export const FACTOR_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'SMS', 2: 'Security Question', 3: 'Phone Call', 4: 'Biometric', 5: 'Push Notification', 6: 'Hardware Token', 7: 'OTP', 8: 'Email', 9: 'U2F', 10: 'WebAuthn', 11: 'Password', 99: 'Other' };
export const USER_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'User', 2: 'Admin', 3: 'System', 4: 'Service', 99: 'Other' };
export const RISK_LEVEL_NAMES: Readonly<Record<number, string>> = { 0: 'Info', 1: 'Low', 2: 'Medium', 3: 'High', 4: 'Critical', 99: 'Other' };

export interface OcsfLocation {
  city?: string;
  country?: string;
  region?: string;
  postal_code?: string;
  lat?: number;
  long?: number;
}

export interface OcsfUser {
  name?: string;
  uid?: string;
  email_addr?: string;
  domain?: string;
  full_name?: string;
  type?: string;
  type_id?: number;
  /** Adaptive-MFA / IdP risk evaluation of this sign-in, where the source gives one. */
  risk_level?: string;
  risk_level_id?: number;
  risk_score?: number;
}

export interface OcsfEndpoint {
  ip?: string;
  port?: number;
  hostname?: string;
  name?: string;
  domain?: string;
  location?: OcsfLocation;
  /** Network endpoints: autonomous system / ISP, where the source gives them. */
  isp?: string;
  autonomous_system?: { number?: number; name?: string };
  os?: { name: string; type_id: number; type?: string };
  /** Device/endpoint ids from the source (device id, workstation SID, ...). */
  uid?: string;
}

export interface OcsfAuthFactor {
  factor_type: string;
  factor_type_id: number;
  /** The authenticator's product or vendor (Okta Verify, Google Authenticator, YubiKey, ...). */
  provider?: string;
  is_totp?: boolean;
  is_hotp?: boolean;
  device?: { name?: string; uid?: string; type_id: number; type?: string };
}

export interface OcsfActor {
  user?: OcsfUser;
  app_name?: string;
  app_uid?: string;
  session?: { uid?: string };
  /** The identity provider that authenticated the actor, where known. */
  idp?: { name?: string; uid?: string };
}

export interface OcsfGroup {
  name?: string;
  uid?: string;
  type?: string;
  domain?: string;
  privileges?: string[];
}

export interface OcsfResource {
  name?: string;
  uid?: string;
  type?: string;
}

export interface IamMetadata {
  version: string;
  product: { name: string; vendor_name: string };
  /** The source's event id; a stable hash of the record when the source has none. */
  uid: string;
  /** The vendor's event type (`LOGIN_ERROR`, `user.session.start`, `4625`, ...). */
  event_code: string;
  tenant_uid: string;
  /** The event time as the source wrote it. */
  original_time: string;
  /** The source log: `keycloak.event`, `okta`, ... (the authwire format name). */
  log_name: string;
  correlation_uid: string | undefined;
  /** When authwire received the record, epoch ms. */
  logged_time: number;
  [key: string]: unknown;
}

/** One shape for every IAM event authwire emits; see the module comment. */
export interface IamEvent extends OcsfEvent {
  class_uid: IamClassUid;
  class_name: string;
  category_uid: 3;
  category_name: 'Identity & Access Management';
  activity_id: number;
  activity_name: string;
  type_uid: number;
  type_name: string;
  severity_id: number;
  severity: string;
  time: number;
  status_id: number;
  status: string;
  /** The vendor's result code (`50126`, `0xC000006A`, `invalid_user_credentials`). */
  status_code: string | undefined;
  /** Why it failed, in the vendor's words or a normalized reason. */
  status_detail: string | undefined;
  message: string | undefined;
  metadata: IamMetadata;
  actor: OcsfActor | undefined;
  user: OcsfUser | undefined;
  src_endpoint: OcsfEndpoint | undefined;
  dst_endpoint: OcsfEndpoint | undefined;
  http_request: { user_agent?: string; url?: { path?: string; hostname?: string } } | undefined;
  service: { name?: string; uid?: string } | undefined;
  session: { uid?: string; is_mfa?: boolean; is_remote?: boolean } | undefined;
  /** Authentication: the factors used or attempted. */
  auth_factors: OcsfAuthFactor[] | undefined;
  is_mfa: boolean | undefined;
  is_remote: boolean | undefined;
  logon_type: string | undefined;
  logon_type_id: number | undefined;
  auth_protocol: string | undefined;
  auth_protocol_id: number | undefined;
  /** Group Management. */
  group: OcsfGroup | undefined;
  /** User Access / Group Management: privileges (roles) granted or revoked. */
  privileges: string[] | undefined;
  /** User Access Management: what the privileges are on. */
  resource: OcsfResource | undefined;
  /** Account Change: the account as it is after the change, where the source shows it. */
  user_result: OcsfUser | undefined;
  /** Vendor fields with no OCSF home (including `risk_context` from MFA APIs). */
  unmapped: Record<string, unknown> | undefined;
}

/** What every event needs at creation; everything else is assigned by the mapper afterwards. */
export interface EventHeader {
  readonly classUid: IamClassUid;
  readonly activityId: number;
  readonly time: number;
  readonly statusId: number;
  readonly severityId: number;
  readonly product: { readonly name: string; readonly vendor_name: string };
  readonly uid: string;
  readonly eventCode: string;
  readonly originalTime: string;
  readonly format: string;
  readonly tenant: string;
  readonly observedTime: number;
}

/** Builds an event with every field present in the one fixed order; see the module comment. */
export function createEvent(h: EventHeader): IamEvent {
  const className = CLASS_NAMES[h.classUid];
  const activityName = ACTIVITY_NAMES[h.classUid][h.activityId] ?? 'Other';
  return {
    class_uid: h.classUid,
    class_name: className,
    category_uid: 3,
    category_name: 'Identity & Access Management',
    activity_id: h.activityId,
    activity_name: activityName,
    type_uid: h.classUid * 100 + h.activityId,
    type_name: `${className}: ${activityName}`,
    severity_id: h.severityId,
    severity: SEVERITY_NAMES[h.severityId] ?? 'Other',
    time: h.time,
    status_id: h.statusId,
    status: STATUS_NAMES[h.statusId] ?? 'Other',
    status_code: undefined,
    status_detail: undefined,
    message: undefined,
    metadata: {
      version: OCSF_VERSION,
      product: { name: h.product.name, vendor_name: h.product.vendor_name },
      uid: h.uid,
      event_code: h.eventCode,
      tenant_uid: h.tenant,
      original_time: h.originalTime,
      log_name: h.format,
      correlation_uid: undefined,
      logged_time: h.observedTime,
    },
    actor: undefined,
    user: undefined,
    src_endpoint: undefined,
    dst_endpoint: undefined,
    http_request: undefined,
    service: undefined,
    session: undefined,
    auth_factors: undefined,
    is_mfa: undefined,
    is_remote: undefined,
    logon_type: undefined,
    logon_type_id: undefined,
    auth_protocol: undefined,
    auth_protocol_id: undefined,
    group: undefined,
    privileges: undefined,
    resource: undefined,
    user_result: undefined,
    unmapped: undefined,
  };
}

export function authFactor(typeId: number, extra?: Omit<OcsfAuthFactor, 'factor_type' | 'factor_type_id'>): OcsfAuthFactor {
  return { factor_type: FACTOR_TYPE_NAMES[typeId] ?? 'Other', factor_type_id: typeId, ...extra };
}

export function setLogonType(event: IamEvent, typeId: number): void {
  event.logon_type_id = typeId;
  event.logon_type = LOGON_TYPE_NAMES[typeId] ?? 'Other';
}

export function setAuthProtocol(event: IamEvent, protocolId: number): void {
  event.auth_protocol_id = protocolId;
  event.auth_protocol = AUTH_PROTOCOL_NAMES[protocolId] ?? 'Other';
}
