/**
 * The sweep that picks the KEDA baseline's per-replica degradation thresholds: every candidate
 * set runs the KEDA baseline on every scenario, and the winner is the set with the best mean
 * AI-answer share among those keeping success ≥ the floor on every scenario. A baseline tuned
 * this way is the strongest honest opponent, not a straw man with the seeds' known-bad rules.
 */
import type { ScalingPolicySpec } from '../api/scaling-policy.js';
import { kedaController } from './controllers/keda.js';
import { SEED_DEGRADATION, type DegradationThresholds } from './controllers/per-replica-degradation.js';
import { arrivalsFor, budgetsFor, runController, summarise } from './run.js';
import type { Scenario } from './scenario.js';

export interface Candidate {
  name: string;
  thresholds: DegradationThresholds;
}

const queueRule = (queueReduced: number, queueBasic: number): DegradationThresholds => ({ ...SEED_DEGRADATION, queueReduced, queueBasic });

/**
 * The seeds' set, never degrading on the queue, Reduced-only rules, mixed rules, and a Basic-only
 * grid. Provider-health and heap rules stay the seeds': no shipped scenario reaches them
 * differently (fewer than two healthy providers, or a heap near the limit, never happens).
 */
export const CANDIDATES: Candidate[] = [
  { name: 'seeds (R>100, B>300)', thresholds: SEED_DEGRADATION },
  { name: 'never on queue', thresholds: queueRule(Infinity, Infinity) },
  { name: 'R>100, B never', thresholds: queueRule(100, Infinity) },
  { name: 'R>300, B never', thresholds: queueRule(300, Infinity) },
  { name: 'R>200, B>400', thresholds: queueRule(200, 400) },
  { name: 'R>50, B>150', thresholds: queueRule(50, 150) },
  { name: 'R>50, B>100', thresholds: queueRule(50, 100) },
  ...[50, 75, 100, 125, 150, 200, 300].map((basic) => ({ name: `R never, B>${basic}`, thresholds: queueRule(Infinity, basic) })),
];

export interface CandidateResult {
  candidate: Candidate;
  perScenario: Record<string, { successRate: number; aiAnswerShare: number; providerUtilisation: number | null }>;
  meanAiAnswerShare: number;
  /** Scenarios where its success fell below the floor. */
  belowFloor: string[];
}

/**
 * Runs every candidate on every scenario. The floor is `successFloor` per scenario, except where
 * no candidate reaches it (a herd outruns any replica start-up): there it is the best success
 * any candidate reaches, less `tolerance`, so a set may not lose what others keep.
 */
export function sweep(
  inputs: Array<{ spec: ScalingPolicySpec; scenario: Scenario }>,
  candidates: Candidate[],
  options: { successFloor: number; tolerance: number; onCandidate?: (name: string) => void },
): { results: CandidateResult[]; floors: Record<string, number>; chosen: CandidateResult } {
  const results = candidates.map((candidate) => {
    options.onCandidate?.(candidate.name);
    const perScenario: CandidateResult['perScenario'] = {};
    for (const { spec, scenario } of inputs) {
      const ticks = runController(kedaController(spec, scenario, candidate.thresholds), scenario, arrivalsFor(scenario, scenario.seed));
      const { successRate, aiAnswerShare, providerUtilisation } = summarise(ticks, budgetsFor(spec, scenario), scenario.slo);
      perScenario[scenario.name] = { successRate, aiAnswerShare, providerUtilisation };
    }
    const runs = Object.values(perScenario);
    return { candidate, perScenario, meanAiAnswerShare: runs.reduce((s, r) => s + r.aiAnswerShare, 0) / runs.length, belowFloor: [] as string[] };
  });
  const floors: Record<string, number> = {};
  for (const { scenario } of inputs) {
    const best = Math.max(...results.map((r) => r.perScenario[scenario.name]!.successRate));
    floors[scenario.name] = best >= options.successFloor ? options.successFloor : best - options.tolerance;
    for (const r of results) if (r.perScenario[scenario.name]!.successRate < floors[scenario.name]!) r.belowFloor.push(scenario.name);
  }
  return { results, floors, chosen: choose(results) };
}

/** Best mean AI share among the sets meeting every floor; if none does, the fewest misses, then the best AI share. */
export function choose(results: CandidateResult[]): CandidateResult {
  const fewestMisses = Math.min(...results.map((r) => r.belowFloor.length));
  return results.filter((r) => r.belowFloor.length === fewestMisses).reduce((a, b) => (b.meanAiAnswerShare > a.meanAiAnswerShare ? b : a));
}
