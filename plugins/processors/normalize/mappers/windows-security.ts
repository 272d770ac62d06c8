/**
 * `windows.security`: Windows Security log events as JSON, in the shapes forwarders write them:
 * - flat (NXLog im_msvistalog + to_json, Security-Datasets, Sentinel-style exports): `EventID`,
 *   `Hostname` or `Computer`, `EventTime` / `TimeCreated` / `@timestamp`, `RecordNumber` or
 *   `EventRecordID`, `EventType` (AUDIT_SUCCESS / AUDIT_FAILURE), `Channel`, `Message`, and the
 *   EventData fields (`TargetUserName`, `IpAddress`, ...) beside them;
 * - winlogbeat: `{ "@timestamp", "message", "winlog": { "event_id", "computer_name", "record_id",
 *   "channel", "keywords", "event_data": { ... } }, "event": { "outcome" } }`.
 *
 * Event time, first found of: `TimeCreated` (ISO, or `{ SystemTime }`), `EventTime` when it has a
 * zone, `@timestamp`, `EventTime` without a zone (NXLog's local "YYYY-MM-DD hh:mm:ss", taken as
 * UTC). NXLog writes EventTime in the host's zone without saying which, so a zoned `@timestamp`
 * beats it; configure NXLog to write UTC, or ship `@timestamp`, to get exact times.
 *
 * `-` is Windows' "no value" and is treated as absent, as is the NULL SID S-1-0-0.
 * metadata.uid is `<computer>:<record number>` (EventRecordID is unique per host and log).
 */
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, asObject, isoTime, obj, stableUid } from '../mapper.js';
import type { IamClassUid, IamEvent, OcsfUser } from '../ocsf.js';
import { ACCOUNT_CHANGE, AUTHENTICATION, CLASS, GROUP_MANAGEMENT, SEVERITY, STATUS, createEvent, setAuthProtocol, setLogonType } from '../ocsf.js';
import { KERBEROS_DETAIL, NTSTATUS_DETAIL, canonicalHex } from './windows-codes.js';

const FORMAT = 'windows.security';
const PRODUCT = { name: 'Windows Security Auditing', vendor_name: 'Microsoft' } as const;

/** How an EventID's fields are read. */
const enum Kind {
  Logon,
  LogonFailure,
  Logoff,
  Explicit,
  Account,
  Lockout,
  Member,
  Group,
  KerberosTgt,
  KerberosService,
  KerberosPreauth,
  Ntlm,
  Other,
}

interface EventSpec {
  readonly classUid: IamClassUid;
  readonly activityId: number;
  readonly kind: Kind;
  /** For group membership events: the group's scope. */
  readonly groupType?: string;
}

const A = CLASS.AUTHENTICATION;
const AC = CLASS.ACCOUNT_CHANGE;
const GM = CLASS.GROUP_MANAGEMENT;

