// One lineage for the runtime document (issue 14): a policy deleted and created again restarts
// its generation at 1. A real runtime client (ConfigMap source, the replica's own code) must
// apply the new policy's documents, and the operator must count the replica as acknowledged
// only once it runs the new policy's document: lineage and generation together.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { withNamespace } from '../support/cluster.js';
import { createLogger } from '../../src/plimsoll/observability/logger.js';
import { ConfigMapRuntimeSource, RuntimeClient } from '../../src/plimsoll/runtime-client/index.js';
import {
  applyPolicy, condition, constantPolicy, createDeployment, getPolicy, replicasOf, runtimeDocument, setUp, startOperator, waitFor, type Env,
} from './harness.js';

async function deletePolicy(env: Env): Promise<void> {
  await env.custom.deleteNamespacedCustomObject({ group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace: env.namespace, name: 'matcher' });
}

test('a re-created policy: the replica applies its documents and scale-out waits for exactly them', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    // One replica's runtime client, reading the runtime ConfigMap as a matcher does, with its
    // health document served over HTTP.
    const client = new RuntimeClient({
      source: new ConfigMapRuntimeSource({ name: 'matcher-runtime', namespace, kubeConfig: env.admin, logger: createLogger({ name: 'replica', level: 'silent' }) }),
      registry: new Registry(), logger: createLogger({ name: 'replica', level: 'silent' }), metricPrefix: 'test',
    });
    await client.start();
    t.after(() => client.stop());
    const health = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ ...client.health(), heap: 1 })));
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    t.after(() => health.close());
    const url = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health/details`;
    const spec = (load: number) => {
      const s = constantPolicy('matcher', load);
      s.signals = [...s.signals!, { name: 'heap', health: { url, field: 'heap' } }];
      return s;
    };

    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);
    // The first policy: two documents (pool 42, then 28 for 2 replicas); the replica runs generation 2.
    await applyPolicy(env, 'matcher', spec(10));
    await waitFor('the replica at generation 1', async () => client.status().generation === 1);
    await applyPolicy(env, 'matcher', spec(20));
    await waitFor('the replica at generation 2', async () => client.status().generation === 2, { timeoutMs: 15_000 });
    await waitFor('2 replicas', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 15_000 });
    const oldLineage = client.status().lineage;

    // Delete and create again (kubectl delete && kubectl apply): generation 1 of a new lineage.
    await deletePolicy(env);
    await waitFor('the old runtime document gone', async () => (await runtimeDocument(env, 'matcher-runtime')) === undefined, { timeoutMs: 30_000 });
    await applyPolicy(env, 'matcher', spec(40)); // out to 4: a smaller pool first, acknowledged, then replicas
    await waitFor('4 replicas', async () => (await replicasOf(env, 'matcher')) === 4, { timeoutMs: 20_000 });

    const doc = (await runtimeDocument(env, 'matcher-runtime'))!;
    const runs = client.status();
    t.diagnostic(`published ${String(doc.lineage)}/${String(doc.generation)} pool ${JSON.stringify(doc.db)}; the replica runs ${String(runs.lineage)}/${String(runs.generation)} (was ${String(oldLineage)}/2)`);
    assert.equal(doc.lineage, (await getPolicy(env, 'matcher')).metadata.uid, 'the lineage is the policy\'s uid');
    assert.notEqual(runs.lineage, oldLineage);
    assert.equal(runs.generation, doc.generation, 'the replica runs the new policy\'s document, not the old generation 2');
    assert.equal(runs.ignoredStale, 0, 'nothing of the new lineage was ignored as stale');
    assert.equal(condition(await getPolicy(env, 'matcher'), 'Propagated')?.status, 'True');
  });
});
