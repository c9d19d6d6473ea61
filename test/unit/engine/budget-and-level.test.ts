import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poolFor } from '../../../src/plimsoll/engine/budget.js';
import { decide } from '../../../src/plimsoll/engine/decide.js';
import { emptyMemory, type EngineMemory } from '../../../src/plimsoll/engine/types.js';
import { fresh, spec, T0 } from './fixtures.js';

const budget = { maxConnections: 100, reserved: 15, safetyFactor: 0.75, pool: { min: 4, max: 32 } };

test('the seed formula: (100 − 15) / 2 × 0.75 → 31 (32 with the seed rounding) per replica', () => {
  const s = spec({ connectionBudget: budget });
  assert.equal(poolFor(2, 85, s.connectionBudget!).value, 31, 'floor(85 / 2 × 0.75) = floor(31.875)');
});

test('pool shrinks as replicas grow, and replicas are capped by the budget', () => {
  const s = spec({ connectionBudget: budget, replicas: { min: 1, max: 50, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] } } } });
  const d = decide({ spec: s, observations: { currentReplicas: 2, signals: fresh({ rate: 400 }, T0) }, memory: emptyMemory(T0), now: T0 });
  assert.equal(d.replicas.value, 21, 'floor(85 / 4)');
  assert.equal(d.replicas.limitedBy, 'ConnectionBudget');
  assert.equal(d.budgetConstrained, true);
  assert.equal(d.poolMax!.value, 4);
  assert.ok(d.replicas.value * d.poolMax!.value <= 85);
  assert.equal(d.serviceLevel.value, 'Reduced', 'pressure goes to the service level');
  assert.equal(d.serviceLevel.reason, 'BudgetConstrained');
});

test('ordered plan: scale-out publishes smaller pools first, scale-in removes replicas first', () => {
  const s = spec({ connectionBudget: budget, replicas: { min: 1, max: 20, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } });
  const out = decide({ spec: s, observations: { currentReplicas: 2, signals: fresh({ rate: 40 }, T0), currentPoolMax: 31 }, memory: emptyMemory(T0), now: T0 });
  assert.deepEqual(out.plan.map((p) => p.action), ['PublishRuntime', 'ScaleReplicas']);
  assert.equal(out.plan[0]!.action === 'PublishRuntime' && out.plan[0]!.waitForAcknowledgement, true);
  const inn = decide({ spec: s, observations: { currentReplicas: 4, signals: fresh({ rate: 10 }, T0), currentPoolMax: 15 }, memory: emptyMemory(T0), now: T0 });
  assert.deepEqual(inn.plan.map((p) => p.action), ['ScaleReplicas', 'PublishRuntime']);
});

test('PgBouncer saturation brakes scale-out but not scale-in', () => {
  const s = spec({ connectionBudget: { ...budget, saturation: { clientsWaitingSignal: 'cl-waiting', clientsWaitingThreshold: 10 } } });
  const d = decide({ spec: s, observations: { currentReplicas: 2, signals: fresh({ rate: 60, 'cl-waiting': 40 }, T0) }, memory: emptyMemory(T0), now: T0 });
  assert.equal(d.replicas.value, 2);
  assert.equal(d.replicas.limitedBy, 'DatabaseSaturated');
  assert.match(d.replicas.message ?? '', /40 clients wait/);
});

test('a budget read from a missing signal holds replicas from growing', () => {
  const s = spec({ connectionBudget: { fromSignal: 'budget', reserved: 15 } });
  const d = decide({ spec: s, observations: { currentReplicas: 2, signals: fresh({ rate: 60 }, T0), currentPoolMax: 20 }, memory: emptyMemory(T0), now: T0 });
  assert.equal(d.replicas.value, 2);
  assert.equal(d.replicas.limitedBy, 'BudgetUnknown');
  assert.equal(d.poolMax!.value, 20);
});

// Issue 14: one reading of 0 (PgBouncer's "unlimited" max_db_connections) took 10 replicas to 1
// with pool 0. An implausible budget is treated as missing: replicas and pools hold.
for (const [reading, why] of [[0, /not a connection limit/], [-5, /not a connection limit/], [18, /below reserved 15 \+ pool.min 4/]] as const) {
  test(`a budget signal reading ${reading} is implausible: the policy holds`, () => {
    const s = spec({ replicas: { min: 2, max: 12 }, connectionBudget: { fromSignal: 'budget', reserved: 15, pool: { min: 4, max: 32 } } });
    const d = decide({ spec: s, observations: { currentReplicas: 10, signals: fresh({ rate: 400, budget: reading }, T0), currentPoolMax: 6 }, memory: emptyMemory(T0), now: T0 });
    assert.equal(d.replicas.value, 10, 'not scaled down by a bad budget');
    assert.equal(d.poolMax!.value, 6, 'the pool in force holds');
    assert.equal(d.poolMax!.reason, 'BudgetUnknown');
    assert.match(d.poolMax!.message ?? '', why);
  });
}

