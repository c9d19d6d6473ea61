// The replica runner against the real API server, with real matcher processes bound to the
// kwok pods' IPs inside the pod network namespace: the shipped manifests/matcher applied to a namespace of its own (the `default`
// demo is left alone), a fresh database migrated by the Deployment's init container, the
// Deployment scaled 1 → 3 → 1 → 0 by hand, the runtime ConfigMap changed, a process killed, a
// rollout restart, and the CLI runner killed and restarted.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import {
  DEFAULT_POD_NETNS, namespaceExists, podAddresses, processInPodNetwork, rootNamespaceViolations,
} from '../../tools/stack/replica-runner/pod-network.js';
import { ReplicaRunner, type RunnerStatus } from '../../tools/stack/replica-runner/runner.js';
import { REPO_ROOT, createTestNamespace, ensureCluster, waitFor, type Cluster, type TestNamespace } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/matcher.js';
import { ensurePodNetwork } from '../support/pod-network.js';
import { alive, silentLogger } from '../support/process.js';

const BIN = join(REPO_ROOT, 'dist', 'src', 'matcher', 'cli', 'bin.js');
const RUNTIME = 'matcher-runtime';
const runtimeDoc = (generation: number, serviceLevel: string, poolMax: number) =>
  JSON.stringify({ policy: 'matcher', generation, issuedAt: new Date().toISOString(), serviceLevel, replicas: 1, db: { poolMax }, queues: {} });

interface Details { pid: number; runtimeGeneration: number | null; serviceLevel: string; pool: { max: number } }
const details = async (address: string): Promise<Details> => (await fetch(`http://${address}/health/details`, { signal: AbortSignal.timeout(3000) })).json() as Promise<Details>;
const silent = silentLogger('replica-runner-test');

let cluster: Cluster;
let ns: TestNamespace;
let db: TestDatabase;
let apps: k8s.AppsV1Api;
let core: k8s.CoreV1Api;
const podNetwork = { name: DEFAULT_POD_NETNS };
let dir: string;

