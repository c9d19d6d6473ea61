/**
 * One run's score as a flat object, for putting runs side by side (`make compare` imports it).
 * Pure: LoadReport → Scorecard. Keep it stable: fields are added, never renamed or given another
 * meaning; each name carries its unit (Ratio: 0..1, Ms, Seconds, Count, replicaSeconds:
 * replica·s). A figure the report cannot give (not measured, an older report) is null, never 0.
 */
import { integral, levelSeconds, peak } from './gap.js';
import type { LoadReport } from './report.js';

export interface Scorecard {
  scenario: string;
  timeScale: number;
  startedAt: string;
  /** Seconds of load (the schedule, or until interrupted). */
  loadSeconds: number;
  requestsCount: number;
  /** Success by the simulator's definition: a queued analysis counts only when its result came in time. */
  successRatio: number | null;
  /** Every 2xx a success, a 202 at once. */
  successHttpRatio: number | null;
  shedCount: number;
  shedRatio: number | null;
  analysesCount: number | null;
  /** (fresh + cached/stored provider answers) ÷ analyses requested. */
  aiAnswerRatio: number | null;
  /** (local matcher inline or fallback + its cached/stored answers) ÷ analyses requested. */
  localAnswerRatio: number | null;
  /** Late, failed, shed or unresolved ÷ analyses requested. */
  unansweredRatio: number | null;
  /** Provider ok answers ÷ what the rate limits allow, while demand exceeded them (utilisation.ts). */
  providerUtilisationRatio: number | null;
  overloadSeconds: number | null;
  provider429Count: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  /** POST to result, completed analyses. */
  timeToResultP95Seconds: number | null;
  /** Σ replicas up × step (Prometheus). */
  replicaSeconds: number | null;
  peakReplicasCount: number | null;
  /** PgBouncer's clients of the database, peak, and what the pools together may hold. */
  peakDbClientConnectionsCount: number | null;
  dbClientConnectionBudgetCount: number | null;
  secondsOverDbBudget: number | null;
  dbConnectionErrorsCount: number | null;
  /** matcher_service_level, max over replicas. */
  fullSeconds: number | null;
  reducedSeconds: number | null;
  basicSeconds: number | null;
  maintenanceSeconds: number | null;
}

export function scorecard(report: LoadReport): Scorecard {
  const s = report.summary;
  const a = s.analyses;
  const duration = s.durationSeconds;
  const step = report.timeline.stepSeconds;
  const series = (id: string) => report.timeline.series.find((x) => x.id === id && x.points.length > 0);
  const levels = levelSeconds(series('level'), duration, step);
  // Reports written before the outcomes existed have no shares: null, not a made-up 0.
  const shares = a.shares as typeof a.shares | undefined;
  const sum = (...v: Array<number | null | undefined>) => (v.some((x) => x === null || x === undefined) ? null : v.reduce<number>((t, x) => t + x!, 0));
  const c = report.connections;
  const p = report.providers;
  return {
    scenario: report.scenario.name,
    timeScale: report.scenario.timeScale,
    startedAt: report.run.startedAt,
    loadSeconds: duration,
    requestsCount: s.total,
    successRatio: s.successRateSimulatorDefinition,
    successHttpRatio: s.successRate,
    shedCount: s.shed,
    shedRatio: s.shedRate,
    analysesCount: a.requested,
    aiAnswerRatio: a.aiAnswerShare ?? null,
    localAnswerRatio: shares ? sum(shares.local, shares.cacheLocal) : null,
    unansweredRatio: shares ? sum(shares.late, shares.failed, shares.shed, shares.unresolved) : null,
    providerUtilisationRatio: p?.providerUtilisation ?? null,
    overloadSeconds: p?.overloadSeconds ?? null,
    provider429Count: p?.rateLimited ?? null,
    latencyP95Ms: s.latencyMs.p95,
    latencyP99Ms: s.latencyMs.p99,
    timeToResultP95Seconds: a.timeToResultSeconds.p95,
    replicaSeconds: integral(series('replicas-up'), duration, step),
    peakReplicasCount: peak(series('replicas-up'), duration),
    peakDbClientConnectionsCount: c?.peak?.clients ?? null,
    dbClientConnectionBudgetCount: c?.budget.pools ?? null,
    secondsOverDbBudget: c?.secondsOverBudget ?? null,
    dbConnectionErrorsCount: c?.matcherErrors?.total ?? null,
    fullSeconds: levels?.Full ?? null,
    reducedSeconds: levels?.Reduced ?? null,
    basicSeconds: levels?.Basic ?? null,
    maintenanceSeconds: levels?.Maintenance ?? null,
  };
}
