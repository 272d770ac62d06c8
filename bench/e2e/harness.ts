/**
 * `npm run bench:e2e`: the end-to-end load harness (issue 8). The same job done by authwire and by
 * rsyslog, in one run, alternating between them:
 *
 *   generator ──TCP, RFC 5424 + Keycloak JSON, LF──► server under test ──TCP, CEF over syslog──► sink
 *
 * Variants: authwire (syslog → normalize → cef), authwire with detect on 1 and on 2 worker
 * threads, and rsyslog (imptcp → mmjsonparse → CEF template → omfwd) when rsyslogd is installed.
 * Every server runs for the whole harness; each round runs every variant once, starting with a
 * different one each round, so that load from elsewhere on the machine spreads over all of them.
 *
 * Per variant: events/s (first byte sent → last message received; median of the runs), CPU seconds
 * per million events (/proc utime + stime of the server process), peak RSS (VmHWM), and latency
 * p50/p99 at a fixed offered rate (receipt time − the send time carried in the event, 1 ms
 * resolution). Correctness is checked on every run: each event arrives once, well formed; the
 * exit code is 1 when one did not. The result is printed and written as JSON (--out).
 *
 * Options (all optional): --events N (per throughput run, 100000), --runs R (3), --warmup N
 * (10000; a run per variant not counted), --rate R (offered events/s of the latency phase, 50000),
 * --latency-seconds S (2; 0 skips the phase), --throughput-rate R (0 = as fast as accepted),
 * --variants a,b (authwire,authwire-detect-w1,authwire-detect-w2,rsyslog), --out FILE
 * (data/bench-e2e.json), --idle-timeout S (15), --rsyslogd PATH, --require-rsyslog, --no-rsyslog,
 * --keep (keep the work directory with configs and logs), --cpu-prof DIR (run the authwire servers
 * under `node --cpu-prof`, profiles written to DIR when they stop; summarise them with
 * `node dist/bench/e2e/profile.js DIR/*.cpuprofile`), --server-node-args "ARGS" (more node options
 * for the authwire servers, e.g. "--trace-gc"; with --keep their output stays in the work directory).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { GeneratorOptions, GeneratorReply, SinkFinal, SinkReply, SinkRequest, SinkRunResult } from './protocol.js';
import { cpuSecondsOf, findRsyslogd, killAll, startAuthwire, startRsyslog } from './servers.js';
import type { AuthwireVariant, Server } from './servers.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const AUTHWIRE_VARIANTS: readonly AuthwireVariant[] = [
  { variant: 'authwire', detect: false, workers: 1 },
  { variant: 'authwire-detect-w1', detect: true, workers: 1 },
  { variant: 'authwire-detect-w2', detect: true, workers: 2 },
];
const ALL_VARIANTS = [...AUTHWIRE_VARIANTS.map((v) => v.variant), 'rsyslog'];

export interface HarnessOptions {
  events: number;
  runs: number;
  warmup: number;
  rate: number;
  latencySeconds: number;
  throughputRate: number;
  variants: string[];
  out: string;
  idleTimeoutMs: number;
  rsyslogd: string | undefined;
  requireRsyslog: boolean;
  keep: boolean;
  /** Run the authwire servers under `node --cpu-prof`, writing profiles here; undefined: no profiling. */
  cpuProf: string | undefined;
  /** More node options for the authwire servers (`--trace-gc`, ...), for profiling; empty normally. */
  serverNodeArgs: string[];
}

export interface RunRecord {
  tag: string;
  kind: 'warmup' | 'throughput' | 'latency';
  events: number;
  /** Offered rate; 0 = as fast as accepted. */
  rate: number;
  received: number;
  duplicates: number;
  lost: number;
  malformed: number;
  malformedSamples: string[];
  /** Events of this run that arrived after it was reported (after a timeout). */
  late: number;
  detections: number;
  foreign: number;
  seconds: number;
  eventsPerSec: number;
  /** Events/s the generator achieved (for the fixed-rate phase: did it offer what was asked?). */
  sentPerSec: number;
  generatorStalls: number;
  cpuSeconds: number;
  cpuSecondsPerMillion: number;
  /** The load's own cost on the same cores: the generator's CPU and the sink's, over the run. */
  generatorCpuSeconds: number;
  sinkCpuSeconds: number;
  timedOut: boolean;
  generatorError: string | undefined;
  latency: SinkRunResult['latency'];
}

