import assert from 'node:assert/strict';
import test from 'node:test';
import type { Batch, Consumer } from '../../../../core/api.js';
import { CollectingConsumer, RecordingHost } from '../../../../core/testing.js';
import { generatorFactory } from '../../../../plugins/receivers/generator/index.js';
import { config, create, run, START } from './helpers.js';

test('factory shape and default config', () => {
  assert.equal(generatorFactory.kind, 'receiver');
  assert.equal(generatorFactory.type, 'generator');
  assert.equal(generatorFactory.stability, 'beta');
  const a = generatorFactory.createDefaultConfig();
  const b = generatorFactory.createDefaultConfig();
  assert.notEqual(a, b);
  assert.notEqual(a.formats, b.formats);
  assert.deepEqual(a, {
    rate: 20,
    seed: 1,
    formats: ['keycloak.event', 'keycloak.admin_event', 'mfa_api', 'okta', 'entra.signin', 'entra.audit', 'auth0', 'linux.auth', 'windows.security'],
    scenarios: ['credential_stuffing', 'brute_force', 'password_spray', 'recovery_abuse', 'mfa_fatigue', 'unapproved_account_creation'],
    scenario_interval: '30s',
    batch_size: 100,
    tenant_domain: 'example.com',
    noise_failure_scale: 1,
  });
  const schema = generatorFactory.configSchema as { additionalProperties: boolean; properties: Record<string, { default?: unknown }> };
  assert.equal(schema.additionalProperties, false);
  for (const [key, value] of Object.entries(a)) assert.deepEqual(schema.properties[key]?.default, value, key);
});

test('create() with the default config starts nothing; shutdown without start works, twice', async () => {
  const consumer = new CollectingConsumer();
  const g = create(generatorFactory.createDefaultConfig(), consumer);
  await g.shutdown();
  await g.shutdown();
  await g.done;
  await g.start(new RecordingHost());
  assert.equal(consumer.batches.length, 0);
  assert.equal(g.isDone, true);
});

test('create() rejects a zero scenario_interval and a bad start_time', () => {
  const next = new CollectingConsumer();
  assert.throws(() => create(config({ scenario_interval: '0s' }), next), /scenario_interval/);
  assert.throws(() => create(config({ start_time: 'yesterday' }), next), /start_time/);
});

test('same seed, start_time and count give identical records; another seed differs', async () => {
  const one = await run({ seed: 7, count: 600 });
  const two = await run({ seed: 7, count: 600 });
  const other = await run({ seed: 8, count: 600 });
  assert.equal(one.records.length, 600);
  assert.deepEqual(one.records, two.records);
  assert.notDeepEqual(one.records.map((r) => r.payload), other.records.map((r) => r.payload));
});

test('count: N gives exactly N records in batch_size batches, then done resolves', async () => {
  const { records, batches, host } = await run({ count: 250, batch_size: 100 });
  assert.equal(records.length, 250);
  assert.deepEqual(batches.map((b) => b.records.length), [100, 100, 50]);
  assert.equal(host.errors.length, 0);
  for (const b of batches) assert.equal(b.tenant, 'test');
  for (const r of records) assert.equal(r.source, 'generator/test');
});

test('fast-forward times are start_time + i/rate', async () => {
  const { records } = await run({ count: 5, rate: 4 });
  const t0 = Date.parse(START);
  assert.deepEqual(records.map((r) => r.observedTime), [t0, t0 + 250, t0 + 500, t0 + 750, t0 + 1000]);
});

test('a rejecting consumer is reported and the generator keeps going', async () => {
  let calls = 0;
  const accepted: Batch[] = [];
  const consumer: Consumer = {
    async consume(batch) {
      calls++;
      if (calls === 2) throw Object.assign(new Error('queue full'), { retryable: true });
      accepted.push(batch);
    },
  };
  const host = new RecordingHost();
  const g = create(config({ count: 40, batch_size: 10 }), consumer);
  await g.start(host);
  await g.done;
  assert.equal(calls, 4);
  assert.equal(accepted.length, 3);
  assert.equal(host.errors.length, 1);
  assert.equal((host.errors[0] as Error).message, 'queue full');
  assert.equal(g.failedBatches, 1);
  assert.equal(g.emitted, 40);
});

test('shutdown waits for the in-flight consume, and nothing is consumed after it', async () => {
  let release!: () => void;
  let entered!: () => void;
  const inFlight = new Promise<void>((resolve) => (entered = resolve));
  let calls = 0;
  const consumer: Consumer = {
    consume() {
      calls++;
      entered();
      return new Promise<void>((resolve) => (release = resolve));
    },
  };
  const g = create(config({ batch_size: 10 }), consumer);
  await g.start(new RecordingHost());
  await inFlight;
  let shutDown = false;
  const stopping = g.shutdown().then(() => {
    shutDown = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(shutDown, false, 'shutdown must not resolve before the in-flight consume settles');
  release();
  await stopping;
  assert.equal(shutDown, true);
  assert.equal(calls, 1);
  await g.shutdown();
  assert.equal(calls, 1);
});

test('live mode paces records on the wall clock and stops at count', async () => {
  const consumer = new CollectingConsumer();
  const before = Date.now();
  const g = create({ ...generatorFactory.createDefaultConfig(), rate: 200, count: 30 }, consumer);
  await g.start(new RecordingHost());
  await g.done;
  await g.shutdown();
  const records = consumer.records as { observedTime: number }[];
  assert.equal(records.length, 30);
  for (const r of records) assert.ok(r.observedTime >= before);
  // 30 records at 200/s need at least one 100 ms tick.
  assert.ok(consumer.batches.length >= 1);
});

test('live mode without count runs until shutdown', async () => {
  const consumer = new CollectingConsumer();
  const g = create({ ...generatorFactory.createDefaultConfig(), rate: 1000 }, consumer);
  await g.start(new RecordingHost());
  await new Promise((resolve) => setTimeout(resolve, 250));
  await g.shutdown();
  const n = consumer.records.length;
  assert.ok(n > 0);
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(consumer.records.length, n);
});

test('noise_failure_scale: 0 leaves failures, resets and account changes out of noise', async () => {
  const { Engine } = await import('../../../../plugins/receivers/generator/engine.js');
  const { FORMATS } = await import('../../../../plugins/receivers/generator/model.js');
  const quiet = new Engine({ seed: 3, formats: FORMATS, scenarios: [], scenarioEvery: 1e9, domain: 'example.com', noiseFailureScale: 0 });
  const out = { format: '', payload: '' as unknown, observedTime: 0, source: 'g' };
  let failures = 0;
  for (let i = 0; i < 5000; i++) {
    quiet.next(Date.UTC(2026, 0, 1) + i * 50, out);
    const text = String(out.payload);
    if (/LOGIN_ERROR|"outcome":"failure"|Failed password|"EventID":4625|"result":"FAILURE"|"errorCode":50126|"type":"f"/.test(text)) failures++;
  }
  assert.equal(failures, 0);
});
