/**
 * `linux.auth`: /var/log/auth.log and /var/log/secure lines (sshd, sudo, su, login, PAM, shadow-utils
 * account and group tools) to OCSF. The header is parsed by linux-syslog.ts; the message is matched
 * by the rules of its program only (dispatch on the program name first, then a handful of
 * precompiled regexes), then by the PAM module rules shared by every program.
 *
 * Lines are one event each and have no id: metadata.uid is stableUid of the line, and
 * metadata.event_code is `<program>.<what>` (`sshd.failed_password`, `sudo.command`,
 * `useradd.new_user`; the list is in the normalize README). A line that is not an
 * authentication or account record (cron, systemd, sshd's connection chatter) is dead-lettered as
 * `unrecognized_line`: counted and kept, never emitted as a meaningless event.
 *
 * Conventions particular to this format:
 * - dst_endpoint.hostname is the syslog host: the system signed in to or changed.
 * - sudo / su are Authentication: Account Switch; `user` is the account switched to (USER=root),
 *   `actor.user` the account that asked (the one whose password sudo checks).
 * - `root` is user.type_id 2 Admin.
 * - `unmapped.pid` keeps the process id, which ties an sshd Accepted line to its session lines.
 */
import type { FormatMapper, MapContext } from '../mapper.js';
import { MappingError, REASON, stableUid } from '../mapper.js';
import type { IamClassUid, IamEvent, OcsfUser } from '../ocsf.js';
import { ACCOUNT_CHANGE, AUTHENTICATION, CLASS, FACTOR_TYPE, GROUP_MANAGEMENT, SEVERITY, STATUS, authFactor, createEvent, setLogonType } from '../ocsf.js';
import { parseSyslogLine } from './linux-syslog.js';
import type { SyslogLine } from './linux-syslog.js';

const FORMAT = 'linux.auth';
const VENDOR = 'Linux';

type Builder = (m: RegExpExecArray, s: SyslogLine, ctx: MapContext, line: string) => IamEvent;
interface Rule {
  readonly re: RegExp;
  readonly build: Builder;
}

const products = new Map<string, { readonly name: string; readonly vendor_name: string }>();
function product(program: string): { readonly name: string; readonly vendor_name: string } {
  let p = products.get(program);
  if (p === undefined) {
    p = { name: program, vendor_name: VENDOR };
    if (products.size < 256) products.set(program, p);
  }
  return p;
}

/** An event with the header, the host and the pid set; severity by the MAPPING.md convention. */
function base(s: SyslogLine, ctx: MapContext, line: string, classUid: IamClassUid, activityId: number, statusId: number, code: string): IamEvent {
  const e = createEvent({
    classUid,
    activityId,
    time: s.time,
    statusId,
    severityId: statusId === STATUS.FAILURE ? SEVERITY.LOW : classUid === CLASS.ACCOUNT_CHANGE && activityId === ACCOUNT_CHANGE.LOCK ? SEVERITY.MEDIUM : SEVERITY.INFORMATIONAL,
    product: product(s.program),
    uid: stableUid(FORMAT, line),
    eventCode: code,
    originalTime: s.originalTime,
    format: FORMAT,
    tenant: ctx.tenant,
    observedTime: ctx.observedTime,
  });
  if (s.host !== undefined) e.dst_endpoint = { hostname: s.host };
  if (s.pid !== undefined) e.unmapped = { pid: s.pid };
  return e;
}

function user(name: string | undefined, uid?: string): OcsfUser | undefined {
  if (name === undefined || name === '') return uid === undefined ? undefined : { uid };
  const u: OcsfUser = { name };
  if (uid !== undefined) u.uid = uid;
  if (name === 'root') {
    u.type_id = 2;
    u.type = 'Admin';
  }
  return u;
}

