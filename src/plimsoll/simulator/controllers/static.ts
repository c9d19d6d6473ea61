import type { ScalingPolicySpec } from '../../api/scaling-policy.js';
import type { Knobs, MatcherModel, Tick } from '../model.js';
import type { Controller } from './controller.js';
import { degradePerReplica, SEED_DEGRADATION } from './per-replica-degradation.js';

/**
 * Fixed replicas with the seed formula's pool for that count, the seeds' fixed concurrency,
 * and per-replica degradation on the seeds' thresholds: how the matcher ran before any autoscaling.
 */
export function staticController(spec: ScalingPolicySpec, replicas: number, concurrency: Record<string, number>, degradationIntervalSeconds: number): Controller {
  const budget = spec.connectionBudget;
  const available = budget?.maxConnections !== undefined ? budget.maxConnections - budget.reserved : 85;
  const poolMax = Math.max(1, Math.floor((available / replicas) * (budget?.safetyFactor ?? 0.75)));
  return {
    name: 'static',
    initialReplicas: replicas,
    control(t: number, history: Tick[], model: MatcherModel): Knobs {
      degradePerReplica(model, history, t, degradationIntervalSeconds, SEED_DEGRADATION);
      return { replicas, poolMax, concurrency, clusterLevel: 'Full', globalRateLimit: false };
    },
  };
}
