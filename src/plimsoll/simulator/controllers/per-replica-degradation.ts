/**
 * Degradation as the seed plans run it: every replica checks its own view on an interval and
 * sets its own level, with no hysteresis and no coordination. The thresholds are a parameter:
 * the seeds' set is known to be bad (see docs/simulator.md), and the KEDA baseline runs the
 * best set the sweep in loadtests/bench-simulate.ts found.
 */
import type { ServiceLevel } from '../../contract/service-levels.js';
import type { MatcherModel, Tick } from '../model.js';

export interface DegradationThresholds {
  /** Jobs waiting (all providers) above which a replica goes to Reduced; Infinity: never on the queue. */
  queueReduced: number;
  /** Jobs waiting above which a replica goes to Basic; Infinity: never on the queue. */
  queueBasic: number;
  /** Reduced while fewer providers than this are healthy (Basic at none). */
  minHealthyProviders: number;
  heapReducedMb: number;
  heapMaintenanceMb: number;
}

/** The seeds' rules: queue > 100 Reduced, > 300 Basic, fewer than two healthy providers Reduced. */
export const SEED_DEGRADATION: DegradationThresholds = {
  queueReduced: 100,
  queueBasic: 300,
  minHealthyProviders: 2,
  heapReducedMb: 350,
  heapMaintenanceMb: 450,
};

export function replicaLevel(th: DegradationThresholds, queueWaiting: number, healthyProviders: number, heapMb: number, databaseHealthy: boolean): ServiceLevel {
  if (!databaseHealthy || heapMb > th.heapMaintenanceMb) return 'Maintenance';
  if (queueWaiting > th.queueBasic || healthyProviders === 0) return 'Basic';
  if (queueWaiting > th.queueReduced || healthyProviders < th.minHealthyProviders || heapMb > th.heapReducedMb) return 'Reduced';
  return 'Full';
}

/** Each replica re-evaluates at its own phase of the interval, from the last second's live values. */
export function degradePerReplica(model: MatcherModel, history: Tick[], t: number, intervalSeconds: number, thresholds: DegradationThresholds): void {
  const last = history[history.length - 1];
  if (!last) return;
  model.setReplicaLevels((index, replica) => {
    if ((t + index * 7) % intervalSeconds !== 0) return undefined;
    return replicaLevel(thresholds, last.metrics.queueWaiting, last.metrics.healthyProviders, replica.heapMb, last.metrics.databaseHealthy >= 1);
  });
}
