// Memory that survives failover: the leader is killed (SIGKILL, no chance to hand over) while a
// scale-down stabilization window holds 8 replicas; the operator that takes over must keep the
// window, measured from when the load dropped, not start an empty one and drop to 2 at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { withNamespace } from '../support/cluster.js';
import { applyPolicy, constantPolicy, createDeployment, getPolicy, replicasOf, setUp, waitFor } from './harness.js';
import { startHeldPrometheus } from './held-prometheus.js';
import { leaderGauge, startOperatorProcess } from './operator-process.js';

// Short, so the takeover takes seconds: retry < renew deadline < lease, as the config requires.
const FAST_LEASE = { LEADER_ELECTION_LEASE_DURATION_MS: '4000', LEADER_ELECTION_RENEW_DEADLINE_MS: '3000', LEADER_ELECTION_RETRY_PERIOD_MS: '1000' };
const WINDOW_S = 60;

test('a leader killed during a scale-down window: the new leader keeps the window', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    const prometheus = await startHeldPrometheus(80);
    t.after(() => prometheus.close());
    await createDeployment(env, 'matcher', 1);
    const policy = constantPolicy('matcher', 0, {
      replicas: {
        min: 1, max: 10,
        behavior: {
          scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 1 }] },
          scaleDown: { stabilizationWindowSeconds: WINDOW_S, policies: [{ type: 'Pods', value: 100, periodSeconds: 1 }] },
        },
      },
    });
    policy.signals = [{ name: 'load', prometheus: { serverAddress: prometheus.address, query: 'load', timeoutSeconds: 2 } }];
    await applyPolicy(env, 'matcher', policy);
    t.after(async () => {
      // No operator is left to remove its finalizer: let the namespace go.
      await env.custom.patchNamespacedCustomObject(
        { group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace, name: 'matcher', body: { metadata: { finalizers: null } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ).catch(() => undefined);
    });

    const a = startOperatorProcess(env, 'op-a', 18195, FAST_LEASE);
    t.after(() => { a.child.kill('SIGKILL'); });
    await waitFor('operator a to lead', async () => (await leaderGauge(a.port)) === 1, { timeoutMs: 30_000 });
    const b = startOperatorProcess(env, 'op-b', 18196, FAST_LEASE);
    t.after(() => { b.child.kill('SIGKILL'); });
    await waitFor('8 replicas by a (load 80 at 10 a replica)', async () => (await replicasOf(env, 'matcher')) === 8, { timeoutMs: 20_000 });
    await waitFor('operator b to serve /readyz', async () => (await fetch(`http://127.0.0.1:${b.port}/readyz`)).status === 200, { timeoutMs: 30_000 });

    // The load drops: the objective asks for 2, the window holds 8 for 60 s from the last 8.
    const dropped = Date.now();
    prometheus.value = 20;
    await waitFor('a to hold 8 by the window', async () => (await getPolicy(env, 'matcher')).status?.desired?.replicas?.limitedBy === 'ScaleDownStabilization', { timeoutMs: 10_000 })
      .catch(async (err: Error) => { throw new Error(`${err.message}: ${JSON.stringify((await getPolicy(env, 'matcher')).status)}\n${a.output().slice(-3000)}`); });
    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor('b to lead', async () => (await leaderGauge(b.port)) === 1, { timeoutMs: 15_000 });
    const tookOver = Date.now();

    // Until the window ends (less a margin for the poll before the drop), b holds 8...
    const holdUntil = dropped - 2000 + WINDOW_S * 1000;
    while (Date.now() < holdUntil) {
      const replicas = await replicasOf(env, 'matcher');
      assert.equal(replicas, 8, `b dropped to ${replicas} ${((Date.now() - dropped) / 1000).toFixed(1)} s after the load dropped (took over at ${((tookOver - dropped) / 1000).toFixed(1)} s):\n${b.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // ...and then follows the objective to 2.
    await waitFor('2 replicas once the window ends', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 15_000 });
    const endedAfter = (Date.now() - dropped) / 1000;
    t.diagnostic(`b took over ${((tookOver - dropped) / 1000).toFixed(1)} s after the drop; 8 → 2 at ${endedAfter.toFixed(1)} s (window ${WINDOW_S} s)`);
    assert.ok(endedAfter >= WINDOW_S - 2, `scaled in after ${endedAfter} s`);
  });
});
