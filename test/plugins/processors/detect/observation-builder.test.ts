/**
 * ObservationBuilder: the router's columns, written without Observation objects, decode to exactly
 * the observations added (and the engine reads them as it reads those observations).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { KEY_SEPARATOR, WindowEngine } from '../../../../plugins/processors/detect/engine.js';
import type { Observation, WindowRule } from '../../../../plugins/processors/detect/engine.js';
import { decodeObservations, ObservationBuilder, STRIDE } from '../../../../plugins/processors/detect/worker-protocol.js';

const ann = `acme${KEY_SEPARATOR}ann`;
const bob = `acme${KEY_SEPARATOR}bob`;

test('columns hold each observation; keys as added, event ids once per event', () => {
  const builder = new ObservationBuilder(2);
  const tenant = builder.addTenant('acme');
  const a = builder.addKey(ann);
  const b = builder.addKey(bob);
  builder.add(0, 0, tenant, a, 1, 'e1', 1000, undefined, 1, 990);
  builder.add(3, 1, tenant, b, 1, 'e1', 1000, 'x', 1.5, 990);
  // Past the initial capacity of 2: the numbers grow, nothing is lost.
  builder.add(0, 0, tenant, a, 2, 'e2', 1001, undefined, 2, 991);
  assert.equal(builder.size, 3);
  const columns = builder.take();
  assert.equal(columns.count, 3);
  assert.deepEqual(columns.tenants, ['acme']);
  assert.deepEqual(columns.keys, [ann, bob]);
  assert.deepEqual(columns.uids, ['e1', 'e2']);
  assert.deepEqual(columns.values, [undefined, 'x', undefined]);
  assert.deepEqual([...columns.numbers.subarray(0, 3 * STRIDE)], [0, 0, 0, 0, 0, 1000, 1, 990, -1, 3, 1, 0, 1, 0, 1000, 1.5, 990, -1, 0, 0, 0, 0, 1, 1001, 2, 991, -1]);
  assert.deepEqual(decodeObservations(columns), [
    { rule: 0, stage: 0, tenant: 'acme', key: ann, time: 1000, value: undefined, weight: 1, uid: 'e1', watermark: 990 },
    { rule: 3, stage: 1, tenant: 'acme', key: bob, time: 1000, value: 'x', weight: 1.5, uid: 'e1', watermark: 990 },
    { rule: 0, stage: 0, tenant: 'acme', key: ann, time: 1001, value: undefined, weight: 2, uid: 'e2', watermark: 991 },
  ]);
  // take() starts a new batch: a buffer that was not moved is written over, a moved one replaced.
  assert.equal(builder.size, 0);
  const next = builder.take();
  assert.equal(next.count, 0);
  assert.equal(next.numbers.buffer, columns.numbers.buffer);
  assert.deepEqual([next.tenants, next.keys, next.values, next.uids], [[], [], [], []]);
  structuredClone(next, { transfer: [next.numbers.buffer as ArrayBuffer] });
  assert.equal(columns.numbers.byteLength, 0);
  // Nothing added after the move: the empty batch gets a buffer that can be moved again.
  const empty = builder.take();
  assert.equal(empty.count, 0);
  assert.equal(empty.numbers.byteLength, 0);
  assert.notEqual(empty.numbers.buffer, columns.numbers.buffer);
  structuredClone(empty, { transfer: [empty.numbers.buffer as ArrayBuffer] });
  builder.add(2, 0, builder.addTenant('acme'), builder.addKey(ann), 3, 'e3', 1002, undefined, 1, 992);
  const refilled = builder.take();
  assert.deepEqual(decodeObservations(refilled), [{ rule: 2, stage: 0, tenant: 'acme', key: ann, time: 1002, value: undefined, weight: 1, uid: 'e3', watermark: 992 }]);
  // It grew to 4 observations earlier; the new buffer starts at that size.
  assert.equal(refilled.numbers.length, 4 * STRIDE);
});

test('with ids: keys and counted values defined once, observations carry ids, resolved through the partition\'s tables', () => {
  const builder = new ObservationBuilder(4, true);
  const tenant = builder.addTenant('acme');
  builder.defineKey(5, ann);
  builder.defineValue(2, 'ann@example.com');
  builder.add(0, 0, tenant, 5, 1, 'e1', 1000, undefined, 1, 990, 2);
  builder.add(1, 0, tenant, 5, 1, 'e1', 1000, undefined, 1, 990);
  const first = builder.take();
  assert.deepEqual([first.keys, first.keyIds, first.values, first.valueIds], [[ann], [5], ['ann@example.com'], [2]]);
  assert.deepEqual([...first.numbers.subarray(0, 2 * STRIDE)], [0, 0, 0, 5, 0, 1000, 1, 990, 2, 1, 0, 0, 5, 0, 1000, 1, 990, -1]);
  const keyTable: string[] = [];
  const valueTable: string[] = [];
  assert.deepEqual(decodeObservations(first, keyTable, valueTable), [
    { rule: 0, stage: 0, tenant: 'acme', key: ann, time: 1000, value: 'ann@example.com', weight: 1, uid: 'e1', watermark: 990 },
    { rule: 1, stage: 0, tenant: 'acme', key: ann, time: 1000, value: undefined, weight: 1, uid: 'e1', watermark: 990 },
  ]);
  // The next batch defines nothing: its (empty) id lists still say that numbers hold ids.
  builder.add(0, 0, builder.addTenant('acme'), 5, 2, 'e2', 1001, undefined, 1, 991, 2);
  const second = builder.take();
  assert.deepEqual([second.keys, second.keyIds, second.values, second.valueIds], [[], [], [], []]);
  assert.deepEqual(decodeObservations(second, keyTable, valueTable), [{ rule: 0, stage: 0, tenant: 'acme', key: ann, time: 1001, value: 'ann@example.com', weight: 1, uid: 'e2', watermark: 991 }]);
  assert.throws(() => decodeObservations(second), /need the partition's key table/);
});

test('clear() forgets an unfinished batch', () => {
  const builder = new ObservationBuilder();
  builder.add(0, 0, builder.addTenant('acme'), builder.addKey(ann), 7, 'e7', 5, undefined, 1, 5);
  builder.clear();
  builder.add(1, 0, builder.addTenant('globex'), builder.addKey(bob), 7, 'e7', 6, undefined, 1, 6);
  assert.deepEqual(decodeObservations(builder.take()), [{ rule: 1, stage: 0, tenant: 'globex', key: bob, time: 6, value: undefined, weight: 1, uid: 'e7', watermark: 6 }]);
});

test('WindowEngine.observeColumns gives what observe gives for the same observations', () => {
  const rules: WindowRule[] = [
    { index: 0, kind: 'event_count', timespanMs: 10_000, suppressMs: 0, condition: { op: 'gte', value: 2 }, stages: [], direction: 'either' },
    { index: 1, kind: 'value_count', timespanMs: 10_000, suppressMs: 0, condition: { op: 'gte', value: 2 }, stages: [], direction: 'either' },
  ];
  const observations: Observation[] = [];
  const builder = new ObservationBuilder(4);
  const tenant = builder.addTenant('acme');
  const keys = [builder.addKey(ann), builder.addKey(bob)];
  for (let i = 0; i < 40; i++) {
    const rule = i % 2;
    const k = (i >> 1) % 2;
    const time = 1000 * i - (i % 5 === 0 ? 1500 : 0);
    const value = rule === 1 ? `v${i % 3}` : undefined;
    observations.push({ rule, stage: 0, tenant: 'acme', key: k === 0 ? ann : bob, time, value, weight: 1 + (i % 3) / 2, uid: `e${i}`, watermark: 1000 * i - 500 });
    builder.add(rule, 0, tenant, keys[k]!, i, `e${i}`, time, value, 1 + (i % 3) / 2, 1000 * i - 500);
  }
  const expected = new WindowEngine(rules).observe(observations);
  assert.ok(expected.length > 5);
  assert.deepEqual(new WindowEngine(rules).observeColumns(builder.take()), expected);
});
