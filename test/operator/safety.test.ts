// Pause, DryRun and conflicts: the operator decides but makes no write it should not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNamespace } from '../support/cluster.js';
import * as k8s from '@kubernetes/client-node';
import {
  applyPolicy, condition, constantPolicy, createDeployment, eventsFor, getPolicy, replicasOf, runtimeDocument, setUp, startOperator, waitFor,
} from './harness.js';

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('paused: no decisions applied while plimsoll.dev/paused is "true"; resumes when removed', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 2);
    await startOperator(t, env);
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 50), { 'plimsoll.dev/paused': 'true' });
    const p = await waitFor('Paused=True', async () => {
      const p = await getPolicy(env, 'matcher');
      return condition(p, 'Paused')?.status === 'True' && p;
    });
    assert.equal(condition(p, 'Ready')?.reason, 'Paused');
    await settle(2500);
    assert.equal(await replicasOf(env, 'matcher'), 2, 'replicas untouched while paused');
    assert.equal(await runtimeDocument(env, 'matcher-runtime'), undefined, 'nothing published while paused');

    await applyPolicy(env, 'matcher', constantPolicy('matcher', 50), { 'plimsoll.dev/paused': 'false' });
    await waitFor('5 replicas after resuming', async () => (await replicasOf(env, 'matcher')) === 5, { timeoutMs: 15_000 });
    const resumed = await waitFor('Paused gone', async () => {
      const p = await getPolicy(env, 'matcher');
      return !condition(p, 'Paused') && condition(p, 'Ready')?.status === 'True' && p;
    });
    assert.ok(resumed);
  });
});

test('DryRun: decisions in status and Events only', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 2);
    await startOperator(t, env);
    await applyPolicy(env, 'matcher', { ...constantPolicy('matcher', 60), mode: 'DryRun' });
    const p = await waitFor('desired 6 in status', async () => {
      const p = await getPolicy(env, 'matcher');
      return p.status?.desired?.replicas?.value === 6 && p;
    });
    assert.equal(condition(p, 'DryRun')?.status, 'True');
    assert.equal(condition(p, 'Ready')?.status, 'True');
    assert.equal(p.status?.current?.replicas, 2);
    await waitFor('a DryRunDecision Event', async () => (await eventsFor(env, 'matcher')).some((e) => e.reason === 'DryRunDecision' && e.note?.includes('replicas - → 6')));
    await settle(2000);
    assert.equal(await replicasOf(env, 'matcher'), 2, 'replicas untouched');
    assert.equal(await runtimeDocument(env, 'matcher-runtime'), undefined, 'no runtime document');
  });
});

test('a conflicting HPA: Conflict condition and no writes until it is gone', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 2);
    const autoscaling = env.admin.makeApiClient(k8s.AutoscalingV2Api);
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace,
      body: {
        metadata: { name: 'matcher' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'matcher' }, minReplicas: 2, maxReplicas: 3,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
        },
      },
    });
    await startOperator(t, env);
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 70));
    const p = await waitFor('Conflict=True', async () => {
      const p = await getPolicy(env, 'matcher');
      return condition(p, 'Conflict')?.status === 'True' && p;
    });
    assert.match(condition(p, 'Conflict')!.message, /HorizontalPodAutoscaler matcher/);
    assert.equal(condition(p, 'Ready')?.status, 'False', JSON.stringify(p.status));
    await waitFor('a Conflict Event', async () => (await eventsFor(env, 'matcher')).some((e) => e.reason === 'Conflict' && e.type === 'Warning'));
    await settle(2000);
    assert.equal(await runtimeDocument(env, 'matcher-runtime'), undefined, `no runtime document; status ${JSON.stringify((await getPolicy(env, 'matcher')).status)}`);
    const during = await replicasOf(env, 'matcher');
    assert.ok((during ?? 0) <= 3, `Plimsoll did not scale to 7 (replicas ${during})`);

    await autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name: 'matcher', namespace });
    await waitFor('7 replicas once the HPA is gone', async () => (await replicasOf(env, 'matcher')) === 7, { timeoutMs: 15_000 });
    // The status that clears the condition is written after the scale, at the end of the reconcile.
    await waitFor('the Conflict condition cleared', async () => condition(await getPolicy(env, 'matcher'), 'Conflict') === undefined, { timeoutMs: 10_000 });
  });
});

test('a second ScalingPolicy on the same Deployment yields to the older one', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);
    await applyPolicy(env, 'first', constantPolicy('matcher', 30));
    await waitFor('3 replicas', async () => (await replicasOf(env, 'matcher')) === 3, { timeoutMs: 15_000 });
    await applyPolicy(env, 'second', constantPolicy('matcher', 90));
    const p = await waitFor('second in Conflict', async () => {
      const p = await getPolicy(env, 'second');
      return condition(p, 'Conflict')?.status === 'True' && p;
    });
    assert.match(condition(p, 'Conflict')!.message, /ScalingPolicy first/);
    await settle(2000);
    assert.equal(await replicasOf(env, 'matcher'), 3);
    assert.equal(condition(await getPolicy(env, 'first'), 'Conflict'), undefined);
  });
});
