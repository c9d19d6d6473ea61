/**
 * Measured − predicted, metric by metric. Pure: the inputs are the measured summary, the
 * Prometheus series and the simulator's prediction; the output is the table both the JSON and
 * the HTML report show. A side that could not be measured (no series) gives a null gap, not 0.
 */
import type { Series } from './prometheus.js';
import type { MeasuredSummary } from './stats.js';
import { SERVICE_LEVELS } from '../../src/plimsoll/contract/service-levels.js';

export interface GapRow {
  metric: string;
  label: string;
  unit: string;
  measured: number | null;
  predicted: number | null;
  /** measured − predicted. */
  gap: number | null;
  /** gap / |predicted|, when predicted is not 0. */
  relative: number | null;
  note?: string;
}

export function row(metric: string, label: string, unit: string, measured: number | null | undefined, predicted: number | null | undefined, note?: string): GapRow {
  const m = measured ?? null;
  const p = predicted ?? null;
  const gap = m === null || p === null ? null : m - p;
  const relative = gap === null || p === null || p === 0 ? null : gap / Math.abs(p);
  return { metric, label, unit, measured: m, predicted: p, gap, relative, ...(note ? { note } : {}) };
}

/** Points inside the run [0, duration). */
const inRun = (s: Series | undefined, duration: number) => (s?.points ?? []).filter(([t]) => t >= 0 && t < duration);

export function peak(series: Series | undefined, duration: number): number | null {
  const points = inRun(series, duration);
  return points.length === 0 ? null : points.reduce((m, [, v]) => Math.max(m, v), -Infinity);
}

export function mean(series: Series | undefined, duration: number): number | null {
  const points = inRun(series, duration);
  return points.length === 0 ? null : points.reduce((s, [, v]) => s + v, 0) / points.length;
}

/** ∫ value dt over the run, each sample standing for one step. */
export function integral(series: Series | undefined, duration: number, stepSeconds: number): number | null {
  const points = inRun(series, duration);
  return points.length === 0 ? null : points.reduce((s, [, v]) => s + v * stepSeconds, 0);
}

export const LEVEL_NAMES = SERVICE_LEVELS;

/** Seconds at each level from a 0..3 level series (each sample standing for one step). */
export function levelSeconds(series: Series | undefined, duration: number, stepSeconds: number): Record<string, number> | null {
  const points = inRun(series, duration);
  if (points.length === 0) return null;
  const out: Record<string, number> = Object.fromEntries(LEVEL_NAMES.map((l) => [l, 0]));
  for (const [, v] of points) out[LEVEL_NAMES[Math.max(0, Math.min(3, Math.round(v)))]!]! += stepSeconds;
  return out;
}

export interface MeasuredForGap {
  durationSeconds: number;
  stepSeconds: number;
  successRateSimulatorDefinition: number | null;
  successRateHttp: number | null;
  shedRate: number | null;
  p95LatencySeconds: number | null;
  analysisP95Seconds: number | null;
  sloViolationSeconds: number;
  throughputPerSecond: number;
  /** Seconds PgBouncer held more clients of the database than the pools' budget; null when not sampled. */
  secondsOverBudget?: number | null;
  series: Series[];
}

/**
 * The measured side of the gap, from what a report keeps: the run's summary, PgBouncer's seconds
 * over the budget (null when not sampled) and the Prometheus series. The load runner builds it at
 * the end of a run, and `regap.ts` again from a report.json, so both compare the same figures.
 */
export function measuredForGap(
  summary: Pick<MeasuredSummary, 'durationSeconds' | 'successRateSimulatorDefinition' | 'successRate' | 'shedRate' | 'latencyMs' | 'analyses' | 'sloViolationSeconds' | 'throughputPerSecond'>,
  stepSeconds: number, secondsOverBudget: number | null, prometheusSeries: Series[],
): MeasuredForGap {
  return {
    durationSeconds: summary.durationSeconds,
    stepSeconds,
    successRateSimulatorDefinition: summary.successRateSimulatorDefinition,
    successRateHttp: summary.successRate,
    shedRate: summary.shedRate,
    p95LatencySeconds: summary.latencyMs.p95 === null ? null : summary.latencyMs.p95 / 1000,
    analysisP95Seconds: summary.analyses.timeToResultSeconds.p95,
    sloViolationSeconds: summary.sloViolationSeconds,
    throughputPerSecond: summary.throughputPerSecond,
    secondsOverBudget,
    series: prometheusSeries,
  };
}

