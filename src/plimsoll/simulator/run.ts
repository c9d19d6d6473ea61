/**
 * Runs every controller against the same arrivals in virtual time and summarises each run.
 * Deterministic for a given scenario and seed: the arrivals are drawn once and shared.
 */
import type { ScalingPolicySpec } from '../api/scaling-policy.js';
import type { Controller } from './controllers/controller.js';
import { hpaController } from './controllers/hpa.js';
import { kedaController } from './controllers/keda.js';
import { plimsollController } from './controllers/plimsoll.js';
import { staticController } from './controllers/static.js';
import { MatcherModel, type Tick } from './model.js';
import { percentile } from './observed.js';
import { addOutcomes, aiAnswers, noOutcomes, sharesOf, totalOutcomes, type AnalysisOutcomes } from './outcomes.js';
import { gaussian, mulberry32 } from '../shared/random.js';
import { scenarioDuration, settingsAt, type Scenario } from './scenario.js';

export interface ControllerSummary {
  successRate: number;
  shedRate: number;
  p95LatencySeconds: number;
  analysisP95Seconds: number;
  sloViolationSeconds: number;
  replicaSeconds: number;
  peakReplicas: number;
  budgetViolations: number;
  /** Ready replicas' effective level changes, counted per replica by the model. */
  levelChanges: number;
  oomKills: number;
  /** Analysis requests with an outcome by the end (jobs still queued at the end are left out). */
  analyses: number;
  /** What became of them, as shares of `analyses` (they sum to 1). */
  analysisOutcomes: AnalysisOutcomes;
  /** Analyses answered by a provider, fresh or from the cache, ÷ analyses. */
  aiAnswerShare: number;
  /**
   * Provider answers ÷ what the healthy providers' rate limits allow, over the seconds when
   * demand for provider answers (jobs waiting + cache misses) exceeded those limits; null when
   * it never did. How much of the AI capacity a controller used when it mattered.
   */
  providerUtilisation: number | null;
  /** The seconds `providerUtilisation` counts. */
  overloadSeconds: number;
  /**
   * The AI-answer share had every analysis without one (local, cached local, late, shed,
   * failed) become a provider answer wherever the providers' rate limits had room that second:
   * about the most any controller could reach with this run's demand and rate limits. A
   * ceiling for ratios: a controller at 0.8 against a ceiling of 0.85 cannot gain 1.2 ×.
   */
  aiAnswerCeiling: number;
}

export interface SimulationResult {
  scenario: string;
  seed: number;
  durationSeconds: number;
  /** The connections the replicas' pools may hold together (budget − reserved), each second: a DBA may change it mid-run. */
  budgets: number[];
  arrivals: number[];
  controllers: Record<string, ControllerSummary>;
  timelines: Record<string, Tick[]>;
}

/** Requests per second for each second of the scenario: its load shape plus Poisson-like noise. */
export function arrivalsFor(scenario: Scenario, seed: number): number[] {
  const random = mulberry32(seed);
  const rates: number[] = [];
  for (const phase of scenario.load.phases) {
    const shape = phase.users ?? phase.arrivalRate!;
    const [from, to] = typeof shape === 'number' ? [shape, shape] : [shape.from, shape.to];
    for (let i = 0; i < phase.durationSeconds; i++) {
      const level = from + ((to - from) * i) / Math.max(1, phase.durationSeconds - 1);
      // Users each send one request per think time (open loop: demand does not bend to latency).
      const mean = phase.users !== undefined ? level / scenario.load.thinkTimeSeconds : level;
      rates.push(Math.max(0, mean + Math.sqrt(mean) * gaussian(random)));
    }
  }
  return rates;
}

