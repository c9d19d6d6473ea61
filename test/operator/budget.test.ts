// The budget invariant through scale-out and scale-in: replicas × poolMax ≤ budget − reserved
// at every moment. Moments are ordered by the etcd revision of each write (resourceVersion of
// the Deployment and the runtime ConfigMap, both from one etcd), so the check sees the exact
// interleaving the API server committed, not a poll's approximation.
// Also: with a health signal, a scale-out waits until the replicas acknowledge the smaller pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { withNamespace } from '../support/cluster.js';
import {
  applyPolicy, condition, constantPolicy, createDeployment, getPolicy, replicasOf, runtimeDocument, setUp, startOperator, waitFor,
} from './harness.js';

interface Write { rv: number; replicas?: number; poolMax?: number }

async function recordWrites(t: { after(fn: () => unknown): void }, kc: k8s.KubeConfig, namespace: string): Promise<Write[]> {
  const writes: Write[] = [];
  const watch = new k8s.Watch(kc);
  const on = (extract: (o: k8s.KubernetesObject & Record<string, unknown>) => Omit<Write, 'rv'> | undefined) =>
    (_phase: string, o: k8s.KubernetesObject & Record<string, unknown>) => {
      const w = extract(o);
      if (w) writes.push({ rv: Number(o.metadata?.resourceVersion), ...w });
    };
  const d = await watch.watch(`/apis/apps/v1/namespaces/${namespace}/deployments`, {}, on((o) => ({ replicas: (o as k8s.V1Deployment).spec?.replicas ?? 0 })), () => undefined);
  const c = await watch.watch(`/api/v1/namespaces/${namespace}/configmaps`, {}, on((o) => {
    const raw = (o as k8s.V1ConfigMap).data?.['runtime.json'];
    return raw ? { poolMax: (JSON.parse(raw) as { db: { poolMax: number } }).db.poolMax } : undefined;
  }), () => undefined);
  t.after(() => { d.abort(); c.abort(); });
  return writes;
}

function replay(writes: Write[]): Array<{ rv: number; replicas: number; poolMax: number }> {
  let replicas: number | undefined;
  let poolMax: number | undefined;
  const moments: Array<{ rv: number; replicas: number; poolMax: number }> = [];
  for (const w of [...writes].sort((a, b) => a.rv - b.rv)) {
    if (w.replicas !== undefined) replicas = w.replicas;
    if (w.poolMax !== undefined) poolMax = w.poolMax;
    if (replicas !== undefined && poolMax !== undefined) moments.push({ rv: w.rv, replicas, poolMax });
  }
  return moments;
}

test('replicas × poolMax stays within the budget at every committed moment, out and in', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 1);
    const writes = await recordWrites(t, env.admin, namespace);
    await startOperator(t, env);
    const budget = 100 - 15;

    await applyPolicy(env, 'matcher', constantPolicy('matcher', 10)); // 1 replica, pool 50
    await waitFor('pool 50', async () => (await runtimeDocument(env, 'matcher-runtime'))?.db !== undefined);
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 80)); // out to 8, pool 7
    await waitFor('8 replicas', async () => (await replicasOf(env, 'matcher')) === 8, { timeoutMs: 15_000 });
    // In to 2, pool 28: 85 / 2 × 0.75 is 31, but the Deployment's rollout may add a surge pod
    // (maxSurge 25% → 1), so the pool fits 3 pods: 85 / 3 → 28.
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 20));
    await waitFor('2 replicas', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 15_000 });
    await waitFor('pool 28', async () => ((await runtimeDocument(env, 'matcher-runtime'))?.db as { poolMax: number } | undefined)?.poolMax === 28, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 500));

    const moments = replay(writes);
    t.diagnostic(`moments: ${moments.map((m) => `${m.replicas}×${m.poolMax}`).join(' → ')}`);
    assert.ok(moments.some((m) => m.replicas === 8 && m.poolMax === 7), 'reached 8 × 7');
    assert.ok(moments.some((m) => m.replicas === 2 && m.poolMax === 28), 'reached 2 × 28');
    for (const m of moments) assert.ok(m.replicas * m.poolMax <= budget, `at rv ${m.rv}: ${m.replicas} × ${m.poolMax} > ${budget}`);
  });
});

test('scale-out waits until the ready replicas report the smaller pool\'s runtime generation', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    // A stand-in for the matcher's /health/details: reports the generation the test chooses.
    let applied = 0;
    const health = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ runtimeGeneration: applied, heapUsedBytes: 1 })));
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    t.after(() => health.close());
    const url = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health/details`;

    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);
    const spec = (load: number) => {
      const s = constantPolicy('matcher', load);
      s.signals = [...s.signals!, { name: 'heap', health: { url, field: 'heapUsedBytes' } }];
      return s;
    };
    await applyPolicy(env, 'matcher', spec(10));
    const first = await waitFor('generation 1', async () => (await runtimeDocument(env, 'matcher-runtime'))?.generation as number | undefined);
    applied = first;
    await waitFor('Propagated=True', async () => condition(await getPolicy(env, 'matcher'), 'Propagated')?.status === 'True');

    await applyPolicy(env, 'matcher', spec(40)); // wants 4 replicas with a smaller pool
    const doc = await waitFor('smaller pool published', async () => {
      const d = await runtimeDocument(env, 'matcher-runtime');
      return (d?.generation as number) > first && d;
    });
    const p = await waitFor('Propagated=False while waiting', async () => {
      const p = await getPolicy(env, 'matcher');
      return condition(p, 'Propagated')?.reason === 'WaitingForAcknowledgement' && p;
    });
    assert.equal(condition(p, 'Propagated')?.status, 'False');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await replicasOf(env, 'matcher'), 1, 'replicas wait for the acknowledgement');

    const acknowledgedAt = Date.now();
    applied = doc.generation as number;
    await waitFor('4 replicas once acknowledged', async () => (await replicasOf(env, 'matcher')) === 4, { timeoutMs: 10_000, intervalMs: 50 });
    t.diagnostic(`acknowledgement → scale in ${Date.now() - acknowledgedAt} ms`);
  });
});