async function scale(replicas: number): Promise<void> {
  await apps.patchNamespacedDeploymentScale({ name: 'matcher', namespace: ns.name, body: { spec: { replicas } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
}

function readyReplicas(status: RunnerStatus, want: number) {
  const ready = status.replicas.filter((r) => r.ready);
  return status.desiredReplicas === want && status.replicas.length === want && ready.length === want && ready;
}

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: make test-stack builds it (make build)`);
  cluster = await ensureCluster();
  apps = cluster.kubeConfig().makeApiClient(k8s.AppsV1Api);
  core = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
  ensurePodNetwork();
  assert.ok(namespaceExists(DEFAULT_POD_NETNS));
  dir = mkdtempSync(join(tmpdir(), 'plimsoll-stack-test-'));
  ns = await createTestNamespace('stack-runner');
  // The init container migrates it, as in a real rollout.
  db = await createTestDatabase({ migrate: false });
  await cluster.kubectl(['apply', '--server-side', '-n', ns.name, '-k', join(REPO_ROOT, 'manifests', 'matcher')]);
  await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'matcher-connections' }, stringData: {
    MATCHER_DATABASE_URL: db.url, MATCHER_MIGRATION_DATABASE_URL: db.directUrl, MATCHER_REDIS_URL: 'redis://127.0.0.1:16379/0',
    MATCHER_PGBOUNCER_ADMIN_URL: 'none',
  } } });
  // The serving container reads only named keys of the Secret; settings go in the ConfigMap (its
  // own queue prefix keeps this test's jobs apart from anyone else's on the shared Redis).
  await core.patchNamespacedConfigMap({ name: 'matcher-config', namespace: ns.name, body: { data: { MATCHER_QUEUE_PREFIX: `pt-${ns.name}`, MATCHER_SHUTDOWN_GRACE_MS: '3000' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: RUNTIME }, data: { 'runtime.json': runtimeDoc(1, 'Full', 5) } } });
});

after(async () => {
  await ns?.delete();
  await db?.drop().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('replica runner (in-process API)', () => {
  let runner: ReplicaRunner;
  let lb: string;
  const targets = () => join(dir, 'targets');

  before(async () => {
    runner = new ReplicaRunner({
      kubeConfig: cluster.kubeConfig(), namespace: ns.name, deployment: 'matcher', podNetwork: DEFAULT_POD_NETNS,
      entrypoint: [process.execPath, BIN], cwd: REPO_ROOT, baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stateDir: join(dir, 'state'), logDir: join(dir, 'logs'), targetsDir: targets(),
      loadBalancer: { host: '127.0.0.1', port: 0 }, logger: silent, probeIntervalMs: 500,
    });
    await runner.start();
    lb = runner.loadBalancerUrl!;
  });
  after(async () => {
    await runner?.stop();
  });

  it('runs one process per pod on the pod IP, configured as the kubelet would configure the container', async (t) => {
    const [replica] = await waitFor('1 ready replica process', async () => readyReplicas(runner.status(), 1), { timeoutMs: 60_000 });
    const pods = await core.listNamespacedPod({ namespace: ns.name });
    assert.equal(pods.items.length, 1);
    const podIp = pods.items[0]!.status!.podIP!;
    assert.equal(replica!.address, `${podIp}:8080`, 'the process listens where the EndpointSlice points');
    assert.ok(processInPodNetwork(podNetwork, replica!.pid!), `pid ${replica!.pid} runs in network namespace ${DEFAULT_POD_NETNS}`);
    assert.ok(podAddresses(podNetwork).includes(podIp), `the pod namespace holds ${podIp}`);
    // The network rule: the pod network lives in the namespace, not in the machine's own.
    assert.deepEqual(rootNamespaceViolations(), [], 'no private-range address or local route in the root namespace');
    const d = await details(replica!.address);
    assert.equal(d.pid, replica!.pid);
    // The runtime document came through the API with the matcher ServiceAccount's token.
    assert.equal(d.runtimeGeneration, 1);
    assert.equal(d.pool.max, 5);
    const environ = Object.fromEntries(readFileSync(`/proc/${d.pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.equal(environ.MATCHER_HOST, podIp);
    assert.equal(environ.MATCHER_PORT, '8080');
    assert.equal(environ.MATCHER_RUNTIME_NAMESPACE, ns.name, 'downward API');
    assert.equal(environ.MATCHER_QUEUE_PREFIX, `pt-${ns.name}`, 'from ConfigMap matcher-config');
    assert.equal(environ.MATCHER_DATABASE_URL, db.url, 'a Secret key by name (secretKeyRef)');
    assert.equal(environ.MATCHER_MIGRATION_DATABASE_URL, undefined, 'the migration credential reaches only the init container');
    assert.equal(environ.MATCHER_DB_POOL_MAX, '20', 'from ConfigMap matcher-config');
    assert.equal(environ.NODE_OPTIONS, '--max-old-space-size=512');
    assert.equal(environ.HOME, undefined, 'nothing of the test process environment but the base');
    const as = { kubeconfigPath: environ.KUBECONFIG!, allowFailure: true };
    const who = await cluster.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], as);
    assert.equal(who.stdout, `system:serviceaccount:${ns.name}:matcher`);
    assert.equal((await cluster.kubectl(['auth', 'can-i', 'watch', `configmaps/${RUNTIME}`, '-n', ns.name], as)).stdout.trim(), 'yes');
    assert.equal((await cluster.kubectl(['auth', 'can-i', 'get', 'secrets', '-n', ns.name], as)).stdout.trim(), 'no');
    const target = JSON.parse(readFileSync(join(targets(), `matcher-${replica!.pod}.json`), 'utf8')) as Array<{ targets: string[]; labels: Record<string, string> }>;
    assert.deepEqual(target, [{ targets: [`${podIp}:8080`], labels: { pod: replica!.pod } }]);
    const log = readFileSync(replica!.logFile, 'utf8');
    assert.match(log, /init container migrate/);
    assert.match(log, /matcher listening/);
    t.diagnostic(`pod ${replica!.pod} → pid ${d.pid} on ${replica!.address}`);
  });

  it('scaled to 3: three processes, and the load balancer spreads requests over all of them', async (t) => {
    const t0 = performance.now();
    await scale(3);
    const ready = await waitFor('3 ready replica processes', async () => readyReplicas(runner.status(), 3), { timeoutMs: 60_000 });
    t.diagnostic(`1 → 3 replicas ready behind the balancer in ${Math.round(performance.now() - t0)} ms`);
    assert.equal(new Set(ready.map((r) => r.address)).size, 3);
    const pids = new Set<number>();
    const served = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${lb}/health/details`);
      assert.equal(res.status, 200);
      pids.add(((await res.json()) as Details).pid);
      served.add(res.headers.get('x-plimsoll-replica')!);
    }
    assert.deepEqual([...pids].sort(), ready.map((r) => r.pid).sort(), 'every ready process answered');
    assert.deepEqual([...served].sort(), ready.map((r) => r.pod).sort());
  });

  it('a runtime ConfigMap change reaches every process', async (t) => {
    const t0 = performance.now();
    await core.replaceNamespacedConfigMap({ name: RUNTIME, namespace: ns.name, body: { metadata: { name: RUNTIME }, data: { 'runtime.json': runtimeDoc(2, 'Reduced', 7) } } });
    const addresses = runner.status().replicas.map((r) => r.address);
    assert.equal(addresses.length, 3);
    await waitFor('generation 2 on every replica', async () => {
      const all = await Promise.all(addresses.map(details));
      return all.every((d) => d.runtimeGeneration === 2 && d.serviceLevel === 'Reduced' && d.pool.max === 7);
    }, { timeoutMs: 20_000, intervalMs: 50 });
    t.diagnostic(`ConfigMap update → applied by all 3 processes in ${Math.round(performance.now() - t0)} ms`);
  });

  it('restarts a process that dies while its pod exists; the pod is not Ready in between', async () => {
    const victim = runner.status().replicas[0]!;
    const podReady = async () => {
      const pod = await core.readNamespacedPodStatus({ name: victim.pod, namespace: ns.name });
      return [pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, pod.status?.containerStatuses?.[0]?.ready];
    };
    assert.deepEqual(await podReady(), ['True', true], 'a process that answers its probe: Ready, as the kubelet reports it');
    process.kill(victim.pid!, 'SIGKILL');
    // The EndpointSlice controller reads the pod's Ready condition: a dead process is no endpoint.
    await waitFor('the pod reported not Ready while its process is down', async () => (await podReady())[0] === 'False', { timeoutMs: 20_000, intervalMs: 50 });
    assert.deepEqual(await podReady(), ['False', false]);
    const back = await waitFor('the killed replica restarted and ready', async () => {
      const r = runner.status().replicas.find((x) => x.pod === victim.pod);
      return r && r.ready && r.pid !== victim.pid && r.restarts === 1 && r;
    }, { timeoutMs: 60_000 });
    await waitFor('the pod Ready again', async () => (await podReady())[0] === 'True', { timeoutMs: 10_000, intervalMs: 50 });
    assert.ok(!alive(victim.pid!));
    assert.equal((await details(back.address)).runtimeGeneration, 2, 'the restarted process reads the current document');
  });

  it('a rollout restart keeps a replica serving throughout, with the stack\'s minReadySeconds', async (t) => {
    // The stack's overlay (what make up applies) sets minReadySeconds: kwok's instant Ready would
    // otherwise let the Deployment controller stop every old replica before a new one answers.
    const overlay = YAML.parse(readFileSync(join(REPO_ROOT, 'tools/stack/kustomize/matcher/matcher-resources-local.yaml'), 'utf8')) as k8s.V1Deployment;
    const minReadySeconds = overlay.spec!.minReadySeconds!;
    assert.ok(minReadySeconds > 0, 'the stack overlay sets minReadySeconds');
    await apps.patchNamespacedDeployment({ name: 'matcher', namespace: ns.name, body: { spec: { minReadySeconds } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const before = new Set(runner.status().replicas.map((r) => r.pod));
    assert.equal(before.size, 3);
    await cluster.kubectl(['rollout', 'restart', '-n', ns.name, 'deployment/matcher']);
    // What a user of the stack sees: the load balancer, asked every 100 ms until three new
    // replicas serve (the old ones drain through their preStop as terminating upstreams).
    const answers = new Map<number, number>();
    const t0 = performance.now();
    let renewed = false;
    while (!renewed) {
      assert.ok(performance.now() - t0 < 150_000, `the rollout did not finish in 150 s: ${JSON.stringify(runner.status().replicas.map((r) => [r.pod, r.ready]))}`);
      const status = await fetch(`${lb}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 0);
      answers.set(status, (answers.get(status) ?? 0) + 1);
      const now = runner.status().replicas;
      renewed = now.length === 3 && now.every((r) => r.ready && !before.has(r.pod));
      await new Promise((done) => setTimeout(done, 100));
    }
    t.diagnostic(`rollout of 3 replicas in ${Math.round((performance.now() - t0) / 1000)} s; the load balancer answered ${JSON.stringify(Object.fromEntries(answers))}`);
    assert.deepEqual([...answers.keys()], [200], 'every request answered by a ready replica');
    await waitFor('the old replicas drained and gone', async () => {
      const ups = runner.status().loadBalancer!.upstreams;
      return ups.length === 3 && ups.every((u) => !u.terminating && !before.has(u.id));
    }, { timeoutMs: 60_000 });
  });

  it('scaled to 1: the extra processes drain and stop; their Prometheus targets go', async () => {
    const before = runner.status().replicas;
    await scale(1);
    // During their preStop (5 s) the two leaving replicas are terminating-but-serving: kept as a
    // fallback, while requests go to the one that stays.
    const terminating = await waitFor('two terminating upstreams', async () => {
      const ups = runner.status().loadBalancer!.upstreams;
      return ups.filter((u) => u.terminating).length === 2 && ups;
    }, { timeoutMs: 10_000, intervalMs: 50 });
    const stays = terminating.find((u) => !u.terminating)!.id;
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${lb}/healthz`)).headers.get('x-plimsoll-replica'), stays);
    const [kept] = await waitFor('1 replica process left', async () => readyReplicas(runner.status(), 1), { timeoutMs: 60_000 });
    const gone = before.filter((r) => r.pod !== kept!.pod);
    assert.equal(gone.length, 2);
    for (const r of gone) {
      assert.ok(!alive(r.pid!), `pid ${r.pid} of ${r.pod} has exited`);
      assert.ok(!podAddresses(podNetwork).includes(r.address.split(':')[0]!), `${r.pod}'s IP left the pod namespace`);
      assert.ok(!existsSync(join(targets(), `matcher-${r.pod}.json`)));
      // SIGTERM, not SIGKILL: the matcher logged its graceful shutdown.
      assert.match(readFileSync(r.logFile, 'utf8'), /matcher stopped/);
    }
    assert.equal((await fetch(`${lb}/healthz`)).headers.get('x-plimsoll-replica'), kept!.pod);
  });

  it('scaled to 0: the load balancer answers 502 NO_READY_REPLICA', async () => {
    await scale(0);
    await waitFor('no replica process', async () => runner.status().replicas.length === 0, { timeoutMs: 60_000 });
    const res = await fetch(`${lb}/v1/jobs`);
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'NO_READY_REPLICA');
    assert.match(body.error.message, /0 of 0 replica processes ready/);
  });
});

