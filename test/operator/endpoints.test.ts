// The health signal finds the target's ready replicas through EndpointSlices (list only, with
// the operator's RBAC): pods of the Deployment, not of a look-alike sharing the Service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { withNamespace } from '../support/cluster.js';
import { createMetricsRegistry } from '../../src/plimsoll/observability/metrics.js';
import { KubeApi } from '../../src/plimsoll/operator/kube-api.js';
import { createOperatorMetrics } from '../../src/plimsoll/operator/metrics.js';
import { createDeployment, setUp, waitFor } from './harness.js';

test('ready endpoints of the target Deployment, from EndpointSlices', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 2);
    await createDeployment(env, 'matcher-canary', 1);
    // One Service over both (app label differs per Deployment, so select on a shared one).
    for (const name of ['matcher', 'matcher-canary']) {
      await env.apps.patchNamespacedDeployment({ name, namespace, body: [{ op: 'add', path: '/spec/template/metadata/labels/tier', value: 'api' }] });
    }
    await env.core.createNamespacedService({ namespace, body: { metadata: { name: 'api' }, spec: { selector: { tier: 'api' }, ports: [{ port: 8080 }] } } });
    const api = new KubeApi(env.operatorKubeConfig, createOperatorMetrics(createMetricsRegistry({ defaultMetrics: false })), 'test');
    const addresses = await waitFor('2 ready endpoints of matcher', async () => {
      const a = await api.readyEndpoints(namespace, 'matcher');
      const canary = await api.readyEndpoints(namespace, 'matcher-canary');
      return a.length === 2 && canary.length === 1 && a;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.ok(addresses.every((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)), addresses.join(','));
    // Scaled to 0, the slices lose their endpoints field altogether: no ready endpoint, no error
    // (the acknowledgement barrier read it as "unknown" and never scaled out again from 0).
    for (const name of ['matcher', 'matcher-canary']) {
      await env.apps.patchNamespacedDeployment({ name, namespace, body: [{ op: 'replace', path: '/spec/replicas', value: 0 }] });
    }
    await waitFor('an EndpointSlice without endpoints', async () => {
      const slices = await env.admin.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace });
      return slices.items.some((s) => !s.endpoints || s.endpoints.length === 0) || undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.deepEqual(await api.readyEndpoints(namespace, 'matcher'), []);
  });
});
