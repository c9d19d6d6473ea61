import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide } from '../../../src/plimsoll/engine/decide.js';
import { executePlan, type Actuator } from '../../../src/plimsoll/engine/execute-plan.js';
import { emptyMemory, type PlanStep } from '../../../src/plimsoll/engine/types.js';
import { fresh, spec, T0 } from './fixtures.js';

const budget = { maxConnections: 100, reserved: 15, safetyFactor: 0.75, pool: { min: 4, max: 32 } };
const s = spec({ connectionBudget: budget, replicas: { min: 1, max: 20, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } });

/** An Actuator that writes down what it is asked, in order; `acknowledged` answers the wait. */
function recording(acknowledged: boolean) {
  const calls: string[] = [];
  const actuator: Actuator = {
    publish: () => { calls.push('publish'); return Promise.resolve(); },
    awaitAcknowledgement: () => { calls.push('await'); return Promise.resolve(acknowledged); },
    scale: (replicas) => { calls.push(`scale ${replicas}`); return Promise.resolve(); },
  };
  return { calls, actuator };
}

const scaleOut = () => decide({ spec: s, observations: { currentReplicas: 2, signals: fresh({ rate: 40 }, T0), currentPoolMax: 31 }, memory: emptyMemory(T0), now: T0 });

test('scale-out: publish the smaller pool, wait for its acknowledgement, then scale', async () => {
  const d = scaleOut();
  const { calls, actuator } = recording(true);
  const outcome = await executePlan(d.plan, actuator);
  assert.deepEqual(calls, ['publish', 'await', `scale ${d.replicas.value}`]);
  assert.ok(d.replicas.value > 2);
  assert.equal(outcome.waitingForAcknowledgement, false);
});

test('scale-out without the acknowledgement: published, no scale, and the outcome says it waits', async () => {
  const { calls, actuator } = recording(false);
  const outcome = await executePlan(scaleOut().plan, actuator);
  assert.deepEqual(calls, ['publish', 'await']);
  assert.equal(outcome.waitingForAcknowledgement, true);
});

test('scale-in: replicas go first, the larger pool is published after, without waiting', async () => {
  const d = decide({ spec: s, observations: { currentReplicas: 4, signals: fresh({ rate: 10 }, T0), currentPoolMax: 15 }, memory: emptyMemory(T0), now: T0 });
  const { calls, actuator } = recording(false);
  const outcome = await executePlan(d.plan, actuator);
  assert.deepEqual(calls, [`scale ${d.replicas.value}`, 'publish']);
  assert.ok(d.replicas.value < 4);
  assert.equal(outcome.waitingForAcknowledgement, false);
});

test('a synchronous actuator (the simulator\'s) is answered synchronously, in the same order', () => {
  const plan: PlanStep[] = [{ action: 'PublishRuntime', waitForAcknowledgement: true }, { action: 'ScaleReplicas', replicas: 5 }];
  const calls: string[] = [];
  const outcome = executePlan(plan, {
    publish: () => { calls.push('publish'); },
    awaitAcknowledgement: () => { calls.push('await'); return true; },
    scale: (replicas) => { calls.push(`scale ${replicas}`); },
  });
  assert.ok(!(outcome instanceof Promise));
  assert.deepEqual(calls, ['publish', 'await', 'scale 5']);
});

test('a failing step stops the plan: nothing after it is applied', async () => {
  const calls: string[] = [];
  const actuator: Actuator = {
    publish: () => { calls.push('publish'); return Promise.reject(new Error('409')); },
    awaitAcknowledgement: () => { calls.push('await'); return Promise.resolve(true); },
    scale: (replicas) => { calls.push(`scale ${replicas}`); return Promise.resolve(); },
  };
  await assert.rejects(executePlan(scaleOut().plan, actuator), /409/);
  assert.deepEqual(calls, ['publish']);
});
