/**
 * Matcher queues and runtime knobs benchmark (numbers reported, not asserted), against the real local services
 * and in-process fake providers:
 *   1. runtime document change → service level applied: p50/p99 over 100 changes (file source);
 *   2. analyses/s end to end (POST → queue → fake provider → PostgreSQL) at several worker
 *      concurrency settings (fake latency lognormal, median BENCH_PROVIDER_MS, default 200 ms);
 *   3. heap per in-flight analysis (run with --expose-gc for a clean baseline).
 * `node --expose-gc --import tsx loadtests/bench-matcher-queues.ts`
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../test/support/matcher.js';
import { createPair, providerHarness } from '../test/support/providers.js';
import { percentileSorted } from './load/stats.js';

const PROVIDER_MS = Number(process.env.BENCH_PROVIDER_MS ?? 200);
const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => percentileSorted([...xs].sort((a, b) => a - b), p / 100) ?? NaN;
const round = (v: number) => Math.round(v * 100) / 100;

async function runtimeLatency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-bench-'));
  const file = join(dir, 'runtime.json');
  const write = (g: number, level: string) => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ policy: 'bench', generation: g, issuedAt: new Date().toISOString(), serviceLevel: level, replicas: 1, db: { poolMax: 8 }, queues: {} }));
    renameSync(`${file}.tmp`, file);
  };
  write(1, 'Full');
  const h = await providerHarness([]);
  try {
    const m = await h.start({ MATCHER_RUNTIME_FILE: file, MATCHER_RUNTIME_POLL_MS: '1000' });
    const samples: number[] = [];
    for (let g = 2; g < 102; g++) {
      const level = g % 2 === 0 ? 'Reduced' : 'Full';
      const t0 = performance.now();
      write(g, level);
      while (m.runtime.status().generation !== g) await new Promise((r) => setImmediate(r));
      samples.push(performance.now() - t0);
      if (m.levels.current() !== level) throw new Error('level not applied');
    }
    console.log(JSON.stringify({ bench: 'runtime document → level applied (fs.watch, poll fallback 1 s)', changes: samples.length,
      'p50 ms': round(pct(samples, 50)), 'p99 ms': round(pct(samples, 99)), 'max ms': round(Math.max(...samples)) }));
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function throughput(concurrency: number): Promise<void> {
  const h = await providerHarness([{ name: 'bench', concurrency, settings: { latencyMs: PROVIDER_MS, distribution: 'lognormal', sigma: 0.3 } }],
    { MATCHER_DB_POOL_MAX: '20', MATCHER_TENANT_RATE_LIMIT: '1000000' });
  try {
    const m = await h.start();
    const key = h.tenant.key;
    const pairs = [];
    for (let i = 0; i < JOBS; i += 25) pairs.push(...await Promise.all(Array.from({ length: Math.min(25, JOBS - i) }, () => createPair(m.url, key))));
    const t0 = performance.now();
    const accepted = await Promise.all(pairs.map((p) => api(m.url, 'POST', '/v1/analyses', { key, body: p })));
    const acceptMs = performance.now() - t0;
    if (accepted.some((r) => r.status !== 202)) throw new Error(`not all accepted: ${accepted.map((r) => r.status).join(',')}`);
    for (;;) {
      const [row] = await h.sql<{ n: string }>('SELECT count(*) AS n FROM analysis_results');
      if (Number(row!.n) >= JOBS) break;
      await sleep(10);
    }
    const seconds = (performance.now() - t0) / 1000;
    const fake = h.fakes.get('bench')!.stats;
    console.log(JSON.stringify({ bench: 'analyses end to end through the fake provider', concurrency, jobs: JOBS, providerMedianMs: PROVIDER_MS,
      'analyses/s': round(JOBS / seconds), 'accept all (ms)': Math.round(acceptMs), 'provider max in flight': fake.maxInFlight,
      'ceiling (concurrency / latency)': round(concurrency / (PROVIDER_MS / 1000)) }));
  } finally {
    await h.close();
  }
}

async function heapPerInFlight(): Promise<void> {
  const inflight = 200;
  const h = await providerHarness([{ name: 'heap', concurrency: inflight, settings: { latencyMs: 4000, distribution: 'fixed' } }],
    { MATCHER_DB_POOL_MAX: '20', MATCHER_TENANT_RATE_LIMIT: '1000000' });
  try {
    const m = await h.start();
    const key = h.tenant.key;
    const pairs = [];
    for (let i = 0; i < inflight; i += 25) pairs.push(...await Promise.all(Array.from({ length: 25 }, () => createPair(m.url, key))));
    const fake = h.fakes.get('heap')!;
    // The fake runs in this process too: measure its share separately (same latency, no matcher).
    gc?.(); await sleep(200); gc?.();
    const base = process.memoryUsage().heapUsed;
    await Promise.all(pairs.map((p) => api(m.url, 'POST', '/v1/analyses', { key, body: p })));
    while (fake.stats.inFlight < inflight) await sleep(20);
    gc?.(); await sleep(50); gc?.();
    const during = process.memoryUsage().heapUsed;
    console.log(JSON.stringify({ bench: 'heap per in-flight analysis (matcher + in-process fake provider)', inFlight: fake.stats.inFlight,
      'heap delta MB': round((during - base) / 1048576), 'KB per in-flight': round((during - base) / 1024 / inflight), gcExposed: Boolean(gc) }));
    while (Number((await h.sql<{ n: string }>('SELECT count(*) AS n FROM analysis_results'))[0]!.n) < inflight) await sleep(50);
  } finally {
    await h.close();
  }
}

async function main() {
  await runtimeLatency();
  for (const c of (process.env.BENCH_CONCURRENCY ?? '1,4,16,64').split(',').map(Number)) await throughput(c);
  await heapPerInFlight();
}

await main();
