import { ATTACK_AGENTS, ATTACK_LOCATIONS, LINUX_HOSTS, WINDOWS_SERVERS, ghostUser, rogueUser } from './directory.js';
import type { Directory } from './directory.js';
import type { FormatSpec } from './formats/common.js';
import { A, Act } from './model.js';
import type { Action, Agent, FormatName, Location, ScenarioName, User } from './model.js';
import type { Prng } from './prng.js';

/**
 * Attack scenarios. Each one, when it starts, is expanded into the full list of acts it will
 * emit (interleaved with background noise by the engine). Attack traffic always comes from the
 * 203.0.113.0/24 and 192.0.2.0/24 documentation ranges, noise never does, so tests and demos can
 * tell them apart.
 */

interface Requirement {
  /** A format qualifies when it supports every action of one of these sets. */
  readonly anyOf: readonly (readonly Action[])[];
  /** Formats allowed at all (unapproved_account_creation only happens on hosts). */
  readonly only?: readonly FormatName[];
}

export const REQUIREMENTS: Readonly<Record<ScenarioName, Requirement>> = {
  credential_stuffing: { anyOf: [[A.LOGIN_FAIL, A.LOGIN_OK]] },
  brute_force: { anyOf: [[A.LOGIN_FAIL, A.LOCKOUT], [A.MFA_BAD_CODE, A.LOCKOUT]] },
  password_spray: { anyOf: [[A.LOGIN_FAIL]] },
  recovery_abuse: { anyOf: [[A.RESET_REQUEST]] },
  mfa_fatigue: { anyOf: [[A.MFA_PUSH_DENY]] },
  unapproved_account_creation: { anyOf: [[A.USER_CREATE, A.GROUP_ADD]], only: ['linux.auth', 'windows.security'] },
};

export function eligibleFormats(name: ScenarioName, formats: readonly FormatSpec[]): FormatSpec[] {
  const req = REQUIREMENTS[name];
  return formats.filter((f) => (req.only === undefined || req.only.includes(f.name)) && req.anyOf.some((set) => set.every((a) => f.supports.includes(a))));
}

export const BRUTE_FORCE_FAILURES = 10;
export const BRUTE_FORCE_LOCKED_ATTEMPTS = 3;
export const STUFFING_ATTEMPTS = 40;
export const STUFFING_SUCCESSES = 2;
export const SPRAY_ACCOUNTS = 25;
export const RECOVERY_ATTEMPTS = 15;
export const FATIGUE_PUSHES = 12;

class Builder {
  readonly acts: Act[] = [];
  constructor(
    readonly r: Prng,
    readonly dir: Directory,
    readonly format: FormatSpec,
    readonly host: string,
  ) {}

  has(action: Action): boolean {
    return this.format.supports.includes(action);
  }

  add(action: Action, user: User, ip: string, loc: Location, agent: Agent): Act {
    const act = new Act(action, this.format.name, user, ip, loc, agent, true);
    act.variant = this.r.int(12);
    act.host = this.host;
    this.acts.push(act);
    return act;
  }

  attackSource(): { ip: string; loc: Location; agent: Agent } {
    const i = this.r.int(this.dir.attackIps.length);
    return { ip: this.dir.attackIps[i]!, loc: ATTACK_LOCATIONS[i % ATTACK_LOCATIONS.length]!, agent: this.r.pick(ATTACK_AGENTS) };
  }

  victim(): User {
    // Skip the admins: an attack on them is realistic but makes the demo's story muddier.
    return this.dir.users[this.dir.admins.length + this.r.int(this.dir.users.length - this.dir.admins.length)]!;
  }

  distinctUsers(n: number): User[] {
    const picked = new Set<number>();
    const out: User[] = [];
    while (out.length < n) {
      const u = this.victim();
      if (picked.has(u.index)) continue;
      picked.add(u.index);
      out.push(u);
    }
    return out;
  }
}

function hostFor(format: FormatName, r: Prng, dir: Directory): string {
  if (format === 'linux.auth') return r.pick(LINUX_HOSTS);
  if (format === 'windows.security') return `${r.pick(WINDOWS_SERVERS)}.${dir.adDomain}`;
  return '';
}

/** Expands one scenario run, or returns null when no configured format can show it. */
export function buildScenario(name: ScenarioName, r: Prng, dir: Directory, formats: readonly FormatSpec[]): Act[] | null {
  const eligible = eligibleFormats(name, formats);
  if (eligible.length === 0) return null;
  const format = r.pick(eligible);
  const b = new Builder(r, dir, format, hostFor(format.name, r, dir));
  switch (name) {
    case 'credential_stuffing':
      credentialStuffing(b);
      break;
    case 'brute_force':
      bruteForce(b);
      break;
    case 'password_spray':
      passwordSpray(b);
      break;
    case 'recovery_abuse':
      recoveryAbuse(b);
      break;
    case 'mfa_fatigue':
      mfaFatigue(b);
      break;
    case 'unapproved_account_creation':
      unapprovedAccountCreation(b);
      break;
  }
  return b.acts;
}

