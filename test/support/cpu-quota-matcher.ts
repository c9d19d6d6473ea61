/**
 * A matcher process held to a CPU limit the way a container is: its own cgroup v1 `cpu` cgroup
 * with a CFS quota (10000/100000 is a 100m limit), joined before the process runs anything, and
 * what the limit does to it, read from the kernel: per-thread CPU time (/proc/<pid>/task/*),
 * the cgroup's throttling (cpu.stat) and the matcher's own event-loop lag (its /metrics).
 * Shared by the CPU-quota test and `make bench-cpu-quota`; loopback only, every cgroup removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SampleData } from '../../src/matcher/dev/sample-data.js';
import { createTenant } from '../../src/matcher/auth.js';
import { withDirectClient } from '../../src/matcher/db/migrations.js';
import { api, createTestDatabase, type TestDatabase } from './matcher.js';

const CPU_MOUNT = '/sys/fs/cgroup/cpu';

/** Why a private cgroup v1 cpu cgroup cannot be made here (undefined: it can). */
export function cpuCgroupUnavailable(): string | undefined {
  if (!existsSync(join(CPU_MOUNT, 'cpu.cfs_quota_us'))) return `${CPU_MOUNT} is not a cgroup v1 cpu hierarchy`;
  try {
    accessSync(CPU_MOUNT, constants.W_OK);
    return undefined;
  } catch {
    return `${CPU_MOUNT} is not writable (needs root)`;
  }
}

export interface Throttling { periods: number; throttled: number; throttledMs: number }

export class CpuCgroup {
  private constructor(readonly path: string) {}

  /** A fresh cgroup under the cpu hierarchy's root, with quotaUs of CPU time in every periodUs. */
  static create(prefix: string, quotaUs: number, periodUs = 100_000): CpuCgroup {
    const path = join(CPU_MOUNT, `${prefix}-${randomBytes(3).toString('hex')}`);
    mkdirSync(path);
    writeFileSync(join(path, 'cpu.cfs_period_us'), String(periodUs));
    writeFileSync(join(path, 'cpu.cfs_quota_us'), String(quotaUs));
    return new CpuCgroup(path);
  }

  /** argv run by a shell that first moves itself into the cgroup, then execs it (same pid). */
  joinArgv(argv: string[]): string[] {
    return ['/bin/sh', '-c', `echo $$ > ${join(this.path, 'cgroup.procs')} && exec "$@"`, 'sh', ...argv];
  }

  throttling(): Throttling {
    const stat = Object.fromEntries(readFileSync(join(this.path, 'cpu.stat'), 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]));
    return { periods: Number(stat.nr_periods), throttled: Number(stat.nr_throttled), throttledMs: Number(stat.throttled_time) / 1e6 };
  }

  /** Removes it once its processes are gone (the kernel refuses while any is left). */
  async remove(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.path);
        return;
      } catch {
        await sleep(100);
      }
    }
  }
}

/** CPU time by kind of thread: the event loop's (the main thread), the analysis threads (niced), the rest (libuv, V8, GC). */
export interface ThreadCpu { mainMs: number; analysisMs: number; otherMs: number; analysisThreads: number }

/** Cumulative CPU time (ms) and kind of every live thread of pid, from /proc/<pid>/task/<tid>/{stat,schedstat}. */
export function threadSnapshot(pid: number): Map<string, { kind: 'main' | 'analysis' | 'other'; ms: number }> {
  // Fields after the command name: state is field 3, nice field 19.
  const nice = (tid: number | string) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19 - 3]);
  // The analysis threads run niced relative to the process (which may itself run under nice).
  const mainNice = nice(pid);
  const out = new Map<string, { kind: 'main' | 'analysis' | 'other'; ms: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ms = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
      out.set(tid, { kind: Number(tid) === pid ? 'main' : nice(tid) > mainNice ? 'analysis' : 'other', ms });
    } catch { /* the thread ended */ }
  }
  return out;
}

/**
 * CPU used between two snapshots by kind. A thread that ended in between (an analysis thread
 * stopped past its deadline) is missing from the end: its CPU after the first snapshot is not counted.
 */
