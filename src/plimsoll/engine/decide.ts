/**
 * The engine: signals + spec + memory + now → replicas, pool size, concurrency per provider and
 * service level, each with its reason and limiting constraint, plus the order to apply them in.
 * Pure and deterministic: no I/O, no clock, no randomness.
 */
import type { ScalingPolicySpec } from '../api/scaling-policy.js';
import { availableConnections, databaseSaturation, implausibleBudget, poolFor, replicaCap } from './budget.js';
import { decideConcurrency } from './concurrency.js';
import type { RolloutStrategy } from './fleet.js';
import { decideReplicas } from './replicas.js';
import { decideLevel } from './service-level.js';
import { readSignals, usableValues } from './signals.js';
import type { Decided, Decision, EngineMemory, Observations, PlanStep } from './types.js';

export interface EngineInput {
  spec: ScalingPolicySpec;
  observations: Observations & {
    /** The pool size in the runtime document now in force, if one was published. */
    currentPoolMax?: number;
    /** The concurrency per provider in the runtime document now in force (its dead band is measured from it). */
    currentConcurrency?: Record<string, number>;
    /** How the target replaces pods: its surge pods share the budget too (none when absent). */
    rollout?: RolloutStrategy;
  };
  memory: EngineMemory;
  /** Epoch milliseconds. */
  now: number;
}

function longestPolicyPeriod(spec: ScalingPolicySpec): number {
  const { scaleUp, scaleDown } = spec.replicas.behavior;
  return Math.max(...scaleUp.policies.map((p) => p.periodSeconds), ...scaleDown.policies.map((p) => p.periodSeconds)) * 1000;
}

export function decide({ spec, observations, memory, now }: EngineInput): Decision {
  const current = observations.currentReplicas;
  const signals = readSignals(spec, observations.signals, now);
  const values = usableValues(signals);

  const replicaDecision = decideReplicas(spec, values, current, memory, now, observations.readyReplicas);
  const replicas: Decided = { ...replicaDecision.decided };
  let poolMax: Decided | undefined;
  let budgetConstrained = false;
  let connectionBudget: number | undefined;

  const budget = spec.connectionBudget;
  if (!budget) {
    // No budget, no opinion: keep a pool published before, else say nothing.
    if (observations.currentPoolMax !== undefined) poolMax = { value: observations.currentPoolMax, reason: 'NoConnectionBudget' };
  } else {
    connectionBudget = availableConnections(budget, values);
    if (connectionBudget === undefined) {
      // Without a known budget no larger total can be proven safe: hold replicas and pools.
      if (replicas.value > current) Object.assign(replicas, { value: current, limitedBy: 'BudgetUnknown' });
      const read = budget.fromSignal === undefined ? undefined : values.get(budget.fromSignal);
      const why = read === undefined ? `signal ${budget.fromSignal} is missing` : `${implausibleBudget(budget, read)}: treated as missing`;
      poolMax = { value: observations.currentPoolMax ?? budget.pool.min, reason: 'BudgetUnknown', message: why };
    } else {
      const saturated = databaseSaturation(budget, values);
      if (saturated && replicas.value > current) {
        Object.assign(replicas, { value: Math.max(current, spec.replicas.min), limitedBy: 'DatabaseSaturated', message: saturated });
      }
      const cap = replicaCap(connectionBudget, budget, observations.rollout);
      if (replicaDecision.unconstrained > cap) budgetConstrained = true;
      if (replicas.value > cap) {
        Object.assign(replicas, {
          value: cap,
          limitedBy: 'ConnectionBudget',
          message: `${connectionBudget} connections fit ${cap} replicas (and their rollout surge) of at least ${budget.pool.min}; objectives ask for ${replicaDecision.unconstrained}`,
        });
      }
      poolMax = poolFor(replicas.value, connectionBudget, budget, observations.rollout);
    }
  }

  const concurrency = decideConcurrency(spec, values, replicas.value, memory.providers, now, observations.currentConcurrency);
  const nothingToRead = new Set(spec.signals.filter((sig) => {
    const observed = observations.signals[sig.name];
    return observed?.readAt === undefined || observed.nothingToRead === true;
  }).map((sig) => sig.name));
  const level = decideLevel(spec, values, budgetConstrained, memory.level, now, nothingToRead);

  // Ordered actuation keeps replicas × pool within the budget at every moment: on scale-out
  // the smaller pools are in force before replicas grow; on scale-in replicas go first.
  const plan: PlanStep[] =
    replicas.value > current
      ? [{ action: 'PublishRuntime', waitForAcknowledgement: true }, { action: 'ScaleReplicas', replicas: replicas.value }]
      : replicas.value < current
        ? [{ action: 'ScaleReplicas', replicas: replicas.value }, { action: 'PublishRuntime', waitForAcknowledgement: false }]
        : [{ action: 'PublishRuntime', waitForAcknowledgement: false }];

  // Scale events enter the memory only when a scale is applied (recordScale): a plan that waits
  // for acknowledgement, or a dry run, must not use up the rate policies' allowance.
  const eventCutoff = now - longestPolicyPeriod(spec);
  const nextMemory: EngineMemory = {
    recommendations: replicaDecision.recommendations,
    scaleEvents: memory.scaleEvents.filter((e) => e.at > eventCutoff),
    level: level.memory,
    providers: concurrency.memory,
  };
  if (memory.lastScaleTime !== undefined) nextMemory.lastScaleTime = memory.lastScaleTime;

  const decision: Decision = {
    now,
    replicas,
    concurrency: concurrency.decisions,
    serviceLevel: level.decision,
    plan,
    signals,
    budgetConstrained,
    fallbackActive: replicaDecision.fallbackActive,
    memory: nextMemory,
  };
  if (poolMax) decision.poolMax = poolMax;
  if (connectionBudget !== undefined) decision.connectionBudget = connectionBudget;
  return decision;
}

/** Records a replica change that was applied, for the rate policies of later decisions. */
export function recordScale(memory: EngineMemory, change: number, now: number): EngineMemory {
  if (change === 0) return memory;
  return { ...memory, scaleEvents: [...memory.scaleEvents, { at: now, change }], lastScaleTime: now };
}