const EVENTS: ReadonlyMap<number, EventSpec> = new Map<number, EventSpec>([
  [4624, { classUid: A, activityId: AUTHENTICATION.LOGON, kind: Kind.Logon }],
  [4625, { classUid: A, activityId: AUTHENTICATION.LOGON, kind: Kind.LogonFailure }],
  [4634, { classUid: A, activityId: AUTHENTICATION.LOGOFF, kind: Kind.Logoff }],
  [4647, { classUid: A, activityId: AUTHENTICATION.LOGOFF, kind: Kind.Logoff }],
  [4648, { classUid: A, activityId: AUTHENTICATION.LOGON, kind: Kind.Explicit }],
  [4768, { classUid: A, activityId: AUTHENTICATION.AUTHENTICATION_TICKET, kind: Kind.KerberosTgt }],
  [4769, { classUid: A, activityId: AUTHENTICATION.SERVICE_TICKET_REQUEST, kind: Kind.KerberosService }],
  [4770, { classUid: A, activityId: AUTHENTICATION.SERVICE_TICKET_RENEW, kind: Kind.KerberosService }],
  [4771, { classUid: A, activityId: AUTHENTICATION.PREAUTH, kind: Kind.KerberosPreauth }],
  [4776, { classUid: A, activityId: AUTHENTICATION.LOGON, kind: Kind.Ntlm }],
  [4720, { classUid: AC, activityId: ACCOUNT_CHANGE.CREATE, kind: Kind.Account }],
  [4722, { classUid: AC, activityId: ACCOUNT_CHANGE.ENABLE, kind: Kind.Account }],
  [4723, { classUid: AC, activityId: ACCOUNT_CHANGE.PASSWORD_CHANGE, kind: Kind.Account }],
  [4724, { classUid: AC, activityId: ACCOUNT_CHANGE.PASSWORD_RESET, kind: Kind.Account }],
  [4725, { classUid: AC, activityId: ACCOUNT_CHANGE.DISABLE, kind: Kind.Account }],
  [4726, { classUid: AC, activityId: ACCOUNT_CHANGE.DELETE, kind: Kind.Account }],
  [4738, { classUid: AC, activityId: ACCOUNT_CHANGE.OTHER, kind: Kind.Account }],
  [4740, { classUid: AC, activityId: ACCOUNT_CHANGE.LOCK, kind: Kind.Lockout }],
  [4767, { classUid: AC, activityId: ACCOUNT_CHANGE.UNLOCK, kind: Kind.Account }],
  [4781, { classUid: AC, activityId: ACCOUNT_CHANGE.OTHER, kind: Kind.Account }],
  [4728, { classUid: GM, activityId: GROUP_MANAGEMENT.ADD_USER, kind: Kind.Member, groupType: 'Security Global' }],
  [4729, { classUid: GM, activityId: GROUP_MANAGEMENT.REMOVE_USER, kind: Kind.Member, groupType: 'Security Global' }],
  [4732, { classUid: GM, activityId: GROUP_MANAGEMENT.ADD_USER, kind: Kind.Member, groupType: 'Security Local' }],
  [4733, { classUid: GM, activityId: GROUP_MANAGEMENT.REMOVE_USER, kind: Kind.Member, groupType: 'Security Local' }],
  [4756, { classUid: GM, activityId: GROUP_MANAGEMENT.ADD_USER, kind: Kind.Member, groupType: 'Security Universal' }],
  [4757, { classUid: GM, activityId: GROUP_MANAGEMENT.REMOVE_USER, kind: Kind.Member, groupType: 'Security Universal' }],
  [4727, { classUid: GM, activityId: GROUP_MANAGEMENT.CREATE, kind: Kind.Group, groupType: 'Security Global' }],
  [4731, { classUid: GM, activityId: GROUP_MANAGEMENT.CREATE, kind: Kind.Group, groupType: 'Security Local' }],
  [4754, { classUid: GM, activityId: GROUP_MANAGEMENT.CREATE, kind: Kind.Group, groupType: 'Security Universal' }],
  [4730, { classUid: GM, activityId: GROUP_MANAGEMENT.DELETE, kind: Kind.Group, groupType: 'Security Global' }],
  [4734, { classUid: GM, activityId: GROUP_MANAGEMENT.DELETE, kind: Kind.Group, groupType: 'Security Local' }],
  [4758, { classUid: GM, activityId: GROUP_MANAGEMENT.DELETE, kind: Kind.Group, groupType: 'Security Universal' }],
]);

/**
 * Event ids not in the table: Other (99) in the class their id range belongs to (logon/credential
 * events, group management), Account Change otherwise (MAPPING.md: best effort, never refused).
 */
function otherSpec(id: number): EventSpec {
  if ((id >= 4624 && id <= 4649) || (id >= 4672 && id <= 4675) || (id >= 4768 && id <= 4779) || (id >= 4800 && id <= 4803) || id === 4964 || id === 5378) {
    return OTHER_AUTH;
  }
  if ((id >= 4727 && id <= 4737) || (id >= 4744 && id <= 4764) || id === 4799) return OTHER_GROUP;
  return OTHER_ACCOUNT;
}
const OTHER_AUTH: EventSpec = { classUid: A, activityId: AUTHENTICATION.OTHER, kind: Kind.Other };
const OTHER_GROUP: EventSpec = { classUid: GM, activityId: GROUP_MANAGEMENT.OTHER, kind: Kind.Other };
const OTHER_ACCOUNT: EventSpec = { classUid: AC, activityId: ACCOUNT_CHANGE.OTHER, kind: Kind.Other };

