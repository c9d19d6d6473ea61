// The operator's writes are conditional where a decision made on stale state could do harm: the
// scale subresource and the runtime document carry the resourceVersion the decision read, and
// the real API server refuses them with 409 Conflict once the object has moved on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNamespace } from '../support/cluster.js';
import { createDeployment, replicasOf, setUp } from './harness.js';
import { KubeApi } from '../../src/plimsoll/operator/kube-api.js';
import { createOperatorMetrics } from '../../src/plimsoll/operator/metrics.js';
import { createMetricsRegistry } from '../../src/plimsoll/observability/metrics.js';
import { runtimeConfigMap } from '../../src/plimsoll/operator/runtime-document.js';
import type { RuntimeDocument } from '../../src/plimsoll/contract/runtime-document.js';

const conflict = (err: unknown) => (err as { code?: number }).code === 409;

test('a scale or a document based on a version that has moved on is refused with 409, and changes nothing', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    const api = new KubeApi(env.operatorKubeConfig, createOperatorMetrics(createMetricsRegistry({ defaultMetrics: false })), 'test');
    await createDeployment(env, 'matcher', 1);

    // The Deployment controller moves the version too (status): read and write until one lands.
    const scaleOnFreshVersion = async (replicas: number): Promise<{ read: string; written: string | undefined }> => {
      for (let attempt = 0; ; attempt++) {
        const read = (await env.apps.readNamespacedDeployment({ name: 'matcher', namespace })).metadata!.resourceVersion!;
        try {
          return { read, written: await api.scale(namespace, 'matcher', replicas, read) };
        } catch (err) {
          if (!conflict(err) || attempt >= 20) throw err;
        }
      }
    };
    const { read, written } = await scaleOnFreshVersion(2);
    assert.ok(written && written !== read, 'a write on the version read succeeds and returns the new version');
    // A second decision made on the version read before that write (a stale cache or leader):
    await assert.rejects(api.scale(namespace, 'matcher', 5, read), conflict);
    assert.equal(await replicasOf(env, 'matcher'), 2);
    await scaleOnFreshVersion(3);
    assert.equal(await replicasOf(env, 'matcher'), 3);

    const policy = { name: 'p', namespace, uid: '00000000-0000-0000-0000-000000000001' };
    const doc = (generation: number): RuntimeDocument => ({ policy: 'p', lineage: policy.uid, generation, issuedAt: new Date().toISOString(), serviceLevel: 'Full', replicas: 1, queues: {} });
    // Without the owner reference: no such policy exists here, and the garbage collector would
    // delete a ConfigMap owned by it.
    const body = (generation: number) => {
      const cm = runtimeConfigMap(policy, 'p-runtime', doc(generation));
      delete cm.metadata!.ownerReferences;
      return cm;
    };
    const first = await api.applyConfigMap(body(1));
    const second = await api.applyConfigMap(body(2), first);
    assert.ok(second && second !== first);
    await assert.rejects(api.applyConfigMap(body(3), first), conflict);
    const stored = await env.core.readNamespacedConfigMap({ name: 'p-runtime', namespace });
    assert.equal((JSON.parse(stored.data!['runtime.json']!) as RuntimeDocument).generation, 2, 'generation 3, based on 1, did not replace 2');
  });
});
