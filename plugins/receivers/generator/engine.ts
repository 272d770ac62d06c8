import type { RawRecord } from '../../../core/api.js';
import { buildDirectory, WINDOWS_SERVERS } from './directory.js';
import type { Directory } from './directory.js';
import type { FormatSpec, RenderContext } from './formats/common.js';
import { FORMAT_SPECS } from './formats/index.js';
import { A, Act, ACTION_COUNT } from './model.js';
import type { Action, FormatName, ScenarioName } from './model.js';
import { deriveSeed, Prng } from './prng.js';
import { buildScenario, eligibleFormats } from './scenarios.js';

/**
 * The deterministic heart of the generator: given the seed and the record index it decides what
 * happens and renders it. It knows nothing about timers or consumers, so the same sequence comes
 * out whether records are paced in real time or fast-forwarded.
 */

/** Relative frequency of each act in background noise (what a normal working day looks like). */
const NOISE_WEIGHTS: Partial<Record<Action, number>> = {
  [A.LOGIN_OK]: 30,
  [A.TOKEN_REFRESH]: 14,
  [A.LOGOUT]: 10,
  [A.MFA_OK]: 10,
  [A.SUDO]: 8,
  [A.LOGIN_FAIL]: 6,
  [A.MFA_PUSH_SENT]: 3,
  [A.GROUP_ADD]: 3,
  [A.MFA_BAD_CODE]: 1.5,
  [A.GROUP_REMOVE]: 1.5,
  [A.MFA_TIMEOUT]: 1,
  [A.RESET_REQUEST]: 1,
  [A.RESET_DONE]: 1,
  [A.PASSWORD_CHANGE]: 1,
  [A.USER_CREATE]: 0.8,
  [A.USER_ENABLE]: 0.6,
  [A.USER_DISABLE]: 0.6,
  [A.MFA_PUSH_DENY]: 0.5,
  [A.ROLE_GRANT]: 0.3,
  [A.UNLOCK]: 0.3,
};

/**
 * Acts that are unusual in a real organisation: failures, resets, account and privilege changes.
 * `noise_failure_scale` multiplies their weight (1 keeps the busy default; the demo uses less, so
 * that noise alone stays below the detector's thresholds and the attacks stand out).
 */
const UNUSUAL: ReadonlySet<Action> = new Set([
  A.LOGIN_FAIL, A.MFA_BAD_CODE, A.MFA_TIMEOUT, A.MFA_PUSH_DENY, A.RESET_REQUEST, A.RESET_DONE,
  A.ROLE_GRANT, A.USER_CREATE, A.USER_ENABLE, A.USER_DISABLE, A.UNLOCK,
]);

/** Host formats never see account creation in noise: that is what the unapproved scenario shows. */
const HOST_FORMATS: ReadonlySet<FormatName> = new Set(['linux.auth', 'windows.security']);

/** How often each format shows up in noise: sign-in streams are busy, admin and failure-only feeds are not. */
const FORMAT_WEIGHTS: Readonly<Record<FormatName, number>> = {
  'keycloak.event': 3,
  'keycloak.admin_event': 0.5,
  mfa_api: 0.5,
  okta: 3,
  'entra.signin': 3,
  'entra.audit': 0.5,
  auth0: 2,
  'linux.auth': 2,
  'windows.security': 2,
};

/** Share of records taken from a running scenario (the rest stays noise, as in real traffic). */
const ATTACK_SHARE = 0.5;

/** New hires: the tail of the directory is what noise "creates". */
const NEW_HIRES = 10;

interface NoiseTable {
  readonly spec: FormatSpec;
  readonly actions: readonly Action[];
  /** Cumulative weights, same length as actions. */
  readonly cumulative: readonly number[];
  readonly total: number;
}

export interface EngineOptions {
  readonly seed: number;
  readonly formats: readonly FormatName[];
  readonly scenarios: readonly ScenarioName[];
  /** A scenario starts every this many records (the first at record 0). */
  readonly scenarioEvery: number;
  readonly domain: string;
  /** Multiplies the weight of unusual acts in noise (default 1). */
  readonly noiseFailureScale?: number;
}

export class Engine {
  readonly dir: Directory;
  /** Scenarios that some configured format can show, in rotation order. */
  readonly runnable: readonly ScenarioName[];
  /** Scenarios that no configured format can show (skipped). */
  readonly skipped: readonly ScenarioName[];
  /** Records produced so far. */
  index = 0;
  /** Scenario runs started so far. */
  scenariosStarted = 0;

  private readonly r: Prng;
  private readonly ctx: RenderContext;
  private readonly specs: readonly FormatSpec[];
  private readonly noise: readonly NoiseTable[];
  private readonly noiseCumulative: readonly number[];
  private readonly noiseTotal: number;
  private readonly scenarioEvery: number;
  private queue: Act[] = [];
  private queueHead = 0;