export interface VariantResult {
  variant: string;
  description: string;
  pid: number | undefined;
  error: string | undefined;
  runs: RunRecord[];
  summary: {
    eventsPerSec: number;
    cpuSecondsPerMillion: number;
    peakRssBytes: number;
    latencyP50Ms: number | undefined;
    latencyP99Ms: number | undefined;
    latencyOfferedPerSec: number | undefined;
    /** The latency phase's events arrived at under 95% of the offered rate: its latency is mostly queueing. */
    latencySaturated: boolean;
    detections: number;
    /** Every event of every run arrived exactly once and well formed. */
    correct: boolean;
  };
  exit: { code: number | null; signal: string | null } | undefined;
}

export interface HarnessResult {
  timestamp: string;
  commit: string | undefined;
  machine: { nproc: number; cpuModel: string; node: string; loadAverageBefore: number[]; loadAverageAfter: number[]; rsyslog: string | undefined };
  options: Omit<HarnessOptions, 'out' | 'keep' | 'cpuProf' | 'serverNodeArgs'>;
  rsyslogMissing: string | undefined;
  variants: VariantResult[];
  /** authwire variant / rsyslog, for each measure (events/s: >1 is better for authwire; the others: <1). */
  ratios: Record<string, { eventsPerSec: number; cpuSecondsPerMillion: number; peakRss: number; latencyP50: number | undefined; latencyP99: number | undefined }>;
  /** Messages the sink got while no run was open: malformed ones, and events of no known run. */
  outsideRuns: { malformed: number; foreign: number };
  correct: boolean;
  seconds: number;
}

const DESCRIPTIONS: Record<string, string> = {
  authwire: 'authwire: syslog (keycloak.event) → normalize → cef (TCP)',
  'authwire-detect-w1': 'authwire: syslog → normalize → detect (builtin rules, 1 worker) → cef',
  'authwire-detect-w2': 'authwire: syslog → normalize → detect (builtin rules, 2 workers) → cef',
  rsyslog: 'rsyslog: imptcp → mmjsonparse → CEF template → omfwd (TCP)',
};