function keep(e: IamEvent, key: string, value: unknown): void {
  if (value === undefined || value === '') return;
  (e.unmapped ??= {})[key] = value;
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/;

function source(e: IamEvent, address: string | undefined, port?: string): void {
  if (address === undefined || address === '') return;
  e.src_endpoint = IP.test(address) ? { ip: address } : { hostname: address };
  if (port !== undefined) e.src_endpoint.port = Number(port);
}

function sshLogon(e: IamEvent): void {
  setLogonType(e, 10);
  e.is_remote = true;
}

function methodCode(method: string): string {
  const lower = method.toLowerCase();
  const slash = lower.indexOf('/');
  return (slash > 0 ? lower.slice(0, slash) : lower).replace(/[^a-z0-9]+/g, '_');
}

const PASSWORD_METHODS = new Set(['password', 'keyboard_interactive']);

// ---- sshd -------------------------------------------------------------------------------------

const sshdRules: readonly Rule[] = [
  {
    re: /^Accepted (\S+) for (.+?) from (\S+) port (\d+)(?: \S+)?(?:: (\S+) (\S+))?$/,
    build(m, s, ctx, line) {
      const method = methodCode(m[1]!);
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.SUCCESS, `sshd.accepted_${method}`);
      e.user = user(m[2]);
      source(e, m[3], m[4]);
      sshLogon(e);
      if (method === 'password') e.auth_factors = [authFactor(FACTOR_TYPE.PASSWORD)];
      keep(e, 'ssh_key_type', m[5]);
      keep(e, 'ssh_key_fingerprint', m[6]);
      return e;
    },
  },
  {
    re: /^Failed (\S+) for (invalid user )?(.*?) from (\S+) port (\d+)(?: \S+)?$/,
    build(m, s, ctx, line) {
      const method = methodCode(m[1]!);
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.FAILURE, `sshd.failed_${method}`);
      e.user = user(m[3]);
      source(e, m[4], m[5]);
      sshLogon(e);
      e.status_detail = m[2] !== undefined ? 'unknown user' : PASSWORD_METHODS.has(method) ? 'bad password' : method === 'publickey' ? 'public key rejected' : `${method} rejected`;
      if (PASSWORD_METHODS.has(method)) e.auth_factors = [authFactor(FACTOR_TYPE.PASSWORD)];
      return e;
    },
  },
  {
    re: /^Invalid user (.*?) from (\S+)(?: port (\d+))?$/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.FAILURE, 'sshd.invalid_user');
      e.user = user(m[1]);
      source(e, m[2], m[3]);
      sshLogon(e);
      e.status_detail = 'unknown user';
      return e;
    },
  },
  {
    re: /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.*?) from (\S+) port (\d+)/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.FAILURE, 'sshd.max_auth_attempts');
      e.user = user(m[2]);
      source(e, m[3], m[4]);
      sshLogon(e);
      e.status_detail = m[1] !== undefined ? 'unknown user' : 'maximum authentication attempts exceeded';
      return e;
    },
  },
  {
    re: /^Disconnecting (authenticating|invalid) user (.*?) (\S+) port (\d+): Too many authentication failures/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.FAILURE, 'sshd.max_auth_attempts');
      e.user = user(m[2]);
      source(e, m[3], m[4]);
      sshLogon(e);
      e.status_detail = m[1] === 'invalid' ? 'unknown user' : 'maximum authentication attempts exceeded';
      return e;
    },
  },
  {
    // A session's end (Logoff), or, tagged [preauth] / for an authenticating or invalid user, a
    // connection given up before authenticating: neither a success nor a failure (Other, Unknown).
    re: /^Disconnected from (?:(authenticating|invalid) )?(?:user (.*?) )?(\S+) port (\d+)( \[preauth\])?$/,
    build(m, s, ctx, line) {
      const preauth = m[1] !== undefined || m[5] !== undefined;
      const logoff = !preauth && m[2] !== undefined;
      const e = logoff
        ? base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGOFF, STATUS.SUCCESS, 'sshd.disconnected')
        : base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.OTHER, STATUS.UNKNOWN, preauth ? 'sshd.disconnected_preauth' : 'sshd.disconnected');
      e.user = user(m[2]);
      source(e, m[3], m[4]);
      sshLogon(e);
      return e;
    },
  },
  {
    re: /^Connection closed by (?:(?:authenticating|invalid) user (.*?) )?(\S+) port (\d+)( \[preauth\])?$/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.OTHER, STATUS.UNKNOWN, m[4] !== undefined ? 'sshd.connection_closed_preauth' : 'sshd.connection_closed');
      e.user = user(m[1]);
      source(e, m[2], m[3]);
      sshLogon(e);
      return e;
    },
  },
  {
    // pam_google_authenticator, logged under sshd(pam_google_authenticator).
    re: /^Invalid verification code for (\S+)$/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.FAILURE, 'sshd.invalid_verification_code');
      e.user = user(m[1]);
      sshLogon(e);
      e.is_mfa = true;
      e.auth_factors = [authFactor(FACTOR_TYPE.OTP, { provider: 'Google Authenticator', is_totp: true })];
      e.status_detail = 'wrong_code';
      return e;
    },
  },
  {
    re: /^Accepted google_authenticator for (\S+)$/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.SUCCESS, 'sshd.accepted_google_authenticator');
      e.user = user(m[1]);
      sshLogon(e);
      e.is_mfa = true;
      e.auth_factors = [authFactor(FACTOR_TYPE.OTP, { provider: 'Google Authenticator', is_totp: true })];
      return e;
    },
  },
  {
    re: /^error: PAM: (.+?) for (illegal user |invalid user )?(.*?) from (\S+)$/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.FAILURE, 'sshd.pam_error');
      e.user = user(m[3]);
      source(e, m[4]);
      sshLogon(e);
      e.status_detail = m[2] !== undefined || m[1]!.startsWith('User not known') ? 'unknown user' : 'bad password';
      keep(e, 'pam_message', m[1]);
      return e;
    },
  },
];

