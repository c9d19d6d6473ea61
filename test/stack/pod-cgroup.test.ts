// Resource limits that bind, on this machine's real cgroups: a replica process sits in its pod's
// cgroup from its first instruction, with the CFS quota of the pod's CPU limit (and a busy loop
// really gets no more); a process over its memory limit is killed by the kernel, told apart as
// OOMKilled, restarted by the runner, and the pod's status (through the API server, next to
// kwok) shows OOMKilled and a growing restartCount; a crashed run's leftovers are cleaned up.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { containerLimits, findHierarchies, PodCgroup, sweepCgroups, type Controller } from '../../tools/stack/replica-runner/pod-cgroup.js';
import { DEFAULT_POD_NETNS } from '../../tools/stack/replica-runner/pod-network.js';
import { ReplicaProcess } from '../../tools/stack/replica-runner/replica-process.js';
import { ReplicaRunner } from '../../tools/stack/replica-runner/runner.js';
import { REPO_ROOT, createTestNamespace, ensureCluster, waitFor, type Cluster, type TestNamespace } from '../support/cluster.js';
import { ensurePodNetwork } from '../support/pod-network.js';
import { alive, silentLogger } from '../support/process.js';

const MiB = 2 ** 20;
const PATH = process.env.PATH ?? '/usr/bin:/bin';
const silent = silentLogger('pod-cgroup-test');

/** A process's cgroup in the controller's hierarchy, from /proc/<pid>/cgroup (v1 "4:memory:/path", v2 "0::/path"). */
function cgroupOf(pid: number, controller: Controller): string | undefined {
  return cgroupLine(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), controller);
}

function cgroupLine(text: string, controller: Controller): string | undefined {
  const v1 = hierarchy(controller).version === 1;
  for (const line of text.trim().split(/\n| (?=\d+:)/)) {
    const [, controllers, path] = line.split(':') as [string, string, string];
    if (v1 ? controllers.split(',').includes(controller) : controllers === '') return path;
  }
  return undefined;
}

function spawnIn(cgroup: PodCgroup, argv: string[]) {
  const joined = cgroup.joinArgv(argv);
  return spawn(joined[0]!, joined.slice(1), { stdio: 'ignore', detached: true });
}

function hierarchy(controller: Controller) {
  const h = findHierarchies(readFileSync('/proc/self/mounts', 'utf8')).found[controller];
  assert.ok(h, `this machine has a writable ${controller} controller`);
  return h;
}

/** A cgroup file as the kernel holds it. */
const cgroupFile = (controller: Controller, path: string, file: string) => readFileSync(join(hierarchy(controller).mount, path, file), 'utf8').trim();

/** Allocates 16 MiB every 20 ms (touched: Buffer.alloc fills) while the file GROW_FILE exists, or always when it is unset. */
const HOG = `
const fs = require('node:fs');
const hold = [];
console.log('started in ' + fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\\n').join(' '));
setInterval(() => {
  if (process.env.GROW_FILE && !fs.existsSync(process.env.GROW_FILE)) return;
  for (let i = 0; i < 4; i++) hold.push(Buffer.alloc(4 << 20, 1));
}, 20);
`;

let dir: string;
const prefix = `pt-cgroup-${randomBytes(3).toString('hex')}`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'plimsoll-cgroup-test-'));
});

