import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, recordScale } from '../../../src/plimsoll/engine/decide.js';
import { scaleDownLimit, scaleUpLimit } from '../../../src/plimsoll/engine/replicas.js';
import { emptyMemory, type EngineMemory } from '../../../src/plimsoll/engine/types.js';
import { fresh, spec, T0 } from './fixtures.js';

const run = (s: ReturnType<typeof spec>, current: number, values: Record<string, number>, memory: EngineMemory = emptyMemory(T0), now = T0) =>
  decide({ spec: s, observations: { currentReplicas: current, signals: fresh(values, now) }, memory, now });

test('HPA formula: AverageValue divides the total by the per-replica target', () => {
  const d = run(spec(), 2, { rate: 55 });
  assert.equal(d.replicas.value, 6);
  assert.equal(d.replicas.reason, 'Objective:rate');
});

test('HPA formula: Value scales current replicas by the usage ratio', () => {
  const s = spec({ objectives: [{ signal: 'cpu', target: { type: 'Value', value: 0.5 } }] });
  assert.equal(run(s, 4, { cpu: 0.75 }).replicas.value, 6);
});

const toleranceTable: Array<[string, number, number]> = [
  ['inside the upward tolerance', 21, 2],
  ['just outside the upward tolerance', 23, 3],
  ['inside the downward tolerance', 19, 2],
  ['just outside the downward tolerance (after the window)', 17, 2],
];
for (const [name, rate, expected] of toleranceTable) {
  test(`tolerance: ${name}`, () => assert.equal(run(spec(), 2, { rate }).replicas.value, expected));
}

test('tolerance is per direction', () => {
  const s = spec({ replicas: { min: 1, max: 20, behavior: { scaleUp: { tolerance: 0.5 }, scaleDown: { tolerance: 0, stabilizationWindowSeconds: 0 } } } });
  assert.equal(run(s, 4, { rate: 55 }).replicas.value, 4, '37.5% above target is within 0.5');
  assert.equal(run(s, 4, { rate: 39 }).replicas.value, 4 - 0, 'ceil(39/10) = 4');
  assert.equal(run(s, 4, { rate: 29 }).replicas.value, 3);
});

test('several objectives: the largest recommendation wins', () => {
  const s = spec({ objectives: [{ signal: 'rate', target: { type: 'AverageValue', averageValue: 10 } }, { signal: 'cpu', target: { type: 'Value', value: 0.5 } }] });
  const d = run(s, 4, { rate: 30, cpu: 0.75 });
  assert.equal(d.replicas.value, 6, 'cpu asks for ceil(4 × 1.5) = 6, rate for 3');
  assert.equal(d.replicas.reason, 'Objective:cpu');
});

test('scale-down stabilization: the highest recommendation in the window wins', () => {
  const s = spec();
  let memory = emptyMemory(T0);
  let d = run(s, 5, { rate: 50 }, memory, T0);
  memory = d.memory;
  d = run(s, 5, { rate: 10 }, memory, T0 + 60_000);
  assert.equal(d.replicas.value, 5);
  assert.equal(d.replicas.limitedBy, 'ScaleDownStabilization');
  d = run(s, 5, { rate: 10 }, d.memory, T0 + 301_000);
  assert.ok(d.replicas.value < 5, 'after 300 s the old recommendation has left the window');
});

test('scale-up rate: 100% or 4 pods per 15 s, select Max', () => {
  const d = run(spec(), 2, { rate: 190 });
  assert.equal(d.replicas.value, 6, 'max(2 × 2, 2 + 4)');
  assert.equal(d.replicas.limitedBy, 'ScaleUpRate');
  const applied = recordScale(d.memory, 4, T0);
  const next = run(spec(), 6, { rate: 190 }, applied, T0 + 5_000);
  assert.equal(next.replicas.value, 6, 'the period started at 2 replicas, so 6 is still its limit');
  assert.equal(next.replicas.limitedBy, 'ScaleUpRate');
  const later = run(spec(), 6, { rate: 190 }, next.memory, T0 + 16_000);
  assert.equal(run(spec(), 6, { rate: 190 }, d.memory, T0 + 5_000).replicas.value, 12, 'a scale never applied uses up no allowance');
  assert.equal(later.replicas.value, 12, 'a new period: max(6 × 2, 6 + 4)');
});

