// The peers `make compare` runs against Plimsoll: the KEDA peer's ScaledObject must say what the
// stack's policy says (objectives, bounds, interval, behaviour), or the comparison measures a
// different experiment; the contenders' plans are pure and checked here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseScalingPolicy } from '../../../src/plimsoll/api/validate.js';
import { loadScenario } from '../../../src/plimsoll/simulator/scenario.js';
import { parseEnvFile, peakRequestRate, planContender, providersWithRateLimits, staticFleet } from '../../../loadtests/compare/contenders.js';

const root = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

/**
 * The stack's policy: the example with tools/stack/policy-local.json's replacements (kube-apply.sh
 * applies it with kubectl patch), in its explicit form (matcher-explicit.yaml decides as
 * matcher.yaml does, test/unit/api/implied-signals.test.ts), whose queries, addresses and
 * behaviour are written out as the KEDA peer's are.
 */
function stackPolicy() {
  const doc = parse(read('examples/matcher-explicit.yaml')) as Record<string, unknown>;
  for (const op of JSON.parse(read('tools/stack/policy-local.json')) as Array<{ op: string; path: string; value: unknown }>) {
    const keys = op.path.split('/').slice(1);
    const parent = keys.slice(0, -1).reduce<any>((node, k) => node[k], doc); // eslint-disable-line @typescript-eslint/no-explicit-any
    const last = keys[keys.length - 1]!;
    if (op.op === 'test') assert.deepEqual(parent[last], op.value, `policy-local.json's test of ${op.path}`);
    else if (op.op === 'replace') parent[last] = op.value;
    else assert.fail(`policy-local.json uses ${op.op}; this test applies only test and replace`);
  }
  return { spec: parseScalingPolicy(doc).spec, written: doc as { spec: { replicas: { behavior: unknown } } } };
}

describe('the KEDA peer', () => {
  const { spec, written } = stackPolicy();
  const scaled = parse(read('loadtests/peers/keda/scaledobject.yaml')) as {
    spec: { minReplicaCount: number; maxReplicaCount: number; pollingInterval: number; advanced: { horizontalPodAutoscalerConfig: { behavior: unknown } };
      triggers: Array<{ type: string; name: string; metricType: string; metadata: { query: string; threshold: string; serverAddress: string } }> };
  };

  // The behaviour as the policy writes it: the defaults the API fills in (selectPolicy Max, the
  // 0.1 tolerance) are the HPA controller's defaults too.
  it('has the policy\'s bounds, polling interval and scale behaviour', () => {
    assert.equal(scaled.spec.minReplicaCount, spec.replicas.min);
    assert.equal(scaled.spec.maxReplicaCount, spec.replicas.max);
    assert.equal(scaled.spec.pollingInterval, spec.pollingIntervalSeconds);
    assert.deepEqual(scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior, written.spec.replicas.behavior);
  });

  // A Backlog objective has no trigger: the HPA cannot tell the replicas it ordered are starting.
  const loadObjectives = spec.objectives.filter((o) => o.measures !== 'Backlog');

  it('has one Prometheus trigger per Load objective, with the same query, target and kind of target', () => {
    assert.ok(loadObjectives.length < spec.objectives.length, 'the policy has a Backlog objective the peer leaves out');
    assert.equal(scaled.spec.triggers.length, loadObjectives.length);
    for (const objective of loadObjectives) {
      const signal = spec.signals.find((s) => s.name === objective.signal)!;
      const trigger = scaled.spec.triggers.find((t) => t.name === objective.signal);
      assert.ok(trigger, `a trigger for ${objective.signal}`);
      assert.equal(trigger.type, 'prometheus');
      assert.equal(trigger.metadata.query, signal.prometheus!.query);
      assert.equal(trigger.metadata.serverAddress, signal.prometheus!.serverAddress);
      const target = objective.target;
      if (target.type === 'Value') {
        assert.equal(trigger.metricType, 'Value');
        assert.equal(Number(trigger.metadata.threshold), target.value);
      } else {
        assert.equal(trigger.metricType, 'AverageValue');
        assert.equal(Number(trigger.metadata.threshold), target.averageValue);
      }
    }
  });

  it('runs the seeds\' fixed pool and a per-replica queue rule', () => {
    const env = parseEnvFile(read('loadtests/peers/keda/matcher.env'), 'matcher.env');
    assert.equal(env.MATCHER_DB_POOL_MAX, '25');
    assert.ok(Number(env.MATCHER_EMERGENCY_BASIC_QUEUE_WAITING) > 0);
  });
});

describe('the contenders\' plans', () => {
  const { spec } = stackPolicy();

  it('an env file with a bad line names the file and line', () => {
    assert.throws(() => parseEnvFile('# ok\nA=1\nnot a pair\n', 'x.env'), /x\.env:3: expected KEY=VALUE/);
    assert.deepEqual(parseEnvFile('A=1\n\n# c\nB_2=x=y\n', 'x.env'), { A: '1', B_2: 'x=y' });
  });

  it('the static fleet is sized for the scenario\'s peak with the seeds\' pool formula', async () => {
    const { scenario } = await loadScenario(`${root}loadtests/scenarios/peak.yaml`);
    assert.equal(peakRequestRate(scenario), 100, '200 users thinking 2 s');
    // 100 req/s ÷ 16 per replica → 7 replicas; (100 − 15) ÷ 7 × 0.75 → pool 9; 63 ≤ 85.
    assert.deepEqual(staticFleet(spec, scenario), { replicas: 7, poolMax: 9 });
  });

  it('the peers get each provider\'s rate limit as a static limiter; Plimsoll sets none', async () => {
    const providers = JSON.stringify([{ name: 'groq', baseUrl: 'http://x', concurrency: 1 }, { name: 'other', baseUrl: 'http://y' }]);
    const out = JSON.parse(providersWithRateLimits(providers, spec)) as Array<{ name: string; rateLimit?: unknown }>;
    assert.deepEqual(out[0]!.rateLimit, { requests: 30, periodSeconds: 60 });
    assert.equal(out[1]!.rateLimit, undefined);
    const { scenario } = await loadScenario(`${root}loadtests/scenarios/burst.yaml`);
    const inputs = { root, spec, scenario, policyFile: 'policy.yaml', providersJson: providers };
    assert.deepEqual(planContender('plimsoll', inputs).env, {});
    assert.equal(planContender('plimsoll', inputs).governor?.kind, 'ScalingPolicy');
    assert.equal(planContender('keda', inputs).governor?.kind, 'ScaledObject');
    assert.equal(planContender('static', inputs).governor, undefined);
    assert.match(planContender('keda', inputs).env.MATCHER_PROVIDERS!, /"rateLimit":\{"requests":30,"periodSeconds":60\}/);
  });
});
