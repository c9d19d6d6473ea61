// Issue 17: a slow policy cannot starve the others. Four policies read a Prometheus that never
// answers (each reconcile waits out its 30 s timeout); with two workers they used to hold both,
// and a healthy policy's change waited for a worker for half a minute or more. A reconcile
// still running after 2 s now lets its worker go (controller.ts), so the healthy policy is
// reconciled as soon as its change arrives.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNamespace } from '../support/cluster.js';
import { applyPolicy, constantPolicy, createDeployment, replicasOf, setUp, startOperator, waitFor } from './harness.js';

test('policies whose Prometheus hangs do not hold the workers: a healthy policy\'s change is applied at once', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    const held: ServerResponse[] = [];
    const hung = createServer((_req, res) => { held.push(res); }); // accepts, never answers
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => { for (const res of held) res.destroy(); hung.closeAllConnections(); hung.close(() => resolve()); }));
    const hungAddress = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;

    for (const name of ['slow-a', 'slow-b', 'slow-c', 'slow-d', 'fast']) await createDeployment(env, name, 2);
    for (const name of ['slow-a', 'slow-b', 'slow-c', 'slow-d']) {
      await applyPolicy(env, name, constantPolicy(name, 20, {
        signals: [{ name: 'load', prometheus: { serverAddress: hungAddress, query: 'vector(20)', timeoutSeconds: 30 } }],
      }));
    }
    await applyPolicy(env, 'fast', constantPolicy('fast', 20));
    await startOperator(t, env, { workers: 2 });
    await waitFor('the slow policies hold their reconciles', async () => held.length >= 2 || undefined, { timeoutMs: 30_000, intervalMs: 200 });
    await new Promise((r) => setTimeout(r, 3_000)); // past the let-go point of the first reconciles

    // The healthy policy's load rises: 5 replicas. Its key must not wait behind the hung ones.
    const changedAt = Date.now();
    await applyPolicy(env, 'fast', constantPolicy('fast', 50));
    await waitFor('fast scaled to 5', async () => (await replicasOf(env, 'fast')) === 5 || undefined, { timeoutMs: 60_000, intervalMs: 250 });
    const waited = Date.now() - changedAt;
    // Not a speed target: the hung reconciles take 30 s each, and behind them it took 30 s or more.
    assert.ok(waited < 15_000, `fast was scaled ${(waited / 1000).toFixed(1)} s after its change`);
  });
});