/** A field's text; `-`, empty and the NULL SID are absent. Trailing padding (`Advapi  `) is trimmed. */
function field(data: JsonObject, key: string): string | undefined {
  const value = data[key];
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  else return undefined;
  if (s === '' || s === '-' || s === 'S-1-0-0') return undefined;
  const last = s.charCodeAt(s.length - 1);
  if (last === 32 || last === 9) {
    s = s.trimEnd();
    if (s === '') return undefined;
  }
  return s;
}

const SYSTEM_SIDS = new Set(['S-1-5-18', 'S-1-5-19', 'S-1-5-20']);

/** A user from name / SID / domain fields; computer accounts (`NAME$`) and LocalSystem are System. */
function winUser(name: string | undefined, sid: string | undefined, domain: string | undefined): OcsfUser | undefined {
  if (name === undefined && sid === undefined) return undefined;
  const u: OcsfUser = {};
  if (name !== undefined) u.name = name;
  if (sid !== undefined) u.uid = sid;
  if (domain !== undefined) u.domain = domain;
  if ((name !== undefined && name.charCodeAt(name.length - 1) === 36) || (sid !== undefined && SYSTEM_SIDS.has(sid))) {
    u.type_id = 3;
    u.type = 'System';
  }
  return u;
}

function keep(e: IamEvent, key: string, value: unknown): void {
  if (value === undefined) return;
  (e.unmapped ??= {})[key] = value;
}

/** `::ffff:10.0.0.5` (IPv4-mapped, as Kerberos events write it) -> `10.0.0.5`. */
function address(value: string | undefined): string | undefined {
  return value !== undefined && value.startsWith('::ffff:') && value.indexOf('.') > 0 ? value.slice(7) : value;
}

function setSource(e: IamEvent, data: JsonObject, hostKey: string): void {
  const ip = address(field(data, 'IpAddress'));
  const portText = field(data, 'IpPort');
  const port = portText === undefined ? 0 : Number(portText);
  const host = field(data, hostKey);
  if (ip === undefined && host === undefined) return;
  const src: IamEvent['src_endpoint'] = {};
  if (ip !== undefined) src.ip = ip;
  if (port > 0 && Number.isInteger(port)) src.port = port;
  if (host !== undefined) src.hostname = host;
  e.src_endpoint = src;
}

/** Windows logon type -> OCSF logon_type_id (the same numbers, 0 -> System 1); remote for 3, 8, 10, 12. */
function setWindowsLogonType(e: IamEvent, value: string | undefined): void {
  if (value === undefined) return;
  const n = Number(value);
  if (!Number.isInteger(n)) return;
  const id = n === 0 ? 1 : n === 6 || n > 13 ? 99 : n;
  setLogonType(e, id);
  if (id !== 99 && id !== 1) e.is_remote = id === 3 || id === 8 || id === 10 || id === 12;
}

function setPackage(e: IamEvent, data: JsonObject, key: string): void {
  const pkg = field(data, key);
  if (pkg === undefined) return;
  const upper = pkg.toUpperCase();
  if (upper === 'NTLM' || upper === 'MICROSOFT_AUTHENTICATION_PACKAGE_V1_0') setAuthProtocol(e, 1);
  else if (upper === 'KERBEROS') setAuthProtocol(e, 2);
  else if (upper === 'NEGOTIATE') {
    const lm = field(data, 'LmPackageName');
    if (lm !== undefined && lm.startsWith('NTLM')) setAuthProtocol(e, 1);
  }
  keep(e, key, pkg);
}

function target(data: JsonObject, sidKey: string): OcsfUser | undefined {
  return winUser(field(data, 'TargetUserName'), field(data, sidKey), field(data, 'TargetDomainName'));
}

