// plimsoll_policy_condition, the gauge the chart's alerts read (BudgetConstrained, Propagated,
// SignalsHealthy, Degraded): it mirrors what status says, and goes away with the policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../../src/plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../../src/plimsoll/observability/metrics.js';
import { createOperatorMetrics } from '../../../src/plimsoll/operator/metrics.js';
import { PAUSED_ANNOTATION } from '../../../src/plimsoll/contract/kubernetes.js';
import { Reconciler, type ScalingPolicyObject } from '../../../src/plimsoll/operator/reconciler.js';
import type { KubeApi } from '../../../src/plimsoll/operator/kube-api.js';
import type { SignalRegistry } from '../../../src/plimsoll/operator/signals/index.js';

function world() {
  let policy: ScalingPolicyObject | undefined = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', generation: 1, resourceVersion: '1' },
    spec: {
      targetRef: { name: 'd' }, pollingIntervalSeconds: 1,
      replicas: { min: 1, max: 20 },
      signals: [{ name: 'load', prometheus: { serverAddress: 'http://x', query: 'q' } }],
      objectives: [{ signal: 'load', target: { type: 'AverageValue', averageValue: 1 } }],
      // 10 connections, pool min 4: at most 2 replicas although the load asks for 20.
      connectionBudget: { maxConnections: 10, reserved: 0, safetyFactor: 1, pool: { min: 4, max: 8 } },
    },
  };
  const api = {
    scale: async () => undefined, applyConfigMap: async () => undefined, createConfigMap: async () => undefined, findConfigMap: async () => undefined, applyStatus: async () => undefined, event: async () => undefined,
    kedaScaledObjectsFor: async () => [], readyEndpoints: async () => [], readyEndpointPods: async () => [], podsOf: async () => [],
    setFinalizers: async (_ref: unknown, _rv: string, finalizers: string[]) => { if (policy) policy.metadata = { ...policy.metadata, finalizers }; }, secretValue: async () => '',
  } as unknown as KubeApi;
  const signals = { prometheus: { type: 'prometheus', read: async () => 20 } } as unknown as SignalRegistry;
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const reconciler = new Reconciler({
    api, signals, sources: { prometheus: [{ name: 'main', address: 'http://x', default: true }], pgbouncer: [], health: [] }, metrics: createOperatorMetrics(registry), logger: createLogger({ name: 't', level: 'silent' }),
    caches: {
      policy: () => policy, policies: () => (policy ? [policy] : []),
      deployment: (): k8s.V1Deployment => ({ metadata: { name: 'd', namespace: 'ns', resourceVersion: '7' }, spec: { replicas: 1 } as k8s.V1DeploymentSpec }),
      configMap: () => undefined, hpas: () => [], scaledObjectsFor: () => [],
    },
  });
  const series = async () => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'plimsoll_policy_condition');
    return new Map((metric?.values ?? []).map((v) => [`${String(v.labels.condition)}=${String(v.labels.status)}`, v.value]));
  };
  return { reconciler, series, setPolicy: (p: ScalingPolicyObject | undefined) => { policy = p; }, policy: () => policy! };
}

test('each condition exports 1 on its current status and 0 on the other two', async () => {
  const w = world();
  await w.reconciler.reconcile('ns/p');
  const s = await w.series();
  assert.equal(s.get('BudgetConstrained=True'), 1, `series: ${JSON.stringify([...s])}`);
  assert.equal(s.get('BudgetConstrained=False'), 0);
  assert.equal(s.get('BudgetConstrained=Unknown'), 0);
  assert.equal(s.get('Ready=True'), 1);
  assert.equal(s.get('Paused=True'), undefined, 'a condition that does not apply has no series');
});

test('a condition that disappears from status loses its series; a deleted policy loses all', async () => {
  const w = world();
  const p = w.policy();
  w.setPolicy({ ...p, metadata: { ...p.metadata, annotations: { [PAUSED_ANNOTATION]: 'true' } } });
  await w.reconciler.reconcile('ns/p');
  assert.equal((await w.series()).get('Paused=True'), 1);
  w.setPolicy(p);
  await w.reconciler.reconcile('ns/p');
  const after = await w.series();
  assert.equal(after.has('Paused=True') || after.has('Paused=False'), false, `series: ${JSON.stringify([...after])}`);
  w.setPolicy(undefined);
  await w.reconciler.reconcile('ns/p');
  assert.equal((await w.series()).size, 0);
});
