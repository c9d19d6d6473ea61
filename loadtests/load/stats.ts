/**
 * Percentiles, summaries and the measured timeline. Pure functions over the records, so the
 * numbers in a report can be recomputed (and are unit-tested) without running load.
 */
import { answerSummary, type AnswerSummary } from './answers.js';
import { SERVICE_LEVELS, type LevelName } from './outcome.js';
import { REQUEST_KINDS, ROUTE_OF, type AnalysisRecord, type RequestKind, type RequestRecord } from './records.js';

/** Nearest-rank percentile of values already sorted ascending; undefined for no values. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  if (q <= 0) return sorted[0];
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
  max: number | null;
}

export function latencySummary(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: null, p95: null, p99: null, mean: null, max: null };
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  return {
    count: sorted.length,
    p50: percentileSorted(sorted, 0.5)!,
    p95: percentileSorted(sorted, 0.95)!,
    p99: percentileSorted(sorted, 0.99)!,
    mean: total / sorted.length,
    max: sorted[sorted.length - 1]!,
  };
}

export interface OutcomeCounts {
  total: number;
  success: number;
  shed: number;
  errors: number;
  successRate: number | null;
  shedRate: number | null;
  errorRate: number | null;
}

export function outcomeCounts(records: RequestRecord[]): OutcomeCounts {
  let success = 0;
  let shed = 0;
  let errors = 0;
  for (const r of records) {
    if (r.outcome === 'success') success++;
    else if (r.outcome === 'shed') shed++;
    else errors++;
  }
  const total = records.length;
  const rate = (n: number) => (total === 0 ? null : n / total);
  return { total, success, shed, errors, successRate: rate(success), shedRate: rate(shed), errorRate: rate(errors) };
}

export interface KindStats extends OutcomeCounts {
  /** Milliseconds, over every HTTP answer of this kind (transport failures have no latency). */
  latencyMs: LatencySummary;
}

export interface MeasuredSummary extends OutcomeCounts {
  durationSeconds: number;
  throughputPerSecond: number;
  /** The HTTP success rate with each queued analysis (202) replaced by its fate: the definition
   *  the simulator uses (an enqueued analysis succeeds only when its result arrives in time). */
  successRateSimulatorDefinition: number | null;
  latencyMs: LatencySummary;
  successLatencyMs: LatencySummary;
  byLevel: Record<LevelName, number>;
  byStatus: Record<string, number>;
  /** "METHOD route status" → answers, as the matcher labels matcher_http_requests_total. */
  byRouteStatus: Record<string, number>;
  shedReasons: Record<string, number>;
  errorReasons: Record<string, number>;
  /** Every POST /v1/analyses the users sent; the AnswerSummary says who answered each. */
  analyses: AnswerSummary & {
    requested: number;
    /** Answered with the result in the POST's own answer (200/201). */
    immediate: number;
    queued: number;
    completed: number;
    gaveUp: number;
    failed: number;
    /** Of the queued analyses (202): the run ended before their deadline. */
    unresolved: number;
    /** Seconds from POST to result, completed analyses only. */
    timeToResultSeconds: LatencySummary;
  };
  sloViolationSeconds: number;
}

const increment = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

export function summarise(
  records: RequestRecord[],
  analyses: AnalysisRecord[],
  durationSeconds: number,
  slo: { p95LatencySeconds: number; successRate: number },
): MeasuredSummary {
  const counts = outcomeCounts(records);
  const byLevel = Object.fromEntries([...SERVICE_LEVELS, 'unknown'].map((l) => [l, 0])) as Record<LevelName, number>;
  const byStatus: Record<string, number> = {};
  const byRouteStatus: Record<string, number> = {};
  const shedReasons: Record<string, number> = {};
  const errorReasons: Record<string, number> = {};
  const answered: number[] = [];
  const succeeded: number[] = [];
  for (const r of records) {
    increment(byStatus, r.status === 0 ? (r.errorKind ?? 'failed') : String(r.status));
    if (r.status !== 0) increment(byRouteStatus, `${ROUTE_OF[r.kind].method} ${ROUTE_OF[r.kind].route} ${r.status}`);
    if (r.outcome === 'success') byLevel[r.level]++;
    if (r.outcome === 'shed') increment(shedReasons, r.reason ?? `HTTP ${r.status}`);
    if (r.outcome === 'error') increment(errorReasons, r.reason ?? r.errorKind ?? `HTTP ${r.status}`);
    if (r.status !== 0) answered.push(r.latencyMs);
    if (r.outcome === 'success') succeeded.push(r.latencyMs);
  }
  // The fates of the queued analyses (a refused POST is settled at once: immediate).
  const fate = new Map<AnalysisRecord['state'], number>([['completed', 0], ['gaveUp', 0], ['failed', 0], ['unresolved', 0]]);
  for (const a of analyses) if (!a.immediate) fate.set(a.state, fate.get(a.state)! + 1);
  // Simulator definition: a 202 is not yet a success; its analysis's fate decides.
  const queuedSuccess = records.filter((r) => r.queued && r.outcome === 'success').length;
  const simDenominator = counts.total - fate.get('unresolved')!;
  const simSuccess = counts.success - queuedSuccess + fate.get('completed')!;
  return {
    ...counts,
    durationSeconds,
    throughputPerSecond: durationSeconds > 0 ? counts.total / durationSeconds : 0,
    successRateSimulatorDefinition: simDenominator > 0 ? simSuccess / simDenominator : null,
    latencyMs: latencySummary(answered),
    successLatencyMs: latencySummary(succeeded),
    byLevel,
    byStatus,
    byRouteStatus,
    shedReasons,
    errorReasons,
    analyses: {
      requested: analyses.length,
      immediate: analyses.filter((a) => a.immediate && a.state === 'completed').length,
      queued: analyses.filter((a) => !a.immediate).length,
      completed: fate.get('completed')!,
      gaveUp: fate.get('gaveUp')!,
      failed: fate.get('failed')!,
      unresolved: fate.get('unresolved')!,
      timeToResultSeconds: latencySummary(analyses.filter((a) => a.state === 'completed').map((a) => a.timeToResultSeconds!)),
      ...answerSummary(analyses),
    },
    sloViolationSeconds: sloViolationSeconds(records, durationSeconds, slo),
  };
}