export function threadCpuBetween(before: ReturnType<typeof threadSnapshot>, after: ReturnType<typeof threadSnapshot>): ThreadCpu {
  const out: ThreadCpu = { mainMs: 0, analysisMs: 0, otherMs: 0, analysisThreads: 0 };
  for (const [tid, { kind, ms }] of after) {
    const used = ms - (before.get(tid)?.ms ?? 0);
    if (kind === 'main') out.mainMs += used;
    else if (kind === 'analysis') {
      out.analysisMs += used;
      out.analysisThreads++;
    } else out.otherMs += used;
  }
  return out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface QuotaMatcher {
  name: string;
  pid: number;
  url: string;
  key: string;
  cgroup: CpuCgroup;
  /** Distinct resume/job pairs: each is a fresh local analysis (nothing cached). */
  pairs: { resumeId: string; jobId: string }[];
  /** The next pair not yet analysed. */
  nextPair: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `matcher serve` (no providers: every analysis is the local matcher's) in its own cgroup with
 * the quota, against a fresh database, with one tenant and resumes × jobs documents.
 */
export async function startQuotaMatcher(options: {
  name: string; quotaUs: number; env?: Record<string, string>; resumes?: number; jobs?: number;
}): Promise<QuotaMatcher> {
  const db: TestDatabase = await createTestDatabase();
  const cgroup = CpuCgroup.create(`plimsoll-lag-${options.name}`, options.quotaUs);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let out = '';
  try {
    const argv = cgroup.joinArgv([process.execPath, '--import', 'tsx', 'src/matcher/cli/bin.ts', 'serve', '--port', String(port)]);
    child = spawn(argv[0]!, argv.slice(1), {
      env: {
        ...process.env, MATCHER_DATABASE_URL: db.url, MATCHER_MIGRATION_DATABASE_URL: db.directUrl, MATCHER_LOG_LEVEL: 'info',
        MATCHER_PROVIDERS: '[]', MATCHER_TENANT_RATE_LIMIT: '10000000', MATCHER_QUEUE_PREFIX: `cpuq-${randomBytes(4).toString('hex')}`,
        MATCHER_PGBOUNCER_ADMIN_URL: 'none', MATCHER_RUNTIME_FILE: '', MATCHER_RUNTIME_CONFIGMAP: '', ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Kept short: the request log of a whole run is megabytes.
    const keep = (d: Buffer) => { out = (out + d.toString()).slice(-20_000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const url = `http://127.0.0.1:${port}`;
    // Start-up at a tenth of a core (tsx compiling the sources) takes tens of seconds.
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`matcher ${options.name} exited ${child.exitCode}: ${out}`);
      if (i > 1200) throw new Error(`matcher ${options.name} did not answer /healthz within 120 s: ${out}`);
      try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* starting */ }
      await sleep(100);
    }
    const { apiKey } = await withDirectClient(db.directUrl, (c) => createTenant(c, options.name));
    const data = new SampleData(11);
    const resumeIds: string[] = [];
    const jobIds: string[] = [];
    // Seeding is the client a refused request asks for: it retries after Retry-After.
    const create = async (path: string, body: unknown): Promise<string> => {
      for (;;) {
        const r = await api(url, 'POST', path, { key: apiKey, body });
        if (r.status === 201) return r.body.data.id as string;
        if (r.status !== 503) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
        await sleep(1000 * Number(r.headers.get('retry-after') ?? 1));
      }
    };
    for (let i = 0; i < (options.resumes ?? 40); i++) resumeIds.push(await create('/v1/resumes', data.resume()));
    for (let i = 0; i < (options.jobs ?? 25); i++) jobIds.push(await create('/v1/jobs', data.job()));
    const pairs = jobIds.flatMap((jobId) => resumeIds.map((resumeId) => ({ resumeId, jobId })));
    const proc = child;
    return {
      name: options.name, pid: proc.pid!, url, key: apiKey, cgroup, pairs, nextPair: 0, output: () => out,
      async stop() {
        const exited = new Promise((resolve) => (proc.exitCode !== null ? resolve(null) : proc.once('exit', resolve)));
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(20_000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
        await exited;
        await cgroup.remove();
        await db.drop();
      },
    };
  } catch (error) {
    child?.kill('SIGKILL');
    await sleep(200);
    await cgroup.remove();
    await db.drop();
    throw error;
  }
}

/** Several at once (their start-ups overlap); when one fails, the others are stopped. */
export async function startQuotaMatchers(specs: Parameters<typeof startQuotaMatcher>[0][]): Promise<QuotaMatcher[]> {
  const started = await Promise.allSettled(specs.map((s) => startQuotaMatcher(s)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const matchers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (!failed) return matchers;
  await Promise.all(matchers.map((m) => m.stop()));
  throw failed.reason;
}

/** The matcher's event-loop lag p99 since the last scrape (prom-client resets its histogram on every collect). */
async function scrapeLagP99Ms(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_eventloop_lag_p99_seconds'));
  return line ? Number(line.split(' ').at(-1)) * 1000 : Number.NaN;
}

export interface LoadReport {
  name: string;
  rate: number;
  seconds: number;
  /** Answers by status and error code ("201", "503 ANALYSIS_TIMEOUT", "error"). */
  answers: Record<string, number>;
  /** Lag p99 of each scrape window, in ms. */
  lagP99Ms: number[];
  worstLagP99Ms: number;
  /** CPU used in the run, in ms per second of wall time (a 100m quota allows 100). */
  cpuMsPerSecond: { main: number; analysis: number; other: number; total: number };
  analysisThreads: number;
  throttledPercent: number;
  throttledMsPerThrottledPeriod: number;
}

/**
 * Open-loop load: `rate` POST /v1/analyses per second, each a pair not analysed before, for
 * `seconds`; /metrics scraped every windowMs as Prometheus would. What the run cost is read
 * from the kernel before and after.
 */
export async function driveLocalAnalyses(m: QuotaMatcher, options: { rate: number; seconds: number; windowMs?: number }): Promise<LoadReport> {
  const windowMs = options.windowMs ?? 2000;
  const total = Math.round(options.rate * options.seconds);
  if (m.nextPair + total > m.pairs.length) throw new Error(`${total} analyses need ${total} fresh pairs; the matcher has ${m.pairs.length - m.nextPair} left`);
  const pairs = m.pairs.slice(m.nextPair, m.nextPair + total);
  m.nextPair += total;
  const answers: Record<string, number> = {};
  const count = (k: string) => { answers[k] = (answers[k] ?? 0) + 1; };
  await scrapeLagP99Ms(m.url); // starts the first window
  const cpu0 = threadSnapshot(m.pid);
  const th0 = m.cgroup.throttling();
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  const lag: number[] = [];
  const scraper = (async () => {
    for (let next = windowMs; next <= options.seconds * 1000; next += windowMs) {
      await sleep(started + next - performance.now());
      lag.push(await scrapeLagP99Ms(m.url));
    }
  })();
  for (let i = 0; i < total; i++) {
    await sleep(Math.max(0, started + (i * 1000) / options.rate - performance.now()));
    inflight.push(api(m.url, 'POST', '/v1/analyses', { key: m.key, body: pairs[i] })
      .then((r) => count(r.status >= 400 ? `${r.status} ${r.body?.error?.code ?? ''}`.trim() : String(r.status)), () => count('error')));
  }
  await scraper;
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = threadCpuBetween(cpu0, threadSnapshot(m.pid));
  const th1 = m.cgroup.throttling();
  await Promise.all(inflight);
  const perS = (v: number) => Math.round(v / elapsedS);
  const periods = th1.periods - th0.periods;
  const throttled = th1.throttled - th0.throttled;
  return {
    name: m.name, rate: options.rate, seconds: options.seconds, answers, lagP99Ms: lag.map((v) => Math.round(v)),
    worstLagP99Ms: Math.round(Math.max(...lag)),
    cpuMsPerSecond: {
      main: perS(cpu.mainMs), analysis: perS(cpu.analysisMs), other: perS(cpu.otherMs), total: perS(cpu.mainMs + cpu.analysisMs + cpu.otherMs),
    },
    analysisThreads: cpu.analysisThreads,
    throttledPercent: periods ? Math.round((100 * throttled) / periods) : 0,
    throttledMsPerThrottledPeriod: throttled ? Math.round((th1.throttledMs - th0.throttledMs) / throttled) : 0,
  };
}
