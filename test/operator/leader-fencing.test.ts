// A leader frozen past its Lease (SIGSTOP, as a long GC pause or a starved node would) in the
// middle of a reconcile must write nothing when it wakes: another operator may hold the Lease
// by then. Here the other one is frozen too when the old leader wakes, so a stale write would
// not be overwritten and shows in the Deployment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { withNamespace } from '../support/cluster.js';
import { applyPolicy, constantPolicy, createDeployment, replicasOf, setUp, waitFor } from './harness.js';
import { startHeldPrometheus } from './held-prometheus.js';
import { leaderGauge, startOperatorProcess } from './operator-process.js';

// Short, so the test waits seconds: retry < renew deadline < lease, as the config requires.
const FAST_LEASE = { LEADER_ELECTION_LEASE_DURATION_MS: '4000', LEADER_ELECTION_RENEW_DEADLINE_MS: '3000', LEADER_ELECTION_RETRY_PERIOD_MS: '1000' };

test('a leader frozen mid-reconcile past its lease writes nothing after it wakes, and exits', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    const prometheus = await startHeldPrometheus(20);
    t.after(() => prometheus.close());
    await createDeployment(env, 'matcher', 1);
    const policy = constantPolicy('matcher', 0);
    // The query's own timeout must outlast the freeze, or the held answer would be dropped.
    policy.signals = [{ name: 'load', prometheus: { serverAddress: prometheus.address, query: 'load', timeoutSeconds: 60 } }];
    await applyPolicy(env, 'matcher', policy);
    const coordination = env.admin.makeApiClient(k8s.CoordinationV1Api);
    const holder = async () => (await coordination.readNamespacedLease({ name: 'plimsoll-operator', namespace })).spec?.holderIdentity;

    const a = startOperatorProcess(env, 'op-a', 18193, FAST_LEASE);
    t.after(() => { a.child.kill('SIGKILL'); });
    await waitFor('operator a to lead', async () => (await leaderGauge(a.port)) === 1, { timeoutMs: 30_000 });
    const b = startOperatorProcess(env, 'op-b', 18194, FAST_LEASE);
    t.after(() => { b.child.kill('SIGKILL'); });
    await waitFor('2 replicas by a', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 30_000 });
    await waitFor('operator b to serve /readyz', async () => (await fetch(`http://127.0.0.1:${b.port}/readyz`)).status === 200, { timeoutMs: 30_000 });

    // a freezes while its reconcile waits for Prometheus; b takes the Lease and keeps 2.
    await prometheus.holdNext();
    a.child.kill('SIGSTOP');
    await waitFor('b to lead', async () => (await leaderGauge(b.port)) === 1, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await replicasOf(env, 'matcher'), 2);
    // b freezes too, holding a fresh Lease; a's reconcile gets an answer that asks for 4.
    b.child.kill('SIGSTOP');
    t.after(() => { b.child.kill('SIGCONT'); });
    prometheus.value = 40;
    prometheus.release(40);
    assert.equal(await holder(), 'op-b');

    a.child.kill('SIGCONT');
    const code = await Promise.race([a.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 15_000))]);
    const replicasAfterWake = await replicasOf(env, 'matcher');
    t.diagnostic(`a after waking: exit ${code}; Deployment at ${replicasAfterWake}; Lease held by ${await holder()}`);
    assert.equal(replicasAfterWake, 2, `the old leader scaled while op-b held the Lease:\n${a.output().slice(-3000)}`);
    assert.equal(code, 1, `the old leader steps down and exits 1:\n${a.output().slice(-3000)}`);
    assert.match(a.output(), /LEADER_ELECTION_LOST/);

    // b wakes: nobody took its Lease, so it renews and carries on with the new answer.
    b.child.kill('SIGCONT');
    await waitFor('4 replicas by b', async () => (await replicasOf(env, 'matcher')) === 4, { timeoutMs: 20_000 });
    assert.equal(await holder(), 'op-b');
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });
});