after(async () => {
  await sweepCgroups({ prefix, keep: new Set() });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pod cgroups (this machine\'s kernel)', () => {
  it('a replica process is in its pod\'s cgroups from its first instruction, with the CPU quota and memory limit of its pod', async () => {
    const limits = containerLimits({ name: 'c', resources: { limits: { cpu: '250m', memory: '128Mi' } } });
    const cgroup = await PodCgroup.create({ name: `${prefix}_quota`, limits, require: true });
    const logFile = join(dir, 'quota.log');
    const replica = ReplicaProcess.spawn({
      namespace: prefix, pod: 'quota', podUid: 'u-quota', ip: '127.0.0.1', port: 0, logFile, env: { PATH }, cwd: REPO_ROOT,
      recordFile: join(dir, 'quota.json'), cgroup,
      argv: [process.execPath, '-e', `console.log('first line sees ' + require('node:fs').readFileSync('/proc/self/cgroup', 'utf8').replace(/\\n/g, ' ')); setInterval(() => {}, 1000)`],
    });
    const pid = replica.record.pid;
    const want = `/plimsoll/${prefix}_quota`;
    // The joining shell exec'd node: its very first output already saw the pod's cgroup.
    const firstLine = await waitFor('the process\'s first output', async () => /^first line sees (.*)$/m.exec(readFileSync(logFile, 'utf8'))?.[1]);
    assert.equal(cgroupLine(firstLine, 'cpu'), want);
    assert.equal(cgroupLine(firstLine, 'memory'), want);
    assert.equal(cgroupOf(pid, 'cpu'), want, 'the same pid: the shell exec\'d it');
    assert.equal(cgroupOf(pid, 'memory'), want);
    if (hierarchy('cpu').version === 1) {
      assert.equal(cgroupFile('cpu', want, 'cpu.cfs_period_us'), '100000');
      assert.equal(cgroupFile('cpu', want, 'cpu.cfs_quota_us'), '25000', '250m = 25 ms per 100 ms');
    } else {
      assert.equal(cgroupFile('cpu', want, 'cpu.max'), '25000 100000');
    }
    if (hierarchy('memory').version === 1) {
      assert.equal(cgroupFile('memory', want, 'memory.limit_in_bytes'), String(128 * MiB));
      if (existsSync(join(hierarchy('memory').mount, want, 'memory.memsw.limit_in_bytes'))) {
        assert.equal(cgroupFile('memory', want, 'memory.memsw.limit_in_bytes'), String(128 * MiB), 'swap does not dodge the limit');
      }
    } else {
      assert.equal(cgroupFile('memory', want, 'memory.max'), String(128 * MiB));
    }
    const settings = cgroup.settings();
    assert.deepEqual({ ...settings, memoryUsageBytes: null }, {
      paths: cgroup.paths, cpuQuotaUs: 25_000, cpuPeriodUs: 100_000, memoryLimitBytes: 128 * MiB, memoryUsageBytes: null, oomKills: 0,
    });
    assert.ok(settings.memoryUsageBytes! > 0, 'the process is charged to the cgroup');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'quota.json'), 'utf8')).cgroup, cgroup.record, 'recorded for a runner that adopts it');

    await replica.stop(2000);
    for (const path of cgroup.paths) assert.ok(!existsSync(path), `${path} removed with the process`);
  });

  it('the quota binds: a busy loop under 250m gets about a quarter of a core, and the kernel throttles it', async (t) => {
    const cgroup = await PodCgroup.create({ name: `${prefix}_busy`, limits: containerLimits({ name: 'c', resources: { limits: { cpu: '250m' } } }), require: true });
    const child = spawnIn(cgroup, [process.execPath, '-e', 'for (;;) {}']);
    const t0 = performance.now();
    await sleep(3000);
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const wallS = (performance.now() - t0) / 1000;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15) in clock ticks, 100 per second on Linux.
    const cpuS = (Number(fields[11]) + Number(fields[12])) / 100;
    const throttled = Number(/nr_throttled (\d+)/.exec(cgroupFile('cpu', `/plimsoll/${prefix}_busy`, 'cpu.stat'))![1]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await cgroup.remove();
    t.diagnostic(`a busy loop under 250m: ${cpuS.toFixed(2)} s of CPU in ${wallS.toFixed(2)} s, throttled in ${throttled} periods`);
    // 0.25 s per second, plus one period of slack; unconstrained it would take a whole core.
    assert.ok(cpuS <= 0.25 * wallS + 0.15, `a busy loop used ${cpuS.toFixed(2)} s of CPU in ${wallS.toFixed(2)} s under a 250m limit`);
    assert.ok(cpuS > 0.1, `it ran at all (${cpuS} s)`);
    assert.ok(throttled > 5, `the kernel throttled it (nr_throttled ${throttled})`);
  });

  it('a process over its memory limit is killed by the kernel, and its exit says OOMKilled', async () => {
    const cgroup = await PodCgroup.create({ name: `${prefix}_oom`, limits: containerLimits({ name: 'c', resources: { limits: { memory: '96Mi' } } }), require: true });
    const replica = ReplicaProcess.spawn({
      namespace: prefix, pod: 'oom', podUid: 'u-oom', ip: '127.0.0.1', port: 0, logFile: join(dir, 'oom.log'), env: { PATH }, cwd: REPO_ROOT,
      recordFile: join(dir, 'oom.json'), cgroup, argv: [process.execPath, '-e', HOG],
    });
    const exit = await Promise.race([replica.exited, sleep(20_000).then(() => undefined)]);
    assert.ok(exit, 'killed within 20 s');
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(exit.oomKilled, true);
    assert.equal(cgroup.oomKills(), 1, 'oom_kill 1 in the memory cgroup');
    await replica.forget();
    for (const path of cgroup.paths) assert.ok(!existsSync(path));
  });

  it('an exit that is not the OOM killer\'s is not OOMKilled', async () => {
    const cgroup = await PodCgroup.create({ name: `${prefix}_plain`, limits: containerLimits({ name: 'c', resources: { limits: { memory: '96Mi' } } }), require: true });
    const replica = ReplicaProcess.spawn({
      namespace: prefix, pod: 'plain', podUid: 'u-plain', ip: '127.0.0.1', port: 0, logFile: join(dir, 'plain.log'), env: { PATH }, cwd: REPO_ROOT,
      recordFile: join(dir, 'plain.json'), cgroup, argv: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    });
    process.kill(replica.record.pid, 'SIGKILL');
    const exit = await replica.exited;
    assert.deepEqual([exit.signal, exit.oomKilled], ['SIGKILL', false]);
    await replica.forget();
  });

  it('a crashed run\'s leftovers do not trip the next: a stale cgroup is emptied and made afresh, orphans are swept', { timeout: 60_000 }, async () => {
    const sweep = `${prefix}-sweep_`;
    const name = `${sweep}stale`;
    const stale = await PodCgroup.create({ name, limits: containerLimits({ name: 'c', resources: { limits: { cpu: '100m', memory: '96Mi' } } }) });
    // What a runner killed mid-flight leaves: a process inside that no record knows, and an OOM count.
    const hog = spawnIn(stale, [process.execPath, '-e', HOG]);
    await new Promise((r) => hog.once('exit', r));
    const orphan = spawnIn(stale, ['sleep', '600']);
    await waitFor('the orphan in the stale cgroup', async () => stale.paths.every((p) => readFileSync(join(p, 'cgroup.procs'), 'utf8').includes(String(orphan.pid))));
    assert.equal(stale.oomKills(), 1);

    const fresh = await PodCgroup.create({ name, limits: containerLimits({ name: 'c', resources: { limits: { cpu: '500m' } } }), require: true });
    await waitFor('the orphan killed', async () => !alive(orphan.pid!) || orphan.exitCode !== null || orphan.signalCode !== null);
    const s = fresh.settings();
    assert.deepEqual([s.cpuQuotaUs, s.memoryLimitBytes, s.oomKills], [50_000, null, 0], 'the new limits only, and a fresh OOM count');

    // Orphans of a dead runner: one empty, one with a process; the one a live replica uses stays.
    const empty = await PodCgroup.create({ name: `${sweep}empty`, limits: {} });
    const busy = await PodCgroup.create({ name: `${sweep}busy`, limits: {} });
    const sleeper = spawnIn(busy, ['sleep', '600']);
    await waitFor('the sleeper inside', async () => readFileSync(join(busy.paths[0]!, 'cgroup.procs'), 'utf8').includes(String(sleeper.pid)));
    const swept = await sweepCgroups({ prefix: sweep, keep: new Set([name]) });
    assert.deepEqual(swept.sort(), [...empty.paths, ...busy.paths].sort());
    for (const p of [...empty.paths, ...busy.paths]) assert.ok(!existsSync(p));
    for (const p of fresh.paths) assert.ok(existsSync(p), 'the kept cgroup stays');
    await waitFor('the sleeper killed', async () => sleeper.exitCode !== null || sleeper.signalCode !== null);
    await fresh.remove();
  });

  it('says what is missing when no hierarchy can enforce a limit', async () => {
    const limits = containerLimits({ name: 'c', resources: { limits: { cpu: '250m', memory: '64Mi' } } });
    const none = 'proc /proc proc rw,nosuid 0 0\n';
    const { missing } = findHierarchies(none);
    assert.equal(missing.cpu, 'cgroup v1: no hierarchy with the cpu controller is mounted; cgroup v2: not mounted');
    await assert.rejects(PodCgroup.create({ name: `${prefix}_none`, limits, require: true, mounts: none }),
      /CPU limit 250m not enforced: no writable cpu controller \(cgroup v1: no hierarchy .*\); memory limit 64Mi not enforced: no writable memory controller/);
    const unenforced = await PodCgroup.create({ name: `${prefix}_none`, limits, mounts: none });
    assert.equal(unenforced.warnings.length, 2);
    assert.deepEqual(unenforced.joinArgv(['true']), ['true'], 'nothing to join');

    // A cgroup v2 hierarchy that offers memory but not cpu (a directory shaped like one).
    const v2 = join(dir, 'v2');
    mkdirSync(v2);
    writeFileSync(join(v2, 'cgroup.controllers'), 'memory pids\n');
    const partial = findHierarchies(`cgroup2 ${v2.replace(/ /g, '\\040')} cgroup2 rw 0 0\n`);
    assert.deepEqual(partial.found.memory, { controller: 'memory', version: 2, mount: v2 });
    assert.match(partial.missing.cpu!, new RegExp(`cgroup v2: ${v2}/cgroup.controllers does not list cpu \\(it lists "memory pids"\\)`));
  });
});

