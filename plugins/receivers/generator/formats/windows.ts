import { WINDOWS_SERVERS } from '../directory.js';
import { A } from '../model.js';
import type { Act } from '../model.js';
import type { FormatSpec, RenderContext } from './common.js';
import { unsupported } from './common.js';

/**
 * Windows Security log events as NXLog (im_msvistalog, to_json) forwards them: flat EventData
 * fields next to the system fields (EventID, EventTime, Hostname, SourceName, Channel...).
 * EventTime is NXLog's "YYYY-MM-DD hh:mm:ss" in the host's zone; the simulated hosts run in UTC.
 */

// NXLog writes Keywords as a signed 64-bit integer, beyond a JS number's exact range: splice the digits in as text.
const KEYWORDS_PLACEHOLDER = 'KEYWORDS\u0000';
const KEYWORDS_TEXT = JSON.stringify(KEYWORDS_PLACEHOLDER);
const PROVIDER_GUID = '{54849625-5478-4994-A5BA-3E3B0328C30D}';

interface EventMeta {
  readonly id: number;
  readonly task: number;
  readonly category: string;
  readonly success: boolean;
  readonly message: string;
}

const M = {
  4624: { id: 4624, task: 12544, category: 'Logon', success: true, message: 'An account was successfully logged on.' },
  4625: { id: 4625, task: 12544, category: 'Logon', success: false, message: 'An account failed to log on.' },
  4634: { id: 4634, task: 12545, category: 'Logoff', success: true, message: 'An account was logged off.' },
  4720: { id: 4720, task: 13824, category: 'User Account Management', success: true, message: 'A user account was created.' },
  4722: { id: 4722, task: 13824, category: 'User Account Management', success: true, message: 'A user account was enabled.' },
  4724: { id: 4724, task: 13824, category: 'User Account Management', success: true, message: 'An attempt was made to reset an account\'s password.' },
  4725: { id: 4725, task: 13824, category: 'User Account Management', success: true, message: 'A user account was disabled.' },
  4728: { id: 4728, task: 13826, category: 'Security Group Management', success: true, message: 'A member was added to a security-enabled global group.' },
  4729: { id: 4729, task: 13826, category: 'Security Group Management', success: true, message: 'A member was removed from a security-enabled global group.' },
  4732: { id: 4732, task: 13826, category: 'Security Group Management', success: true, message: 'A member was added to a security-enabled local group.' },
  4740: { id: 4740, task: 13824, category: 'User Account Management', success: true, message: 'A user account was locked out.' },
  4756: { id: 4756, task: 13826, category: 'Security Group Management', success: true, message: 'A member was added to a security-enabled universal group.' },
  4767: { id: 4767, task: 13824, category: 'User Account Management', success: true, message: 'A user account was unlocked.' },
} as const satisfies Record<number, EventMeta>;