// ---- sudo, su, login --------------------------------------------------------------------------

function accountSwitch(s: SyslogLine, ctx: MapContext, line: string, statusId: number, code: string, to: string | undefined, by: string | undefined): IamEvent {
  const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.ACCOUNT_SWITCH, statusId, code);
  e.user = user(to);
  const actor = user(by);
  if (actor !== undefined) e.actor = { user: actor };
  return e;
}

const SUDO_FAILURES: ReadonlyMap<string, readonly [code: string, detail: string]> = new Map([
  ['user NOT in sudoers', ['sudo.not_in_sudoers', 'user not in sudoers']],
  ['user NOT authorized on host', ['sudo.not_authorized_on_host', 'user not authorized on host']],
  ['command not allowed', ['sudo.command_not_allowed', 'command not allowed']],
  ['a password is required', ['sudo.password_required', 'a password is required']],
]);
const INCORRECT_ATTEMPTS = /^(\d+) incorrect password attempts?$/;

const sudoRules: readonly Rule[] = [
  {
    // `alice : [problem ; ]TTY=pts/0 ; PWD=/home/alice ; USER=root ; [GROUP=.. ; ]COMMAND=/bin/ls`
    re: /^\s*(\S+) : (?:([^=;]+?) ; )?(?:TTY=(\S*) ; )?(?:PWD=(.*?) ; )?USER=(\S+) ;(?: GROUP=\S+ ;)?(?: TSID=\S+ ;)?(?: ENV=.*? ;)? COMMAND=(.*)$/s,
    build(m, s, ctx, line) {
      const problem = m[2];
      let e: IamEvent;
      if (problem === undefined) {
        e = accountSwitch(s, ctx, line, STATUS.SUCCESS, 'sudo.command', m[5], m[1]);
      } else {
        const attempts = INCORRECT_ATTEMPTS.exec(problem);
        const known = SUDO_FAILURES.get(problem);
        e = accountSwitch(s, ctx, line, STATUS.FAILURE, attempts !== null ? 'sudo.incorrect_password' : known?.[0] ?? 'sudo.denied', m[5], m[1]);
        e.status_detail = attempts !== null ? 'bad password' : known?.[1] ?? problem;
        if (attempts !== null) keep(e, 'failed_attempts', Number(attempts[1]));
      }
      keep(e, 'tty', m[3]);
      keep(e, 'pwd', m[4]);
      keep(e, 'command', m[6]);
      return e;
    },
  },
];