/** Seconds whose p95 or success ratio missed the SLO (the simulator's definition, per second). */
export function sloViolationSeconds(records: RequestRecord[], durationSeconds: number, slo: { p95LatencySeconds: number; successRate: number }): number {
  const seconds = Math.max(0, Math.ceil(durationSeconds));
  const latencies: number[][] = Array.from({ length: seconds }, () => []);
  const ok = new Array<number>(seconds).fill(0);
  const all = new Array<number>(seconds).fill(0);
  for (const r of records) {
    const s = Math.floor(r.doneAt);
    if (s < 0 || s >= seconds) continue;
    all[s]!++;
    if (r.outcome === 'success') ok[s]!++;
    if (r.status !== 0) latencies[s]!.push(r.latencyMs / 1000);
  }
  let violations = 0;
  for (let s = 0; s < seconds; s++) {
    const p95 = percentileSorted(latencies[s]!.sort((a, b) => a - b), 0.95) ?? 0;
    if (p95 > slo.p95LatencySeconds || (all[s]! > 0 && ok[s]! / all[s]! < slo.successRate)) violations++;
  }
  return violations;
}

export function kindStats(records: RequestRecord[]): Record<RequestKind, KindStats> {
  const out = {} as Record<RequestKind, KindStats>;
  for (const kind of REQUEST_KINDS) {
    const mine = records.filter((r) => r.kind === kind);
    out[kind] = { ...outcomeCounts(mine), latencyMs: latencySummary(mine.filter((r) => r.status !== 0).map((r) => r.latencyMs)) };
  }
  return out;
}

export interface MeasuredBucket {
  /** Bucket start, seconds since the run started. */
  t: number;
  users: number;
  /** Answers per second in the bucket, by outcome. */
  successPerSecond: number;
  shedPerSecond: number;
  errorPerSecond: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Share of successful answers per service level named by the response. */
  levels: Record<LevelName, number>;
}

/** The run cut into buckets of `bucketSeconds`, by the time each answer arrived. */
export function measuredTimeline(records: RequestRecord[], usersPerSecond: number[], durationSeconds: number, bucketSeconds: number): MeasuredBucket[] {
  const count = Math.max(1, Math.ceil(durationSeconds / bucketSeconds));
  const groups: RequestRecord[][] = Array.from({ length: count }, () => []);
  for (const r of records) {
    const i = Math.floor(r.doneAt / bucketSeconds);
    if (i >= 0 && i < count) groups[i]!.push(r);
  }
  return groups.map((group, i) => {
    const t = i * bucketSeconds;
    const width = Math.min(bucketSeconds, Math.max(1e-9, durationSeconds - t));
    const lat = latencySummary(group.filter((r) => r.status !== 0).map((r) => r.latencyMs));
    const levels = Object.fromEntries([...SERVICE_LEVELS, 'unknown'].map((l) => [l, 0])) as Record<LevelName, number>;
    const successes = group.filter((r) => r.outcome === 'success');
    for (const r of successes) levels[r.level]++;
    if (successes.length > 0) for (const l of Object.keys(levels) as LevelName[]) levels[l] /= successes.length;
    const userSlice = usersPerSecond.slice(t, t + bucketSeconds);
    return {
      t,
      users: userSlice.length > 0 ? userSlice.reduce((a, b) => a + b, 0) / userSlice.length : 0,
      successPerSecond: successes.length / width,
      shedPerSecond: group.filter((r) => r.outcome === 'shed').length / width,
      errorPerSecond: group.filter((r) => r.outcome === 'error').length / width,
      p50Ms: lat.p50,
      p95Ms: lat.p95,
      p99Ms: lat.p99,
      levels,
    };
  });
}
