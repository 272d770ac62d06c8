import test from 'node:test';
import assert from 'node:assert/strict';
import { RecordingHost, testSettings } from '../../../../core/testing.js';
import { nopExporterFactory } from '../../../../plugins/exporters/nop/index.js';
import { openObjects } from '../schema.js';
import { batchOf, oktaRaw } from '../testrecords.js';

test('factory: type, empty closed config', () => {
  assert.equal(nopExporterFactory.kind, 'exporter');
  assert.equal(nopExporterFactory.type, 'nop');
  assert.deepEqual(nopExporterFactory.createDefaultConfig(), {});
  assert.deepEqual(nopExporterFactory.configSchema['properties'], {});
  assert.deepEqual(openObjects(nopExporterFactory.configSchema), []);
});

test('accepts batches without touching them; lifecycle codes', async () => {
  const exp = await nopExporterFactory.create(testSettings('exporter', 'nop'), {});
  assert.equal(exp.mutatesData, false);
  await assert.rejects(exp.consume(batchOf(oktaRaw)), { code: 'not_started', retryable: false });
  await exp.start(new RecordingHost());
  const batch = batchOf(structuredClone(oktaRaw));
  const before = structuredClone(batch);
  assert.equal(await exp.consume(batch), undefined);
  assert.deepEqual(batch, before);
  await exp.shutdown();
  await exp.shutdown();
  await assert.rejects(exp.consume(batch), { code: 'shut_down', retryable: false });

  const unstarted = await nopExporterFactory.create(testSettings('exporter', 'nop/x'), {});
  await unstarted.shutdown();
});
