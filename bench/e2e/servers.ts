/**
 * The two servers under test, each started as its own process with a config file written here:
 *
 * - authwire: `syslog` receiver (format keycloak.event) → `normalize` [→ `detect`] → `cef`
 *   exporter (TCP, LF framing, RFC 5424) to the sink; `--workers` sets detect's worker threads.
 * - rsyslog (Debian's rsyslogd): `imptcp` → `mmjsonparse` → a CEF template → `omfwd` (TCP,
 *   traditional LF framing) to the same sink.
 *
 * Both are measured from /proc: CPU time (utime + stime, every thread of the process) and peak
 * resident set (VmHWM).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Server {
  readonly variant: string;
  readonly pid: number;
  /** The syslog port the generator connects to. */
  readonly port: number;
  /** CPU seconds the process has used so far. */
  cpuSeconds(): number;
  /** Peak resident set so far, in bytes. */
  peakRss(): number;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s); resolves to its exit code and the end of its log. */
  stop(): Promise<{ code: number | null; signal: string | null; log: string }>;
}

const CLOCK_TICKS = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses): state is field 3,
  // utime 14 and stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export function peakRssOf(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Spawns `command`, logging to `log`, and waits until `port` accepts connections. */
async function startProcess(variant: string, command: string, args: string[], port: number, log: string, timeoutMs: number): Promise<Server> {
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exit: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve((exit = { code, signal })));
  });
  child.once('error', () => undefined);
  const deadline = Date.now() + timeoutMs;
  while (exit === undefined && !(await accepts(port))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${variant} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${tail(log)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (exit !== undefined || child.pid === undefined) {
    throw new Error(`${variant} exited at start (code ${exit?.code ?? '?'}, signal ${exit?.signal ?? '-'}):\n${tail(log)}`);
  }
  const pid = child.pid;
  running.add(child);
  return {
    variant,
    pid,
    port,
    cpuSeconds: () => cpuSecondsOf(pid),
    peakRss: () => peakRssOf(pid),
    stop: async () => {
      if (exit === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      return { ...(exit ?? (await exited)), log: tail(log) };
    },
  };
}

/** Children still running, killed if the harness itself exits early. */
const running = new Set<ChildProcess>();
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** A port was taken between picking and binding it: try another, twice. */
async function withFreePort(start: (port: number) => Promise<Server>): Promise<Server> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= 2 || !/in use|EADDRINUSE/i.test(String((error as Error).message))) throw error;
    }
  }
}

// ---- authwire --------------------------------------------------------------------------------

export interface AuthwireVariant {
  variant: string;
  detect: boolean;
  workers: number;
}

const CLI = fileURLToPath(new URL('../../core/cli/main.js', import.meta.url));

export function authwireConfig(variant: string, port: number, sinkPort: number, detect: boolean): string {
  return `# Written by bench/e2e: the load harness's authwire variant${detect ? ' with detect' : ''}.
receivers:
  syslog/bench:
    endpoint: 127.0.0.1:${port}
    protocol: tcp
    format: keycloak.event
processors:
  normalize: {}
${detect ? '  detect: { rules: [builtin] }\n' : ''}exporters:
  cef/sink:
    endpoint: tcp://127.0.0.1:${sinkPort}
    framing: lf
    syslog_format: rfc5424
    hostname: ${variant}
service:
  pipelines:
    logs/bench:
      tenant: bench
      receivers: [syslog/bench]
      processors: [${detect ? 'normalize, detect' : 'normalize'}]
      exporters: [cef/sink]
`;
}

/**
 * `cpuProfDir`: run under `node --cpu-prof`; the profile is written there when the server stops.
 * `nodeArgs`: more node options (profiling: `--trace-gc`, ...).
 */
