/**
 * The seed plans' degradation: every replica checks its own view every 30 s and sets its own
 * level, with no hysteresis and no coordination. Used by both baselines.
 */
import type { ServiceLevel } from '../../contract/service-levels.js';
import type { MatcherModel, Tick } from '../model.js';

export function seedLevel(queueWaiting: number, healthyProviders: number, heapMb: number, databaseHealthy: boolean): ServiceLevel {
  if (!databaseHealthy || heapMb > 450) return 'Maintenance';
  if (queueWaiting > 300 || healthyProviders === 0) return 'Basic';
  if (queueWaiting > 100 || healthyProviders < 2 || heapMb > 350) return 'Reduced';
  return 'Full';
}

/** Each replica re-evaluates at its own phase of the interval; returns how many levels changed. */
export function degradePerReplica(model: MatcherModel, history: Tick[], t: number, intervalSeconds: number): number {
  const last = history[history.length - 1];
  if (!last) return 0;
  return model.setReplicaLevels((index, replica) => {
    if ((t + index * 7) % intervalSeconds !== 0) return undefined;
    return seedLevel(last.metrics.queueWaiting, last.metrics.healthyProviders, replica.heapMb, last.metrics.databaseHealthy >= 1);
  });
}
