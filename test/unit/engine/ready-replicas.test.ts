// Value objectives scale the ready replicas, as the HPA's replica calculator does: while the
// replicas a scale-out added are still starting, the signal has not moved yet, and scaling the
// Deployment's replica count by it again would compound the recommendation (4 → 8 → 16).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide } from '../../../src/plimsoll/engine/decide.js';
import { emptyMemory } from '../../../src/plimsoll/engine/types.js';
import { fresh, spec, T0 } from './fixtures.js';

const s = spec({ objectives: [{ signal: 'latency', target: { type: 'Value', value: 0.5 } }] });
const run = (current: number, ready: number | undefined, latency: number) =>
  decide({ spec: s, observations: { currentReplicas: current, signals: fresh({ latency }, T0), ...(ready === undefined ? {} : { readyReplicas: ready }) }, memory: emptyMemory(T0), now: T0 });

test('4 → 8, not 16, while the 4 new replicas are not ready yet', () => {
  assert.equal(run(4, 4, 1.0).replicas.value, 8, 'twice the target on 4 ready replicas asks for 8');
  // Scaled to 8; the 4 new replicas still start, so latency on the 4 that serve is unchanged.
  assert.equal(run(8, 4, 1.0).replicas.value, 8);
  // Once they serve, latency halves: within tolerance, 8 stays.
  assert.equal(run(8, 8, 0.5).replicas.value, 8);
});

test('without a ready count (or none ready) the replicas there are are scaled', () => {
  assert.equal(run(4, undefined, 1.0).replicas.value, 8);
  assert.equal(run(4, 0, 1.0).replicas.value, 8);
  // More ready than wanted (a scale-in in progress): no more than the replicas there are.
  assert.equal(run(4, 6, 1.0).replicas.value, 8);
});

test('AverageValue divides the total whatever is ready', () => {
  assert.equal(decide({ spec: spec(), observations: { currentReplicas: 8, readyReplicas: 4, signals: fresh({ rate: 80 }, T0) }, memory: emptyMemory(T0), now: T0 }).replicas.value, 8);
});