const suRules: readonly Rule[] = [
  {
    re: /^(Successful|FAILED) su for (\S+) by (\S+)$/,
    build(m, s, ctx, line) {
      const ok = m[1] === 'Successful';
      const e = accountSwitch(s, ctx, line, ok ? STATUS.SUCCESS : STATUS.FAILURE, ok ? 'su.success' : 'su.failed', m[2], m[3]);
      if (!ok) e.status_detail = 'bad password';
      return e;
    },
  },
  {
    re: /^(FAILED SU )?\(to (\S+)\) (\S+) on (\S+)$/,
    build(m, s, ctx, line) {
      const ok = m[1] === undefined;
      const e = accountSwitch(s, ctx, line, ok ? STATUS.SUCCESS : STATUS.FAILURE, ok ? 'su.success' : 'su.failed', m[2], m[3]);
      if (!ok) e.status_detail = 'bad password';
      keep(e, 'tty', m[4]);
      return e;
    },
  },
  {
    re: /^([+-]) (\S+) (\S+):(\S+)$/,
    build(m, s, ctx, line) {
      const ok = m[1] === '+';
      const e = accountSwitch(s, ctx, line, ok ? STATUS.SUCCESS : STATUS.FAILURE, ok ? 'su.success' : 'su.failed', m[4], m[3]);
      if (!ok) e.status_detail = 'bad password';
      keep(e, 'tty', m[2]);
      return e;
    },
  },
];

const loginRules: readonly Rule[] = [
  {
    re: /^FAILED LOGIN \((\d+)\) on '([^']*)'(?: from '([^']*)')? FOR '([^']*)', (.+)$/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.FAILURE, 'login.failed');
      e.user = user(m[4] === 'UNKNOWN' ? undefined : m[4]);
      source(e, m[3]);
      setLogonType(e, m[3] !== undefined ? 10 : 2);
      e.is_remote = m[3] !== undefined;
      e.status_detail = m[4] === 'UNKNOWN' || m[5] === 'User not known to the underlying authentication module' ? 'unknown user' : 'bad password';
      keep(e, 'tty', m[2]);
      keep(e, 'failed_attempts', Number(m[1]));
      return e;
    },
  },
  {
    re: /^ROOT LOGIN\s+ on '([^']*)'(?: from '([^']*)')?$/,
    build(m, s, ctx, line) {
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, AUTHENTICATION.LOGON, STATUS.SUCCESS, 'login.root_login');
      e.user = user('root');
      source(e, m[2]);
      setLogonType(e, m[2] !== undefined ? 10 : 2);
      e.is_remote = m[2] !== undefined;
      keep(e, 'tty', m[1]);
      return e;
    },
  },
];

// ---- shadow-utils: useradd, usermod, userdel, groupadd, groupdel, gpasswd, passwd, chpasswd, chage

function account(s: SyslogLine, ctx: MapContext, line: string, activityId: number, code: string, name: string | undefined, statusId: number = STATUS.SUCCESS): IamEvent {
  const e = base(s, ctx, line, CLASS.ACCOUNT_CHANGE, activityId, statusId, code);
  e.user = user(name);
  return e;
}

function group(s: SyslogLine, ctx: MapContext, line: string, activityId: number, code: string, name: string, gid?: string): IamEvent {
  const e = base(s, ctx, line, CLASS.GROUP_MANAGEMENT, activityId, STATUS.SUCCESS, code);
  e.group = gid === undefined ? { name } : { name, uid: gid };
  return e;
}

