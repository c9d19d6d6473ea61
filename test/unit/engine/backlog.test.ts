/**
 * Backlog objectives (issue 13 §4): a leading backlog orders a surge's capacity once, not again
 * while the replicas it ordered are starting; Load objectives and unknown ready counts are as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decideReplicas, recommendForObjective } from '../../../src/plimsoll/engine/replicas.js';
import { emptyMemory } from '../../../src/plimsoll/engine/types.js';
import { spec, T0 } from './fixtures.js';

const tolerance = { up: 0.1, down: 0.1 };
const backlogSpec = (max = 20) =>
  spec({
    replicas: { min: 2, max },
    signals: [{ name: 'in-flight', health: { field: 'http.inFlight', aggregate: 'Sum' } }],
    objectives: [{ signal: 'in-flight', measures: 'Backlog', target: { type: 'AverageValue', averageValue: 20 } }],
  });

test('a Backlog objective orders the capacity its backlog needs while every replica is ready', () => {
  const r = recommendForObjective(backlogSpec().objectives[0]!, 450, 2, tolerance, 2);
  assert.equal(r.replicas, 23);
  assert.equal(r.heldFrom, undefined);
});

test('while ordered replicas start, a Backlog objective asks for no more than there are, and says so', () => {
  const s = backlogSpec();
  const r = recommendForObjective(s.objectives[0]!, 450, 6, tolerance, 2);
  assert.deepEqual({ replicas: r.replicas, heldFrom: r.heldFrom }, { replicas: 6, heldFrom: 23 });
  const d = decideReplicas(s, new Map([['in-flight', 450]]), 6, emptyMemory(T0), T0, 2);
  assert.equal(d.decided.value, 6);
  assert.match(d.decided.message ?? '', /asks for 23, held at 6 while replicas start/);
});

test('a Load objective, or an unknown ready count, keeps the HPA recommendation while replicas start', () => {
  const s = backlogSpec();
  const load = { ...s.objectives[0]!, measures: 'Load' as const };
  assert.equal(recommendForObjective(load, 450, 6, tolerance, 2).replicas, 23);
  assert.equal(recommendForObjective(s.objectives[0]!, 450, 6, tolerance).replicas, 23);
});

test('property: a Backlog objective never holds a scale-down, never goes past max, and never below what it needs once all are ready', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 5000, noNaN: true }), fc.integer({ min: 2, max: 30 }), fc.integer({ min: 0, max: 30 }), (value, current, readyRaw) => {
      const ready = Math.min(readyRaw, current);
      const s = backlogSpec(30);
      const proposed = recommendForObjective({ ...s.objectives[0]!, measures: 'Load' }, value, current, tolerance, ready).replicas;
      const held = recommendForObjective(s.objectives[0]!, value, current, tolerance, ready).replicas;
      assert.ok(held <= Math.max(proposed, current));
      if (proposed <= current || ready === current) assert.equal(held, proposed);
      const d = decideReplicas(s, new Map([['in-flight', value]]), current, emptyMemory(T0), T0, ready);
      assert.ok(d.decided.value <= 30);
    }),
  );
});