test('a plausible budget signal is used: 100 − 15 over 10 replicas', () => {
  const s = spec({ replicas: { min: 2, max: 12 }, connectionBudget: { fromSignal: 'budget', reserved: 15, pool: { min: 4, max: 32 } } });
  const d = decide({ spec: s, observations: { currentReplicas: 10, signals: fresh({ rate: 400, budget: 100 }, T0), currentPoolMax: 6 }, memory: emptyMemory(T0), now: T0 });
  assert.equal(d.connectionBudget, 85);
  assert.ok(d.replicas.value * d.poolMax!.value <= 85);
});

const levelSpec = () =>
  spec({
    degradation: {
      minDwellSeconds: 60,
      levels: [
        { level: 'Reduced', triggers: [{ signal: 'waiting', operator: 'Above', enter: 100, exit: 60 }, { signal: 'providers', operator: 'Below', enter: 2, exit: 2 }] },
        { level: 'Basic', triggers: [{ signal: 'waiting', operator: 'Above', enter: 300, exit: 150 }] },
        { level: 'Maintenance', triggers: [{ signal: 'providers', operator: 'Below', enter: 1, exit: 1, whenMissing: 'Fire' }] },
      ],
    },
  });

function step(memory: EngineMemory, values: Record<string, number>, now: number) {
  return decide({ spec: levelSpec(), observations: { currentReplicas: 2, signals: fresh({ rate: 20, ...values }, now) }, memory, now });
}

const levelTable: Array<{ name: string; values: Record<string, number>; expected: string }> = [
  { name: 'all clear', values: { waiting: 10, providers: 3 }, expected: 'Full' },
  { name: 'queue above 100', values: { waiting: 101, providers: 3 }, expected: 'Reduced' },
  { name: 'one provider left', values: { waiting: 0, providers: 1 }, expected: 'Reduced' },
  { name: 'queue above 300 jumps straight to Basic', values: { waiting: 301, providers: 3 }, expected: 'Basic' },
  { name: 'no provider', values: { waiting: 0, providers: 0 }, expected: 'Maintenance' },
];
for (const row of levelTable) {
  test(`level rule: ${row.name} → ${row.expected}`, () => {
    assert.equal(step(emptyMemory(T0), row.values, T0).serviceLevel.value, row.expected);
  });
}

test('level rule: a Fire signal missing after a read → Maintenance; never read yet (a cold start) → no effect', () => {
  const lost = { value: 3, readAt: T0 - 60_000, consecutiveFailures: 5, lastError: 'unreachable' };
  const signals = { ...fresh({ rate: 20, waiting: 0 }, T0), providers: lost };
  assert.equal(decide({ spec: levelSpec(), observations: { currentReplicas: 2, signals }, memory: emptyMemory(T0), now: T0 }).serviceLevel.value, 'Maintenance');
  assert.equal(step(emptyMemory(T0), { waiting: 0 }, T0).serviceLevel.value, 'Full');
});

test('hysteresis, dwell and step-wise de-escalation', () => {
  let d = step(emptyMemory(T0), { waiting: 400, providers: 3 }, T0);
  assert.equal(d.serviceLevel.value, 'Basic');
  d = step(d.memory, { waiting: 200, providers: 3 }, T0 + 120_000);
  assert.equal(d.serviceLevel.value, 'Basic', '200 has not cleared the exit threshold 150');
  assert.equal(d.serviceLevel.reason, 'Holding:waiting');
  d = step(d.memory, { waiting: 100, providers: 3 }, T0 + 130_000);
  assert.equal(d.serviceLevel.value, 'Reduced', 'cleared and dwelt: one level down');
  d = step(d.memory, { waiting: 10, providers: 3 }, T0 + 140_000);
  assert.equal(d.serviceLevel.value, 'Reduced', 'the dwell restarts at every transition');
  assert.equal(d.serviceLevel.reason, 'MinDwell');
  d = step(d.memory, { waiting: 10, providers: 3 }, T0 + 191_000);
  assert.equal(d.serviceLevel.value, 'Full');
  d = step(d.memory, { waiting: 500, providers: 3 }, T0 + 192_000);
  assert.equal(d.serviceLevel.value, 'Basic', 'escalation ignores the dwell');
});