const NEW_USER: Rule = {
  re: /^new user: name=([^,]+), UID=(\d+), GID=(\d+), home=([^,]*), shell=([^,]*)(?:, from=(\S+))?/,
  build(m, s, ctx, line) {
    const e = account(s, ctx, line, ACCOUNT_CHANGE.CREATE, `${s.program}.new_user`, m[1]);
    e.user!.uid = m[2]!;
    keep(e, 'gid', m[3]);
    keep(e, 'home', m[4]);
    keep(e, 'shell', m[5]);
    keep(e, 'from', m[6]);
    return e;
  },
};
const NEW_GROUP: Rule = {
  re: /^new group: name=([^,]+), GID=(\d+)/,
  build: (m, s, ctx, line) => group(s, ctx, line, GROUP_MANAGEMENT.CREATE, `${s.program}.new_group`, m[1]!, m[2]),
};
const GROUP_ADDED: Rule = {
  // groupadd writes one line per file (/etc/group, /etc/gshadow) besides `new group:`.
  re: /^group added to (\S+): name=([^,]+)(?:, GID=(\d+))?/,
  build(m, s, ctx, line) {
    const e = group(s, ctx, line, GROUP_MANAGEMENT.CREATE, `${s.program}.group_added`, m[2]!, m[3]);
    keep(e, 'file', m[1]);
    return e;
  },
};
const MEMBERSHIP: Rule = {
  // useradd / usermod / userdel: `add 'U' to group 'G'`, `delete 'U' from shadow group 'G'`.
  re: /^(add|delete) '([^']+)' (?:to|from) (shadow )?group '([^']+)'/,
  build(m, s, ctx, line) {
    const add = m[1] === 'add';
    const shadow = m[3] !== undefined;
    const e = base(s, ctx, line, CLASS.GROUP_MANAGEMENT, add ? GROUP_MANAGEMENT.ADD_USER : GROUP_MANAGEMENT.REMOVE_USER, STATUS.SUCCESS,
      `${s.program}.${add ? 'add_to' : 'delete_from'}_${shadow ? 'shadow_group' : 'group'}`);
    e.user = user(m[2]);
    e.group = { name: m[4]! };
    return e;
  },
};

const useraddRules: readonly Rule[] = [
  NEW_USER,
  NEW_GROUP,
  GROUP_ADDED,
  MEMBERSHIP,
  {
    re: /^failed adding user '([^']+)', (.+)$/,
    build(m, s, ctx, line) {
      const e = account(s, ctx, line, ACCOUNT_CHANGE.CREATE, 'useradd.failed', m[1], STATUS.FAILURE);
      e.status_detail = m[2]!;
      return e;
    },
  },
];

const usermodRules: readonly Rule[] = [
  MEMBERSHIP,
  { re: /^lock user '([^']+)' password/, build: (m, s, ctx, line) => account(s, ctx, line, ACCOUNT_CHANGE.LOCK, 'usermod.lock_user', m[1]) },
  { re: /^unlock user '([^']+)' password/, build: (m, s, ctx, line) => account(s, ctx, line, ACCOUNT_CHANGE.UNLOCK, 'usermod.unlock_user', m[1]) },
  { re: /^change user '([^']+)' password/, build: (m, s, ctx, line) => account(s, ctx, line, ACCOUNT_CHANGE.PASSWORD_RESET, 'usermod.change_password', m[1]) },
  {
    re: /^change user name '([^']+)' to '([^']+)'/,
    build(m, s, ctx, line) {
      const e = account(s, ctx, line, ACCOUNT_CHANGE.OTHER, 'usermod.change_name', m[1]);
      e.user_result = { name: m[2]! };
      return e;
    },
  },
  {
    re: /^change user '([^']+)' (.+)$/,
    build(m, s, ctx, line) {
      const e = account(s, ctx, line, ACCOUNT_CHANGE.OTHER, 'usermod.change_user', m[1]);
      keep(e, 'change', m[2]);
      return e;
    },
  },
];

const userdelRules: readonly Rule[] = [
  { re: /^delete user '([^']+)'$/, build: (m, s, ctx, line) => account(s, ctx, line, ACCOUNT_CHANGE.DELETE, 'userdel.delete_user', m[1]) },
  MEMBERSHIP,
  {
    re: /^removed (shadow )?group '([^']+)'(?: owned by '([^']+)')?$/,
    build(m, s, ctx, line) {
      const e = group(s, ctx, line, GROUP_MANAGEMENT.DELETE, m[1] !== undefined ? 'userdel.removed_shadow_group' : 'userdel.removed_group', m[2]!);
      keep(e, 'owner', m[3]);
      return e;
    },
  },
];

const groupaddRules: readonly Rule[] = [NEW_GROUP, GROUP_ADDED];

const groupdelRules: readonly Rule[] = [
  {
    re: /^group '([^']+)' removed(?: from (\S+))?$/,
    build(m, s, ctx, line) {
      const e = group(s, ctx, line, GROUP_MANAGEMENT.DELETE, 'groupdel.group_removed', m[1]!);
      keep(e, 'file', m[2]);
      return e;
    },
  },
];