function number(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0, got ${JSON.stringify(value)}`);
  return n;
}

export function parseOptions(argv: string[]): HarnessOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      'latency-seconds': { type: 'string' },
      'throughput-rate': { type: 'string' },
      variants: { type: 'string' },
      out: { type: 'string' },
      'idle-timeout': { type: 'string' },
      rsyslogd: { type: 'string' },
      'require-rsyslog': { type: 'boolean' },
      'no-rsyslog': { type: 'boolean' },
      keep: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      'server-node-args': { type: 'string' },
    },
    strict: true,
  });
  let variants = values.variants === undefined ? [...ALL_VARIANTS] : values.variants.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const unknown = variants.filter((v) => !ALL_VARIANTS.includes(v));
  if (unknown.length > 0) throw new Error(`unknown variants ${unknown.join(', ')}; known: ${ALL_VARIANTS.join(', ')}`);
  if (values['no-rsyslog'] === true) variants = variants.filter((v) => v !== 'rsyslog');
  const events = Math.floor(number(values.events, 100_000, 'events'));
  if (events < 1) throw new Error('--events must be at least 1');
  return {
    events,
    runs: Math.max(1, Math.floor(number(values.runs, 3, 'runs'))),
    warmup: Math.floor(number(values.warmup, 10_000, 'warmup')),
    rate: number(values.rate, 50_000, 'rate'),
    latencySeconds: number(values['latency-seconds'], 2, 'latency-seconds'),
    throughputRate: number(values['throughput-rate'], 0, 'throughput-rate'),
    variants,
    out: values.out ?? 'data/bench-e2e.json',
    idleTimeoutMs: number(values['idle-timeout'], 15, 'idle-timeout') * 1000,
    rsyslogd: values.rsyslogd,
    requireRsyslog: values['require-rsyslog'] === true,
    keep: values.keep === true,
    cpuProf: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    serverNodeArgs: (values['server-node-args'] ?? '').split(/\s+/).filter((arg) => arg !== ''),
  };
}

/** The sink child process and its replies. */
class Sink {
  private readonly waiters: { match: (reply: SinkReply) => boolean; resolve: (reply: SinkReply) => void }[] = [];
  private exited = false;

  readonly pid: number;

  private constructor(private readonly child: ChildProcess) {
    this.pid = child.pid ?? 0;
    child.on('message', (reply: SinkReply) => {
      const index = this.waiters.findIndex((waiter) => waiter.match(reply));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(reply);
    });
    child.once('exit', () => {
      this.exited = true;
    });
  }

  static async start(): Promise<{ sink: Sink; port: number }> {
    const child = fork(join(HERE, 'sink.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const sink = new Sink(child);
    const listening = await sink.next((reply) => reply.type === 'listening', 10_000, 'the sink to listen');
    return { sink, port: (listening as { port: number }).port };
  }

  next(match: (reply: SinkReply) => boolean, timeoutMs: number, what: string): Promise<SinkReply> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`the sink exited while waiting for ${what}`));
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (reply: SinkReply) => {
          clearTimeout(timer);
          resolve(reply);
        },
      };
      this.waiters.push(waiter);
    });
  }

  send(request: SinkRequest): void {
    this.child.send(request);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }
}

function generate(options: GeneratorOptions): Promise<GeneratorReply> {
  return new Promise((resolve) => {
    const child = fork(join(HERE, 'generator.js'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: GeneratorReply | undefined;
    child.on('message', (message: GeneratorReply) => (reply = message));
    child.once('exit', (code, signal) => resolve(reply ?? { type: 'error', message: `generator exited (code ${code}, signal ${signal}) without a result` }));
  });
}

async function stopServers(servers: Map<string, Server>, results: Map<string, VariantResult>): Promise<void> {
  for (const [variant, server] of servers) {
    const stopped = await server.stop();
    const result = results.get(variant)!;
    if (result.exit !== undefined) continue;
    result.exit = { code: stopped.code, signal: stopped.signal };
    if (stopped.code !== 0 && result.error === undefined) result.error = `exited with code ${stopped.code} (signal ${stopped.signal ?? '-'}) after SIGTERM:\n${stopped.log}`;
  }
}

let tagCounter = 0;

async function runOnce(sink: Sink, server: Server, kind: RunRecord['kind'], events: number, rate: number, options: HarnessOptions): Promise<RunRecord> {
  const tag = `r${++tagCounter}`;
  const latency = kind === 'latency';
  sink.send({ type: 'expect', tag, count: events, idleTimeoutMs: options.idleTimeoutMs, latency });
  await sink.next((reply) => reply.type === 'ready' && reply.tag === tag, 10_000, 'the sink to be ready');
  const resultPromise = sink.next((reply) => reply.type === 'result' && reply.tag === tag, 24 * 3600_000, `run ${tag}`);
  const cpuBefore = server.cpuSeconds();
  const sinkCpuBefore = cpuSecondsOf(sink.pid);
  const [sent, reply] = await Promise.all([generate({ host: '127.0.0.1', port: server.port, tag, count: events, rate }), resultPromise]);
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  const sinkCpuSeconds = cpuSecondsOf(sink.pid) - sinkCpuBefore;
  const result = reply as SinkRunResult;
  const ok = sent.type === 'sent' ? sent : undefined;
  const seconds = ok !== undefined && result.received > 0 ? (result.lastReceivedAt - ok.firstByteAt) / 1000 : 0;
  return {
    tag,
    kind,
    events,
    rate,
    received: result.received,
    duplicates: result.duplicates,
    lost: result.lost,
    malformed: result.malformed,
    malformedSamples: result.malformedSamples,
    late: 0,
    detections: result.detections,
    foreign: result.foreign,
    seconds,
    eventsPerSec: seconds > 0 ? result.received / seconds : 0,
    sentPerSec: ok !== undefined && ok.lastByteAt > ok.firstByteAt ? ok.sent / ((ok.lastByteAt - ok.firstByteAt) / 1000) : 0,
    generatorStalls: ok?.stalls ?? 0,
    cpuSeconds,
    cpuSecondsPerMillion: result.received > 0 ? (cpuSeconds / result.received) * 1e6 : 0,
    generatorCpuSeconds: ok?.cpuSeconds ?? 0,
    sinkCpuSeconds,
    timedOut: result.timedOut,
    generatorError: sent.type === 'error' ? sent.message : undefined,
    latency: result.latency,
  };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function runCorrect(run: RunRecord): boolean {
  return run.received === run.events && run.lost === 0 && run.duplicates === 0 && run.malformed === 0 && run.late === 0 && run.generatorError === undefined;
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (row: string[]): string => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatResult(result: HarnessResult): string {
  const o = result.options;
  const lines: string[] = [];
  const latencyTitle = `@ ${fmt(o.rate)}/s`;
  lines.push(
    table(
      ['variant', `events/s (median of ${o.runs})`, 'CPU s / M events', 'peak RSS MiB', `p50 ms ${latencyTitle}`, `p99 ms ${latencyTitle}`, 'detections', 'exactly once'],
      result.variants.map((v) => [
        v.variant,
        v.error !== undefined ? 'failed' : fmt(v.summary.eventsPerSec),
        fmt(v.summary.cpuSecondsPerMillion, 1),
        fmt(v.summary.peakRssBytes / 1048576, 0),
        fmt(v.summary.latencyP50Ms) + (v.summary.latencySaturated ? '*' : ''),
        fmt(v.summary.latencyP99Ms) + (v.summary.latencySaturated ? '*' : ''),
        fmt(v.summary.detections),
        v.summary.correct ? 'yes' : 'NO',
      ]),
    ),
  );
  if (result.variants.some((v) => v.summary.latencySaturated)) {
    lines.push(`* did not keep up with ${fmt(o.rate)} events/s offered (the latency run's rate is in the JSON): that latency is mostly queueing`);
  }
  const ratioRows = Object.entries(result.ratios);
  if (ratioRows.length > 0) {
    lines.push('', 'authwire / rsyslog (events/s: above 1 = authwire faster; CPU, RSS, latency: below 1 = authwire better)');
    lines.push(
      table(
        ['variant', 'events/s', 'CPU s / M', 'peak RSS', 'p50', 'p99'],
        ratioRows.map(([name, r]) => [name, fmt(r.eventsPerSec, 2), fmt(r.cpuSecondsPerMillion, 2), fmt(r.peakRss, 2), fmt(r.latencyP50, 2), fmt(r.latencyP99, 2)]),
      ),
    );
  }
  if (result.outsideRuns.malformed > 0 || result.outsideRuns.foreign > 0) {
    lines.push('', `outside any run the sink got ${result.outsideRuns.malformed} malformed messages and ${result.outsideRuns.foreign} events of no run`);
  }
  for (const v of result.variants) {
    if (v.error !== undefined) lines.push('', `${v.variant}: ${v.error}`);
    for (const run of v.runs) {
      if (runCorrect(run)) continue;
      lines.push(
        `${v.variant} ${run.kind} run ${run.tag}: ${run.received}/${run.events} received, ${run.lost} lost, ${run.duplicates} duplicated, ${run.malformed} malformed, ${run.late} late${run.generatorError ? `, generator: ${run.generatorError}` : ''}`,
      );
      for (const sample of run.malformedSamples) lines.push(`  malformed: ${sample}`);
    }
  }
  return lines.join('\n');
}

