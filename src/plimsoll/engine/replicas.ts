/**
 * The replica count, with the HPA's (autoscaling/v2) formula and behavior: per-objective
 * recommendations with tolerance, the largest one winning; stabilization as the rolling
 * min/max of recommendations over each direction's window; rate policies with selectPolicy.
 * Mirrors pkg/controller/podautoscaler in Kubernetes so users' HPA intuition carries over.
 */
import type { Objective, ScalingPolicySpec, ScalingRules } from '../api/scaling-policy.js';
import { backlogRecommendation } from './backlog.js';
import type { Decided, EngineMemory } from './types.js';

export interface ObjectiveRecommendation {
  signal: string;
  replicas: number;
  usageRatio: number;
  /** What a Backlog objective asked for while replicas were starting (then `replicas` holds). */
  heldFrom?: number;
}

/**
 * HPA: ceil(ready × usageRatio), unless the ratio is within the direction's tolerance. A Value
 * signal (p95 latency, a queue per replica) describes the replicas that serve, so the ratio
 * scales the ready ones, as the HPA's replica calculator does: counting replicas still starting
 * would compound a recommendation (4 → 8 → 16) before the new ones could move the signal.
 * Without a ready count (or with none ready) it scales the replicas there are.
 */
export function recommendForObjective(
  objective: Objective,
  value: number,
  currentReplicas: number,
  tolerance: { up: number; down: number },
  readyReplicas?: number,
): ObjectiveRecommendation {
  const current = Math.max(1, currentReplicas);
  const ready = readyReplicas !== undefined && readyReplicas > 0 ? Math.min(readyReplicas, current) : current;
  const { target } = objective;
  let usageRatio: number;
  let proposed: number;
  if (target.type === 'AverageValue') {
    const perReplica = target.averageValue ?? 1;
    usageRatio = value / (perReplica * current);
    proposed = Math.ceil(value / perReplica);
  } else {
    usageRatio = value / (target.value ?? 1);
    proposed = Math.ceil(ready * usageRatio);
  }
  const withinTolerance = usageRatio >= 1 ? usageRatio - 1 <= tolerance.up : 1 - usageRatio <= tolerance.down;
  const wanted = withinTolerance ? currentReplicas : proposed;
  const replicas = backlogRecommendation(objective, wanted, currentReplicas, readyReplicas);
  return replicas === wanted ? { signal: objective.signal, replicas, usageRatio } : { signal: objective.signal, replicas, usageRatio, heldFrom: wanted };
}

export interface RawRecommendation {
  replicas: number;
  reason: string;
  message: string;
  /** Skip the stabilization windows (static fallback replicas are not a recommendation). */
  bypassStabilization: boolean;
  fallbackActive: boolean;
}

/** Several objectives → the largest; a missing objective signal → the fallback behaviour. */
export function rawRecommendation(spec: ScalingPolicySpec, values: Map<string, number>, currentReplicas: number, readyReplicas?: number): RawRecommendation {
  const { scaleUp, scaleDown } = spec.replicas.behavior;
  const tolerance = { up: scaleUp.tolerance, down: scaleDown.tolerance };
  if (spec.objectives.length === 0) {
    return { replicas: currentReplicas, reason: 'NoObjectives', message: 'no objectives: replicas stay as they are', bypassStabilization: false, fallbackActive: false };
  }
  const recommendations: ObjectiveRecommendation[] = [];
  const missing: string[] = [];
  for (const objective of spec.objectives) {
    const value = values.get(objective.signal);
    if (value === undefined) missing.push(objective.signal);
    else recommendations.push(recommendForObjective(objective, value, currentReplicas, tolerance, readyReplicas));
  }
  const best = recommendations.reduce<ObjectiveRecommendation | undefined>((a, b) => (a === undefined || b.replicas > a.replicas ? b : a), undefined);
  const explain = (r: ObjectiveRecommendation) =>
    `${r.signal} at ${(r.usageRatio * 100).toFixed(0)}% of target asks for ${r.heldFrom === undefined ? r.replicas : `${r.heldFrom}, held at ${r.replicas} while replicas start`}`;
  if (missing.length === 0 && best) {
    return { replicas: best.replicas, reason: `Objective:${best.signal}`, message: explain(best), bypassStabilization: false, fallbackActive: false };
  }
  const missingText = `signal${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`;
  switch (spec.fallback.behavior) {
    case 'HoldLast':
      return { replicas: currentReplicas, reason: 'FallbackHoldLast', message: `${missingText}: holding ${currentReplicas}`, bypassStabilization: false, fallbackActive: true };
    case 'StaticReplicas': {
      const replicas = spec.fallback.replicas ?? currentReplicas;
      return { replicas, reason: 'FallbackStaticReplicas', message: `${missingText}: fallback to ${replicas}`, bypassStabilization: true, fallbackActive: true };
    }
    case 'ScaleUpOnly': {
      const replicas = Math.max(currentReplicas, best?.replicas ?? currentReplicas);
      const rest = best ? `; ${explain(best)}` : '';
      return { replicas, reason: 'FallbackScaleUpOnly', message: `${missingText}: no scale-down${rest}`, bypassStabilization: false, fallbackActive: true };
    }
  }
}