const gpasswdRules: readonly Rule[] = [
  {
    re: /^user (\S+) (added|removed) by (\S+) (?:to|from) group (\S+)$/,
    build(m, s, ctx, line) {
      const add = m[2] === 'added';
      const e = base(s, ctx, line, CLASS.GROUP_MANAGEMENT, add ? GROUP_MANAGEMENT.ADD_USER : GROUP_MANAGEMENT.REMOVE_USER, STATUS.SUCCESS, add ? 'gpasswd.user_added' : 'gpasswd.user_removed');
      e.user = user(m[1]);
      e.actor = { user: user(m[3])! };
      e.group = { name: m[4]! };
      return e;
    },
  },
  {
    re: /^members of group (\S+) set by (\S+) to (.*)$/,
    build(m, s, ctx, line) {
      const e = group(s, ctx, line, GROUP_MANAGEMENT.OTHER, 'gpasswd.members_set', m[1]!);
      e.actor = { user: user(m[2])! };
      keep(e, 'members', m[3]);
      return e;
    },
  },
];

/** passwd / chpasswd on RHEL: `password for 'alice' changed by 'root'`. */
const CHANGED_BY: Rule = {
  re: /^password for '([^']+)' changed by '([^']+)'$/,
  build(m, s, ctx, line) {
    const own = m[1] === m[2] && s.program !== 'chpasswd';
    const e = account(s, ctx, line, own ? ACCOUNT_CHANGE.PASSWORD_CHANGE : ACCOUNT_CHANGE.PASSWORD_RESET, `${s.program}.password_changed`, m[1]);
    if (!own) e.actor = { user: user(m[2])! };
    return e;
  },
};

const chageRules: readonly Rule[] = [
  { re: /^changed password expiry for (\S+)$/, build: (m, s, ctx, line) => account(s, ctx, line, ACCOUNT_CHANGE.OTHER, 'chage.changed_expiry', m[1]) },
];

// ---- PAM modules, whatever program logs them ---------------------------------------------------

/** PAM services whose sessions are switches of account, not sign-ins. */
const SWITCH_SERVICES = new Set(['su', 'su-l', 'sudo', 'sudo-i', 'runuser', 'runuser-l']);
/** PAM services whose sessions are jobs, not people: their lines are not authentication records. */
const JOB_SERVICES = new Set(['cron', 'crond', 'atd', 'systemd-user']);
/** Services people sign in at on the console. */
const LOCAL_SERVICES = new Set(['login', 'gdm-password', 'gdm-autologin', 'lightdm', 'sddm', 'xrdp-sesman']);

function logonTypeOf(e: IamEvent, service: string): void {
  if (service === 'sshd') sshLogon(e);
  else if (LOCAL_SERVICES.has(service)) {
    setLogonType(e, 2);
    e.is_remote = false;
  }
}

const PAM_KV = /(\w+)=(\S*)/g;

const pamRules: readonly Rule[] = [
  {
    re: /^pam_unix\(([^:)]+):auth\): authentication failure; (.*)$/,
    build(m, s, ctx, line) {
      const service = m[1]!;
      let target: string | undefined;
      let ruser: string | undefined;
      let logname: string | undefined;
      let rhost: string | undefined;
      let tty: string | undefined;
      PAM_KV.lastIndex = 0;
      for (let kv = PAM_KV.exec(m[2]!); kv !== null; kv = PAM_KV.exec(m[2]!)) {
        const value = kv[2] === '' ? undefined : kv[2];
        switch (kv[1]) {
          case 'user': target = value; break;
          case 'ruser': ruser = value; break;
          case 'logname': logname = value; break;
          case 'rhost': rhost = value; break;
          case 'tty': tty = value; break;
        }
      }
      const switching = SWITCH_SERVICES.has(service);
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, switching ? AUTHENTICATION.ACCOUNT_SWITCH : AUTHENTICATION.LOGON, STATUS.FAILURE, `${s.program}.pam_auth_failure`);
      e.user = user(target);
      const by = ruser ?? logname;
      if (by !== undefined && by !== target) e.actor = { user: user(by)! };
      source(e, rhost);
      logonTypeOf(e, service);
      e.status_detail = target === undefined ? 'unknown user' : 'bad password';
      keep(e, 'tty', tty);
      if (service !== s.program) keep(e, 'pam_service', service);
      return e;
    },
  },
  {
    re: /^pam_unix\(([^:)]+):session\): session (opened|closed) for user ([^\s(]+)(?:\(uid=\d+\))?(?: by ([^\s(]*)(?:\(uid=\d+\))?)?/,
    build(m, s, ctx, line) {
      const service = m[1]!;
      if (JOB_SERVICES.has(service.toLowerCase())) throw new MappingError(REASON.UNRECOGNIZED_LINE, `${s.program}: a ${service} job session, not a sign-in`);
      const opened = m[2] === 'opened';
      const activity = !opened ? AUTHENTICATION.LOGOFF : SWITCH_SERVICES.has(service) ? AUTHENTICATION.ACCOUNT_SWITCH : AUTHENTICATION.LOGON;
      const e = base(s, ctx, line, CLASS.AUTHENTICATION, activity, STATUS.SUCCESS, `${s.program}.session_${m[2]}`);
      e.user = user(m[3]);
      if (m[4] !== undefined && m[4] !== '' && m[4] !== m[3]) e.actor = { user: user(m[4])! };
      logonTypeOf(e, service);
      if (service !== s.program) keep(e, 'pam_service', service);
      return e;
    },
  },
  {
    re: /^pam_unix\(([^:)]+):chauthtok\): password changed for (\S+)$/,
    build(m, s, ctx, line) {
      // chpasswd is an administrator's tool: the password is set for someone, a reset.
      const reset = s.program === 'chpasswd' || m[1] === 'chpasswd';
      return account(s, ctx, line, reset ? ACCOUNT_CHANGE.PASSWORD_RESET : ACCOUNT_CHANGE.PASSWORD_CHANGE, `${s.program}.password_changed`, m[2]);
    },
  },
  {
    re: /^pam_faillock\(([^:)]+):auth\): Consecutive login failures for user (\S+) account temporarily locked$/,
    build(m, s, ctx, line) {
      const e = account(s, ctx, line, ACCOUNT_CHANGE.LOCK, `${s.program}.account_locked`, m[2]);
      keep(e, 'pam_module', 'pam_faillock');
      return e;
    },
  },
  {
    re: /^pam_tally2\(([^:)]+):auth\): user (\S+) \((\d+)\) tally (\d+), deny (\d+)$/,
    build(m, s, ctx, line) {
      const e = account(s, ctx, line, ACCOUNT_CHANGE.LOCK, `${s.program}.account_locked`, m[2]);
      e.user!.uid = m[3]!;
      keep(e, 'pam_module', 'pam_tally2');
      keep(e, 'failed_attempts', Number(m[4]));
      keep(e, 'deny', Number(m[5]));
      return e;
    },
  },
];

