/**
 * Capacity calibration of the local stack (`make bench-capacity`; numbers reported, never
 * asserted): sustained throughput of the running matcher Deployment at 1, 2, 4 and 8 replicas,
 * each replica held to its pod's CPU limit by a cgroup, under the load tests' request mix
 * (loadtests/load/workload.ts) from closed-loop users with no think time, so the fleet is
 * saturated. The ScalingPolicy is paused for the run (annotation plimsoll.dev/paused) and the
 * Deployment scaled by hand; both are restored at the end, also on Ctrl-C.
 *
 * Per replica count it prints goodput (2xx/s), shed (429/503) and error rates, p50/p99 latency,
 * the CPU the replicas used (cores, from /proc), and the scaling efficiency against one replica:
 * goodput(N) / (N × goodput(1)). Where the efficiency first drops below 0.8, scaling stops being
 * linear: the machine's cores, PgBouncer or the load generator (which shares the machine) bind.
 *
 *   node --import tsx loadtests/bench-capacity.ts [--replicas 1,2,4,8] [--seconds 30] [--users 48]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { discoverCatalog, readKeys } from './load/catalog.js';
import type { RequestRecord } from './load/records.js';
import { latencySummary } from './load/stats.js';
import { driveUsers } from './load/users.js';
import { Workload } from './load/workload.js';

const ROOT = join(import.meta.dirname, '..');
const LOCAL = join(ROOT, '.local');
const KUBECONFIG = join(LOCAL, 'kubeconfig');

interface RunnerReplica { pod: string; pid: number | null; ready: boolean }
interface RunnerStatus { desiredReplicas: number | null; replicas: RunnerReplica[] }

interface Row {
  replicas: number;
  goodputPerSecond: number;
  shedPerSecond: number;
  errorsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  replicaCpuCores: number;
  cpuCoresPerReplica: number;
  efficiency: number | null;
  loadAverage: number;
  /** The service level the answers carried (X-Service-Level): what each request cost depends on it. */
  level: string;
  /** Why requests were shed or failed, with counts (e.g. "503 OVERLOADED": 12). */
  refusals: Record<string, number>;
}

// The same kubectl the stack's scripts use: one built for the cluster when the machine's is too far off.
const KUBECTL = existsSync(join(LOCAL, 'bin', 'kubectl')) ? join(LOCAL, 'bin', 'kubectl') : 'kubectl';
const kubectl = (args: string[]) => execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, '-n', 'default', ...args], { encoding: 'utf8' }).trim();

async function runnerStatus(admin: string): Promise<RunnerStatus> {
  const res = await fetch(`http://${admin}/status`, { signal: AbortSignal.timeout(3000) });
  return (await res.json()) as RunnerStatus;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function scaleTo(replicas: number, admin: string): Promise<number[]> {
  kubectl(['scale', 'deployment/matcher', `--replicas=${replicas}`]);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const s = await runnerStatus(admin);
    const ready = s.replicas.filter((r) => r.ready && r.pid);
    if (s.desiredReplicas === replicas && s.replicas.length === replicas && ready.length === replicas) return ready.map((r) => r.pid!);
    if (Date.now() > deadline) throw new Error(`${replicas} replicas not ready after 180 s (${ready.length} ready of ${s.replicas.length}); see .local/logs/replica-runner.log`);
    await sleep(500);
  }
}