function eventTime(time: number): string {
  const s = new Date(time).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)}`;
}

function hexId(ctx: RenderContext): string {
  return `0x${ctx.r.hex(7).replace(/^0+/, '')}`;
}

function render(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const dir = ctx.dir;
  const u = act.user;
  const stamp = eventTime(time);
  let meta: EventMeta;
  let computer: string;
  let data: Record<string, unknown>;
  const admin = act.actor ?? dir.admins[0]!;
  const subject = { SubjectUserSid: admin.sid, SubjectUserName: admin.sam, SubjectDomainName: dir.netbios, SubjectLogonId: hexId(ctx) };
  const dcSubject = { SubjectUserSid: 'S-1-5-18', SubjectUserName: 'DC01$', SubjectDomainName: dir.netbios, SubjectLogonId: '0x3e7' };
  const remote = act.ip.startsWith('10.') ? u.workstation : '-';
  switch (act.action) {
    case A.LOGIN_OK: {
      meta = M[4624];
      computer = act.host !== '' ? act.host : `${WINDOWS_SERVERS[act.variant % WINDOWS_SERVERS.length]}.${dir.adDomain}`;
      const logonType = act.variant % 4 === 0 ? '10' : '3';
      data = {
        SubjectUserSid: 'S-1-0-0', SubjectUserName: '-', SubjectDomainName: '-', SubjectLogonId: '0x0',
        TargetUserSid: u.sid, TargetUserName: u.sam, TargetDomainName: dir.netbios, TargetLogonId: hexId(ctx),
        LogonType: logonType, LogonProcessName: logonType === '10' ? 'User32 ' : 'NtLmSsp ', AuthenticationPackageName: logonType === '10' ? 'Negotiate' : 'NTLM',
        WorkstationName: remote, LogonGuid: '{00000000-0000-0000-0000-000000000000}', TransmittedServices: '-', LmPackageName: logonType === '10' ? '-' : 'NTLM V2',
        KeyLength: logonType === '10' ? '0' : '128', ProcessId: '0x0', ProcessName: '-', IpAddress: act.ip, IpPort: String(r.range(49152, 65535)),
        ImpersonationLevel: '%%1833', RestrictedAdminMode: '-', TargetOutboundUserName: '-', TargetOutboundDomainName: '-', VirtualAccount: '%%1843', TargetLinkedLogonId: '0x0', ElevatedToken: '%%1842',
      };
      break;
    }
    case A.LOGIN_FAIL:
    case A.LOGIN_UNKNOWN_USER:
    case A.LOGIN_LOCKED: {
      meta = M[4625];
      computer = act.host !== '' ? act.host : `${WINDOWS_SERVERS[act.variant % WINDOWS_SERVERS.length]}.${dir.adDomain}`;
      const locked = act.action === A.LOGIN_LOCKED;
      const unknown = act.action === A.LOGIN_UNKNOWN_USER;
      data = {
        SubjectUserSid: 'S-1-0-0', SubjectUserName: '-', SubjectDomainName: '-', SubjectLogonId: '0x0',
        TargetUserSid: 'S-1-0-0', TargetUserName: u.sam, TargetDomainName: dir.netbios,
        Status: locked ? '0xc0000234' : '0xc000006d',
        FailureReason: locked ? '%%2307' : '%%2313',
        SubStatus: locked ? '0x0' : unknown ? '0xc0000064' : '0xc000006a',
        LogonType: '3', LogonProcessName: 'NtLmSsp ', AuthenticationPackageName: 'NTLM', WorkstationName: act.risky ? '-' : remote,
        TransmittedServices: '-', LmPackageName: '-', KeyLength: '0', ProcessId: '0x0', ProcessName: '-', IpAddress: act.ip, IpPort: String(r.range(49152, 65535)),
      };
      break;
    }
    case A.LOGOUT:
      meta = M[4634];
      computer = act.host !== '' ? act.host : `${WINDOWS_SERVERS[act.variant % WINDOWS_SERVERS.length]}.${dir.adDomain}`;
      data = { TargetUserSid: u.sid, TargetUserName: u.sam, TargetDomainName: dir.netbios, TargetLogonId: hexId(ctx), LogonType: '3' };
      break;
    case A.LOCKOUT:
      meta = M[4740];
      computer = dir.dc;
      // For 4740, TargetDomainName holds the caller computer the bad attempts came from.
      data = { TargetUserName: u.sam, TargetDomainName: act.risky ? '' : u.workstation, TargetSid: u.sid, ...dcSubject };
      break;
    case A.UNLOCK:
      meta = M[4767];
      computer = dir.dc;
      data = { TargetUserName: u.sam, TargetDomainName: dir.netbios, TargetSid: u.sid, ...subject };
      break;
    case A.USER_CREATE: {
      meta = M[4720];
      computer = act.host !== '' ? act.host : dir.dc;
      data = {
        TargetUserName: u.sam, TargetDomainName: dir.netbios, TargetSid: u.sid, ...subject, PrivilegeList: '-',
        SamAccountName: u.sam, DisplayName: u.exists ? u.displayName : '%%1793', UserPrincipalName: u.exists ? u.email : '-', HomeDirectory: '%%1793', HomePath: '%%1793',
        ScriptPath: '%%1793', ProfilePath: '%%1793', UserWorkstations: '%%1793', PasswordLastSet: '%%1794', AccountExpires: '%%1794', PrimaryGroupId: '513',
        AllowedToDelegateTo: '-', OldUacValue: '0x0', NewUacValue: '0x15', UserAccountControl: '\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084', UserParameters: '%%1793', SidHistory: '-', LogonHours: '%%1797',
      };
      break;
    }
    case A.USER_ENABLE:
    case A.USER_DISABLE:
    case A.RESET_DONE:
      meta = act.action === A.USER_ENABLE ? M[4722] : act.action === A.USER_DISABLE ? M[4725] : M[4724];
      computer = act.host !== '' ? act.host : dir.dc;
      data = { TargetUserName: u.sam, TargetDomainName: dir.netbios, TargetSid: u.sid, ...subject };
      break;
    case A.GROUP_ADD:
    case A.GROUP_REMOVE: {
      const g = act.group ?? dir.groups[0]!;
      meta = act.action === A.GROUP_REMOVE ? M[4729] : M[g.winEvent];
      const local = g.winEvent === 4732;
      computer = act.host !== '' ? act.host : dir.dc;
      data = {
        MemberName: local ? '-' : `CN=${u.exists ? u.displayName : u.sam},OU=Users,DC=${dir.adDomain.split('.').join(',DC=')}`,
        MemberSid: u.sid, TargetUserName: g.name, TargetDomainName: local ? 'Builtin' : dir.netbios, TargetSid: g.sid, ...subject, PrivilegeList: '-',
      };
      break;
    }
    default:
      return unsupported('windows.security', act.action);
  }
  const success = meta.success;
  return JSON.stringify({
    EventTime: stamp,
    Hostname: computer,
    Keywords: KEYWORDS_PLACEHOLDER,
    EventType: success ? 'AUDIT_SUCCESS' : 'AUDIT_FAILURE',
    SeverityValue: success ? 2 : 4,
    Severity: success ? 'INFO' : 'ERROR',
    EventID: meta.id,
    SourceName: 'Microsoft-Windows-Security-Auditing',
    ProviderGuid: PROVIDER_GUID,
    Version: meta.id === 4624 ? 2 : 0,
    Task: meta.task,
    OpcodeValue: 0,
    RecordNumber: 100000 + r.int(900000),
    ExecutionProcessID: 696,
    ThreadID: r.range(100, 9999),
    Channel: 'Security',
    Message: meta.message,
    Category: meta.category,
    Opcode: 'Info',
    ...data,
    EventReceivedTime: stamp,
    SourceModuleName: 'eventlog',
    SourceModuleType: 'im_msvistalog',
  }).replace(KEYWORDS_TEXT, success ? '-9214364837600034816' : '-9218868437227405312');
}

export const windowsSecurity: FormatSpec = {
  name: 'windows.security',
  supports: [A.LOGIN_OK, A.LOGIN_FAIL, A.LOGIN_UNKNOWN_USER, A.LOGIN_LOCKED, A.LOGOUT, A.LOCKOUT, A.UNLOCK, A.USER_CREATE, A.USER_ENABLE, A.USER_DISABLE, A.RESET_DONE, A.GROUP_ADD, A.GROUP_REMOVE],
  render,
};