/**
 * The Subject as actor.user, unless it is the user itself (a user's own sign-in or password
 * change has no separate actor). For logons, `people` drops System subjects too: SYSTEM or the
 * computer account that processed a sign-in is plumbing, not who did it; a person's account
 * logging on as someone else (LogonUser, runas, a spray tool) is.
 */
function subject(e: IamEvent, data: JsonObject, user: OcsfUser | undefined, people = false): void {
  const actor = winUser(field(data, 'SubjectUserName'), field(data, 'SubjectUserSid'), field(data, 'SubjectDomainName'));
  if (actor === undefined || (people && actor.type_id === 3)) return;
  if (user !== undefined && ((actor.uid !== undefined && actor.uid === user.uid) || (actor.name !== undefined && actor.name === user.name && actor.domain === user.domain))) return;
  e.actor = { user: actor };
}

/** First CN of a distinguished name, unescaped: `CN=Adams\, Walter,OU=Users,...` -> `Adams, Walter`. */
function commonName(dn: string): string | undefined {
  if (!dn.startsWith('CN=') && !dn.startsWith('cn=')) return undefined;
  let out = '';
  for (let i = 3; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) out += dn[++i];
    else if (c === ',') break;
    else out += c;
  }
  return out === '' ? undefined : out;
}

function firstLine(message: unknown): string | undefined {
  if (typeof message !== 'string' || message === '') return undefined;
  let end = message.indexOf('\n');
  if (end < 0) end = message.length;
  if (end > 0 && message.charCodeAt(end - 1) === 13) end--;
  const line = message.slice(0, end).trim();
  return line === '' ? undefined : line;
}

function eventTime(record: JsonObject): { time: number; original: string } {
  let created = record['TimeCreated'];
  if (typeof created === 'object' && created !== null) created = (created as JsonObject)['SystemTime'];
  if (typeof created === 'string' && created !== '') return { time: isoTime(created, 'TimeCreated'), original: created };
  const local = record['EventTime'];
  const stamp = record['@timestamp'];
  const localText = typeof local === 'string' && local !== '' ? local : undefined;
  if (localText !== undefined && ZONED.test(localText)) return { time: isoTime(localText.replace(' ', 'T'), 'EventTime'), original: localText };
  if (typeof stamp === 'string' && stamp !== '') return { time: isoTime(stamp, '@timestamp'), original: stamp };
  if (localText !== undefined) return { time: isoTime(localText.replace(' ', 'T'), 'EventTime'), original: localText };
  if (created !== undefined || local !== undefined || stamp !== undefined) {
    throw new MappingError(REASON.INVALID_TIME, 'TimeCreated / EventTime / @timestamp is not an ISO 8601 string');
  }
  throw new MappingError(REASON.MISSING_TIME, 'no TimeCreated, EventTime or @timestamp');
}
const ZONED = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

function eventId(value: unknown, key: string): number {
  if (value === undefined || value === null || value === '') throw new MappingError(REASON.MISSING_FIELD, `${key} is missing`);
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0) throw new MappingError(REASON.INVALID_FIELD, `${key} is not an event id: ${JSON.stringify(value)}`);
  return n;
}

function auditFailure(record: JsonObject, winlog: JsonObject | undefined): boolean {
  if (record['EventType'] === 'AUDIT_FAILURE') return true;
  if (winlog !== undefined) {
    const keywords = winlog['keywords'];
    if (Array.isArray(keywords) && keywords.includes('Audit Failure')) return true;
    if (obj(record, 'event')?.['outcome'] === 'failure') return true;
  }
  return false;
}

