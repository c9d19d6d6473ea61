// The concurrency dead band (issue 17): the runtime document's generation moves on a material
// change only, so AIMD's +1 per poll is held until it adds up; decreases are given at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadBand, withDeadBand } from '../../../src/plimsoll/engine/concurrency.js';
import { decide } from '../../../src/plimsoll/engine/decide.js';
import { persistMemory, sameMaterialMemory } from '../../../src/plimsoll/engine/persisted-memory.js';
import { emptyMemory } from '../../../src/plimsoll/engine/types.js';
import { fresh, spec, T0 } from './fixtures.js';

test('the band is a fifth of the value in force, at least 1', () => {
  assert.deepEqual([1, 4, 5, 10, 11, 40].map(deadBand), [1, 1, 1, 2, 3, 8]);
});

test('an increase within the band is held; one that reaches it, a decrease, or the bound is given', () => {
  assert.equal(withDeadBand(11, 10, 1, 40), 10, '+1 on 10 is held');
  assert.equal(withDeadBand(12, 10, 1, 40), 12, '+2 on 10 reaches the band');
  assert.equal(withDeadBand(9, 10, 1, 40), 9, 'a decrease is given at once');
  assert.equal(withDeadBand(11, 10, 1, 11), 11, 'the bound the limit rests at is given');
  assert.equal(withDeadBand(11, undefined, 1, 40), 11, 'nothing in force: the value');
  assert.equal(withDeadBand(11, 50, 1, 40), 11, 'a value in force outside the bounds is not kept');
});

test('the engine holds AIMD\'s climb against the document in force, and the memory is not material meanwhile', () => {
  const s = spec({
    queues: {
      providers: [{ name: 'openai', rateLimit: { requests: 60_000, periodSeconds: 60 }, concurrency: { min: 1, max: 40 }, latencySignal: 'latency' }],
      adaptive: { algorithm: 'AIMD' },
    },
  });
  const at = (i: number) => T0 + i * 15_000;
  const run = (memory: ReturnType<typeof emptyMemory>, i: number, latency: number, inForce?: number) => decide({
    spec: s, memory, now: at(i),
    observations: { currentReplicas: 1, signals: fresh({ rate: 10, latency }, at(i)), ...(inForce === undefined ? {} : { currentConcurrency: { openai: inForce } }) },
  });
  // Slow replies back the limit off to floor(40 × 0.9^9) = 15.
  let d = run(emptyMemory(T0), 0, 20);
  for (let i = 1; i < 9; i++) d = run(d.memory, i, 20, d.concurrency[0]!.value);
  const inForce = d.concurrency[0]!.value;
  assert.equal(inForce, 15);
  const persisted = persistMemory(d.memory, 'u');
  d = run(d.memory, 9, 1, inForce);
  assert.equal(d.concurrency[0]!.value, inForce, '+1 is within the band of 15 (3)');
  assert.ok(sameMaterialMemory(persisted, persistMemory(d.memory, 'u')), 'a limit one step up is no reason to write status');
  d = run(d.memory, 10, 1, inForce);
  assert.equal(d.concurrency[0]!.value, inForce, 'still within the band after two steps');
  d = run(d.memory, 11, 1, inForce);
  assert.equal(d.concurrency[0]!.value, inForce + 3, 'the third step reaches it');
  assert.ok(!sameMaterialMemory(persisted, persistMemory(d.memory, 'u')));
});
