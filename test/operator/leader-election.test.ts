// Two operator processes: only the leader writes; after SIGTERM the first releases the Lease
// and exits promptly, and the second takes over within the lease duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { withNamespace } from '../support/cluster.js';
import { applyPolicy, constantPolicy, createDeployment, replicasOf, setUp, waitFor } from './harness.js';
import { leaderGauge, startOperatorProcess as startProcess, writesOf } from './operator-process.js';

test('two operators: one leader writes; SIGTERM hands over within the lease duration', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 1);
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 20));

    const a = startProcess(env, 'op-a', 18191);
    t.after(() => { a.child.kill('SIGKILL'); });
    await waitFor('operator a to lead', async () => (await leaderGauge(a.port)) === 1, { timeoutMs: 30_000 });
    const b = startProcess(env, 'op-b', 18192);
    t.after(() => { b.child.kill('SIGKILL'); });
    await waitFor('operator b to serve /readyz', async () => (await fetch(`http://127.0.0.1:${b.port}/readyz`)).status === 200, { timeoutMs: 30_000 });
    await waitFor('2 replicas', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 15_000 });

    // b follows: it serves probes and metrics but writes nothing.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await leaderGauge(b.port), 0);
    assert.equal(await writesOf(b.port), 0, 'the follower made no writes');
    assert.ok((await writesOf(a.port)) > 0, 'the leader wrote');

    const coordination = env.admin.makeApiClient(k8s.CoordinationV1Api);
    assert.equal((await coordination.readNamespacedLease({ name: 'plimsoll-operator', namespace })).spec?.holderIdentity, 'op-a');

    // SIGTERM a: it releases the lease and exits; b takes over well within 15 s.
    const stoppedAt = Date.now();
    a.child.kill('SIGTERM');
    const code = await a.exited;
    const exitMs = Date.now() - stoppedAt;
    assert.equal(code, 0, a.output().slice(-2000));
    assert.ok(exitMs < 30_000, `exited in ${exitMs} ms`);
    await waitFor('b to lead', async () => (await leaderGauge(b.port)) === 1, { timeoutMs: 15_000 });
    const takeoverMs = Date.now() - stoppedAt;
    t.diagnostic(`a exited in ${exitMs} ms; b led ${takeoverMs} ms after SIGTERM`);
    assert.equal((await coordination.readNamespacedLease({ name: 'plimsoll-operator', namespace })).spec?.holderIdentity, 'op-b');

    // b now reconciles: a change in the policy reaches the Deployment.
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 40));
    await waitFor('4 replicas by b', async () => (await replicasOf(env, 'matcher')) === 4, { timeoutMs: 15_000 });
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });
});