/** HPA stabilization: scale up to the lowest, down to the highest recommendation in the windows. */
export function stabilize(
  recommendation: number,
  currentReplicas: number,
  history: EngineMemory['recommendations'],
  now: number,
  behavior: { scaleUp: ScalingRules; scaleDown: ScalingRules },
): { replicas: number; limitedBy?: string } {
  let up = recommendation;
  let down = recommendation;
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  for (const r of history) {
    if (r.at > upCutoff) up = Math.min(up, r.replicas);
    if (r.at > downCutoff) down = Math.max(down, r.replicas);
  }
  let replicas = currentReplicas;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  if (replicas < recommendation) return { replicas, limitedBy: 'ScaleUpStabilization' };
  if (replicas > recommendation) return { replicas, limitedBy: 'ScaleDownStabilization' };
  return { replicas };
}

function changesInPeriod(events: EngineMemory['scaleEvents'], now: number, periodSeconds: number) {
  let added = 0;
  let removed = 0;
  const cutoff = now - periodSeconds * 1000;
  for (const e of events) {
    if (e.at <= cutoff) continue;
    if (e.change > 0) added += e.change;
    else removed -= e.change;
  }
  return { added, removed };
}

/** The most replicas the scale-up policies allow now (HPA calculateScaleUpLimitWithScalingRules). */
export function scaleUpLimit(current: number, events: EngineMemory['scaleEvents'], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const policy of rules.policies) {
    const { added, removed } = changesInPeriod(events, now, policy.periodSeconds);
    const periodStart = current - added + removed;
    const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    result = rules.selectPolicy === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return Math.max(result, current);
}

/** The fewest replicas the scale-down policies allow now (HPA calculateScaleDownLimitWithBehaviors). */
export function scaleDownLimit(current: number, events: EngineMemory['scaleEvents'], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const policy of rules.policies) {
    const { added, removed } = changesInPeriod(events, now, policy.periodSeconds);
    const periodStart = current + removed - added;
    const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
    result = rules.selectPolicy === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return Math.min(result, current);
}

/**
 * Stabilization, then rate policies, then min/max: the HPA's normalizeDesiredReplicasWithBehaviors.
 * Returns the decided replicas and the memory's new recommendation history.
 */
export function decideReplicas(
  spec: ScalingPolicySpec,
  values: Map<string, number>,
  currentReplicas: number,
  memory: EngineMemory,
  now: number,
  readyReplicas?: number,
): { decided: Decided; fallbackActive: boolean; recommendations: EngineMemory['recommendations']; unconstrained: number } {
  const { min, max, behavior } = spec.replicas;
  const raw = rawRecommendation(spec, values, currentReplicas, readyReplicas);
  const longestWindow = Math.max(behavior.scaleUp.stabilizationWindowSeconds, behavior.scaleDown.stabilizationWindowSeconds) * 1000;
  const history = memory.recommendations.filter((r) => r.at > now - longestWindow);

  let limitedBy: string | undefined;
  let replicas = raw.replicas;
  if (!raw.bypassStabilization) {
    const stabilized = stabilize(raw.replicas, currentReplicas, history, now, behavior);
    replicas = stabilized.replicas;
    limitedBy = stabilized.limitedBy;
  }
  if (replicas > currentReplicas) {
    const limit = scaleUpLimit(currentReplicas, memory.scaleEvents, behavior.scaleUp, now);
    if (replicas > limit) {
      replicas = limit;
      limitedBy = behavior.scaleUp.selectPolicy === 'Disabled' ? 'ScaleUpDisabled' : 'ScaleUpRate';
    }
  } else if (replicas < currentReplicas) {
    const limit = scaleDownLimit(currentReplicas, memory.scaleEvents, behavior.scaleDown, now);
    if (replicas < limit) {
      replicas = limit;
      limitedBy = behavior.scaleDown.selectPolicy === 'Disabled' ? 'ScaleDownDisabled' : 'ScaleDownRate';
    }
  }
  if (replicas > max) {
    replicas = max;
    limitedBy = 'MaxReplicas';
  } else if (replicas < min) {
    replicas = min;
    limitedBy = 'MinReplicas';
  }
  const recommendations = raw.bypassStabilization ? history : [...history, { at: now, replicas: raw.replicas }];
  const decided: Decided = { value: replicas, reason: raw.reason, message: raw.message };
  if (limitedBy) decided.limitedBy = limitedBy;
  return { decided, fallbackActive: raw.fallbackActive, recommendations, unconstrained: Math.min(Math.max(raw.replicas, min), max) };
}
