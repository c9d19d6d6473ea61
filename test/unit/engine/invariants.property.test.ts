/**
 * Property tests (fast-check) for what must hold in every output of the engine, whatever the
 * policy, the signals and the history: bounds, the connection budget, the rate policies, the
 * service-level dwell, and determinism.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { scalingPolicySpecSchema, type ScalingPolicySpec } from '../../../src/plimsoll/api/scaling-policy.js';
import { decide, recordScale } from '../../../src/plimsoll/engine/decide.js';
import { levelRank } from '../../../src/plimsoll/contract/service-levels.js';
import { emptyMemory, type Decision, type EngineMemory } from '../../../src/plimsoll/engine/types.js';
import { T0 } from './fixtures.js';

const specArb = fc
  .record({
    min: fc.integer({ min: 1, max: 10 }),
    extra: fc.integer({ min: 0, max: 40 }),
    maxConnections: fc.integer({ min: 20, max: 2000 }),
    reserved: fc.integer({ min: 0, max: 15 }),
    safety: fc.double({ min: 0.1, max: 1, noNaN: true }),
    poolMin: fc.integer({ min: 1, max: 8 }),
    poolSpan: fc.integer({ min: 0, max: 60 }),
    upPods: fc.integer({ min: 1, max: 10 }),
    upPercent: fc.integer({ min: 10, max: 300 }),
    downPercent: fc.integer({ min: 10, max: 100 }),
    upWindow: fc.integer({ min: 0, max: 120 }),
    downWindow: fc.integer({ min: 0, max: 600 }),
    dwell: fc.integer({ min: 0, max: 300 }),
    algorithm: fc.constantFrom('None', 'AIMD', 'Gradient2'),
  })
  .filter((r) => r.maxConnections - r.reserved >= r.poolMin)
  .map((r): ScalingPolicySpec =>
    scalingPolicySpecSchema.parse({
      targetRef: { name: 'matcher' },
      replicas: {
        min: r.min,
        max: r.min + r.extra,
        behavior: {
          scaleUp: { stabilizationWindowSeconds: r.upWindow, policies: [{ type: 'Pods', value: r.upPods, periodSeconds: 15 }, { type: 'Percent', value: r.upPercent, periodSeconds: 60 }] },
          scaleDown: { stabilizationWindowSeconds: r.downWindow, policies: [{ type: 'Percent', value: r.downPercent, periodSeconds: 30 }] },
        },
      },
      signals: ['rate', 'cpu', 'waiting', 'latency', 'throttled'].map((name) => ({ name, prometheus: { serverAddress: 'http://p:9090', query: 'q' } })),
      objectives: [
        { signal: 'rate', target: { type: 'AverageValue', averageValue: 10 } },
        { signal: 'cpu', target: { type: 'Value', value: 0.6 } },
      ],
      connectionBudget: { maxConnections: r.maxConnections, reserved: r.reserved, safetyFactor: r.safety, pool: { min: r.poolMin, max: r.poolMin + r.poolSpan } },
      queues: {
        providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 }, concurrency: { min: 1, max: 6 }, latencySignal: 'latency', throttledSignal: 'throttled' }],
        adaptive: { algorithm: r.algorithm },
      },
      degradation: {
        minDwellSeconds: r.dwell,
        levels: [
          { level: 'Reduced', triggers: [{ signal: 'waiting', operator: 'Above', enter: 100, exit: 60 }] },
          { level: 'Basic', triggers: [{ signal: 'waiting', operator: 'Above', enter: 300, exit: 150 }] },
        ],
      },
    }),
  );

/** One poll: elapsed seconds since the last, and each signal's value or its absence. */
const pollArb = fc.record({
  elapsed: fc.integer({ min: 1, max: 120 }),
  rate: fc.option(fc.double({ min: 0, max: 2000, noNaN: true }), { nil: undefined }),
  cpu: fc.option(fc.double({ min: 0, max: 4, noNaN: true }), { nil: undefined }),
  waiting: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
  latency: fc.option(fc.double({ min: 0.05, max: 30, noNaN: true }), { nil: undefined }),
  throttled: fc.option(fc.double({ min: 0, max: 5, noNaN: true }), { nil: undefined }),
});

type Poll = typeof pollArb extends fc.Arbitrary<infer T> ? T : never;

