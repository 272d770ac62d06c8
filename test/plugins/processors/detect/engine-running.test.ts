/**
 * The running windows of count rules: DistinctCounter (distinct values at their highest weight,
 * O(1) add / remove) and the engine's incremental evaluation — out-of-order entries evaluated by
 * moving the running window, entries dropped for room leaving it — checked against the reference
 * that scans every window (`incremental: false`).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { DistinctCounter, KEY_SEPARATOR, WindowEngine } from '../../../../plugins/processors/detect/engine.js';
import type { EngineLimits, Observation, RawDetection, WindowRule } from '../../../../plugins/processors/detect/engine.js';

test('DistinctCounter: each value counts once, at the highest weight it holds', () => {
  const counter = new DistinctCounter();
  counter.add('ann', 1);
  counter.add('bob', 0.5);
  assert.equal(counter.sum, 1.5);
  counter.add('ann', 2.25);
  assert.equal(counter.sum, 2.75);
  counter.add('ann', 1);
  counter.add('ann', 2.25);
  assert.equal(counter.sum, 2.75);
  assert.equal(counter.size, 2);
  // One of the two 2.25 entries leaves: ann still holds 2.25.
  counter.remove('ann', 2.25);
  assert.equal(counter.weightOf('ann'), 2.25);
  assert.equal(counter.sum, 2.75);
  // The other leaves: the next highest (1, held twice) takes over.
  counter.remove('ann', 2.25);
  assert.equal(counter.weightOf('ann'), 1);
  assert.equal(counter.sum, 1.5);
  counter.remove('ann', 1);
  assert.equal(counter.weightOf('ann'), 1);
  assert.equal(counter.sum, 1.5);
  counter.remove('ann', 1);
  assert.equal(counter.weightOf('ann'), undefined);
  assert.equal(counter.size, 1);
  assert.equal(counter.sum, 0.5);
  counter.remove('bob', 0.5);
  assert.equal(counter.size, 0);
  assert.equal(counter.sum, 0);
});

test('DistinctCounter: weights below the highest are kept per weight, in any order of arrival and departure', () => {
  const counter = new DistinctCounter();
  for (const weight of [0.75, 1.5, 0.75, 1.25, 1.5, 0.5]) counter.add('ann', weight);
  assert.equal(counter.sum, 1.5);
  counter.remove('ann', 0.75);
  counter.remove('ann', 1.5);
  assert.equal(counter.sum, 1.5);
  counter.remove('ann', 1.5);
  assert.equal(counter.weightOf('ann'), 1.25);
  assert.equal(counter.sum, 1.25);
  counter.remove('ann', 1.25);
  assert.equal(counter.sum, 0.75);
  counter.remove('ann', 0.75);
  assert.equal(counter.sum, 0.5);
  counter.add('ann', 3);
  assert.equal(counter.sum, 3);
  counter.remove('ann', 0.5);
  assert.equal(counter.sum, 3);
  counter.clear();
  assert.equal(counter.sum, 0);
  assert.equal(counter.size, 0);
});

const T0 = Date.UTC(2026, 0, 1);

function rule(partial: Partial<WindowRule>): WindowRule {
  return { index: 0, kind: 'event_count', timespanMs: 60_000, suppressMs: 0, condition: { op: 'gte', value: 3 }, stages: [], direction: 'either', ...partial };
}

test('an out-of-order entry is counted in the windows of the later entries it joins, and the running window stays right', () => {
  const limits: EngineLimits = { latenessMs: 60_000, maxKeysPerRule: 10, maxEntriesPerKey: 100, maxValues: 20, maxRelated: 50 };
  const engine = new WindowEngine([rule({ kind: 'value_count', condition: { op: 'gte', value: 3 } })], limits);
  const key = `acme${KEY_SEPARATOR}`;
  const o = (time: number, value: string, uid: string, watermark = time): Observation => ({ rule: 0, stage: 0, tenant: 'acme', key, time, value, weight: 1, uid, watermark });
  assert.deepEqual(engine.observe([o(T0, 'a', 'e1'), o(T0 + 10_000, 'b', 'e2'), o(T0 + 70_000, 'b', 'e3')]), []);
  // c at 20 s: the window ending at 20 s holds a, b, c (fires there, at 20 s); the newest window
  // (10 s, 70 s] holds b, c, b.
  const late = engine.observe([o(T0 + 20_000, 'c', 'e4', T0 + 70_000)]);
  assert.deepEqual(late.map((d) => [d.time - T0, d.count, d.values, d.related]), [[20_000, 3, ['a', 'b', 'c'], ['e1', 'e2', 'e4']]]);
  // Then d at 75 s: (15 s, 75 s] holds c, b, d = 3 distinct (a and the b at 10 s have left).
  const next = engine.observe([o(T0 + 75_000, 'd', 'e5')]);
  assert.deepEqual(next.map((d) => [d.time - T0, d.count, d.values, d.related]), [[75_000, 3, ['c', 'b', 'd'], ['e4', 'e3', 'e5']]]);
});

test('running windows give exactly what scanning every window gives: heavy disorder, several weights per value, entries dropped for room', () => {
  let seed = 2024;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const weights = [1, 1, 1, 2, 0.5, 1.5, 1.25, 2.25, 0.75];
  let detections = 0;
  let evicted = 0;
  for (let round = 0; round < 60; round++) {
    const kind = round % 2 === 0 ? 'event_count' : 'value_count';
    const op = (['gte', 'gt', 'eq'] as const)[round % 3]!;
    const rules = [rule({ kind, timespanMs: 20_000 + (round % 7) * 10_000, suppressMs: (round % 4) * 10_000, condition: { op, value: 2 + (round % 6) } })];
    const limits: EngineLimits = { latenessMs: 5_000 + (round % 5) * 10_000, maxKeysPerRule: 5, maxEntriesPerKey: 5 + (round % 9) * 10, maxValues: 4, maxRelated: 6 };
    const observations: Observation[] = [];
    let time = T0;
    let watermark = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 600; i++) {
      time += Math.floor(random() * 3000);
      const eventTime = random() < 0.35 ? time - Math.floor(random() * (limits.latenessMs + 2000)) : time;
      if (eventTime < watermark - limits.latenessMs) continue;
      watermark = Math.max(watermark, eventTime - 2000);
      observations.push({
        rule: 0, stage: 0, tenant: 'acme', key: `acme${KEY_SEPARATOR}k${Math.floor(random() * 3)}`, time: eventTime,
        value: `v${Math.floor(random() * 8)}`, weight: weights[Math.floor(random() * weights.length)]!, uid: `e${i}`, watermark,
      });
    }
    const fast = new WindowEngine(rules, limits);
    const reference = new WindowEngine(rules, { ...limits, incremental: false });
    const fastOut: RawDetection[] = [];
    const referenceOut: RawDetection[] = [];
    for (let i = 0; i < observations.length; i += 23) {
      fastOut.push(...fast.observe(observations.slice(i, i + 23)));
      referenceOut.push(...reference.observe(observations.slice(i, i + 23)));
    }
    assert.deepEqual(fastOut, referenceOut, `round ${round} (${kind} ${op})`);
    assert.deepEqual(fast.counters, reference.counters, `round ${round} counters`);
    assert.equal(fast.keyCount, reference.keyCount, `round ${round} keys`);
    detections += fastOut.length;
    evicted += fast.counters.entriesEvicted;
  }
  // The comparison covered detections and entries dropped for room, not just quiet streams.
  assert.ok(detections > 1000, `only ${detections} detections`);
  assert.ok(evicted > 1000, `only ${evicted} entries dropped for room`);
});
