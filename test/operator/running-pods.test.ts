// The connection budget over the pods that actually run (issue 14): terminating pods keep the
// connections of the pool they run until they exit, so a scale-in publishes its larger pool
// only once they are gone. kwok pods are kept terminating by a finalizer the test removes (and
// the annotation that tells kwok to leave them alone: its delete stage strips finalizers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { withNamespace } from '../support/cluster.js';
import {
  applyPolicy, condition, constantPolicy, createDeployment, getPolicy, replicasOf, runtimeDocument, setUp, startOperator, waitFor, type Env,
} from './harness.js';

const HOLD = 'plimsoll.dev/test-hold';
const BUDGET = 100 - 15;
const poolOf = async (env: Env) => ((await runtimeDocument(env, 'matcher-runtime'))?.db as { poolMax: number } | undefined)?.poolMax;

async function pods(env: Env) {
  return (await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: 'app=matcher' })).items;
}

async function setHold(env: Env, names: string[], hold: boolean): Promise<void> {
  for (const name of names) {
    const body = { metadata: hold ? { finalizers: [HOLD], annotations: { 'kwok.x-k8s.io/status': 'custom' } } : { finalizers: null, annotations: { 'kwok.x-k8s.io/status': null } } };
    await env.core.patchNamespacedPod({ name, namespace: env.namespace, body }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch))
      .catch((err: { code?: number }) => { if (err.code !== 404) throw err; });
  }
}

test('scale-in 8 → 2 with 6 pods still terminating at pool 7: the larger pool waits until they are gone', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);

    await applyPolicy(env, 'matcher', constantPolicy('matcher', 80)); // 8 replicas, pool 7
    await waitFor('8 replicas at pool 7', async () => (await replicasOf(env, 'matcher')) === 8 && (await poolOf(env)) === 7, { timeoutMs: 20_000 });
    const eight = await waitFor('8 pods', async () => { const p = await pods(env); return p.length === 8 && p; }, { timeoutMs: 30_000 });
    const names = eight.map((p) => p.metadata!.name!);
    t.after(() => setHold(env, names, false));
    await setHold(env, names, true);

    await applyPolicy(env, 'matcher', constantPolicy('matcher', 20)); // in to 2
    await waitFor('2 replicas', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 15_000 });
    await waitFor('6 pods terminating', async () => (await pods(env)).filter((p) => p.metadata?.deletionTimestamp).length === 6, { timeoutMs: 15_000 });
    // Several reconciles (pollingIntervalSeconds 1) while the 6 still hold pool 7.
    await new Promise((r) => setTimeout(r, 3000));
    const held = (await poolOf(env))!;
    const running = await pods(env);
    const connections = running.reduce((sum, p) => sum + (p.metadata?.deletionTimestamp ? Math.max(7, held) : held), 0);
    t.diagnostic(`${running.length} pods (${running.filter((p) => p.metadata?.deletionTimestamp).length} terminating) at pool ${held}: ${connections} connections, budget ${BUDGET}`);
    assert.ok(connections <= BUDGET, `${connections} connections over the pods that run > ${BUDGET}`);
    const propagated = condition(await getPolicy(env, 'matcher'), 'Propagated');
    assert.equal(propagated?.reason, 'WaitingForPods');
    assert.match(propagated?.message ?? '', /terminating pods/);

    // The pods go: the larger pool follows.
    await setHold(env, names, false);
    await waitFor('pool 28 once the terminating pods are gone', async () => (await poolOf(env)) === 28, { timeoutMs: 20_000 });
  });
});
