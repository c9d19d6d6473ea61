// A scenario's policyPatch: the stack-sized scenarios simulate the example as the stack applies it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';
import { loadScenario } from '../../../src/plimsoll/simulator/scenario.js';
import { applyPolicyPatch, loadScenarioPolicy } from '../../../src/plimsoll/simulator/scenario-policy.js';

const scenarios = new URL('../../../loadtests/scenarios/', import.meta.url);

test('herd-stack simulates the example with the stack\'s objectives for 100m pods', async () => {
  const { scenario, policyPath, policyPatchPath } = await loadScenario(new URL('herd-stack.yaml', scenarios).pathname);
  const { spec } = await loadScenarioPolicy(policyPath, policyPatchPath);
  const { spec: plain } = await loadScenarioPolicy(policyPath);
  assert.equal(scenario.model.cpuCoresPerReplica, 0.1);
  const target = (s: typeof spec, signal: string) => s.objectives.find((o) => o.signal === signal)!.target;
  assert.deepEqual(target(spec, 'cpu-utilization'), { type: 'Value', value: 0.07 });
  assert.deepEqual(target(spec, 'request-rate'), { type: 'AverageValue', averageValue: 16 });
  assert.deepEqual(target(plain, 'request-rate'), { type: 'AverageValue', averageValue: 40 });
});

test('a patch whose test fails, or that names nothing, is refused with the operation named', () => {
  const doc = { spec: { objectives: [{ signal: 'a', target: { value: 1 } }] } };
  assert.deepEqual(applyPolicyPatch(doc, [{ op: 'replace', path: '/spec/objectives/0/target/value', value: 2 }], 'p.json'), { spec: { objectives: [{ signal: 'a', target: { value: 2 } }] } });
  assert.equal(doc.spec.objectives[0]!.target.value, 1, 'the document itself is untouched');
  assert.throws(
    () => applyPolicyPatch(doc, [{ op: 'test', path: '/spec/objectives/0/signal', value: 'b' }], 'p.json'),
    (err) => isPlimsollError(err) && err.code === 'SCENARIO_INVALID' && /p\.json: operation 0 \(test \/spec\/objectives\/0\/signal\) expected "b", found "a"/.test(err.message),
  );
  assert.throws(
    () => applyPolicyPatch(doc, [{ op: 'replace', path: '/spec/objectives/3/target', value: 1 }], 'p.json'),
    (err) => isPlimsollError(err) && /operation 0 \(replace \/spec\/objectives\/3\/target\) names nothing/.test(err.message),
  );
});
