/**
 * The matcher under a 100m CPU limit (numbers reported, not asserted): two matcher processes,
 * each in its own cgroup v1 cpu cgroup with a CFS quota of 10000/100000, get the same open-loop
 * load of local analyses (POST /v1/analyses, each pair new) at the same time: "baseline" with
 * the CPU-quota admission off (MATCHER_ADMISSION_CPU_QUOTA_SHARE=0, the matcher before it),
 * "aware" at MATCHER_ADMISSION_CPU_QUOTA_SHARE=0.75 (the default is 0, off). For each rate: answers, the event-loop lag p99 of each 2 s window (the
 * matcher's nodejs_eventloop_lag_p99_seconds, reset by every scrape), CPU per thread kind in ms
 * per second (a 100m quota allows 100: the event loop's thread, the analysis threads, the rest —
 * GC, JIT, libuv), and the share of CFS periods throttled. Needs root (cgroups) and make services.
 * `make bench-cpu-quota` (BENCH_RATES=10,20,30 BENCH_SECONDS=20).
 */
import { cpuCgroupUnavailable, driveLocalAnalyses, startQuotaMatchers, type LoadReport } from '../test/support/cpu-quota-matcher.js';

const RATES = (process.env.BENCH_RATES ?? '10,20,30').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function row(r: LoadReport) {
  const { '201': ok = 0, '503 OVERLOADED': overloaded = 0, ...rest } = r.answers;
  return {
    'req/s': r.rate, matcher: r.name, '201': ok, 'OVERLOADED': overloaded, other: Object.entries(rest).map(([k, v]) => `${k}: ${v}`).join(', '),
    'lag p99 worst': r.worstLagP99Ms, 'lag p99 median': median(r.lagP99Ms.filter((v) => v > 0)),
    'cpu main': r.cpuMsPerSecond.main, 'cpu analysis': r.cpuMsPerSecond.analysis, 'cpu other': r.cpuMsPerSecond.other, 'cpu total': r.cpuMsPerSecond.total,
    'throttled %': r.throttledPercent,
  };
}

async function main() {
  const unavailable = cpuCgroupUnavailable();
  if (unavailable) throw new Error(`bench-cpu-quota needs a writable cgroup v1 cpu hierarchy: ${unavailable}`);
  const needed = RATES.reduce((n, r) => n + r * (SECONDS + WARMUP_SECONDS), 0);
  const documents = { resumes: 50, jobs: Math.ceil(needed / 50) };
  console.log(`starting two matchers at 100m (tsx start-up at a tenth of a core takes about a minute); ${SECONDS} s per rate after ${WARMUP_SECONDS} s of warm-up`);
  const matchers = await startQuotaMatchers([
    { name: 'baseline', quotaUs: 10_000, env: { MATCHER_ADMISSION_CPU_QUOTA_SHARE: '0' }, ...documents },
    { name: 'aware', quotaUs: 10_000, env: { MATCHER_ADMISSION_CPU_QUOTA_SHARE: '0.75' }, ...documents },
  ]);
  try {
    const rows = [];
    for (const rate of RATES) {
      await Promise.all(matchers.map((m) => driveLocalAnalyses(m, { rate, seconds: WARMUP_SECONDS })));
      const reports = await Promise.all(matchers.map((m) => driveLocalAnalyses(m, { rate, seconds: SECONDS })));
      for (const r of reports) {
        console.log(JSON.stringify(r));
        rows.push(row(r));
      }
    }
    console.table(rows);
  } finally {
    await Promise.all(matchers.map((m) => m.stop()));
  }
}

await main();