export async function runHarness(options: HarnessOptions, log: (line: string) => void): Promise<HarnessResult> {
  const started = Date.now();
  const loadAverageBefore = loadavg();
  let rsyslog: { path: string; version: string } | undefined;
  let rsyslogMissing: string | undefined;
  if (options.variants.includes('rsyslog')) {
    const found = findRsyslogd(options.rsyslogd);
    if ('missing' in found) {
      rsyslogMissing = found.missing;
      if (options.requireRsyslog) throw new Error(`${found.missing} (--require-rsyslog)`);
      log(`rsyslog is not available: ${found.missing}. Measuring authwire alone.`);
    } else rsyslog = found;
  }
  const variantNames = options.variants.filter((v) => v !== 'rsyslog' || rsyslog !== undefined);
  const workDir = mkdtempSync(join(tmpdir(), 'authwire-bench-e2e-'));
  const { sink, port: sinkPort } = await Sink.start();
  const results = new Map<string, VariantResult>();
  const servers = new Map<string, Server>();
  let final: SinkFinal | undefined;
  try {
    log(`starting ${variantNames.join(', ')} (work directory ${workDir})`);
    await Promise.all(
      variantNames.map(async (variant) => {
        const result: VariantResult = {
          variant,
          description: DESCRIPTIONS[variant] ?? variant,
          pid: undefined,
          error: undefined,
          runs: [],
          summary: { eventsPerSec: 0, cpuSecondsPerMillion: 0, peakRssBytes: 0, latencyP50Ms: undefined, latencyP99Ms: undefined, latencyOfferedPerSec: undefined, latencySaturated: false, detections: 0, correct: false },
          exit: undefined,
        };
        results.set(variant, result);
        try {
          const spec = AUTHWIRE_VARIANTS.find((v) => v.variant === variant);
          const server = spec !== undefined ? await startAuthwire(spec, sinkPort, workDir, options.cpuProf, options.serverNodeArgs) : await startRsyslog(rsyslog!.path, sinkPort, workDir);
          servers.set(variant, server);
          result.pid = server.pid;
        } catch (error) {
          result.error = (error as Error).message;
          log(`${variant} failed to start: ${result.error}`);
        }
      }),
    );
    const order = variantNames.filter((v) => servers.has(v));
    const phase = async (kind: RunRecord['kind'], events: number, rate: number, round: number): Promise<void> => {
      // Each round starts with another variant, so none is always first after an idle pause.
      for (let i = 0; i < order.length; i++) {
        const variant = order[(i + round) % order.length]!;
        const run = await runOnce(sink, servers.get(variant)!, kind, events, rate, options);
        results.get(variant)!.runs.push(run);
        const extra = kind === 'latency' && run.latency ? `, p50 ${run.latency.p50Ms} ms, p99 ${run.latency.p99Ms} ms` : '';
        log(
          `${kind.padEnd(10)} ${variant.padEnd(20)} ${fmt(run.received)}/${fmt(run.events)} in ${run.seconds.toFixed(2)} s = ${fmt(run.eventsPerSec)}/s, ` +
            `${run.cpuSecondsPerMillion.toFixed(1)} CPU s/M (generator ${run.generatorCpuSeconds.toFixed(2)} s, sink ${run.sinkCpuSeconds.toFixed(2)} s)${extra}${runCorrect(run) ? '' : '  (NOT exactly once, see below)'}`,
        );
      }
    };
    if (options.warmup > 0) await phase('warmup', options.warmup, options.throughputRate, 0);
    for (let round = 0; round < options.runs; round++) await phase('throughput', options.events, options.throughputRate, round);
    const latencyEvents = Math.round(options.rate * options.latencySeconds);
    if (latencyEvents > 0) await phase('latency', latencyEvents, options.rate, options.runs);

    for (const [variant, server] of servers) results.get(variant)!.summary.peakRssBytes = server.peakRss();
    // Stopped before the sink's final count, so what a server sends while draining is counted.
    await stopServers(servers, results);
    // Whatever arrived after its run was reported: late duplicates, or events after a timeout.
    sink.send({ type: 'final' });
    final = (await sink.next((reply) => reply.type === 'final', 10_000, 'the sink\'s final counts')) as SinkFinal;
    for (const result of results.values()) {
      for (const run of result.runs) {
        const late = final.late[run.tag];
        if (late === undefined) continue;
        run.duplicates += late.duplicates;
        run.late += late.arrivals;
      }
    }
  } finally {
    await stopServers(servers, results);
    await sink.stop();
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
    else log(`configs and logs kept in ${workDir}`);
  }

  for (const result of results.values()) {
    const measured = result.runs.filter((run) => run.kind === 'throughput');
    const latencyRun = result.runs.find((run) => run.kind === 'latency');
    result.summary.eventsPerSec = median(measured.map((run) => run.eventsPerSec));
    result.summary.cpuSecondsPerMillion = median(measured.map((run) => run.cpuSecondsPerMillion));
    result.summary.latencyP50Ms = latencyRun?.latency?.p50Ms;
    result.summary.latencyP99Ms = latencyRun?.latency?.p99Ms;
    result.summary.latencyOfferedPerSec = latencyRun?.sentPerSec;
    result.summary.latencySaturated = latencyRun !== undefined && Math.min(latencyRun.eventsPerSec, latencyRun.sentPerSec) < 0.95 * options.rate;
    result.summary.detections = final?.detectionsByHost[result.variant] ?? 0;
    result.summary.correct = result.error === undefined && result.runs.length > 0 && result.runs.every(runCorrect);
  }
  const ratios: HarnessResult['ratios'] = {};
  const base = results.get('rsyslog');
  if (base !== undefined && base.error === undefined) {
    const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
    for (const result of results.values()) {
      if (result === base || result.error !== undefined) continue;
      ratios[result.variant] = {
        eventsPerSec: ratio(result.summary.eventsPerSec, base.summary.eventsPerSec) ?? 0,
        cpuSecondsPerMillion: ratio(result.summary.cpuSecondsPerMillion, base.summary.cpuSecondsPerMillion) ?? 0,
        peakRss: ratio(result.summary.peakRssBytes, base.summary.peakRssBytes) ?? 0,
        latencyP50: ratio(result.summary.latencyP50Ms, base.summary.latencyP50Ms),
        latencyP99: ratio(result.summary.latencyP99Ms, base.summary.latencyP99Ms),
      };
    }
  }
  const outsideRuns = { malformed: final?.malformed ?? 0, foreign: final?.foreign ?? 0 };
  const variants = [...results.values()].sort((a, b) => ALL_VARIANTS.indexOf(a.variant) - ALL_VARIANTS.indexOf(b.variant));
  const { out: _out, keep: _keep, cpuProf: _cpuProf, serverNodeArgs: _serverNodeArgs, ...recorded } = options;
  return {
    timestamp: new Date(started).toISOString(),
    commit: gitCommit(),
    machine: { nproc: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageBefore, loadAverageAfter: loadavg(), rsyslog: rsyslog?.version },
    options: recorded,
    rsyslogMissing,
    variants,
    ratios,
    outsideRuns,
    correct: variants.length > 0 && variants.every((v) => v.summary.correct) && outsideRuns.malformed === 0 && outsideRuns.foreign === 0,
    seconds: (Date.now() - started) / 1000,
  };
}

async function main(): Promise<void> {
  let options: HarnessOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const log = (line: string): void => void process.stderr.write(line + '\n');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on('exit', killAll);
  const result = await runHarness(options, log);
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  const m = result.machine;
  process.stdout.write(
    `\n${m.nproc} cores (${m.cpuModel}), node ${m.node}${m.rsyslog ? `, rsyslog ${m.rsyslog}` : ''}, load average ${m.loadAverageBefore.map((n) => n.toFixed(2)).join(' ')} before, ` +
      `${m.loadAverageAfter.map((n) => n.toFixed(2)).join(' ')} after; ${fmt(options.events)} events per run, ${result.seconds.toFixed(0)} s in all\n\n`,
  );
  process.stdout.write(formatResult(result) + '\n');
  process.stdout.write(`\nJSON: ${out}\n`);
  if (!result.correct) {
    process.stderr.write('\nFAILED: not every event arrived exactly once and well formed (see above)\n');
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    killAll();
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