async function measure(target: string, workload: Workload, users: number, seconds: number, pids: number[]): Promise<Omit<Row, 'replicas' | 'efficiency'>> {
  const records: RequestRecord[] = [];
  const warmup = 5;
  const total = warmup + seconds;
  const startMs = performance.now();
  const clock = () => (performance.now() - startMs) / 1000;
  let cpuAtStart = 0;
  const cpuTimer = setTimeout(() => (cpuAtStart = pids.reduce((s, p) => s + cpuSeconds(p), 0)), warmup * 1000);
  const handle = driveUsers({
    target, workload, timeoutSeconds: 30, seed: 7, clock, onRecord: (r) => records.push(r),
    schedule: { users: Array<number>(total).fill(users), phases: [{ name: 'saturate', start: 0, end: total }], maxUsers: users, durationSeconds: total, thinkTimeSeconds: 0, notes: [] },
  });
  let cpuAtEnd = 0;
  const endTimer = setTimeout(() => (cpuAtEnd = pids.reduce((s, p) => s + cpuSeconds(p), 0)), total * 1000);
  await handle.done;
  clearTimeout(cpuTimer);
  clearTimeout(endTimer);
  cpuAtEnd ||= pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const window = records.filter((r) => r.doneAt >= warmup && r.doneAt < total);
  const ok = window.filter((r) => r.outcome === 'success');
  const latency = ok.length ? latencySummary(ok.map((r) => r.latencyMs)) : undefined;
  const replicaCpuCores = (cpuAtEnd - cpuAtStart) / seconds;
  const refusals: Record<string, number> = {};
  for (const r of window) if (r.outcome !== 'success') refusals[`${r.status || r.errorKind} ${r.reason ?? ''}`.trim()] = (refusals[`${r.status || r.errorKind} ${r.reason ?? ''}`.trim()] ?? 0) + 1;
  return {
    goodputPerSecond: ok.length / seconds,
    shedPerSecond: window.filter((r) => r.outcome === 'shed').length / seconds,
    errorsPerSecond: window.filter((r) => r.outcome === 'error').length / seconds,
    p50Ms: latency?.p50 ?? null, p99Ms: latency?.p99 ?? null,
    replicaCpuCores, cpuCoresPerReplica: replicaCpuCores / pids.length, loadAverage: loadavg()[0]!, refusals, level: mostCommon(ok.map((r) => r.level)) ?? '-',
  };
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

const fmt = (n: number | null, digits = 1) => (n === null ? '-' : n.toFixed(digits));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      replicas: { type: 'string', default: '1,2,4,8' }, seconds: { type: 'string', default: '30' }, users: { type: 'string', default: '48' },
      target: { type: 'string', default: 'http://127.0.0.1:18080' }, admin: { type: 'string', default: '127.0.0.1:18090' },
      out: { type: 'string', default: join(ROOT, 'out', 'bench-capacity') },
    },
    strict: true,
  });
  const counts = values.replicas.split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 32)) throw new Error(`--replicas ${values.replicas}: expected a list of replica counts between 1 and 32`);
  const seconds = Number(values.seconds);
  const users = Number(values.users);
  if (!(seconds >= 5) || !(users >= 1)) throw new Error('--seconds must be at least 5 and --users at least 1');
  const log = (s: string) => process.stderr.write(`[bench-capacity] ${s}\n`);

  await runnerStatus(values.admin).catch(() => {
    throw new Error(`the replica runner does not answer at http://${values.admin}/status: run \`make up\` first`);
  });
  const original = Number(kubectl(['get', 'deployment/matcher', '-o', 'jsonpath={.spec.replicas}']));
  log(`waiting for the ${original} running replica(s) to be ready…`);
  await scaleTo(original, values.admin);
  const tenants = await discoverCatalog(values.target, await readKeys(join(LOCAL, 'seed-keys.json')), { maxAnalyses: 2000 });
  const workload = new Workload(tenants, { analysisShare: 0.3, cacheHitRatio: 0.3, resultReadShare: 0.5, deadlineSeconds: 60 }, 11);

  log(`pausing ScalingPolicy default/matcher for the run (the Deployment had ${original} replicas)`);
  kubectl(['annotate', 'scalingpolicy/matcher', 'plimsoll.dev/paused=true', '--overwrite']);
  const restore = () => {
    kubectl(['annotate', 'scalingpolicy/matcher', 'plimsoll.dev/paused-']);
    kubectl(['scale', 'deployment/matcher', `--replicas=${original}`]);
    log(`restored: the policy is unpaused, the Deployment back at ${original} replicas`);
  };
  process.once('SIGINT', () => {
    restore();
    process.exit(130);
  });

  const rows: Row[] = [];
  try {
    for (const n of counts) {
      log(`${n} replica(s): scaling and waiting for ${n} ready processes…`);
      const pids = await scaleTo(n, values.admin);
      log(`${n} replica(s): ${users} users without think time for 5 s warm-up + ${seconds} s…`);
      const m = await measure(values.target, workload, users, seconds, pids);
      const base = rows[0] ? rows[0].goodputPerSecond / rows[0].replicas : undefined;
      const row: Row = { replicas: n, ...m, efficiency: base ? m.goodputPerSecond / (n * base) : null };
      rows.push(row);
      const why = Object.entries(row.refusals).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ×${v}`).join(', ');
      log(`${n} replica(s): ${fmt(row.goodputPerSecond)} 2xx/s, ${fmt(row.shedPerSecond)} shed/s${why ? ` (${why})` : ''}, p99 ${fmt(row.p99Ms, 0)} ms, ${fmt(row.cpuCoresPerReplica, 3)} cores per replica`);
    }
  } finally {
    restore();
  }

  const lines = [
    '| replicas | level | 2xx/s | shed/s | errors/s | p50 ms | p99 ms | CPU cores (all replicas) | per replica | efficiency vs 1 | load avg |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.replicas} | ${r.level} | ${fmt(r.goodputPerSecond)} | ${fmt(r.shedPerSecond)} | ${fmt(r.errorsPerSecond)} | ${fmt(r.p50Ms, 0)} | ${fmt(r.p99Ms, 0)} | ${fmt(r.replicaCpuCores, 2)} | ${fmt(r.cpuCoresPerReplica, 3)} | ${r.efficiency === null ? '1.00' : r.efficiency.toFixed(2)} | ${r.loadAverage.toFixed(1)} |`),
  ];
  const knee = rows.find((r) => r.efficiency !== null && r.efficiency < 0.8);
  const verdict = knee
    ? `scaling stops being linear at ${knee.replicas} replicas (efficiency ${knee.efficiency!.toFixed(2)} < 0.80)`
    : `scaling stays linear (efficiency ≥ 0.80) up to ${rows[rows.length - 1]?.replicas} replicas`;
  console.log(lines.join('\n'));
  console.log(`\n${verdict}`);
  mkdirSync(values.out, { recursive: true });
  const file = join(values.out, `capacity-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ users, seconds, rows, verdict }, null, 2) + '\n');
  log(`written ${file}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench-capacity: ${err.message}\n`);
  process.exitCode = 1;
});
