import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import { validateScalingPolicy } from '../../../src/plimsoll/api/validate.js';

const examples = new URL('../../../examples/', import.meta.url);

async function load(relative: string): Promise<{ doc: unknown; text: string }> {
  const text = await readFile(new URL(relative, examples), 'utf8');
  return { doc: parse(text), text };
}

test('every shipped example is valid and gets its defaults', async () => {
  const files = (await readdir(examples)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 3);
  for (const file of files) {
    const result = validateScalingPolicy((await load(file)).doc);
    assert.ok(result.valid, `${file}: ${JSON.stringify(result.problems)}`);
    assert.equal(result.policy.spec.targetRef.kind, 'Deployment');
    assert.ok(result.policy.spec.replicas.behavior.scaleUp.policies.length > 0);
  }
});

test('every invalid example is rejected with the problem its header expects', async () => {
  const files = (await readdir(new URL('invalid/', examples))).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 4);
  for (const file of files) {
    const { doc, text } = await load(`invalid/${file}`);
    const result = validateScalingPolicy(doc);
    assert.equal(result.valid, false, `${file} should be invalid`);
    const expected = /^# expect: (.*)$/m.exec(text)?.[1];
    assert.ok(expected, `${file} has no "# expect:" line`);
    const text2 = result.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    // The API server words enum errors its own way; offline, the field is what must match.
    const needle = expected.startsWith('Unsupported value') ? 'spec.mode' : expected;
    assert.ok(text2.includes(needle), `${file}: expected "${needle}" in:\n${text2}`);
  }
});

const base = () => ({
  apiVersion: 'plimsoll.dev/v1alpha1',
  kind: 'ScalingPolicy',
  metadata: { name: 'p' },
  spec: {
    targetRef: { name: 'matcher' },
    replicas: { min: 1, max: 5 },
    signals: [{ name: 'rate', prometheus: { serverAddress: 'http://p:9090', query: 'up' } }],
  } as Record<string, unknown>,
});

const cases: Array<{ name: string; spec: Record<string, unknown>; path: string; fragment: string }> = [
  { name: 'unknown field', spec: { bogus: 1 }, path: 'spec', fragment: 'bogus' },
  { name: 'wrong type', spec: { pollingIntervalSeconds: 'often' }, path: 'spec.pollingIntervalSeconds', fragment: 'expected' },
  { name: 'out of bounds', spec: { pollingIntervalSeconds: 0 }, path: 'spec.pollingIntervalSeconds', fragment: '>=1' },
  { name: 'budget needs one source', spec: { connectionBudget: { reserved: 1 } }, path: 'spec.connectionBudget', fragment: 'exactly one of maxConnections or fromSignal' },
  { name: 'budget too small for one pool', spec: { connectionBudget: { maxConnections: 10, reserved: 9, pool: { min: 2 } } }, path: 'spec.connectionBudget.maxConnections', fragment: 'room for at least one pool' },
  { name: 'pool min above max', spec: { connectionBudget: { maxConnections: 100, pool: { min: 9, max: 3 } } }, path: 'spec.connectionBudget.pool.min', fragment: 'pool.min must be less' },
  { name: 'budget from an undeclared signal', spec: { connectionBudget: { fromSignal: 'nope' } }, path: 'spec.connectionBudget.fromSignal', fragment: 'must name a signal' },
  { name: 'value target without value', spec: { objectives: [{ signal: 'rate', target: { type: 'Value' } }] }, path: 'spec.objectives[0].target.value', fragment: 'target.value is required' },
  { name: 'duplicate signal names', spec: { signals: [{ name: 'a', health: { field: 'x' } }, { name: 'a', health: { field: 'y' } }] }, path: 'spec.signals', fragment: 'unique' },
  { name: 'static fallback without replicas', spec: { fallback: { behavior: 'StaticReplicas' } }, path: 'spec.fallback.replicas', fragment: 'required when behavior is StaticReplicas' },
  { name: 'static fallback outside bounds', spec: { fallback: { behavior: 'StaticReplicas', replicas: 9 } }, path: 'spec.fallback.replicas', fragment: 'within replicas.min and replicas.max' },
  { name: 'Below trigger exiting below enter', spec: { degradation: { levels: [{ level: 'Basic', triggers: [{ signal: 'rate', operator: 'Below', enter: 2, exit: 1 }] }] } }, path: 'spec.degradation.levels[0].triggers[0].exit', fragment: 'safe side' },
  { name: 'a level twice', spec: { degradation: { levels: [{ level: 'Basic', triggers: [{ signal: 'rate', operator: 'Above', enter: 2, exit: 1 }] }, { level: 'Basic', triggers: [{ signal: 'rate', operator: 'Above', enter: 3, exit: 1 }] }] } }, path: 'spec.degradation.levels', fragment: 'only once' },
  { name: 'trigger on an undeclared signal', spec: { degradation: { levels: [{ level: 'Basic', triggers: [{ signal: 'ghost', operator: 'Above', enter: 2, exit: 1 }] }] } }, path: 'spec.degradation.levels', fragment: 'must name a signal' },
  { name: 'provider signal undeclared', spec: { queues: { providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 }, latencySignal: 'ghost' }] } }, path: 'spec.queues.providers', fragment: 'provider signal' },
  { name: 'duplicate providers', spec: { queues: { providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 } }, { name: 'groq', rateLimit: { requests: 3, periodSeconds: 60 } }] } }, path: 'spec.queues.providers', fragment: 'unique' },
  { name: 'signal name not a DNS label', spec: { signals: [{ name: 'Bad_Name', health: { field: 'x' } }] }, path: 'spec.signals[0].name', fragment: 'DNS-1123' },
];

for (const c of cases) {
  test(`rejects ${c.name}, naming ${c.path}`, () => {
    const doc = base();
    Object.assign(doc.spec, c.spec);
    const result = validateScalingPolicy(doc);
    assert.equal(result.valid, false);
    const problem = result.problems.find((p) => p.path === c.path);
    assert.ok(problem, `no problem at ${c.path}: ${JSON.stringify(result.problems)}`);
    assert.ok(problem.message.includes(c.fragment), `"${problem.message}" lacks "${c.fragment}"`);
  });
}
