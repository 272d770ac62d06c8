import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import test from 'node:test';
import { newStats } from '../../core/counting.js';
import { StatusReporter, finalSummary } from '../../core/status.js';
import { Terminal } from '../../core/terminal.js';

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 });
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { stream, text: () => text };
}

test('on a TTY the status line is redrawn in place and stdout writes do not overwrite it', async () => {
  const out = capture(true);
  const err = capture(true);
  const terminal = new Terminal(out.stream, err.stream);
  terminal.setStatus('authwire · in gen 10/s (10)');
  await terminal.writeOut('event 1\n');
  terminal.setStatus('authwire · in gen 20/s (30)');
  terminal.clearStatus();
  assert.equal(out.text(), 'event 1\n');
  assert.equal(err.text(), '\r\x1b[2Kauthwire · in gen 10/s (10)' + '\r\x1b[2K' + 'authwire · in gen 10/s (10)' + '\r\x1b[2Kauthwire · in gen 20/s (30)' + '\r\x1b[2K');
});

test('off a TTY the status is printed as plain lines', async () => {
  const out = capture(false);
  const err = capture(false);
  const terminal = new Terminal(out.stream, err.stream);
  terminal.setStatus('authwire · in gen 10/s (10)');
  await terminal.writeOut('event 1\n');
  terminal.clearStatus();
  assert.equal(err.text(), 'authwire · in gen 10/s (10)\n');
  assert.equal(out.text(), 'event 1\n');
});

test('a closed stdout makes later writes fail instead of crashing the process', async () => {
  const out = capture(false);
  const terminal = new Terminal(out.stream, capture(false).stream);
  out.stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(terminal.writeOut('x\n'), { code: 'EPIPE' });
});

test('status line: rate and total per component; final summary table', () => {
  const receiver = newStats('generator/demo', 'receiver', 'demo');
  const exporter = newStats('stdout/demo', 'exporter', 'demo');
  let now = 0;
  const reporter = new StatusReporter(new Terminal(capture(false).stream, capture(false).stream), () => [receiver, exporter], 5000, () => now);
  reporter.start();
  receiver.records = 2500;
  exporter.records = 2400;
  exporter.refused = 100;
  now = 2000;
  assert.equal(reporter.line(), 'authwire · in generator/demo 1.3k/s (2500) · out stdout/demo 1.2k/s (2400) refused 100');
  reporter.stop();
  assert.equal(finalSummary([receiver, exporter]), [
    'final counts:',
    '  kind      component       tenant  records  refused  dead-lettered  errors',
    '  receiver  generator/demo  demo       2500        0              0       0',
    '  exporter  stdout/demo     demo       2400      100              0       0',
    '',
  ].join('\n'));
});
