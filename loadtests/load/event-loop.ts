/**
 * The matcher's event-loop lag through a run, two ways. From the timeline: prom-client's
 * nodejs_eventloop_lag_p99_seconds is the p99 of the loop's delay since the previous scrape (the
 * histogram restarts at each one), and the worst of those windows is the strictest reading of a
 * target ("p99 under 100 ms through the run"): overall, per replica, and per service level. And
 * from the matcher's own histogram (matcher_event_loop_delay_seconds, runtime/event-loop-delay.ts),
 * summed over the run: the p99 of every firing of its timer, by level (runDelay).
 */
import { SERVICE_LEVELS, levelAtRank, type ServiceLevel } from '../../src/plimsoll/contract/service-levels.js';
import type { Series } from './prometheus.js';

export interface EventLoopLag {
  /** The worst scrape window's p99 over every replica, ms. */
  worstP99Ms: number;
  /** Each replica's (Prometheus instance) worst window, ms. */
  byReplica: Record<string, number>;
  /** The worst window while the replicas' level (the most degraded one) was each level, ms. */
  byLevel: Partial<Record<ServiceLevel, number>>;
  /** Replica windows read. */
  samples: number;
}

const PER_REPLICA = 'loop-lag-p99:';
const round = (v: number) => Math.round(v * 10) / 10;

/** From the timeline's `loop-lag-p99:<instance>` and `level` series; null when no replica reported lag. */
export function eventLoopLag(series: readonly Series[]): EventLoopLag | null {
  const replicas = series.filter((s) => s.id.startsWith(PER_REPLICA) && s.points.length > 0);
  if (replicas.length === 0) return null;
  const levelAt = new Map(series.find((s) => s.id === 'level')?.points ?? []);
  const byReplica: Record<string, number> = {};
  const byLevel: Partial<Record<ServiceLevel, number>> = {};
  let samples = 0;
  for (const s of replicas) {
    const instance = s.id.slice(PER_REPLICA.length);
    for (const [t, ms] of s.points) {
      samples++;
      byReplica[instance] = Math.max(byReplica[instance] ?? 0, round(ms));
      const rank = levelAt.get(t);
      if (rank === undefined) continue;
      const level = levelAtRank(rank);
      byLevel[level] = Math.max(byLevel[level] ?? 0, round(ms));
    }
  }
  return { worstP99Ms: Math.max(...Object.values(byReplica)), byReplica, byLevel, samples };
}

/** One line for the summary: "worst 12.3 ms over 40 replica windows; by replica …; by level …". */
export function eventLoopLagText(lag: EventLoopLag | undefined): string {
  if (!lag) return 'no nodejs_eventloop_lag_p99_seconds series over the run';
  const replicas = Object.entries(lag.byReplica).sort(([a], [b]) => a.localeCompare(b));
  const levels = SERVICE_LEVELS.flatMap((l) => (lag.byLevel[l] === undefined ? [] : [[l, lag.byLevel[l]] as const]));
  const list = (pairs: ReadonlyArray<readonly [string, number]>) => pairs.map(([k, v]) => `${k} ${v} ms`).join(', ') || '—';
  return `worst ${lag.worstP99Ms} ms over ${lag.samples} replica windows; by replica ${list(replicas)}; by level ${list(levels)}`;
}

/** One histogram's cumulative buckets: [upper bound in seconds (Infinity for +Inf), count ≤ it], ascending. */
export type Buckets = Array<[number, number]>;

/**
 * The q-quantile of cumulative buckets as Prometheus's histogram_quantile computes it: linear
 * within the bucket the rank falls in (from 0 in the first), and the highest finite bound when it
 * falls in +Inf. Undefined without observations.
 */
export function bucketQuantile(q: number, buckets: Buckets): number | undefined {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      return count === below ? le : lower + ((le - lower) * (rank - below)) / (count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** The share of observations above `seconds` (a bucket bound), or undefined without observations. */
function shareAbove(seconds: number, buckets: Buckets): number | undefined {
  const total = Math.max(0, ...buckets.map(([, c]) => c));
  const atOrBelow = buckets.find(([le]) => Math.abs(le - seconds) < 1e-9)?.[1];
  return total > 0 && atOrBelow !== undefined ? (total - atOrBelow) / total : undefined;
}

export interface RunDelay {
  /** p99 of every timer firing of every replica over the run, ms. */
  p99Ms: number;
  /** p99 of the firings while the replica was at each level, ms (levels a replica was at). */
  p99ByLevelMs: Partial<Record<ServiceLevel, number>>;
  /** The share of firings later than 100 ms. */
  over100msShare?: number;
  /** Timer firings observed. */
  samples: number;
}

/**
 * The run's event-loop delay from matcher_event_loop_delay_seconds' bucket increases by level
 * (the replicas summed): the p99 the target is about ("through the burst at every level"),
 * where the scrape windows' p99s give only the worst window.
 */
export function runDelay(byLevel: Partial<Record<ServiceLevel, Buckets>>): RunDelay | null {
  const all = new Map<number, number>();
  const p99ByLevelMs: Partial<Record<ServiceLevel, number>> = {};
  for (const level of SERVICE_LEVELS) {
    const buckets = byLevel[level];
    if (!buckets) continue;
    for (const [le, count] of buckets) all.set(le, (all.get(le) ?? 0) + count);
    const p99 = bucketQuantile(0.99, buckets);
    if (p99 !== undefined) p99ByLevelMs[level] = round(p99 * 1000);
  }
  const total: Buckets = [...all.entries()].sort((a, b) => a[0] - b[0]);
  const p99 = bucketQuantile(0.99, total);
  if (p99 === undefined) return null;
  const over = shareAbove(0.1, total);
  return { p99Ms: round(p99 * 1000), p99ByLevelMs, ...(over === undefined ? {} : { over100msShare: over }), samples: Math.round(total.at(-1)![1]) };
}

/** One line: "p99 42 ms over 28 000 timer firings (Full 40 ms, Reduced 61 ms); 0.4 % later than 100 ms". */
export function runDelayText(d: RunDelay | undefined): string {
  if (!d) return 'no matcher_event_loop_delay_seconds series over the run';
  const levels = SERVICE_LEVELS.flatMap((l) => (d.p99ByLevelMs[l] === undefined ? [] : [`${l} ${d.p99ByLevelMs[l]} ms`]));
  const over = d.over100msShare === undefined ? '' : `; ${(d.over100msShare * 100).toFixed(2)} % later than 100 ms`;
  return `p99 ${d.p99Ms} ms over ${d.samples} timer firings (${levels.join(', ') || '—'})${over}`;
}
