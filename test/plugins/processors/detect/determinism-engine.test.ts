/**
 * The engine property that worker-count independence rests on: moving a tenant's watermark in one
 * step or in several must give the same detections. A partition only advances when it receives an
 * observation or a tick, so with more partitions each one advances in fewer, larger steps than a
 * single engine does; any difference between the two shows up as a detection that exists with one
 * worker count and not with another (found by determinism.test.ts at 200,000 events: one
 * `lte` detection present inline and missing with 4 workers).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { DEFAULT_LIMITS, KEY_SEPARATOR, WindowEngine } from '../../../../plugins/processors/detect/engine.js';
import type { Observation, RawDetection, WindowRule } from '../../../../plugins/processors/detect/engine.js';

// "Fewer than 5 within 10 s" (judged once the window is complete), suppression 1 s, no lateness.
const rule: WindowRule = { index: 0, kind: 'event_count', timespanMs: 10_000, suppressMs: 1_000, condition: { op: 'lt', value: 5 }, stages: [], direction: 'either' };
const limits = { ...DEFAULT_LIMITS, latenessMs: 0 };
const key = `acme${KEY_SEPARATOR}ann`;

function observation(time: number, uid: string): Observation {
  return { rule: 0, stage: 0, tenant: 'acme', key, time, value: undefined, weight: 1, uid, watermark: time };
}

function run(steps: readonly number[]): RawDetection[] {
  const engine = new WindowEngine([rule], limits);
  const detections = engine.observe([observation(0, 'a'), observation(5_000, 'b')]);
  for (const watermark of steps) detections.push(...engine.tick(new Map([['acme', watermark]])));
  return detections;
}

test('advancing the watermark in one step or in several gives the same detections', () => {
  const fine = run([10_000, 11_000, 15_000, 20_000]);
  assert.deepEqual(fine.map((d) => [d.time, d.related]), [[10_000, ['a', 'b']], [15_000, ['b']]]);
  // One step from 10 s to 20 s: the suppression release due at 11 s evicts with the *current*
  // settled time (20 s), drops entry b and forgets the key before b's own window (due at 15 s,
  // later in the same step) is judged, so b's detection is lost.
  assert.deepEqual(run([10_000, 20_000]), fine);
});
