// Issue 17: watch instead of list. The targets' ready endpoints come from an EndpointSlice
// informer, so a steady reconcile makes no API read at all (it listed the namespace's slices on
// every pass: the acknowledgement check and the health signal), and a replica that turns ready
// requeues its policy at once instead of waiting for the next poll (level-triggered).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { withNamespace } from '../support/cluster.js';
import { applyPolicy, condition, constantPolicy, createDeployment, getPolicy, setUp, startOperator, waitFor } from './harness.js';

type Counted = { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> };
async function count(metric: Counted, label: string, value: string): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => v.labels[label] === value).reduce((sum, v) => sum + v.value, 0);
}

test('steady reconciles read nothing from the API server; a replica turning ready requeues its policy at once', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);

    await createDeployment(env, 'web', 2);
    // Load 20 at 10 per replica: 2 replicas, as they are. The health signal reads the target's
    // ready endpoints at every poll (none: no Service, so nothing is dialled). The acknowledgement
    // is off, so that no reconcile dials the hand-made endpoint below (not on this host).
    const spec = constantPolicy('web', 20, { pollingIntervalSeconds: 1, runtime: { acknowledgement: { mode: 'Disabled' } } });
    spec.signals = [...spec.signals!, { name: 'heap', health: { port: 8080, field: 'heap', timeoutSeconds: 1 } }];
    await applyPolicy(env, 'web', spec);
    const operator = await startOperator(t, env);
    await waitFor('the policy reconciled', async () => condition(await getPolicy(env, 'web'), 'Ready')?.reason === 'Reconciled' || undefined, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 2_000)); // the first document's own watch events settle

    const before = await count(operator.metrics.kubeApiRequests, 'kind', 'read');
    await new Promise((r) => setTimeout(r, 5_000)); // five polls
    const reads = (await count(operator.metrics.kubeApiRequests, 'kind', 'read')) - before;
    assert.equal(reads, 0, `API reads in 5 s of steady reconciles at a 1 s interval: ${reads}`);

    // Now a long interval: only an event can bring the policy back before a minute has passed
    // (and its signals are not read again before then: nothing dials the endpoint below).
    await applyPolicy(env, 'web', { ...spec, pollingIntervalSeconds: 60 });
    await waitFor('the new interval in force', async () => (await getPolicy(env, 'web')).status?.observedGeneration === 2 || undefined, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    const reconciles = await count(operator.metrics.reconcileTotal, 'result', 'success');
    // A replica of web turns ready (its EndpointSlice, as the endpointslice controller writes it;
    // TEST-NET-1, never dialled).
    await env.admin.makeApiClient(k8s.DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: { name: 'web-abc12', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [{ addresses: ['192.0.2.10'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web-5d8f7c9b4-x2x7q', namespace } }],
      },
    });
    await waitFor('the policy requeued by the EndpointSlice, not a minute later by its poll', async () =>
      (await count(operator.metrics.reconcileTotal, 'result', 'success')) > reconciles || undefined, { timeoutMs: 15_000, intervalMs: 250 });
    assert.deepEqual((await operator.controller.endpoints.readyEndpointPods(namespace, 'web')).map((e) => e.pod), ['web-5d8f7c9b4-x2x7q']);
  });
});
