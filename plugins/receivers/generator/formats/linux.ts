import { LINUX_HOSTS } from '../directory.js';
import { A } from '../model.js';
import type { Act } from '../model.js';
import type { FormatSpec, RenderContext } from './common.js';
import { unsupported } from './common.js';

/**
 * /var/log/auth.log lines (RFC 3164 syslog as rsyslog writes them on Debian/Ubuntu): sshd, sudo,
 * pam_unix, pam_faillock, useradd/usermod/gpasswd/passwd. The hosts log in UTC.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const KEY_TYPES = ['ED25519', 'RSA', 'ECDSA'] as const;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const COMMANDS = ['/usr/bin/systemctl restart nginx', '/usr/bin/apt-get update', '/usr/bin/journalctl -u sshd', '/usr/bin/docker ps', '/bin/cat /var/log/syslog'] as const;

function stamp(time: number): string {
  const d = new Date(time);
  const day = d.getUTCDate();
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  // RFC 3164 pads a one-digit day with a space: "Nov  3".
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' : ''}${day} ${hh}:${mm}:${ss}`;
}

function fingerprint(ctx: RenderContext): string {
  let out = '';
  for (let i = 0; i < 43; i++) out += B64[ctx.r.int(64)]!;
  return out;
}

function render(act: Act, time: number, ctx: RenderContext): string {
  const r = ctx.r;
  const u = act.user;
  const host = act.host !== '' ? act.host : LINUX_HOSTS[act.variant % LINUX_HOSTS.length]!;
  const pid = r.range(1200, 65000);
  const port = r.range(32768, 60999);
  const prefix = `${stamp(time)} ${host} `;
  switch (act.action) {
    case A.LOGIN_OK:
      return act.variant % 3 === 0
        ? `${prefix}sshd[${pid}]: Accepted password for ${u.sam} from ${act.ip} port ${port} ssh2`
        : `${prefix}sshd[${pid}]: Accepted publickey for ${u.sam} from ${act.ip} port ${port} ssh2: ${KEY_TYPES[act.variant % 3]} SHA256:${fingerprint(ctx)}`;
    case A.MFA_OK:
      return `${prefix}sshd[${pid}]: Accepted keyboard-interactive/pam for ${u.sam} from ${act.ip} port ${port} ssh2`;
    case A.MFA_BAD_CODE:
      return `${prefix}sshd(pam_google_authenticator)[${pid}]: Invalid verification code for ${u.sam}`;
    case A.LOGIN_FAIL:
    case A.LOGIN_LOCKED:
      return `${prefix}sshd[${pid}]: Failed password for ${u.sam} from ${act.ip} port ${port} ssh2`;
    case A.LOGIN_UNKNOWN_USER:
      return act.variant % 2 === 0
        ? `${prefix}sshd[${pid}]: Failed password for invalid user ${u.sam} from ${act.ip} port ${port} ssh2`
        : `${prefix}sshd[${pid}]: Invalid user ${u.sam} from ${act.ip} port ${port}`;
    case A.LOCKOUT:
      return `${prefix}sshd[${pid}]: pam_faillock(sshd:auth): Consecutive login failures for user ${u.sam} account temporarily locked`;
    case A.LOGOUT:
      return act.variant % 2 === 0
        ? `${prefix}sshd[${pid}]: pam_unix(sshd:session): session closed for user ${u.sam}`
        : `${prefix}sshd[${pid}]: Disconnected from user ${u.sam} ${act.ip} port ${port}`;
    case A.SUDO:
      return `${prefix}sudo: ${u.sam} : TTY=pts/${act.variant % 4} ; PWD=/home/${u.sam} ; USER=root ; COMMAND=${COMMANDS[act.variant % COMMANDS.length]}`;
    case A.USER_CREATE: {
      const admin = act.actor ?? ctx.dir.admins[0]!;
      // Real useradd first logs a `new group:` line; only the `new user:` line is emitted.
      return `${prefix}useradd[${pid}]: new user: name=${u.sam}, UID=${u.uid}, GID=${u.uid}, home=/home/${u.sam}, shell=/bin/bash, from=/dev/pts/${admin.index % 4}`;
    }
    case A.GROUP_ADD:
      return act.variant % 2 === 0
        ? `${prefix}usermod[${pid}]: add '${u.sam}' to group '${act.group?.linux ?? 'sudo'}'`
        : `${prefix}gpasswd[${pid}]: user ${u.sam} added by root to group ${act.group?.linux ?? 'sudo'}`;
    case A.GROUP_REMOVE:
      return `${prefix}gpasswd[${pid}]: user ${u.sam} removed by root from group ${act.group?.linux ?? 'developers'}`;
    case A.PASSWORD_CHANGE:
    case A.RESET_DONE:
      return `${prefix}passwd[${pid}]: pam_unix(passwd:chauthtok): password changed for ${u.sam}`;
    default:
      return unsupported('linux.auth', act.action);
  }
}

export const linuxAuth: FormatSpec = {
  name: 'linux.auth',
  supports: [A.LOGIN_OK, A.MFA_OK, A.MFA_BAD_CODE, A.LOGIN_FAIL, A.LOGIN_LOCKED, A.LOGIN_UNKNOWN_USER, A.LOCKOUT, A.LOGOUT, A.SUDO, A.USER_CREATE, A.GROUP_ADD, A.GROUP_REMOVE, A.PASSWORD_CHANGE, A.RESET_DONE],
  render,
};
