import assert from 'node:assert/strict';
import test from 'node:test';
import { KEY_SEPARATOR, WindowEngine } from '../../../../plugins/processors/detect/engine.js';
import type { EngineLimits, Observation, RawDetection, WindowRule } from '../../../../plugins/processors/detect/engine.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const limits: EngineLimits = { latenessMs: 0, maxKeysPerRule: 1000, maxEntriesPerKey: 1000, maxValues: 20, maxRelated: 50 };

function rule(partial: Partial<WindowRule>): WindowRule {
  return { index: 0, kind: 'event_count', timespanMs: 10 * MIN, suppressMs: 0, condition: { op: 'gte', value: 3 }, stages: [], direction: 'either', ...partial };
}

const key = (value: string, tenant = 'acme'): string => tenant + KEY_SEPARATOR + value;

let seq = 0;
function obs(time: number, extra: Partial<Observation> = {}): Observation {
  seq++;
  return { rule: 0, stage: 0, tenant: 'acme', key: key('alice'), time, value: undefined, weight: 1, uid: `e${seq}`, watermark: time, ...extra };
}

function summary(detections: RawDetection[]): string[] {
  return detections.map((d) => `${d.time - T0}:${d.count}:${d.firstSeen - T0}-${d.lastSeen - T0}:${d.values.join('|')}:s${d.suppressed}`);
}

test('event_count: exactly at the threshold fires, one below does not', () => {
  const engine = new WindowEngine([rule({})], limits);
  assert.deepEqual(engine.observe([obs(T0), obs(T0 + 1000)]), []);
  assert.deepEqual(summary(engine.observe([obs(T0 + 2000)])), ['2000:3:0-2000::s0']);
});

test('window edges: events at start and end-1 ms count together, at end they do not', () => {
  const together = new WindowEngine([rule({ condition: { op: 'gte', value: 2 } })], limits);
  assert.deepEqual(summary(together.observe([obs(T0), obs(T0 + 10 * MIN - 1)])), [`${10 * MIN - 1}:2:0-${10 * MIN - 1}::s0`]);
  const apart = new WindowEngine([rule({ condition: { op: 'gte', value: 2 } })], limits);
  assert.deepEqual(apart.observe([obs(T0), obs(T0 + 10 * MIN)]), []);
});

test('out of order within tolerance is counted into the windows it belongs to', () => {
  const engine = new WindowEngine([rule({})], { ...limits, latenessMs: 5 * MIN });
  // t=0 and t=120s arrive, then t=60s arrives late but within lateness: the window ending at 120s now holds 3.
  assert.deepEqual(engine.observe([obs(T0, { watermark: T0 }), obs(T0 + 2 * MIN, { watermark: T0 + 2 * MIN })]), []);
  assert.deepEqual(summary(engine.observe([obs(T0 + MIN, { watermark: T0 + 2 * MIN })])), [`${2 * MIN}:3:0-${2 * MIN}::s0`]);
});

test('value_count counts distinct values, weighted by the highest weight per value', () => {
  const engine = new WindowEngine([rule({ kind: 'value_count', condition: { op: 'gte', value: 4 } })], limits);
  const out = engine.observe([
    obs(T0, { value: 'u1' }),
    obs(T0 + 1, { value: 'u1' }),
    obs(T0 + 2, { value: 'u2', weight: 2 }),
    obs(T0 + 3, { value: 'u2' }),
  ]);
  assert.deepEqual(out, []);
  assert.deepEqual(summary(engine.observe([obs(T0 + 4, { value: 'u3' })])), ['4:4:0-4:u1|u2|u3:s0']);
});

test('suppression: one detection per key per period, the suppressed count carried on the next', () => {
  const engine = new WindowEngine([rule({ condition: { op: 'gte', value: 1 }, suppressMs: 5 * MIN })], limits);
  const out = engine.observe([obs(T0), obs(T0 + MIN), obs(T0 + 2 * MIN), obs(T0 + 5 * MIN), obs(T0 + 6 * MIN)]);
  assert.deepEqual(summary(out).map((s) => s.split(':')[0] + ':' + s.split(':').pop()), ['0:s0', `${5 * MIN}:s2`]);
});

test('keys are separate: the same events under two keys do not add up', () => {
  const engine = new WindowEngine([rule({})], limits);
  assert.deepEqual(engine.observe([obs(T0, { key: key('a') }), obs(T0 + 1, { key: key('b') }), obs(T0 + 2, { key: key('a') }), obs(T0 + 3, { key: key('b') })]), []);
});

test('temporal_ordered: N failures then a success, in that order, within the window', () => {
  const r = rule({ kind: 'temporal_ordered', stages: [{ op: 'gte', value: 3 }, { op: 'gte', value: 1 }] });
  const ordered = new WindowEngine([r], limits);
  const out = ordered.observe([obs(T0), obs(T0 + 1), obs(T0 + 2), obs(T0 + 3, { stage: 1 })]);
  assert.deepEqual(summary(out), ['3:4:0-3::s0']);
  const successFirst = new WindowEngine([r], limits);
  assert.deepEqual(successFirst.observe([obs(T0, { stage: 1 }), obs(T0 + 1), obs(T0 + 2), obs(T0 + 3)]), []);
  const unordered = new WindowEngine([{ ...r, kind: 'temporal' }], limits);
  assert.deepEqual(summary(unordered.observe([obs(T0, { stage: 1 }), obs(T0 + 1), obs(T0 + 2), obs(T0 + 3)])), ['3:4:0-3::s0']);
});