const PROGRAM_RULES: ReadonlyMap<string, readonly Rule[]> = new Map([
  ['sshd', sshdRules],
  ['sudo', sudoRules],
  ['su', suRules],
  ['login', loginRules],
  ['useradd', useraddRules],
  ['adduser', useraddRules],
  ['usermod', usermodRules],
  ['userdel', userdelRules],
  ['groupadd', groupaddRules],
  ['groupdel', groupdelRules],
  ['gpasswd', gpasswdRules],
  ['passwd', [CHANGED_BY]],
  ['chpasswd', [CHANGED_BY]],
  ['chage', chageRules],
]);

function match(rules: readonly Rule[], s: SyslogLine, ctx: MapContext, line: string): IamEvent | undefined {
  const message = s.message;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const m = rule.re.exec(message);
    if (m !== null) return rule.build(m, s, ctx, line);
  }
  return undefined;
}

export const linuxAuthMapper: FormatMapper = {
  format: FORMAT,
  payload: 'text',
  map(value: unknown, context: MapContext): IamEvent {
    if (typeof value !== 'string') throw new MappingError(REASON.NOT_TEXT, `record is ${value === null ? 'null' : typeof value}, not a text line`);
    const s = parseSyslogLine(value, context.observedTime);
    const rules = PROGRAM_RULES.get(s.program);
    if (rules !== undefined) {
      const e = match(rules, s, context, value);
      if (e !== undefined) return e;
    }
    if (s.message.startsWith('pam_')) {
      const e = match(pamRules, s, context, value);
      if (e !== undefined) return e;
    }
    throw new MappingError(REASON.UNRECOGNIZED_LINE, rules === undefined && !s.message.startsWith('pam_')
      ? `${s.program}: not a program whose lines authwire maps`
      : `${s.program}: message is not an authentication or account record`);
  },
};
