// Two operator processes: only the leader writes; after SIGTERM the first releases the Lease
// and exits promptly, and the second takes over within the lease duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { REPO_ROOT, withNamespace } from '../support/cluster.js';
import { applyPolicy, constantPolicy, createDeployment, replicasOf, setUp, waitFor, type Env } from './harness.js';

interface Proc { child: ChildProcess; port: number; output: () => string; exited: Promise<number | null> }

function startProcess(env: Env, identity: string, port: number): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/plimsoll/cli/bin.ts', 'operator'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KUBECONFIG: env.operatorKubeconfigPath,
      OPERATOR_NAMESPACE: env.namespace,
      OPERATOR_METRICS_HOST: '127.0.0.1',
      OPERATOR_METRICS_PORT: String(port),
      OPERATOR_IDENTITY: identity,
      LEADER_ELECTION: 'on',
      OPERATOR_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, port, output: () => out, exited };
}

async function leaderGauge(port: number): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('plimsoll_leader'));
  return line ? Number(line.split(' ').pop()) : undefined;
}

async function writesOf(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('plimsoll_api_writes_total{') && !l.includes('kind="lease"'))
    .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
}

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
