/**
 * Issue 5's end-to-end acceptance: generator → normalize → detect → {otlp, splunk_hec, cef}, with
 * a file exporter beside them as the record of what the pipeline emitted. Every event and every
 * detection must reach each SIEM sink exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../core/config/load.js';
import { nopLogger } from '../../core/logger.js';
import { Service } from '../../core/service.js';
import { createBuiltinRegistry } from '../../plugins/index.js';
import { waitFor, writeConfigDir } from '../helpers.js';
import { OtlpServer } from '../plugins/exporters/otlp/otlp-server.js';
import { HecServer } from '../plugins/exporters/splunk_hec/hec-server.js';
import { CefSink } from './cef-sink.js';

const COUNT = 3000;

/** Each value with how often it occurs. */
function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

test('generator → normalize → detect → otlp, splunk_hec and cef: every event and every detection reaches each sink once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'authwire-e2e-'));
  const otlp = new OtlpServer();
  const hec = new HecServer({ token: 'e2e-hec-token' });
  const cef = new CefSink();
  const [otlpUrl, hecUrl, cefPort] = await Promise.all([otlp.listen(), hec.listen(), cef.listen()]);
  const configDir = await writeConfigDir({
    'e2e.yaml': `
receivers:
  generator/e2e:
    rate: 50              # simulated: ${COUNT} records span 60 s of event time, three attack scenarios
    seed: 11
    count: ${COUNT}
    batch_size: 250
    start_time: 2026-01-01T00:00:00Z
    scenario_interval: 20s
processors:
  normalize/e2e: {}
  detect/e2e: { rules: [builtin] }
exporters:
  file/truth: { path: ${join(dir, 'truth.ndjson')} }
  otlp/e2e:
    endpoint: ${otlpUrl}
    encoding: proto
    batch: { max_events: 500, timeout: 20ms }
  splunk_hec/e2e:
    endpoint: ${hecUrl}
    token: \${env:E2E_HEC_TOKEN}
    batch: { max_events: 500, timeout: 20ms }
  cef/e2e:
    endpoint: tcp://127.0.0.1:${cefPort}
    framing: octet_counting
    batch: { max_events: 500, timeout: 20ms }
service:
  pipelines:
    logs/e2e:
      tenant: acme
      receivers: [generator/e2e]
      processors: [normalize/e2e, detect/e2e]
      exporters: [file/truth, otlp/e2e, splunk_hec/e2e, cef/e2e]
`,
  });
  const config = await loadConfig([configDir], { registry: createBuiltinRegistry(), env: { E2E_HEC_TOKEN: 'e2e-hec-token' } });
  const service = new Service(config, { logger: nopLogger, dataDir: join(dir, 'data'), workers: 2 });
  try {
    await service.start();
    await waitFor(() => service.stats().find((stats) => stats.id === 'generator/e2e')!.records === COUNT, 30_000, 'the generator to finish');
    // Shutdown drains: the detector flushes its windows, each exporter delivers its queue.
    await service.shutdown();

    const truth = (await readFile(join(dir, 'truth.ndjson'), 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as { class_uid: number; metadata: { uid: string } });
    const findings = truth.filter((record) => record.class_uid === 2004);
    const events = truth.filter((record) => record.class_uid !== 2004);
    assert.equal(events.length, COUNT, 'every generated record was normalized');
    // The seeded generator's three attack scenarios (and its noise's privilege grants), as the built-in rules see them.
    const byRule = [...tally(findings.map((finding) => (finding as unknown as { finding_info: { analytic: { uid: string } } }).finding_info.analytic.uid))].sort();
    assert.deepEqual(byRule, [['brute_force', 1], ['brute_force_success', 1], ['credential_stuffing', 1], ['password_spray', 3], ['privileged_grant', 11], ['recovery_abuse', 1]]);
    const expected = tally(truth.map((record) => record.metadata.uid));
    assert.equal(expected.size, truth.length, 'metadata.uid is unique per record');

    assert.deepEqual(tally(otlp.uids()), expected, 'otlp: each record once');
    assert.deepEqual(tally(hec.uids()), expected, 'splunk_hec: each record once');
    // CEF's externalId holds 40 characters: longer ids (Auth0's log_id) are cut visibly, as the cef README says.
    const externalId = (uid: string): string => (uid.length > 40 ? `${uid.slice(0, 39)}…` : uid);
    assert.deepEqual(tally(cef.externalIds()), tally(truth.map((record) => externalId(record.metadata.uid))), 'cef: each record once');
    assert.equal(cef.malformed, 0);
    for (const stats of service.stats().filter((s) => s.kind === 'exporter')) {
      assert.equal(stats.deadLettered, 0, `${stats.id} dead-lettered nothing`);
      if (stats.id !== 'file/truth') assert.equal(stats.metrics?.['sent'], truth.length, `${stats.id} counted every record as sent`);
    }
  } finally {
    await service.shutdown();
    await Promise.all([otlp.close(), hec.close(), cef.close()]);
  }
});
