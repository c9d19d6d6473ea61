/**
 * The report of one run (report.json): configuration, the measured summary and per-kind stats,
 * the timeline (measured, Prometheus, PgBouncer, simulated), the connections against the budget,
 * the providers' utilisation, the faults, the simulator's prediction and the gap between them. Assembled here from the
 * parts; rendered to HTML by report-html.ts.
 */
import type { ConnectionSummary } from './connections.js';
import type { FaultRecord } from './faults.js';
import type { EventLoopLag, RunDelay } from './event-loop.js';
import type { GapRow } from './gap.js';
import type { Prediction } from './prediction.js';
import type { ChartId, Series } from './prometheus.js';
import type { RequestKind } from './records.js';
import type { PhaseWindow } from './schedule.js';
import type { KindStats, MeasuredBucket, MeasuredSummary } from './stats.js';
import type { ProviderUtilisation } from './utilisation.js';

export interface LoadReport {
  version: 1;
  scenario: {
    name: string;
    file: string;
    scaledFile: string;
    timeScale: number;
    durationSeconds: number;
    thinkTimeSeconds: number;
    analysisShare: number;
    cacheHitRatio: number;
    maxUsers: number;
    phases: PhaseWindow[];
    slo: { p95LatencySeconds: number; successRate: number };
  };
  config: {
    target: string;
    prometheus: string;
    selectors: { matcher: string; operator: string };
    providers: Record<string, string>;
    timeoutSeconds: number;
    seed: number;
    stepSeconds: number;
    resultReadShare: number;
    deadlineSeconds: number;
    keysFile: string;
    /** PgBouncer's admin console (password removed) and the database sampled; absent with --pgbouncer none. */
    pgbouncer?: { console: string; database: string; intervalSeconds: number };
  };
  run: { startedAt: string; endedAt: string; wallSeconds: number; machine?: { cpus: number; loadAverage1m: { start: number; end: number } }; interrupted?: string };
  catalog: {
    tenants: number;
    resumes: number;
    jobs: number;
    storedAnalysesAtStart: number;
    exhaustedPairs: number;
    /** The listings read before the load (not in the results; the matcher's counters include them). */
    discoveryRequests: Record<string, number>;
  };
  summary: MeasuredSummary;
  kinds: Record<RequestKind, KindStats>;
  faults: FaultRecord[];
  /** Real connections sampled from PgBouncer against the connection budget; absent with --pgbouncer none. */
  connections?: ConnectionSummary;
  /** The fake AI providers' answers against their rate limits (utilisation.ts); absent without provider URLs. */
  providers?: ProviderUtilisation;
  /** The replicas' event-loop lag p99 through the run (event-loop.ts); absent when Prometheus has none. */
  eventLoop?: EventLoopLag;
  /** The event loop's delay over the whole run, from the matcher's histogram (event-loop.ts runDelay); absent from an older matcher. */
  eventLoopRun?: RunDelay;
  timeline: { stepSeconds: number; buckets: MeasuredBucket[]; series: Series[] };
  prediction: Omit<Prediction, 'series'> | { error: string };
  gap: GapRow[];
  autocannon?: { '2xx': number; non2xx: number; errors: number; timeouts: number };
  warnings: string[];
}

/** The measured buckets as chart series (users, outcomes per second, latency percentiles). */
export function measuredSeries(buckets: MeasuredBucket[]): Series[] {
  const s = (id: string, label: string, chart: ChartId, value: (b: MeasuredBucket) => number | null): Series => ({
    id, label, chart, source: 'measured',
    points: buckets.flatMap((b) => {
      const v = value(b);
      return v === null ? [] : [[b.t, v] as [number, number]];
    }),
  });
  return [
    s('users', 'users', 'users', (b) => b.users),
    s('success', 'successes/s', 'throughput', (b) => b.successPerSecond),
    s('shed', 'shed/s', 'throughput', (b) => b.shedPerSecond),
    s('errors', 'errors/s', 'throughput', (b) => b.errorPerSecond),
    s('p50', 'p50', 'latency', (b) => b.p50Ms),
    s('p95-measured', 'p95', 'latency', (b) => b.p95Ms),
    s('p99', 'p99', 'latency', (b) => b.p99Ms),
  ];
}