export function summarise(ticks: Tick[], budgets: number[], slo: Scenario['slo']): ControllerSummary {
  // Sums over the run, and the seconds that broke the SLO or the budget.
  const t = { succeeded: 0, failed: 0, shed: 0, sloViolationSeconds: 0, budgetViolations: 0, levelChanges: 0, oomKills: 0, replicaSeconds: 0, peakReplicas: 0 };
  const latencies: Array<[number, number]> = [];
  const analysis: Array<[number, number]> = [];
  const settled = noOutcomes();
  const overload = { seconds: 0, answers: 0, limit: 0 };
  let attainable = 0;
  for (const tick of ticks) {
    addOutcomes(settled, tick.outcomes);
    const o = tick.outcomes;
    attainable += aiAnswers(o) + Math.min(o.cacheLocal + o.local + o.late + o.shed + o.failed, Math.max(0, tick.providerLimit - o.provider));
    if (tick.providerDemand > tick.providerLimit) {
      overload.seconds++;
      overload.answers += tick.outcomes.provider;
      overload.limit += tick.providerLimit;
    }
    t.succeeded += tick.succeeded;
    t.failed += tick.failed;
    t.shed += tick.shed;
    latencies.push(...tick.latencies);
    analysis.push(...tick.analysisLatencies);
    const requests = tick.succeeded + tick.failed + tick.shed;
    const p95 = percentile(tick.latencies, 0.95) ?? 0;
    if (p95 > slo.p95LatencySeconds || (requests > 0 && tick.succeeded / requests < slo.successRate)) t.sloViolationSeconds++;
    if (tick.poolTotal > budgets[tick.t]!) t.budgetViolations++;
    t.levelChanges += tick.levelChanges;
    t.oomKills += tick.oomKills;
    t.replicaSeconds += tick.replicas;
    t.peakReplicas = Math.max(t.peakReplicas, tick.replicas);
  }
  const requests = t.succeeded + t.failed + t.shed;
  const { sloViolationSeconds, peakReplicas, budgetViolations, levelChanges, oomKills } = t;
  const analyses = totalOutcomes(settled);
  return {
    successRate: requests === 0 ? 1 : t.succeeded / requests,
    shedRate: requests === 0 ? 0 : t.shed / requests,
    p95LatencySeconds: percentile(latencies, 0.95) ?? 0,
    analysisP95Seconds: percentile(analysis, 0.95) ?? 0,
    sloViolationSeconds,
    replicaSeconds: Math.round(t.replicaSeconds),
    peakReplicas,
    budgetViolations,
    levelChanges,
    oomKills,
    analyses: Math.round(analyses),
    analysisOutcomes: sharesOf(settled),
    aiAnswerShare: analyses === 0 ? 0 : aiAnswers(settled) / analyses,
    providerUtilisation: overload.limit > 0 ? overload.answers / overload.limit : null,
    overloadSeconds: overload.seconds,
    aiAnswerCeiling: analyses === 0 ? 0 : Math.min(1, attainable / analyses),
  };
}

export function runController(controller: Controller, scenario: Scenario, arrivals: number[], onProgress?: (fraction: number) => void): Tick[] {
  const model = new MatcherModel(scenario.model, scenario.events, scenario.load, controller.initialReplicas);
  const history: Tick[] = [];
  const every = Math.max(1, Math.floor(arrivals.length / 10));
  for (let t = 0; t < arrivals.length; t++) {
    history.push(model.step(t, arrivals[t]!, controller.control(t, history, model)));
    if (onProgress && t % every === every - 1) onProgress((t + 1) / arrivals.length);
  }
  return history;
}

export function controllersFor(spec: ScalingPolicySpec, scenario: Scenario): Controller[] {
  const { hpa } = scenario.baselines;
  return [
    plimsollController(spec, scenario),
    kedaController(spec, scenario),
    hpaController(spec, hpa, scenario.model),
    staticController(spec, scenario.baselines.static.replicas, hpa.concurrency, hpa.degradationIntervalSeconds),
  ];
}

/**
 * The connections the replicas' pools may hold together, each second: the policy's budget less
 * its reserve. A budget read from PgBouncer's max_db_connections follows that setting; any other
 * read from a signal is, in the model, PgBouncer's max_client_conn as it stands.
 */
export function budgetsFor(spec: ScalingPolicySpec, scenario: Scenario): number[] {
  const budget = spec.connectionBudget;
  const source = spec.signals.find((s) => s.name === budget?.fromSignal)?.pgbouncer?.metric;
  return Array.from({ length: scenarioDuration(scenario) }, (_, t) => {
    const settings = settingsAt(scenario, t);
    const total = budget?.maxConnections ?? (source === 'MaxDatabaseConnections' ? settings.maxDbConnections : settings.maxClientConnections);
    return total - (budget?.reserved ?? 0);
  });
}

export function simulate(
  spec: ScalingPolicySpec,
  scenario: Scenario,
  options: { seed?: number; onProgress?: (controller: string, fraction: number) => void } = {},
): SimulationResult {
  const seed = options.seed ?? scenario.seed;
  const arrivals = arrivalsFor(scenario, seed);
  const budgets = budgetsFor(spec, scenario);
  const result: SimulationResult = { scenario: scenario.name, seed, durationSeconds: scenarioDuration(scenario), budgets, arrivals, controllers: {}, timelines: {} };
  for (const controller of controllersFor(spec, scenario)) {
    const ticks = runController(controller, scenario, arrivals, options.onProgress && ((f) => options.onProgress!(controller.name, f)));
    result.timelines[controller.name] = ticks;
    result.controllers[controller.name] = summarise(ticks, budgets, scenario.slo);
  }
  return result;
}
