import assert from 'node:assert/strict';
import test from 'node:test';
import { LogThrottle } from '../../core/log-throttle.js';

test('the first occurrence of a key is logged, then at most one per interval, each saying how many were not', () => {
  let now = 1_000;
  const throttle = new LogThrottle(10_000, () => now);
  assert.equal(throttle.admit('a'), 0);
  assert.equal(throttle.admit('b', 3), 0); // keys are independent
  now += 9_999;
  assert.equal(throttle.admit('a'), undefined);
  assert.equal(throttle.admit('a', 4), undefined);
  assert.equal(throttle.admit('b'), undefined);
  now += 1; // 10 s after the last line of 'a'
  assert.equal(throttle.admit('a'), 5);
  assert.equal(throttle.admit('a'), undefined);
  assert.equal(throttle.admit('b', 2), 1);
  now += 10_000;
  assert.equal(throttle.admit('a', 7), 1);
  now += 10_000;
  assert.equal(throttle.admit('a'), 0); // the 6 others of that batch were part of its line
});
