/**
 * Acceptance: a real rsyslogd, started here on loopback ports with its own config, receives CEF
 * from the cef exporter over TCP (octet counting and LF framing, RFC 5424 and RFC 3164) and UDP,
 * writes each message as received (%rawmsg%) to a file, and the strict parser in this folder gets
 * every field back. Skips when rsyslogd is not installed, except in CI, where it fails.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exporter, OcsfEvent } from '../../../../core/api.js';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import type { CefExporterConfig } from '../../../../plugins/exporters/cef/config.js';
import { cefExporterFactory } from '../../../../plugins/exporters/cef/index.js';
import { waitFor } from '../../../helpers.js';
import { authEvent } from '../testrecords.js';
import { parseCef, parseRfc3164, parseRfc5424 } from './cef-parser.js';

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd'].find((path) => existsSync(path));
const skip = RSYSLOGD === undefined && process.env['CI'] !== 'true' ? 'rsyslogd is not installed (apt-get install rsyslog); CI installs it and runs this test' : false;

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Rsyslog {
  readonly tcpPort: number;
  readonly udpPort: number;
  readonly out: string;
  lines(): string[];
  stop(): Promise<void>;
}

async function startRsyslog(): Promise<Rsyslog> {
  assert.ok(RSYSLOGD, 'rsyslogd is required in CI (.ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'authwire-rsyslog-'));
  const out = join(dir, 'received.log');
  const udpPort = await freeUdpPort();
  for (let attempt = 0; ; attempt++) {
    const tcpPort = await freeTcpPort();
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      [
        // Keep messages byte for byte: no control-character escaping, room for large messages.
        `global(workDirectory="${dir}" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off")`,
        'module(load="imtcp")',
        'module(load="imudp")',
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="cef")`,
        `input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="cef")`,
        `ruleset(name="cef") { action(type="omfile" file="${out}" template="raw") }`,
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 5000;
    let up = false;
    while (!exited && Date.now() < deadline) {
      if (await accepts(tcpPort)) {
        up = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (!up) {
      child.kill('SIGKILL');
      if (attempt < 2) continue; // the port was taken in between: pick another
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`rsyslogd did not start: ${stderr}`);
    }
    return {
      tcpPort,
      udpPort,
      out,
      lines: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').slice(0, -1) : []),
      stop: async () => {
        if (!exited) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await gone;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

// Values a CEF encoder can get wrong, each in a field that lands in its own CEF key.
const NASTY = 'pipe | equals = backslash \\ CRLF \r\n LF \n tab \t ü 日本語 😀 end';
const events: OcsfEvent[] = [
  {
    ...authEvent,
    message: NASTY,
    status_detail: 'reason with = and \\ and |',
    user: { name: 'müller@exämple.com', uid: 'uid\\with\\backslashes' },
    actor: { user: { name: 'admin=root', uid: '0' } },
    http_request: { user_agent: 'curl/8.5 (x86_64) | "quoted"' },
    metadata: { ...authEvent.metadata, uid: 'ev-1', event_code: 'code|with|pipes' },
  },
  { ...authEvent, time: authEvent.time + 1, message: 'second\nline', metadata: { ...authEvent.metadata, uid: 'ev-2' } },
  { ...authEvent, time: authEvent.time + 2, type_name: 'Name | with \\ pipe', message: 'x'.repeat(3000), metadata: { ...authEvent.metadata, uid: 'ev-3' } },
];

function exporter(config: Partial<CefExporterConfig>): Exporter & { flush(): Promise<void> } {
  const full: CefExporterConfig = {
    ...cefExporterFactory.createDefaultConfig(),
    hostname: 'authwire-test',
    batch: { max_events: 2, max_bytes: 1_048_576, timeout: '10ms' },
    retry_on_failure: { enabled: true, initial_interval: '20ms', multiplier: 1.5, randomization_factor: 0, max_interval: '100ms', max_elapsed_time: '5s' },
    ...config,
  };
  return cefExporterFactory.create(testSettings('exporter', 'cef/t', { tenant: 'acme' }), full) as Exporter & { flush(): Promise<void> };
}

function checkReceived(line: string, format: 'rfc5424' | 'rfc3164', index: number): void {
  const syslog = format === 'rfc5424' ? parseRfc5424(line) : parseRfc3164(line);
  assert.equal(syslog.facility, 20);
  assert.equal(syslog.severity, 6);
  assert.equal(syslog.hostname, 'authwire-test');
  assert.equal(syslog.appName, 'authwire');
  const cef = parseCef(syslog.msg);
  assert.equal(cef.version, 0);
  assert.equal(cef.deviceVendor, 'authwire');
  assert.equal(cef.deviceProduct, 'authwire');
  assert.equal(cef.signatureId, '300201');
  assert.equal(cef.severity, 1);
  const ext = cef.extension;
  assert.equal(ext['rt'], String(authEvent.time + index));
  assert.equal(ext['externalId'], `ev-${index + 1}`);
  if (index === 0) {
    assert.equal(cef.name, 'Authentication: Logon');
    assert.equal(ext['msg'], NASTY);
    assert.equal(ext['reason'], 'reason with = and \\ and |');
    assert.equal(ext['duser'], 'müller@exämple.com');
    assert.equal(ext['duid'], 'uid\\with\\backslashes');
    assert.equal(ext['suser'], 'admin=root');
    assert.equal(ext['suid'], '0');
    assert.equal(ext['requestClientApplication'], 'curl/8.5 (x86_64) | "quoted"');
    assert.equal(ext['cs2Label'], 'eventCode');
    assert.equal(ext['cs2'], 'code|with|pipes');
    assert.equal(ext['outcome'], 'Failure');
    assert.equal(ext['src'], '203.0.113.7');
  } else if (index === 1) {
    assert.equal(ext['msg'], 'second\nline');
  } else {
    assert.equal(cef.name, 'Name | with \\ pipe');
    assert.equal(ext['msg'], `${'x'.repeat(1022)}…`);
  }
}

test('rsyslog receives CEF over TCP, UDP, both framings and both syslog formats', { skip, timeout: 14_000 }, async (t) => {
  const rsyslog = await startRsyslog();
  t.after(() => rsyslog.stop());
  const cases = [
    { name: 'tcp rfc5424 octet counting', config: { endpoint: `tcp://127.0.0.1:${rsyslog.tcpPort}`, syslog_format: 'rfc5424', framing: 'octet_counting' } },
    { name: 'tcp rfc5424 lf', config: { endpoint: `tcp://127.0.0.1:${rsyslog.tcpPort}`, syslog_format: 'rfc5424', framing: 'lf' } },
    { name: 'tcp rfc3164 octet counting', config: { endpoint: `tcp://127.0.0.1:${rsyslog.tcpPort}`, syslog_format: 'rfc3164', framing: 'octet_counting' } },
    { name: 'tcp rfc3164 lf', config: { endpoint: `tcp://127.0.0.1:${rsyslog.tcpPort}`, syslog_format: 'rfc3164', framing: 'lf' } },
    { name: 'udp rfc5424', config: { endpoint: `udp://127.0.0.1:${rsyslog.udpPort}`, syslog_format: 'rfc5424' } },
  ] as const;
  let seen = 0;
  for (const c of cases) {
    const exp = exporter(c.config as Partial<CefExporterConfig>);
    const host = new RecordingHost();
    await exp.start(host);
    await exp.consume({ tenant: 'acme', records: events });
    await exp.flush();
    await exp.shutdown();
    await waitFor(() => rsyslog.lines().length >= seen + events.length, 5000, `${c.name}: rsyslog to write ${events.length} lines`);
    const lines = rsyslog.lines().slice(seen);
    assert.equal(lines.length, events.length, c.name);
    // UDP datagrams may be reordered in theory; on loopback they are not, and TCP keeps order.
    lines.forEach((line, i) => checkReceived(line, c.config.syslog_format, i));
    assert.deepEqual(host.deadLetters, [], c.name);
    assert.deepEqual(host.errors, [], c.name);
    seen += events.length;
  }
});
