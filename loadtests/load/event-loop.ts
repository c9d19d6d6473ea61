/**
 * The matcher's event-loop lag through a run, from the timeline: prom-client's
 * nodejs_eventloop_lag_p99_seconds is the p99 of the loop's delay since the previous scrape (the
 * histogram restarts at each one), so the worst of those windows is the number to hold under a
 * target ("p99 under 100 ms through the run"): overall, per replica, and per service level.
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