/** Leaked credential pairs replayed from a botnet: many accounts, many IPs, a few hits. */
function credentialStuffing(b: Builder): void {
  const pool: { ip: string; loc: Location; agent: Agent }[] = [];
  for (let i = 0; i < 12; i++) pool.push(b.attackSource());
  const canUnknown = b.has(A.LOGIN_UNKNOWN_USER);
  // Decide the successes up front so the count is exact: two of the existing-account attempts.
  const plan: boolean[] = [];
  for (let i = 0; i < STUFFING_ATTEMPTS; i++) plan.push(canUnknown && b.r.chance(0.3));
  const existing: number[] = [];
  plan.forEach((ghost, i) => {
    if (!ghost) existing.push(i);
  });
  const hits = new Set<number>();
  while (hits.size < Math.min(STUFFING_SUCCESSES, existing.length)) hits.add(existing[b.r.int(existing.length)]!);
  for (let i = 0; i < STUFFING_ATTEMPTS; i++) {
    const src = pool[b.r.int(pool.length)]!;
    if (plan[i]) b.add(A.LOGIN_UNKNOWN_USER, ghostUser(b.r, b.dir, src.agent), src.ip, src.loc, src.agent);
    else b.add(hits.has(i) ? A.LOGIN_OK : A.LOGIN_FAIL, b.victim(), src.ip, src.loc, src.agent);
  }
}

/** One account hammered from one address until the IdP locks it, then a few more tries. */
function bruteForce(b: Builder): void {
  const user = b.victim();
  const src = b.attackSource();
  const fail = b.has(A.LOGIN_FAIL) ? A.LOGIN_FAIL : A.MFA_BAD_CODE;
  for (let i = 0; i < BRUTE_FORCE_FAILURES; i++) b.add(fail, user, src.ip, src.loc, src.agent).attempt = i + 1;
  b.add(A.LOCKOUT, user, src.ip, src.loc, src.agent).attempt = BRUTE_FORCE_FAILURES;
  if (b.has(A.LOGIN_LOCKED)) {
    for (let i = 0; i < BRUTE_FORCE_LOCKED_ATTEMPTS; i++) b.add(A.LOGIN_LOCKED, user, src.ip, src.loc, src.agent).attempt = BRUTE_FORCE_FAILURES + i + 1;
  }
}

/** One address, one or two common passwords against many accounts. */
function passwordSpray(b: Builder): void {
  const src = b.attackSource();
  for (const user of b.distinctUsers(SPRAY_ACCOUNTS)) {
    const tries = b.r.chance(0.3) ? 2 : 1;
    for (let t = 0; t < tries; t++) b.add(A.LOGIN_FAIL, user, src.ip, src.loc, src.agent);
  }
  if (b.has(A.IP_BLOCK)) b.add(A.IP_BLOCK, b.victim(), src.ip, src.loc, src.agent);
}

/** Password-reset / recovery flows abused: one account from many addresses, or many accounts from one. */
function recoveryAbuse(b: Builder): void {
  const canFail = b.has(A.RESET_REQUEST_FAIL);
  if (b.r.chance(0.5)) {
    const user = b.victim();
    for (let i = 0; i < RECOVERY_ATTEMPTS; i++) {
      const src = b.attackSource();
      const act = b.add(canFail && i >= RECOVERY_ATTEMPTS - 5 ? A.RESET_REQUEST_FAIL : A.RESET_REQUEST, user, src.ip, src.loc, src.agent);
      act.variant = i % 4 === 3 ? 3 : 0;
    }
  } else {
    const src = b.attackSource();
    for (const user of b.distinctUsers(RECOVERY_ATTEMPTS)) {
      const act = b.add(canFail && b.r.chance(0.3) ? A.RESET_REQUEST_FAIL : A.RESET_REQUEST, user, src.ip, src.loc, src.agent);
      act.variant = 1;
    }
  }
}

/** A burst of push prompts to one user until they deny, ignore, or (sometimes) approve. */
function mfaFatigue(b: Builder): void {
  const user = b.victim();
  const src = b.attackSource();
  const agent = ATTACK_AGENTS[2]!;
  const sent = b.has(A.MFA_PUSH_SENT);
  const timeout = b.has(A.MFA_TIMEOUT);
  for (let i = 0; i < FATIGUE_PUSHES; i++) {
    if (sent) b.add(A.MFA_PUSH_SENT, user, src.ip, src.loc, agent);
    b.add(timeout && b.r.chance(0.3) ? A.MFA_TIMEOUT : A.MFA_PUSH_DENY, user, src.ip, src.loc, agent).attempt = i + 1;
  }
  if (b.has(A.MFA_OK) && b.r.chance(0.5)) b.add(A.MFA_OK, user, src.ip, src.loc, agent);
}

/** A local account made directly on a host, never requested through the IAM system. */
function unapprovedAccountCreation(b: Builder): void {
  const rogue = rogueUser(b.r, b.dir);
  const insider = b.victim();
  const admins = b.dir.groups.filter((g) => g.privileged);
  const group = b.format.name === 'linux.auth' ? admins.find((g) => g.linux === 'sudo')! : admins.find((g) => g.winEvent === 4732)!;
  const ip = insider.lanIp;
  const loc = insider.home;
  const create = b.add(A.USER_CREATE, rogue, ip, loc, insider.agent);
  create.actor = insider;
  if (b.has(A.USER_ENABLE)) b.add(A.USER_ENABLE, rogue, ip, loc, insider.agent).actor = insider;
  const add = b.add(A.GROUP_ADD, rogue, ip, loc, insider.agent);
  add.actor = insider;
  add.group = group;
  b.add(A.LOGIN_OK, rogue, `10.20.${200 + b.r.int(50)}.${1 + b.r.int(250)}`, loc, insider.agent);
}
