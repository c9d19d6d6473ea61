/**
 * Executing the engine's plan: the one place where the ordering rule is applied. decide()
 * orders the steps so the connection budget holds at every moment (scale-out: the smaller pool
 * is published and acknowledged before replicas grow; scale-in: replicas go first, the larger
 * pool after); executePlan runs them in that order against an Actuator and stops where the
 * replicas have not acknowledged the smaller pool, so no scale-out outruns it.
 *
 * The operator's Actuator writes to the API server (its publish and scale are async); the
 * simulator's sets the model's knobs (synchronous, one tick at a time): executePlan answers in
 * kind, a promise only for an actuator that returns promises.
 */
import type { PlanStep } from './types.js';

type MaybePromise<T> = T | Promise<T>;

/** What carries out the steps. The values published and scaled to are the decision's. */
export interface Actuator<Async extends boolean = true> {
  /** Publish the decision's runtime document (pool, concurrency, service level). */
  publish(): Async extends true ? Promise<void> : void;
  /** Do the replicas run what was just published? false stops the plan before it scales. */
  awaitAcknowledgement(): Async extends true ? Promise<boolean> : boolean;
  /** Change the target's replicas toward `replicas`. */
  scale(replicas: number): Async extends true ? Promise<void> : void;
}

export interface PlanOutcome {
  /** The plan stopped at a publication the replicas have not acknowledged: the rest waits. */
  waitingForAcknowledgement: boolean;
}

function then<T, U>(value: MaybePromise<T>, next: (v: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export function executePlan(plan: readonly PlanStep[], actuator: Actuator<false>): PlanOutcome;
export function executePlan(plan: readonly PlanStep[], actuator: Actuator): Promise<PlanOutcome>;
export function executePlan(plan: readonly PlanStep[], actuator: Actuator<boolean>): MaybePromise<PlanOutcome> {
  const from = (i: number): MaybePromise<PlanOutcome> => {
    const step = plan[i];
    if (!step) return { waitingForAcknowledgement: false };
    if (step.action === 'ScaleReplicas') return then(actuator.scale(step.replicas), () => from(i + 1));
    return then(actuator.publish(), () => (step.waitForAcknowledgement
      ? then(actuator.awaitAcknowledgement(), (acknowledged) => (acknowledged ? from(i + 1) : { waitingForAcknowledgement: true }))
      : from(i + 1)));
  };
  return from(0);
}
