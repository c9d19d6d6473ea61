/**
 * The simulator's prediction for the scenario actually run: the scaled scenario file written next
 * to the report is loaded back through the simulator's own loader (the same validation as
 * `plimsoll simulate`), and the Plimsoll controller's run (src/plimsoll/simulator/run.ts) gives the summary
 * and the timeline that the measured run is compared against. The HPA and static baselines ride
 * along for context.
 */
import { parseScalingPolicy } from '../../src/plimsoll/api/validate.js';
import { SERVICE_LEVELS } from '../../src/plimsoll/contract/service-levels.js';
import { readSingleDocument } from '../../src/plimsoll/shared/files.js';
import { unmappedSignals } from '../../src/plimsoll/simulator/controllers/plimsoll.js';
import { suspectQueries } from '../../src/plimsoll/simulator/query-check.js';
import type { Tick } from '../../src/plimsoll/simulator/model.js';
import { percentile } from '../../src/plimsoll/simulator/observed.js';
import { simulate, type ControllerSummary } from '../../src/plimsoll/simulator/run.js';
import { loadScenario } from '../../src/plimsoll/simulator/scenario.js';
import type { Series } from './prometheus.js';

export interface Prediction {
  scenarioFile: string;
  policyFile: string;
  seed: number;
  controller: 'plimsoll';
  summary: ControllerSummary;
  baselines: Record<string, ControllerSummary>;
  /** Mean of the simulator's open-loop request rate (users / think time, with noise). */
  meanOfferedRate: number;
  /** The simulated seconds spent at each level (averaged over replicas, rounded to a level). */
  levelSeconds: Record<string, number>;
  readyReplicaSeconds: number;
  peakReadyReplicas: number;
  peakPoolMax: number;
  /** Mean over the run of the replicas' mean CPU utilisation (cores). */
  meanCpuPerReplica: number;
  /** Mean over the run of the ready replicas' CPU together (cores). */
  meanCpuFleet: number;
  unmappedSignals: string[];
  /** Prometheus signals whose query does not read what the model assumes (query-check.ts). */
  suspectQueries: string[];
  series: Series[];
}

/** Averages of `value` over consecutive buckets of `bucketSeconds` ticks, at each bucket's start. */
export function bucketed(ticks: Tick[], bucketSeconds: number, value: (t: Tick) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < ticks.length; i += bucketSeconds) {
    const slice = ticks.slice(i, i + bucketSeconds);
    out.push([ticks[i]!.t, slice.reduce((s, t) => s + value(t), 0) / slice.length]);
  }
  return out;
}

const LEVELS = SERVICE_LEVELS;

export async function predict(scaledScenarioFile: string, policyOverride: string | undefined, bucketSeconds: number): Promise<Prediction> {
  const { scenario, policyPath } = await loadScenario(scaledScenarioFile);
  const policyFile = policyOverride ?? policyPath;
  const policy = parseScalingPolicy(await readSingleDocument(policyFile, 'ScalingPolicy'), policyFile);
  const result = simulate(policy.spec, scenario);
  const ticks = result.timelines.plimsoll!;
  const sim = (id: string, label: string, chart: Series['chart'], value: (t: Tick) => number): Series => ({
    id: `sim-${id}`, label: `${label} (simulated)`, chart, source: 'simulator', dashed: true, points: bucketed(ticks, bucketSeconds, value),
  });
  const providers = Object.keys(ticks[0]?.concurrency ?? {});
  const levelSeconds = Object.fromEntries(LEVELS.map((l) => [l, 0]));
  for (const t of ticks) levelSeconds[LEVELS[Math.min(3, Math.round(t.levelRank))]!]! += 1;
  const { plimsoll, ...baselines } = result.controllers;
  return {
    scenarioFile: scaledScenarioFile,
    policyFile,
    seed: result.seed,
    controller: 'plimsoll',
    summary: plimsoll!,
    baselines,
    meanOfferedRate: result.arrivals.reduce((a, b) => a + b, 0) / Math.max(1, result.arrivals.length),
    levelSeconds,
    readyReplicaSeconds: ticks.reduce((s, t) => s + t.readyReplicas, 0),
    peakReadyReplicas: ticks.reduce((m, t) => Math.max(m, t.readyReplicas), 0),
    peakPoolMax: ticks.reduce((m, t) => Math.max(m, t.poolMax), 0),
    meanCpuPerReplica: ticks.reduce((m, t) => m + t.metrics.cpuUtilization, 0) / Math.max(1, ticks.length),
    meanCpuFleet: ticks.reduce((m, t) => m + t.metrics.cpuUtilization * t.readyReplicas, 0) / Math.max(1, ticks.length),
    unmappedSignals: unmappedSignals(policy.spec, scenario),
    suspectQueries: suspectQueries(policy.spec, scenario),
    series: [
      sim('offered', 'offered requests/s', 'throughput', (t) => t.arrivals),
      sim('success', 'successes/s', 'throughput', (t) => t.succeeded),
      sim('replicas', 'replicas decided', 'replicas', (t) => t.replicas),
      sim('ready', 'replicas ready', 'replicas', (t) => t.readyReplicas),
      sim('pool', 'pool max per replica', 'pool', (t) => t.poolMax),
      sim('pools-together', 'pools together', 'connections', (t) => t.poolTotal),
      ...providers.map((p) => sim(`concurrency-${p}`, `${p} concurrency`, 'concurrency', (t) => t.concurrency[p] ?? 0)),
      sim('level', 'level', 'level', (t) => t.levelRank),
      sim('p95', 'p95', 'latency', (t) => (percentile(t.latencies, 0.95) ?? 0) * 1000),
      sim('queue', 'analyses waiting', 'queue', (t) => t.metrics.queueWaiting),
      sim('cpu', 'CPU per replica (mean)', 'cpu', (t) => t.metrics.cpuUtilization),
      sim('heap', 'heap MB (max replica)', 'memory', (t) => t.metrics.heapUsedBytes / 1048576),
    ],
  };
}