test('absence: A with no B within T fires once the watermark passes A + T, at A + T', () => {
  const r = rule({ kind: 'absence', direction: 'after' });
  const engine = new WindowEngine([r], limits);
  assert.deepEqual(engine.observe([obs(T0, { uid: 'create-1' })]), []);
  assert.deepEqual(engine.tick(new Map([['acme', T0 + 10 * MIN - 1]])), []);
  const fired = engine.tick(new Map([['acme', T0 + 10 * MIN]]));
  assert.deepEqual(summary(fired), [`${10 * MIN}:1:0-0::s0`]);
  assert.deepEqual(fired[0]!.related, ['create-1']);
});

test('absence: a B within T (after A) clears it; a B only before A clears it only for before/either', () => {
  const after = new WindowEngine([rule({ kind: 'absence', direction: 'after' })], limits);
  after.observe([obs(T0), obs(T0 + 9 * MIN, { stage: 1 })]);
  assert.deepEqual(after.tick(new Map([['acme', T0 + 30 * MIN]])), []);
  const beforeOnlyB = (direction: 'after' | 'either'): RawDetection[] => {
    const engine = new WindowEngine([rule({ kind: 'absence', direction })], limits);
    engine.observe([obs(T0, { stage: 1 }), obs(T0 + MIN)]);
    return engine.tick(new Map([['acme', T0 + 30 * MIN]]));
  };
  assert.equal(beforeOnlyB('after').length, 1);
  assert.equal(beforeOnlyB('either').length, 0);
});

test('lt condition: a window with fewer than N events is judged when complete', () => {
  const engine = new WindowEngine([rule({ condition: { op: 'lt', value: 2 } })], limits);
  // The window [0, 10m) holds one event: judged as soon as the watermark (carried by the second
  // event) passes 10m; the window [20m, 30m) opened by the second is not complete yet.
  assert.deepEqual(summary(engine.observe([obs(T0), obs(T0 + 20 * MIN)])), [`${10 * MIN}:1:0-0::s0`]);
  assert.deepEqual(engine.tick(new Map([['acme', T0 + 30 * MIN - 1]])), []);
  assert.deepEqual(summary(engine.tick(new Map([['acme', T0 + 30 * MIN]]))), [`${30 * MIN}:1:${20 * MIN}-${20 * MIN}::s0`]);
});

test('state is evicted when the watermark passes it, and a key overflow is counted', () => {
  const engine = new WindowEngine([rule({})], { ...limits, maxKeysPerRule: 2 });
  engine.observe([obs(T0, { key: key('a') }), obs(T0, { key: key('b') }), obs(T0, { key: key('c') })]);
  assert.equal(engine.counters.keysOverflowed, 1);
  assert.equal(engine.keyCount, 2);
  engine.tick(new Map([['acme', T0 + 10 * MIN]]));
  assert.equal(engine.keyCount, 0);
  engine.observe([obs(T0 + 11 * MIN, { key: key('c') })]);
  assert.equal(engine.keyCount, 1);
});

test('watermarks are per tenant: one tenant\'s time does not expire another\'s state', () => {
  const engine = new WindowEngine([rule({ condition: { op: 'gte', value: 2 } })], limits);
  engine.observe([obs(T0, { tenant: 'acme', key: key('a', 'acme') })]);
  engine.observe([obs(T0 + 60 * MIN, { tenant: 'globex', key: key('a', 'globex') })]);
  assert.deepEqual(summary(engine.observe([obs(T0 + 1, { tenant: 'acme', key: key('a', 'acme') })])), ['1:2:0-1::s0']);
});

test('running window totals give exactly what scanning every window gives (random streams, weights, out of order, eviction)', () => {
  let state = 12345;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  for (let round = 0; round < 30; round++) {
    const kind = round % 2 === 0 ? 'event_count' : 'value_count';
    const rules = [rule({ kind, timespanMs: 60_000, suppressMs: round % 3 === 0 ? 0 : 30_000, condition: { op: 'gte', value: 3 + (round % 5) } })];
    const observations: Observation[] = [];
    let time = T0;
    let watermark = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 400; i++) {
      time += Math.floor(random() * 8000);
      // Now and then an event a little out of order (within the 20 s lateness below).
      const eventTime = random() < 0.15 ? time - Math.floor(random() * 15_000) : time;
      watermark = Math.max(watermark, eventTime - 5000);
      observations.push({
        rule: 0, stage: 0, tenant: 'acme', key: key(`k${Math.floor(random() * 3)}`), time: eventTime,
        value: `v${Math.floor(random() * 6)}`, weight: random() < 0.3 ? 2 : random() < 0.2 ? 0.5 : 1, uid: `e${i}`, watermark,
      });
    }
    const fast = new WindowEngine(rules, { ...limits, latenessMs: 20_000, maxEntriesPerKey: 50 });
    const reference = new WindowEngine(rules, { ...limits, latenessMs: 20_000, maxEntriesPerKey: 50, incremental: false });
    const fastOut: RawDetection[] = [];
    const referenceOut: RawDetection[] = [];
    for (let i = 0; i < observations.length; i += 37) {
      fastOut.push(...fast.observe(observations.slice(i, i + 37)));
      referenceOut.push(...reference.observe(observations.slice(i, i + 37)));
    }
    assert.ok(referenceOut.length > 0, `round ${round} produced no detections`);
    assert.deepEqual(fastOut, referenceOut, `round ${round} (${kind})`);
  }
});
