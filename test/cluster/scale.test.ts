// The scale subresource, which the operator uses to move replicas: kwok's fake kubelets make the
// pods Running and Ready within seconds, and scaling down removes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { waitFor, withNamespace } from '../support/cluster.js';

function deployment(name: string): k8s.V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // On the local cluster kwok plays the kubelet: nothing is pulled or run, the pod only
          // goes Running and Ready. pause also runs for real on a cluster given by KUBECONFIG.
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
        },
      },
    },
  };
}

async function readyPods(core: k8s.CoreV1Api, namespace: string, app: string): Promise<k8s.V1Pod[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return pods.items.filter((p) =>
    !p.metadata?.deletionTimestamp &&
    p.status?.phase === 'Running' &&
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

test('a Deployment scaled through /scale reaches that many Ready pods, and scaling down removes them', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const kc = cluster.kubeConfig();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const name = 'matcher';
    await apps.createNamespacedDeployment({ namespace, body: deployment(name) });

    // Up to 5 through the scale subresource, as the HPA does: read the Scale, write it back with
    // its resourceVersion (optimistic concurrency), again on a 409 Conflict (the deployment
    // controller writes the same object's status meanwhile).
    const started = Date.now();
    await waitFor('the Scale to be replaced', async () => {
      const scale = await apps.readNamespacedDeploymentScale({ name, namespace });
      try {
        await apps.replaceNamespacedDeploymentScale({ name, namespace, body: { ...scale, spec: { replicas: 5 } } });
        return true;
      } catch (err) {
        if (err instanceof k8s.ApiException && err.code === 409) return false;
        throw err;
      }
    }, { timeoutMs: 10_000, intervalMs: 50 });
    const up = await waitFor('5 Ready pods', async () => {
      const pods = await readyPods(core, namespace, name);
      return pods.length === 5 ? pods : undefined;
    }, { timeoutMs: 30_000 });
    const upSeconds = (Date.now() - started) / 1000;
    t.diagnostic(`5 pods Ready in ${upSeconds.toFixed(1)} s`);
    assert.ok(upSeconds < 30);
    // Spread over the fake nodes by the real scheduler.
    assert.ok(up.every((p) => p.spec?.nodeName?.startsWith('kwok-node-')), 'scheduled onto kwok nodes');
    await waitFor('Deployment status readyReplicas 5', async () => {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      return d.status?.readyReplicas === 5 && d.status.availableReplicas === 5;
    });
    const scaled = await apps.readNamespacedDeploymentScale({ name, namespace });
    assert.equal(scaled.status?.replicas, 5);
    assert.equal(scaled.status?.selector, `app=${name}`);

    // Down to 2 with a merge patch of the same subresource.
    await apps.patchNamespacedDeploymentScale(
      { name, namespace, body: { spec: { replicas: 2 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await waitFor('only 2 pods left', async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
      return pods.items.length === 2 && (await readyPods(core, namespace, name)).length === 2;
    }, { timeoutMs: 30_000 });
    await waitFor('Deployment status replicas 2', async () => {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      return d.status?.replicas === 2 && d.status.readyReplicas === 2;
    });
  });
});
