// ConcurrencyChanged aggregation: the first movement is told at once, the steps within the window
// after it become one summary when the window has passed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyEvents } from '../../../src/plimsoll/operator/concurrency-events.js';

test('one Event per window: told at once, then summed up', () => {
  const events = new ConcurrencyEvents(() => 60_000);
  const step = (from: number, to: number, reason: string, generation: number, now: number) =>
    events.record('ns/p', [{ provider: 'groq', from, to, reason }], generation, now);
  assert.equal(step(4, 5, 'AIMDIncrease', 2, 0), 'groq 4 → 5: AIMDIncrease (runtime generation 2)');
  assert.equal(step(5, 6, 'AIMDIncrease', 3, 15_000), undefined);
  assert.equal(step(6, 7, 'AIMDIncrease', 4, 30_000), undefined);
  assert.equal(step(7, 6, 'AIMDDecrease: 2.00 429/s', 5, 45_000), undefined);
  assert.equal(events.due('ns/p', 59_999), undefined, 'the window has not passed');
  assert.equal(events.due('ns/p', 60_000), 'groq 5 → 6 in 3 steps: AIMDIncrease ×2, AIMDDecrease: 2.00 429/s (runtime generation 5)');
  assert.equal(events.due('ns/p', 200_000), undefined, 'nothing held');
  assert.match(step(6, 7, 'AIMDIncrease', 6, 200_000) ?? '', /^groq 6 → 7: AIMDIncrease/, 'a quiet window: told at once');
});

test('policies are windowed apart, and a forgotten policy starts afresh', () => {
  const events = new ConcurrencyEvents(() => 60_000);
  const change = [{ provider: 'a', from: 1, to: 2, reason: 'AIMDIncrease' }];
  assert.ok(events.record('ns/p', change, 1, 0));
  assert.ok(events.record('ns/q', change, 1, 1000), 'another policy is not held by the first one\'s window');
  assert.equal(events.record('ns/p', change, 2, 2000), undefined);
  events.forget('ns/p');
  assert.ok(events.record('ns/p', change, 1, 3000));
});