describe('replica runner: OOMKilled like a kubelet (real API server, kwok, the pod network namespace)', () => {
  let cluster: Cluster;
  let ns: TestNamespace;
  let core: k8s.CoreV1Api;
  let runner: ReplicaRunner;
  const growFile = () => join(dir, 'grow');

  before(async () => {
    cluster = await ensureCluster();
    core = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
    ensurePodNetwork();
    ns = await createTestNamespace('cgroup');
    const apps = cluster.kubeConfig().makeApiClient(k8s.AppsV1Api);
    // The init container reports where it ran and exits; the container serves /readyz and eats
    // memory while the grow file exists.
    const initScript = `const fs = require('node:fs');
      const path = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\\n').find((l) => /^\\d+:(.*,)?memory(,.*)?:|^0::/.test(l)).split(':')[2];
      fs.writeFileSync(process.env.INIT_REPORT, JSON.stringify({ path, nodeOptions: process.env.NODE_OPTIONS }));`;
    await apps.createNamespacedDeployment({ namespace: ns.name, body: {
      metadata: { name: 'hog' },
      spec: {
        selector: { matchLabels: { app: 'hog' } },
        template: {
          metadata: { labels: { app: 'hog' } },
          spec: {
            automountServiceAccountToken: false, terminationGracePeriodSeconds: 2,
            initContainers: [{ name: 'report', image: 'example.invalid/hog:1', args: ['-e', initScript],
              env: [{ name: 'INIT_REPORT', value: join(dir, 'init.json') }], resources: { limits: { memory: '64Mi' } } }],
            containers: [{
              name: 'hog', image: 'example.invalid/hog:1', args: ['-e', `${HOG}; require('node:http').createServer((q, s) => s.end('ok')).listen(8080, process.env.MATCHER_HOST)`],
              ports: [{ name: 'http', containerPort: 8080 }], env: [{ name: 'GROW_FILE', value: growFile() }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
              resources: { requests: { cpu: '250m', memory: '96Mi' }, limits: { cpu: '250m', memory: '96Mi' } },
            }],
          },
        },
      },
    } });
    runner = new ReplicaRunner({
      kubeConfig: cluster.kubeConfig(), namespace: ns.name, deployment: 'hog', podNetwork: DEFAULT_POD_NETNS,
      entrypoint: [process.execPath], cwd: REPO_ROOT, baseEnv: { PATH }, stateDir: join(dir, 'state'), logDir: join(dir, 'logs'),
      logger: silent, probeIntervalMs: 200, restartBackoffMs: { min: 200, max: 2000 }, cgroups: 'require',
    });
    await runner.start();
  });

  after(async () => {
    await runner?.stop();
    await ns?.delete();
  });

  const containerStatus = async () => {
    const pods = await core.listNamespacedPod({ namespace: ns.name });
    assert.equal(pods.items.length, 1);
    return pods.items[0]!.status?.containerStatuses?.find((s) => s.name === 'hog');
  };

  it('runs the pod\'s container in its cgroup with its limits, the init container with its own, and derives the heap flag', async () => {
    const replica = await waitFor('the hog ready', async () => runner.status().replicas.find((r) => r.ready), { timeoutMs: 60_000 });
    const want = `/plimsoll/${ns.name}_${replica.pod}`;
    assert.equal(cgroupOf(replica.pid!, 'cpu'), want);
    assert.equal(cgroupOf(replica.pid!, 'memory'), want);
    assert.deepEqual([replica.cpuLimit, replica.memoryLimit, replica.cgroupWarning], ['250m', '96Mi', null]);
    assert.deepEqual([replica.cgroup?.cpuQuotaUs, replica.cgroup?.cpuPeriodUs, replica.cgroup?.memoryLimitBytes], [25_000, 100_000, 96 * MiB]);
    const environ = readFileSync(`/proc/${replica.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('NODE_OPTIONS=--max-old-space-size=72'), '75 % of 96Mi');
    const init = JSON.parse(readFileSync(join(dir, 'init.json'), 'utf8')) as { path: string; nodeOptions: string };
    assert.deepEqual(init, { path: want, nodeOptions: '--max-old-space-size=48' }, 'the init container ran in the pod\'s cgroup with its own 64Mi');
  });

  it('over its memory limit: killed, restarted; the pod status shows OOMKilled and restartCount grows', async (t) => {
    const first = runner.status().replicas[0]!;
    writeFileSync(growFile(), '');
    const status = await waitFor('the pod status shows two OOM kills', async () => {
      const s = await containerStatus();
      return s && s.restartCount >= 2 && s.lastState?.terminated?.reason === 'OOMKilled' && s;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    assert.equal(status.lastState!.terminated!.exitCode, 137);
    assert.equal(status.lastState!.terminated!.signal, 9);
    assert.ok(!alive(first.pid!), 'the first process is gone');
    rmSync(growFile());
    const back = await waitFor('the hog ready again', async () => runner.status().replicas.find((r) => r.ready && r.pid !== first.pid), { timeoutMs: 60_000 });
    assert.equal(back.lastTermination?.reason, 'OOMKilled');
    assert.equal(back.lastTermination?.exitCode, 137);
    // Every termination the pod reports was followed by a restart, and the container runs again.
    const settled = await waitFor('the pod status running, restartCount = the runner\'s restarts', async () => {
      const s = await containerStatus();
      const r = runner.status().replicas[0]!;
      return s?.state?.running && s.restartCount === r.restarts && s;
    }, { timeoutMs: 20_000 });
    assert.ok(settled.restartCount >= 2);
    assert.equal(settled.lastState?.terminated?.reason, 'OOMKilled', 'kwok left the status alone');
    assert.equal(cgroupOf(back.pid!, 'memory'), `/plimsoll/${ns.name}_${back.pod}`);
    assert.equal(back.cgroup?.oomKills, 0, 'the restarted process has a fresh cgroup');
    t.diagnostic(`${settled.restartCount} OOM kills, each restarted; lastState ${JSON.stringify(settled.lastState?.terminated)}`);
  });

  it('the pod going away removes its cgroup', async () => {
    const replica = runner.status().replicas[0]!;
    const paths = replica.cgroup!.paths;
    const apps = cluster.kubeConfig().makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeploymentScale({ name: 'hog', namespace: ns.name, body: { spec: { replicas: 0 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor('no replica', async () => runner.status().replicas.length === 0, { timeoutMs: 30_000 });
    for (const p of paths) assert.ok(!existsSync(p), `${p} removed`);
    assert.ok(!readdirSync(join(hierarchy('memory').mount, 'plimsoll')).some((d) => d.startsWith(`${ns.name}_`)));
  });
});