test('scale-up limit matches the HPA computation', () => {
  const rules = spec().replicas.behavior.scaleUp;
  assert.equal(scaleUpLimit(10, [], rules, T0), 20);
  assert.equal(scaleUpLimit(2, [], rules, T0), 6);
  assert.equal(scaleUpLimit(6, [{ at: T0 - 5_000, change: 4 }], rules, T0), 6, 'the period already used its 4 pods / 100%');
  assert.equal(scaleUpLimit(6, [{ at: T0 - 20_000, change: 4 }], rules, T0), 12, 'older events have left the period');
  const disabled = { ...rules, selectPolicy: 'Disabled' as const };
  assert.equal(scaleUpLimit(6, [], disabled, T0), 6);
  const min = { ...rules, selectPolicy: 'Min' as const };
  assert.equal(scaleUpLimit(10, [], min, T0), 14, 'min(10 × 2, 10 + 4)');
});

test('scale-down limit matches the HPA computation', () => {
  const rules = { ...spec().replicas.behavior.scaleDown, policies: [{ type: 'Percent' as const, value: 50, periodSeconds: 60 }, { type: 'Pods' as const, value: 1, periodSeconds: 60 }] };
  assert.equal(scaleDownLimit(10, [], rules, T0), 5, 'select Max: the larger change, 50%');
  assert.equal(scaleDownLimit(10, [], { ...rules, selectPolicy: 'Min' }, T0), 9, 'select Min: the smaller change, 1 pod');
  assert.equal(scaleDownLimit(5, [{ at: T0 - 10_000, change: -5 }], rules, T0), 5, 'the period already halved');
});

test('bounds: min and max replicas', () => {
  const d = run(spec({ replicas: { min: 3, max: 4, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] } } } }), 3, { rate: 1000 });
  assert.equal(d.replicas.value, 4);
  assert.equal(d.replicas.limitedBy, 'MaxReplicas');
  const s = spec({ replicas: { min: 3, max: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } });
  assert.equal(run(s, 4, { rate: 0 }).replicas.value, 3);
});

test('a missing objective signal: no scale-down (ScaleUpOnly), hold (HoldLast) or static', () => {
  const s = spec({ objectives: [{ signal: 'rate', target: { type: 'AverageValue', averageValue: 10 } }, { signal: 'cpu', target: { type: 'Value', value: 0.5 } }], replicas: { min: 1, max: 20, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } });
  const up = run(s, 5, { rate: 10 });
  assert.equal(up.replicas.value, 5);
  assert.equal(up.replicas.reason, 'FallbackScaleUpOnly');
  assert.equal(up.fallbackActive, true);
  assert.equal(run(s, 5, { rate: 90 }).replicas.value, 9, 'the healthy objective may still scale up');
  const hold = spec({ ...s, fallback: { behavior: 'HoldLast' } } as never);
  assert.equal(run(hold, 5, { rate: 90 }).replicas.value, 5);
  const fixed = spec({ ...s, fallback: { behavior: 'StaticReplicas', replicas: 7 } } as never);
  assert.equal(run(fixed, 5, { rate: 1 }).replicas.value, 7);
});

test('signal freshness: stale values are used, expired or failing ones are missing', () => {
  const s = spec();
  const now = T0 + 100_000;
  const stale = decide({ spec: s, observations: { currentReplicas: 2, signals: { rate: { value: 60, readAt: now - 30_000, consecutiveFailures: 1 } } }, memory: emptyMemory(T0), now });
  assert.equal(stale.signals.find((r) => r.name === 'rate')!.state, 'Stale');
  assert.equal(stale.replicas.value, 6);
  const failing = decide({ spec: s, observations: { currentReplicas: 2, signals: { rate: { value: 60, readAt: now - 30_000, consecutiveFailures: 3 } } }, memory: emptyMemory(T0), now });
  assert.equal(failing.signals.find((r) => r.name === 'rate')!.state, 'Missing');
  const old = decide({ spec: s, observations: { currentReplicas: 2, signals: { rate: { value: 60, readAt: now - 121_000, consecutiveFailures: 0 } } }, memory: emptyMemory(T0), now });
  assert.equal(old.signals.find((r) => r.name === 'rate')!.state, 'Missing');
});