export interface PredictedForGap {
  summary: {
    successRate: number; shedRate: number; p95LatencySeconds: number; analysisP95Seconds: number; sloViolationSeconds: number;
    peakReplicas: number; replicaSeconds: number; budgetViolations: number;
  };
  meanOfferedRate: number;
  peakPoolMax: number;
  meanCpuPerReplica: number;
  /** Mean over the run of the ready replicas' CPU together (cores); absent in reports written before it. */
  meanCpuFleet?: number;
  levelSeconds: Record<string, number>;
}

/**
 * The replicas' CPU together, mean over the run: the CPU per replica times the replicas up, step
 * by step (matched by time). Unlike the per-replica mean it does not move with the replica count,
 * so it checks the model's per-request costs even where the two sides scaled differently.
 */
export function meanFleetCpu(cpuPerReplica: Series | undefined, replicasUp: Series | undefined, duration: number): number | null {
  const up = new Map(inRun(replicasUp, duration));
  const products = inRun(cpuPerReplica, duration).flatMap(([t, v]) => (up.has(t) ? [v * up.get(t)!] : []));
  return products.length === 0 ? null : products.reduce((s, v) => s + v, 0) / products.length;
}

export function computeGap(m: MeasuredForGap, p: PredictedForGap): GapRow[] {
  const byId = (id: string) => m.series.find((s) => s.id === id && s.points.length > 0);
  const decided = byId('replicas-desired');
  const up = byId('replicas-up');
  // The operator's decision is what the simulator's replica count stands for; without the
  // operator (a single matcher), the replicas Prometheus scraped are the next best thing.
  const replicas = decided ?? up;
  const replicasNote = decided ? 'plimsoll_desired_replicas' : up ? 'no operator metrics: replicas scraped up' : 'no replica series in Prometheus';
  const poolSeries = byId('pool-max');
  const levels = levelSeconds(byId('level'), m.durationSeconds, m.stepSeconds);
  const rows: GapRow[] = [
    row('successRate', 'success rate (simulator definition)', 'ratio', m.successRateSimulatorDefinition, p.summary.successRate,
      'a queued analysis (202) counts when its result arrived within the deadline, as in the model'),
    row('successRateHttp', 'success rate (HTTP 2xx)', 'ratio', m.successRateHttp, p.summary.successRate, '202 counts as success at once'),
    row('shedRate', 'shed rate', 'ratio', m.shedRate, p.summary.shedRate),
    row('p95LatencySeconds', 'HTTP p95', 's', m.p95LatencySeconds, p.summary.p95LatencySeconds),
    row('analysisP95Seconds', 'analysis p95 (time to result)', 's', m.analysisP95Seconds, p.summary.analysisP95Seconds, 'measured by polling: resolution ≈ the think time'),
    row('sloViolationSeconds', 'SLO-violation seconds', 's', m.sloViolationSeconds, p.summary.sloViolationSeconds),
    row('requestRate', 'mean request rate', 'req/s', m.throughputPerSecond, p.meanOfferedRate, 'closed loop (real) vs open loop (model): the real users slow down when answers do'),
    row('peakReplicas', 'peak replicas', 'replicas', peak(replicas, m.durationSeconds), p.summary.peakReplicas, replicasNote),
    row('replicaSeconds', 'replica-seconds', 'replica·s', integral(replicas, m.durationSeconds, m.stepSeconds), p.summary.replicaSeconds, replicasNote),
    row('peakPoolMax', 'peak pool per replica', 'connections', peak(poolSeries, m.durationSeconds), p.peakPoolMax),
    row('secondsOverBudget', 'seconds over the connection budget', 's', m.secondsOverBudget, p.summary.budgetViolations,
      m.secondsOverBudget === undefined || m.secondsOverBudget === null
        ? 'PgBouncer not sampled (--pgbouncer none)'
        : 'measured: clients PgBouncer held for the database above maxConnections − reserved; simulated: pools together (replicas × pool) above it'),
    row('meanCpuPerReplica', 'mean CPU per replica', 'cores', mean(byId('cpu'), m.durationSeconds), p.meanCpuPerReplica, 'process_cpu_seconds_total: calibrates the model\'s per-request CPU costs'),
    row('meanCpuFleet', 'mean CPU of the replicas together', 'cores', meanFleetCpu(byId('cpu'), up, m.durationSeconds), p.meanCpuFleet,
      'CPU per replica × replicas up: the per-request costs, whatever the replica counts'),
  ];
  for (const level of LEVEL_NAMES) {
    rows.push(row(`seconds${level}`, `seconds at ${level}`, 's', levels ? levels[level]! : null, p.levelSeconds[level] ?? 0, levels ? 'matcher_service_level, max over replicas' : 'no matcher_service_level series'));
  }
  return rows;
}
