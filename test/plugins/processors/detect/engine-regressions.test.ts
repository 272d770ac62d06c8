/** Engine behaviour the built-in pack found wrong once, kept so it stays fixed. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { MIN, of, pwFail, run, T0, tick, um } from './builtin-helpers.js';

test('suppressed repeats survive the idle key being evicted before the next detection', async () => {
  const burst = (start: number, n: number) => Array.from({ length: n }, (_, i) => pwFail('alice', start + i * 1000));
  // Fires at the 10th failure; the 11th and 12th are suppressed repeats (suppressed = 2).
  // Other traffic moves the watermark past the end of the suppression period and the window:
  // the release timer then finds alice's entries evicted and deletes the key, suppressed count and all.
  const { findings } = await run([burst(T0, 12), [tick(T0 + 40 * MIN)], burst(T0 + 45 * MIN, 10)]);
  const hits = of(findings, 'brute_force');
  assert.equal(hits.length, 2);
  assert.equal(um(hits[1]!)['suppressed_count'], 2, 'the two suppressed repeats should be carried on the next detection');
});