export async function startAuthwire(spec: AuthwireVariant, sinkPort: number, workDir: string, cpuProfDir?: string, nodeArgs: readonly string[] = []): Promise<Server> {
  const dir = join(workDir, spec.variant);
  mkdirSync(join(dir, 'data'), { recursive: true });
  return withFreePort((port) => {
    const config = join(dir, 'authwire.yaml');
    writeFileSync(config, authwireConfig(spec.variant, port, sinkPort, spec.detect));
    const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${spec.variant}.${Date.now()}.cpuprofile`];
    const args = [...nodeArgs, ...profile, CLI, 'run', '-c', config, '--workers', String(spec.workers), '--data-dir', join(dir, 'data'), '--log-level', 'warn'];
    return startProcess(spec.variant, process.execPath, args, port, join(dir, 'authwire.log'), 30_000);
  });
}

// ---- rsyslog ---------------------------------------------------------------------------------

const RSYSLOGD_PATHS = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd'];
const RSYSLOG_MODULES = ['imptcp', 'mmjsonparse'];

/** rsyslogd's path when it and the modules this harness needs are installed, else why not. */
export function findRsyslogd(explicit?: string): { path: string; version: string } | { missing: string } {
  const path = explicit ?? RSYSLOGD_PATHS.find((candidate) => existsSync(candidate));
  if (path === undefined || !existsSync(path)) return { missing: `rsyslogd not found (${explicit ?? RSYSLOGD_PATHS.join(', ')}); install Debian's rsyslog package (apt-get install rsyslog)` };
  let version = '';
  try {
    version = /rsyslogd\s+(\S+)/.exec(execFileSync(path, ['-v'], { encoding: 'utf8' }))?.[1] ?? '';
  } catch {
    return { missing: `${path} -v failed` };
  }
  const moduleDirs = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog', '/usr/lib64/rsyslog'];
  const dir = moduleDirs.find((candidate) => existsSync(candidate));
  if (dir !== undefined) {
    const absent = RSYSLOG_MODULES.filter((name) => !existsSync(join(dir, `${name}.so`)));
    if (absent.length > 0) return { missing: `rsyslog modules missing in ${dir}: ${absent.join(', ')}` };
  }
  return { path, version };
}

/** A RainerScript expression: the JSON property escaped as a CEF extension value (`\` then `=`). */
function escaped(property: string): string {
  return `replace(replace(${property}, "\\\\", "\\\\\\\\"), "=", "\\\\=")`;
}

/**
 * The rsyslog job: parse MSG as JSON, derive what the normalizer derives for these events
 * (class, activity and outcome from `type`, the error text), and write the same CEF keys the cef
 * exporter writes for them, escaped as CEF requires. rsyslog has no OCSF model: types other than
 * LOGIN/LOGIN_ERROR get a generic header, and `reason` is the error code, not its text.
 */
export function rsyslogConfig(workDir: string, port: number, sinkPort: number): string {
  return `# Written by bench/e2e: the load harness's rsyslog variant.
global(workDirectory="${workDir}" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off")
module(load="imptcp")
module(load="mmjsonparse")

template(name="cef" type="list") {
  constant(value="<")
  property(name="$.pri")
  constant(value=">1 ")
  property(name="timereported" dateFormat="rfc3339")
  constant(value=" rsyslog rsyslog - - - CEF:0|rsyslog|rsyslog|8|")
  property(name="$.sig")
  constant(value="|")
  property(name="$.name")
  constant(value="|")
  property(name="$.severity")
  constant(value="|rt=")
  property(name="$!time")
  constant(value=" externalId=")
  property(name="$.id")
  constant(value=" cat=")
  property(name="$.cat")
  constant(value=" act=")
  property(name="$.act")
  constant(value=" outcome=")
  property(name="$.outcome")
  constant(value=" duser=")
  property(name="$.duser")
  constant(value=" duid=")
  property(name="$.duid")
  constant(value=" dntdom=")
  property(name="$.realm")
  constant(value=" src=")
  property(name="$.src")
  constant(value=" cn1Label=ocsfTypeUid cn1=")
  property(name="$.sig")
  constant(value=" cs1Label=product cs1=Keycloak cs2Label=eventCode cs2=")
  property(name="$.type")
  constant(value=" cs3Label=statusCode cs3=")
  property(name="$.error")
  constant(value=" cs4Label=tenant cs4=bench reason=")
  property(name="$.error")
  constant(value="\\n")
}

input(type="imptcp" address="127.0.0.1" port="${port}" ruleset="bench")

ruleset(name="bench") {
  action(type="mmjsonparse" cookie="")
  if $parsesuccess == "OK" then {
    set $.type = ${escaped('$!type')};
    if $!type == "LOGIN" or $!type == "LOGIN_ERROR" then {
      set $.sig = "300201";
      set $.name = "Authentication: Logon";
      set $.cat = "Authentication";
      set $.act = "Logon";
    } else {
      set $.sig = "300299";
      set $.name = "Authentication: Other";
      set $.cat = "Authentication";
      set $.act = "Other";
    }
    if re_match($!type, "_ERROR\\$") then {
      set $.outcome = "Failure";
      set $.severity = "3";
      set $.pri = "165";
    } else {
      set $.outcome = "Success";
      set $.severity = "1";
      set $.pri = "166";
    }
    set $.id = ${escaped('$!id')};
    set $.duser = ${escaped('$!details!username')};
    set $.duid = ${escaped('$!userId')};
    set $.realm = ${escaped('$!realmId')};
    set $.src = ${escaped('$!ipAddress')};
    set $.error = ${escaped('$!error')};
    action(type="omfwd" target="127.0.0.1" port="${sinkPort}" protocol="tcp" TCP_Framing="traditional" template="cef")
  }
}
`;
}

export async function startRsyslog(rsyslogd: string, sinkPort: number, workDir: string): Promise<Server> {
  const dir = join(workDir, 'rsyslog');
  mkdirSync(dir, { recursive: true });
  return withFreePort((port) => {
    const config = join(dir, 'rsyslog.conf');
    writeFileSync(config, rsyslogConfig(dir, port, sinkPort));
    // rsyslogd starts even when its config has errors (and then drops what it reads): check first.
    try {
      execFileSync(rsyslogd, ['-N1', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const output = error as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`rsyslogd -N1 rejected ${config}:\n${String(output.stderr ?? '')}${String(output.stdout ?? '')}`);
    }
    const args = ['-n', '-f', config, '-i', join(dir, 'rsyslogd.pid')];
    return startProcess('rsyslog', rsyslogd, args, port, join(dir, 'rsyslogd.log'), 10_000);
  });
}
