/**
 * The Kubernetes HPA's control loop as the baselines run it: every sync period (15 s) the
 * engine's own HPA arithmetic (`decideReplicas`: the max over objectives, tolerance,
 * stabilization, rate policies) turns metric values into replicas. Sharing the arithmetic with
 * Plimsoll makes a comparison isolate what Plimsoll adds, not differences in replica maths.
 */
import type { ScalingPolicySpec } from '../../api/scaling-policy.js';
import { recordScale } from '../../engine/decide.js';
import { decideReplicas } from '../../engine/replicas.js';
import { emptyMemory, type EngineMemory } from '../../engine/types.js';

/** The HPA controller's --horizontal-pod-autoscaler-sync-period default. */
export const HPA_SYNC_PERIOD_SECONDS = 15;

export interface HpaScaler {
  replicas: number;
  /** Evaluates at each sync period; `values` maps objective signals to what the metrics API serves. */
  step(t: number, values: () => Map<string, number>): number;
}

export function hpaScaler(spec: ScalingPolicySpec): HpaScaler {
  const { behavior } = spec.replicas;
  // Scale events older than the longest rate-policy period no longer limit anything.
  const longestPeriodMs = Math.max(...behavior.scaleUp.policies.map((p) => p.periodSeconds), ...behavior.scaleDown.policies.map((p) => p.periodSeconds)) * 1000;
  let memory: EngineMemory = emptyMemory(0);
  const scaler: HpaScaler = {
    replicas: spec.replicas.min,
    step(t, values) {
      if (t % HPA_SYNC_PERIOD_SECONDS !== 0) return scaler.replicas;
      const now = t * 1000;
      const decided = decideReplicas(spec, values(), scaler.replicas, memory, now);
      const recent = memory.scaleEvents.filter((e) => e.at > now - longestPeriodMs);
      memory = recordScale({ ...memory, recommendations: decided.recommendations, scaleEvents: recent }, decided.decided.value - scaler.replicas, now);
      scaler.replicas = decided.decided.value;
      return scaler.replicas;
    },
  };
  return scaler;
}