  constructor(options: EngineOptions) {
    this.dir = buildDirectory(options.seed, options.domain);
    this.r = new Prng(deriveSeed(options.seed, 0xe7e7));
    this.ctx = { dir: this.dir, r: this.r };
    this.specs = options.formats.map((name) => FORMAT_SPECS[name]);
    this.noise = this.specs.map((spec) => noiseTable(spec, options.noiseFailureScale ?? 1));
    const cumulative: number[] = [];
    let total = 0;
    // A format whose every noise act is scaled away (mfa_api logs only failures) emits no noise.
    this.specs.forEach((spec, i) => cumulative.push((total += this.noise[i]!.total > 0 ? FORMAT_WEIGHTS[spec.name] : 0)));
    if (total === 0) throw new Error(`generator: formats ${options.formats.join(', ')} have no background noise with noise_failure_scale 0; add a sign-in format or raise the scale`);
    this.noiseCumulative = cumulative;
    this.noiseTotal = total;
    this.runnable = options.scenarios.filter((s) => eligibleFormats(s, this.specs).length > 0);
    this.skipped = options.scenarios.filter((s) => !this.runnable.includes(s));
    this.scenarioEvery = Math.max(1, Math.floor(options.scenarioEvery));
  }

  /** Fills `out` (reusing it) with the next record. */
  next(time: number, out: RawRecord): RawRecord {
    const i = this.index++;
    if (this.runnable.length > 0 && i % this.scenarioEvery === 0) this.startScenario();
    let act: Act;
    if (this.queueHead < this.queue.length && this.r.next() < ATTACK_SHARE) act = this.queue[this.queueHead++]!;
    else act = this.noiseAct();
    if (this.queueHead === this.queue.length && this.queueHead > 0) {
      this.queue = [];
      this.queueHead = 0;
    }
    out.format = act.format;
    out.payload = FORMAT_SPECS[act.format].render(act, time, this.ctx);
    return out;
  }

  private startScenario(): void {
    const name = this.runnable[this.scenariosStarted % this.runnable.length]!;
    this.scenariosStarted++;
    const acts = buildScenario(name, this.r, this.dir, this.specs);
    if (acts !== null) for (const act of acts) this.queue.push(act);
  }

  private noiseAct(): Act {
    const r = this.r;
    const y = r.next() * this.noiseTotal;
    let f = 0;
    while (f < this.noiseCumulative.length - 1 && this.noiseCumulative[f]! <= y) f++;
    const table = this.noise[f]!;
    const x = r.next() * table.total;
    let k = 0;
    while (k < table.cumulative.length - 1 && table.cumulative[k]! <= x) k++;
    const action = table.actions[k]!;
    const users = this.dir.users;
    const user = action === A.USER_CREATE ? users[users.length - NEW_HIRES + r.int(NEW_HIRES)]! : users[r.int(users.length)]!;
    const format = table.spec.name;
    const onHost = HOST_FORMATS.has(format);
    const act = new Act(action, format, user, onHost ? user.lanIp : user.homeIp, user.home, user.agent, false);
    act.variant = r.int(12);
    if (action === A.GROUP_ADD || action === A.GROUP_REMOVE) {
      const groups = this.dir.groups;
      // Privileged groups change rarely; most churn is team membership.
      act.group = r.chance(0.1) ? groups[groups.length - 2 + r.int(2)]! : groups[r.int(groups.length - 2)]!;
    }
    if (action === A.ROLE_GRANT) act.role = this.dir.roles[r.int(this.dir.roles.length)]!;
    if (action === A.GROUP_ADD || action === A.GROUP_REMOVE || action === A.ROLE_GRANT || action === A.USER_CREATE || action === A.USER_ENABLE || action === A.USER_DISABLE || action === A.UNLOCK || (action === A.RESET_DONE && format !== 'linux.auth')) {
      act.actor = this.dir.admins[r.int(this.dir.admins.length)]!;
      act.ip = onHost ? act.actor.lanIp : act.actor.homeIp;
    }
    if (format === 'windows.security' && (action === A.LOGIN_OK || action === A.LOGIN_FAIL || action === A.LOGOUT)) {
      act.host = `${WINDOWS_SERVERS[act.variant % WINDOWS_SERVERS.length]}.${this.dir.adDomain}`;
    }
    return act;
  }
}

function noiseTable(spec: FormatSpec, unusualScale: number): NoiseTable {
  const actions: Action[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (let a = 0; a < ACTION_COUNT; a++) {
    const action = a as Action;
    const base = NOISE_WEIGHTS[action];
    if (base === undefined || !spec.supports.includes(action)) continue;
    const weight = UNUSUAL.has(action) ? base * unusualScale : base;
    if (weight <= 0) continue;
    if (action === A.USER_CREATE && HOST_FORMATS.has(spec.name)) continue;
    actions.push(action);
    total += weight;
    cumulative.push(total);
  }
  return { spec, actions, cumulative, total };
}
