// The budget over the pods that actually run (issue 14): surge pods of a rollout and
// terminating pods share the connection budget with the replicas.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poolFor, replicaCap } from '../../../src/plimsoll/engine/budget.js';
import { decide } from '../../../src/plimsoll/engine/decide.js';
import { checkFleet, replicasThatFit, surgeFor, type FleetPod } from '../../../src/plimsoll/engine/fleet.js';
import { emptyMemory } from '../../../src/plimsoll/engine/types.js';
import { fresh, spec, T0 } from './fixtures.js';

const budget = { maxConnections: 100, reserved: 15, safetyFactor: 0.75, pool: { min: 2, max: 50 } };
const rolling = { type: 'RollingUpdate' as const, maxSurge: '25%' };
const pods = (live: number, terminating: number, pool: number): FleetPod[] => [
  ...Array.from({ length: live }, (_, i) => ({ name: `live-${i}`, terminating: false, poolMax: pool })),
  ...Array.from({ length: terminating }, (_, i) => ({ name: `old-${i}`, terminating: true, poolMax: pool })),
];

test('maxSurge resolves as the Deployment controller resolves it', () => {
  assert.equal(surgeFor(2, rolling), 1, '25% of 2 rounds up');
  assert.equal(surgeFor(8, rolling), 2);
  assert.equal(surgeFor(8, { type: 'RollingUpdate', maxSurge: 3 }), 3);
  assert.equal(surgeFor(8, { type: 'RollingUpdate', maxSurge: '0' }), 0);
  assert.equal(surgeFor(8, { type: 'Recreate' }), 0, 'Recreate removes the old pods first');
  assert.equal(surgeFor(8, undefined), 0);
});

test('a rollout at the budget cap: pool and replica cap leave room for the surge pods', () => {
  const s = spec({ connectionBudget: budget });
  const pool = poolFor(2, 85, s.connectionBudget!, rolling);
  assert.equal(pool.value, 28, 'min(floor(85 / 2 × 0.75) = 31, floor(85 / 3) = 28)');
  assert.equal(pool.limitedBy, 'RolloutSurge');
  const cap = replicaCap(85, s.connectionBudget!, rolling);
  assert.equal(cap, 33, '(33 + 9 surge) × pool.min 2 = 84; 34 + 9 would need 86 (without the surge: 42)');
  assert.ok((cap + surgeFor(cap, rolling)) * 2 <= 85 && (cap + 1 + surgeFor(cap + 1, rolling)) * 2 > 85);
  // The decision at the cap: every pod of a rollout, surge included, within the budget.
  const wide = spec({ connectionBudget: budget, replicas: { min: 1, max: 100, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] } } } });
  const d = decide({ spec: wide, observations: { currentReplicas: 2, signals: fresh({ rate: 10_000 }, T0), rollout: rolling }, memory: emptyMemory(T0), now: T0 });
  assert.ok((d.replicas.value + surgeFor(d.replicas.value, rolling)) * d.poolMax!.value <= 85, `${d.replicas.value} replicas + surge × ${d.poolMax!.value}`);
});

test('scale-in 8 → 2 with 6 pods terminating at pool 7: pool 28 does not fit until they are gone', () => {
  const held = checkFleet(pods(2, 6, 7), 2, 1, 28, 85);
  assert.equal(held.fits, false);
  assert.equal(held.connections, 8 * 28 + 1 * 28, 'each existing pod may apply the larger pool; room for a surge pod');
  assert.equal(held.terminating.length, 6);
  assert.equal(checkFleet(pods(2, 0, 7), 2, 1, 28, 85).fits, true, '3 × 28 = 84 once they are gone');
  assert.equal(checkFleet(pods(2, 6, 7), 2, 1, 7, 85).fits, true, 'the pool in force still fits: 8 × 7 + 7');
});

test('scale-out goes only as far as the pods that exist leave room for', () => {
  // 2 replicas, 6 terminating at pool 7; the objectives ask for 8 at pool 7.
  assert.equal(replicasThatFit(pods(2, 6, 7), 2, 8, 7, 85, rolling), 4, '6 × 7 + (4 + 1) × 7 = 77; 5 would need 6 × 7 + 7 × 7 = 91');
  assert.equal(replicasThatFit(pods(2, 0, 7), 2, 8, 7, 85, rolling), 8, '(8 + 2) × 7 = 70');
  // A laggard still at pool 50 holds the scale-out back.
  const laggard: FleetPod[] = [{ name: 'slow', terminating: false, poolMax: 50 }];
  assert.equal(replicasThatFit(laggard, 1, 4, 15, 85, rolling), 2, '2: 50 + (2 + 1 − 1) × 15 = 80; 3: 50 + 3 × 15 = 95 > 85');
});
