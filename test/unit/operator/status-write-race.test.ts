// Two status writes in quick succession, and a cache that catches up with the first only: the
// operator must not take that older status for the truth and write again. Found by
// `make bench-operator`'s writes-by-cause table (docs/bench-operator.md): after a scale, a few
// policies got a third status write whose only change on the server was the memory's last
// recommendation time. Reconciler with in-memory caches and a recording API, as reconciler.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import type { ScalingPolicyObject } from '../../../src/plimsoll/operator/reconciler.js';
import { unitReconciler } from './unit-reconciler.js';
import type { KubeApi } from '../../../src/plimsoll/operator/kube-api.js';
import type { SignalRegistry } from '../../../src/plimsoll/operator/signals/index.js';
import type { ScalingPolicyStatus } from '../../../src/plimsoll/api/scaling-policy.js';

test('a cache that has seen only the first of two quick status writes causes no third write', async () => {
  const clock = { now: Date.parse('2026-12-02T12:00:00Z') };
  const written: ScalingPolicyStatus[] = [];
  let replicas = 2;
  let ready = 2;
  let rv = 1;
  // The informer's view of the policy: it moves only when the test delivers a watch event.
  let cached: ScalingPolicyObject = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', generation: 1, resourceVersion: String(rv), finalizers: ['plimsoll.dev/restore-service'] },
    spec: {
      targetRef: { name: 'd' }, pollingIntervalSeconds: 15,
      replicas: { min: 1, max: 10 },
      signals: [{ name: 'load', prometheus: { serverAddress: 'http://x', query: 'load' } }],
      objectives: [{ signal: 'load', target: { type: 'AverageValue', averageValue: 10 } }],
    },
  };
  const deliver = (status: ScalingPolicyStatus) => { cached = { ...cached, metadata: { ...cached.metadata, resourceVersion: String(++rv) }, status }; };
  let configMap: k8s.V1ConfigMap | undefined;
  let cmVersion = 0;
  const publish = async (cm: k8s.V1ConfigMap) => {
    configMap = { ...cm, metadata: { ...cm.metadata, resourceVersion: `cm${++cmVersion}` } };
    return configMap.metadata!.resourceVersion;
  };
  const api = {
    applyConfigMap: publish, createConfigMap: publish,
    scale: async (_ns: string, _n: string, r: number) => { replicas = r; return `d${r}`; },
    findConfigMap: async () => configMap,
    applyStatus: async (_ref: unknown, status: ScalingPolicyStatus) => { written.push(structuredClone(status)); },
    event: async () => undefined,
    kedaScaledObjectsFor: async () => [],
    readyEndpoints: async () => [], readyEndpointPods: async () => [], podsOf: async () => [],
    setFinalizers: async () => undefined,
    secretValue: async () => '',
  } as unknown as KubeApi;
  const load = { value: 20 };
  const signals = { prometheus: { type: 'prometheus', read: async () => load.value } } as unknown as SignalRegistry;
  const reconciler = unitReconciler({
    api, signals,
    now: () => clock.now,
    caches: {
      policy: () => cached, policies: () => [cached],
      deployment: (): k8s.V1Deployment => ({ metadata: { name: 'd', namespace: 'ns', resourceVersion: `d${replicas}-${ready}` }, spec: { replicas } as k8s.V1DeploymentSpec, status: { readyReplicas: ready } }),
      configMap: () => configMap, hpas: () => [], scaledObjectsFor: () => [],
    },
  });

  // Steady at 2 replicas, every write seen by the cache.
  await reconciler.reconcile('ns/p');
  deliver(written.at(-1)!);
  clock.now += 15_000;
  await reconciler.reconcile('ns/p');
  const steady = written.length;

  // The load rises: scale to 5, status write W1 (the cache has not seen it).
  load.value = 50;
  clock.now += 15_000;
  await reconciler.reconcile('ns/p');
  assert.equal(replicas, 5);
  assert.equal(written.length, steady + 1, 'W1');
  // 50 ms later a Deployment event: the new pods are ready, status write W2 (readyReplicas), made
  // on W1 (our own write, which the cache still does not show).
  ready = 5;
  clock.now += 50;
  await reconciler.reconcile('ns/p');
  assert.equal(written.length, steady + 2, 'W2');
  const w2 = written.at(-1)!;
  assert.equal(w2.current?.readyReplicas, 5);

  // The watch delivers W1 (not yet W2); another Deployment event 50 ms later, nothing changed.
  deliver(written.at(-2)!);
  clock.now += 50;
  await reconciler.reconcile('ns/p');
  assert.equal(written.length, steady + 2, `a third write that the server would see as ${JSON.stringify(written.at(-1)?.memory?.recommendations)}`);

  // Then W2 arrives and the operator is quiet from there on.
  deliver(w2);
  clock.now += 50;
  await reconciler.reconcile('ns/p');
  clock.now += 15_000;
  await reconciler.reconcile('ns/p');
  assert.equal(written.length, steady + 2);
});