describe('replica runner (CLI): a killed runner leaves no orphan, the next one adopts its processes', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  async function freePort(): Promise<number> {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise((r) => s.close(r));
    return port;
  }

  async function startCli(adminPort: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tools', 'stack', 'replica-runner', 'main.ts'),
      '--namespace', ns.name, '--listen', '127.0.0.1:0', '--admin', `127.0.0.1:${adminPort}`, '--kubeconfig', cluster.kubeconfigPath,
      '--state-dir', join(dir, 'cli-state'), '--log-dir', join(dir, 'cli-logs'), '--targets-dir', 'none'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  }

  const status = async (port: number) => (await fetch(`http://127.0.0.1:${port}/status`)).json() as Promise<RunnerStatus>;

  it('SIGKILL the runner: its replica keeps serving; a new runner adopts the same process; SIGTERM stops it', async () => {
    await scale(1);
    const port = await freePort();
    const first = await startCli(port);
    const [replica] = await waitFor('the CLI runner\'s replica ready', async () => readyReplicas(await status(port), 1), { timeoutMs: 60_000 });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    assert.ok(alive(replica!.pid!), 'the replica outlives its runner');
    assert.equal((await details(replica!.address)).pid, replica!.pid);

    const second = await startCli(port);
    const [adopted] = await waitFor('the new runner reports the adopted replica ready', async () => readyReplicas(await status(port), 1), { timeoutMs: 60_000 });
    assert.equal(adopted!.pid, replica!.pid, 'the same process, not a new one');
    assert.equal(adopted!.restarts, 0);

    second.kill('SIGTERM');
    const [code] = await new Promise<[number | null]>((r) => second.once('exit', (c) => r([c])));
    assert.equal(code, 0);
    assert.ok(!alive(replica!.pid!), 'SIGTERM to the runner stopped its replica');
    assert.match(readFileSync(replica!.logFile, 'utf8'), /matcher stopped/);
  });
});