export const windowsSecurityMapper: FormatMapper = {
  format: FORMAT,
  payload: 'json',
  map(value: unknown, ctx: MapContext): IamEvent {
    const record = asObject(value);
    const winlog = obj(record, 'winlog');
    let data: JsonObject;
    let id: number;
    let computer: string | undefined;
    let recordId: string | undefined;
    let channel: unknown;
    let message: unknown;
    if (winlog !== undefined) {
      id = eventId(winlog['event_id'] ?? obj(record, 'event')?.['code'], 'winlog.event_id');
      data = obj(winlog, 'event_data') ?? {};
      computer = field(winlog, 'computer_name');
      recordId = field(winlog, 'record_id');
      channel = winlog['channel'];
      message = record['message'];
    } else {
      id = eventId(record['EventID'], 'EventID');
      data = record;
      computer = field(record, 'Hostname') ?? field(record, 'Computer');
      recordId = field(record, 'RecordNumber') ?? field(record, 'EventRecordID');
      channel = record['Channel'];
      message = record['Message'];
    }
    if (typeof channel === 'string' && channel !== 'Security') {
      throw new MappingError('not_security_log', `Channel ${JSON.stringify(channel.slice(0, 80))} is not the Security log`);
    }
    const { time, original } = eventTime(record);
    const spec = EVENTS.get(id) ?? otherSpec(id);
    const kind = spec.kind;

    // Outcome: the result code where the event has one, else the audit keyword.
    let statusCode: string | undefined;
    let detail: string | undefined;
    let failed: boolean;
    if (kind === Kind.LogonFailure) {
      const sub = canonicalHex(field(data, 'SubStatus'));
      const main = canonicalHex(field(data, 'Status'));
      statusCode = sub !== undefined && sub !== '0x0' ? sub : main;
      detail = statusCode === undefined ? undefined : NTSTATUS_DETAIL.get(statusCode);
      failed = true;
    } else if (kind === Kind.Ntlm || kind === Kind.KerberosTgt || kind === Kind.KerberosService || kind === Kind.KerberosPreauth) {
      statusCode = canonicalHex(field(data, 'Status'));
      failed = kind === Kind.KerberosPreauth || (statusCode !== undefined ? statusCode !== '0x0' : auditFailure(record, winlog));
      if (failed && statusCode !== undefined) detail = (kind === Kind.Ntlm ? NTSTATUS_DETAIL : KERBEROS_DETAIL).get(statusCode);
      if (!failed) statusCode = undefined;
    } else {
      failed = auditFailure(record, winlog);
    }
    const statusId = failed ? STATUS.FAILURE : STATUS.SUCCESS;
    const e = createEvent({
      classUid: spec.classUid,
      activityId: spec.activityId,
      time,
      statusId,
      severityId: failed ? SEVERITY.LOW : kind === Kind.Lockout ? SEVERITY.MEDIUM : SEVERITY.INFORMATIONAL,
      product: PRODUCT,
      uid: recordId !== undefined && computer !== undefined ? `${computer}:${recordId}` : stableUid(FORMAT, JSON.stringify(value)),
      eventCode: String(id),
      originalTime: original,
      format: FORMAT,
      tenant: ctx.tenant,
      observedTime: ctx.observedTime,
    });
    e.status_code = statusCode;
    e.status_detail = detail;
    e.message = firstLine(message);
    if (computer !== undefined) e.dst_endpoint = { hostname: computer };

    switch (kind) {
      case Kind.Logon:
      case Kind.LogonFailure: {
        const u = target(data, 'TargetUserSid');
        e.user = u;
        subject(e, data, u, true);
        setSource(e, data, 'WorkstationName');
        setWindowsLogonType(e, field(data, 'LogonType'));
        setPackage(e, data, 'AuthenticationPackageName');
        keep(e, 'LogonProcessName', field(data, 'LogonProcessName'));
        keep(e, 'ProcessName', field(data, 'ProcessName'));
        if (kind === Kind.Logon) {
          const logonId = field(data, 'TargetLogonId');
          if (logonId !== undefined) e.session = { uid: logonId };
        } else {
          keep(e, 'Status', field(data, 'Status'));
          keep(e, 'SubStatus', field(data, 'SubStatus'));
          keep(e, 'FailureReason', field(data, 'FailureReason'));
        }
        break;
      }
      case Kind.Logoff: {
        e.user = target(data, 'TargetUserSid');
        setWindowsLogonType(e, field(data, 'LogonType'));
        const logonId = field(data, 'TargetLogonId');
        if (logonId !== undefined) e.session = { uid: logonId };
        break;
      }
      case Kind.Explicit: {
        // 4648: the subject's process used the target's credentials, towards TargetServerName.
        e.user = winUser(field(data, 'TargetUserName'), undefined, field(data, 'TargetDomainName'));
        subject(e, data, e.user, true);
        setSource(e, data, 'WorkstationName');
        // Logged where the credentials were used from, towards TargetServerName.
        const server = field(data, 'TargetServerName');
        if (server !== undefined && server !== 'localhost') {
          e.dst_endpoint = { hostname: server };
          if (e.src_endpoint === undefined && computer !== undefined) e.src_endpoint = { hostname: computer };
        }
        keep(e, 'ProcessName', field(data, 'ProcessName'));
        keep(e, 'TargetInfo', field(data, 'TargetInfo'));
        break;
      }
      case Kind.Account:
      case Kind.Other: {
        e.user = target(data, field(data, 'TargetSid') !== undefined ? 'TargetSid' : 'TargetUserSid');
        subject(e, data, e.user);
        if (kind === Kind.Other) {
          const u = e.user;
          // Unknown events with no target: the subject is who the event is about.
          if (u === undefined && e.actor !== undefined) {
            e.user = e.actor.user;
            e.actor = undefined;
          }
        }
        if (id === 4720) {
          const upn = field(data, 'UserPrincipalName');
          if (upn !== undefined && e.user !== undefined && upn.includes('@')) e.user.email_addr = upn;
          const display = field(data, 'DisplayName');
          if (display !== undefined && display !== '%%1793' && e.user !== undefined) e.user.full_name = display;
        }
        break;
      }
      case Kind.Lockout: {
        // 4740: TargetDomainName is the caller computer the failed attempts came from.
        e.user = winUser(field(data, 'TargetUserName'), field(data, 'TargetSid'), undefined);
        subject(e, data, e.user);
        const caller = field(data, 'TargetDomainName');
        if (caller !== undefined) e.src_endpoint = { hostname: caller };
        break;
      }
      case Kind.Member: {
        const dn = field(data, 'MemberName');
        const sid = field(data, 'MemberSid');
        e.user = winUser(dn === undefined ? undefined : commonName(dn) ?? dn, sid, undefined);
        keep(e, 'MemberName', dn);
        subject(e, data, undefined);
        e.group = groupOf(data, spec);
        break;
      }
      case Kind.Group:
        subject(e, data, undefined);
        e.group = groupOf(data, spec);
        break;
      case Kind.KerberosTgt:
      case Kind.KerberosService:
      case Kind.KerberosPreauth: {
        e.user = target(data, 'TargetSid');
        setSource(e, data, 'WorkstationName');
        setAuthProtocol(e, 2);
        const service = field(data, 'ServiceName');
        if (service !== undefined) {
          const sid = field(data, 'ServiceSid');
          e.service = sid === undefined ? { name: service } : { name: service, uid: sid };
        }
        keep(e, 'TicketEncryptionType', field(data, 'TicketEncryptionType'));
        keep(e, 'TicketOptions', field(data, 'TicketOptions'));
        keep(e, 'PreAuthType', field(data, 'PreAuthType'));
        break;
      }
      case Kind.Ntlm: {
        e.user = winUser(field(data, 'TargetUserName'), undefined, undefined);
        const workstation = field(data, 'Workstation');
        if (workstation !== undefined) e.src_endpoint = { hostname: workstation };
        setAuthProtocol(e, 1);
        keep(e, 'PackageName', field(data, 'PackageName'));
        break;
      }
    }
    return e;
  },
};

function groupOf(data: JsonObject, spec: EventSpec): IamEvent['group'] {
  const g: NonNullable<IamEvent['group']> = {};
  const name = field(data, 'TargetUserName');
  const sid = field(data, 'TargetSid');
  const domain = field(data, 'TargetDomainName');
  if (name !== undefined) g.name = name;
  if (sid !== undefined) g.uid = sid;
  if (domain !== undefined) g.domain = domain;
  if (spec.groupType !== undefined) g.type = spec.groupType;
  return g;
}