function simulate(spec: ScalingPolicySpec, startReplicas: number, polls: Poll[]): Decision[] {
  let memory: EngineMemory = emptyMemory(T0);
  let now = T0;
  let replicas = startReplicas;
  const decisions: Decision[] = [];
  for (const poll of polls) {
    now += poll.elapsed * 1000;
    const signals: Record<string, { value: number; readAt: number; consecutiveFailures: number }> = {};
    for (const name of ['rate', 'cpu', 'waiting', 'latency', 'throttled'] as const) {
      const value = poll[name];
      if (value !== undefined) signals[name] = { value, readAt: now, consecutiveFailures: 0 };
    }
    const d = decide({ spec, observations: { currentReplicas: replicas, signals }, memory, now });
    decisions.push(d);
    memory = recordScale(d.memory, d.replicas.value - replicas, now);
    replicas = d.replicas.value;
  }
  return decisions;
}

const runs = { numRuns: 300 };

test('replicas × pool never exceeds the budget, and every knob stays within its bounds', () => {
  fc.assert(
    fc.property(specArb, fc.integer({ min: 1, max: 60 }), fc.array(pollArb, { minLength: 1, maxLength: 30 }), (spec, start, polls) => {
      const budget = spec.connectionBudget!.maxConnections! - spec.connectionBudget!.reserved;
      for (const d of simulate(spec, start, polls)) {
        assert.ok(d.replicas.value * d.poolMax!.value <= budget, `${d.replicas.value} × ${d.poolMax!.value} > ${budget}`);
        assert.ok(d.replicas.value >= 1 && d.replicas.value <= spec.replicas.max);
        const cap = Math.floor(budget / spec.connectionBudget!.pool.min);
        assert.ok(d.replicas.value >= Math.min(spec.replicas.min, cap), 'below min without a budget reason');
        assert.ok(d.poolMax!.value <= spec.connectionBudget!.pool.max);
        for (const c of d.concurrency) assert.ok(c.value >= 1 && c.value <= 6, `concurrency ${c.value}`);
      }
    }),
    runs,
  );
});

test('scale-ups respect the rate policies, checked against the replica history itself', () => {
  fc.assert(
    fc.property(specArb, fc.integer({ min: 1, max: 30 }), fc.array(pollArb, { minLength: 1, maxLength: 30 }), (spec, start, polls) => {
      const history: Array<{ at: number; replicas: number; before: number }> = [];
      let previous = start;
      for (const d of simulate(spec, start, polls)) {
        history.push({ at: d.now, replicas: d.replicas.value, before: previous });
        // Raising a count below replicas.min to the minimum is not a rate-limited scale-up.
        if (d.replicas.value > previous && previous >= spec.replicas.min) {
          // Some policy must allow the whole net increase made within its own period.
          const allowed = spec.replicas.behavior.scaleUp.policies.some((policy) => {
            const inPeriod = history.filter((h) => h.at > d.now - policy.periodSeconds * 1000);
            const periodStart = inPeriod[0]!.before;
            const limit = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
            return d.replicas.value <= limit;
          });
          assert.ok(allowed, `${previous} → ${d.replicas.value} exceeds every scale-up policy`);
        }
        previous = d.replicas.value;
      }
    }),
    runs,
  );
});

test('de-escalation: one level at a time and never before the dwell', () => {
  fc.assert(
    fc.property(specArb, fc.array(pollArb, { minLength: 2, maxLength: 40 }), (spec, polls) => {
      const decisions = simulate(spec, 2, polls);
      let previousLevel = 'Full' as Decision['serviceLevel']['value'];
      let since = T0;
      for (const d of decisions) {
        const from = levelRank[previousLevel];
        const to = levelRank[d.serviceLevel.value];
        if (to < from) {
          assert.equal(from - to, 1, `${previousLevel} → ${d.serviceLevel.value} skipped a level`);
          assert.ok(d.now - since >= spec.degradation.minDwellSeconds * 1000, 'left before the dwell');
        }
        if (to !== from) since = d.now;
        previousLevel = d.serviceLevel.value;
      }
    }),
    runs,
  );
});

test('determinism: the same inputs give the same decisions', () => {
  fc.assert(
    fc.property(specArb, fc.integer({ min: 1, max: 30 }), fc.array(pollArb, { minLength: 1, maxLength: 20 }), (spec, start, polls) => {
      assert.deepEqual(simulate(spec, start, polls), simulate(spec, start, polls));
    }),
    { numRuns: 100 },
  );
});
