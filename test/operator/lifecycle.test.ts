// A new policy becomes Ready with status and a runtime ConfigMap; steady state makes no writes;
// deleting the policy removes the ConfigMap and leaves the replicas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNamespace } from '../support/cluster.js';
import {
  applyPolicy, condition, constantPolicy, createDeployment, eventsFor, getPolicy, replicasOf, runtimeDocument, setUp, startOperator, waitFor,
} from './harness.js';

test('a new policy becomes Ready with status, a runtime ConfigMap and Events; deleting it keeps the replicas', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 1);
    const operator = await startOperator(t, env);
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 30)); // 30 / 10 per replica → 3

    const ready = await waitFor('Ready=True', async () => {
      const p = await getPolicy(env, 'matcher');
      return condition(p, 'Ready')?.status === 'True' && p;
    }, { timeoutMs: 30_000 });
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    await waitFor('3 replicas', async () => (await replicasOf(env, 'matcher')) === 3, { timeoutMs: 20_000 });

    const doc = await waitFor('runtime document for 3 replicas', async () => {
      const d = await runtimeDocument(env, 'matcher-runtime');
      return d?.replicas === 3 && d;
    });
    assert.equal(doc.policy, 'matcher');
    assert.equal((doc.db as { poolMax: number }).poolMax, Math.floor((100 - 15) / 3 * 0.75));
    assert.deepEqual(doc.queues, { groq: { concurrency: (doc.queues as { groq: { concurrency: number } }).groq.concurrency, rateLimit: { max: 30, durationMs: 60_000 }, maxWaiting: 24 } });
    assert.equal(doc.serviceLevel, 'Full');

    const p = await getPolicy(env, 'matcher');
    assert.equal(p.status?.current?.replicas, 3);
    assert.equal(p.status?.desired?.replicas?.value, 3);
    assert.equal(p.status?.signals?.[0]?.state, 'Fresh');
    assert.equal(condition(p, 'SignalsHealthy')?.status, 'True');
    assert.equal(condition(p, 'Propagated')?.status, 'Unknown');
    const reasons = (await eventsFor(env, 'matcher')).map((e) => e.reason);
    assert.equal(reasons.filter((r) => r === 'ScaledUp').length, 1, `one ScaledUp Event: ${reasons.join(',')}`);
    assert.equal(reasons.filter((r) => r === 'PoolResized').length, 1, 'one PoolResized Event');
    assert.equal(doc.generation, 1, 'one publication, one generation');

    // Steady state: nothing changes, nothing is written.
    await new Promise((r) => setTimeout(r, 1500));
    const writesBefore = (await operator.metrics.apiWrites.get()).values.reduce((a, v) => a + v.value, 0);
    await new Promise((r) => setTimeout(r, 5000));
    const writesAfter = (await operator.metrics.apiWrites.get()).values.reduce((a, v) => a + v.value, 0);
    t.diagnostic(`API writes in 5 s of steady state: ${writesAfter - writesBefore}`);
    assert.equal(writesAfter - writesBefore, 0, 'no writes in steady state');
    const generation = (await runtimeDocument(env, 'matcher-runtime'))?.generation;
    assert.equal(generation, doc.generation, 'the runtime generation is not bumped without a change');

    // Drift: someone deletes the runtime document; the owner publishes it again, one generation on.
    await env.core.deleteNamespacedConfigMap({ name: 'matcher-runtime', namespace });
    const repaired = await waitFor('the runtime document back', async () => runtimeDocument(env, 'matcher-runtime'), { timeoutMs: 10_000 });
    assert.equal(repaired.generation, (doc.generation as number) + 1, 'generation stays monotonic across a deleted ConfigMap');
    assert.deepEqual(repaired.db, doc.db);

    // Delete: the ConfigMap goes (owner reference, garbage collector); replicas stay.
    await env.custom.deleteNamespacedCustomObject({ group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace, name: 'matcher' });
    await waitFor('the runtime ConfigMap to be collected', async () => (await runtimeDocument(env, 'matcher-runtime')) === undefined, { timeoutMs: 30_000 });
    assert.equal(await replicasOf(env, 'matcher'), 3);
  });
});
