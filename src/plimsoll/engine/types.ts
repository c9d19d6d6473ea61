/**
 * The engine's inputs and outputs. Everything here is plain data: the engine is a set of pure
 * functions of (spec, observations, memory, now), so the operator, the simulator and the tests
 * all drive the very same decisions.
 */
import type { ServiceLevel } from '../contract/service-levels.js';

/** What the signal sources last reported for one signal. Times are epoch milliseconds. */
export interface SignalObservation {
  value?: number;
  /** When `value` was read. */
  readAt?: number;
  /** Failed reads since the last success. */
  consecutiveFailures: number;
  lastError?: string;
  /**
   * The last read found nothing to read (a health signal with no ready endpoint: a rollout or a
   * restart), which says nothing about the source. Like a signal never read, it never fires
   * `whenMissing: Fire`.
   */
  nothingToRead?: boolean;
}

export type SignalState = 'Fresh' | 'Stale' | 'Missing';

export interface SignalReading {
  name: string;
  state: SignalState;
  /** Present unless Missing: Stale values are still used, as KEDA does, until they expire. */
  value?: number;
  ageSeconds?: number;
}

export interface Observations {
  /** Replicas the target has now (its spec.replicas). */
  currentReplicas: number;
  /** Of those, the ready ones (the Deployment's status.readyReplicas), when known. */
  readyReplicas?: number;
  signals: Record<string, SignalObservation>;
}

/** A knob's decided value with the reason and the constraint that limited it. */
export interface Decided {
  value: number;
  reason: string;
  limitedBy?: string;
  message?: string;
}

export interface ProviderDecision extends Decided {
  provider: string;
  /** The provider's cluster-wide limit, passed through to every replica's queue. */
  rateLimit: { max: number; durationMs: number };
  /** Jobs the provider's queue admits: what its rate limit answers within the deadline. */
  maxWaiting: number;
}

export interface LevelDecision {
  value: ServiceLevel;
  reason: string;
  message?: string;
}

/** One step of the ordered actuation plan (the values published are the decision's). */
export type PlanStep =
  | { action: 'PublishRuntime'; waitForAcknowledgement: boolean }
  | { action: 'ScaleReplicas'; replicas: number };

/** State the engine carries from one evaluation to the next. */
export interface EngineMemory {
  /** Raw replica recommendations, for the stabilization windows. */
  recommendations: Array<{ at: number; replicas: number }>;
  /** Replica changes made, for the rate policies. */
  scaleEvents: Array<{ at: number; change: number }>;
  level: { value: ServiceLevel; since: number };
  /** Adaptive concurrency per provider: the limit, when it last stepped, and why. */
  providers: Record<string, { limit: number; longRttSeconds?: number; adaptedAt: number; reason: string }>;
  lastScaleTime?: number;
}

export interface Decision {
  now: number;
  replicas: Decided;
  /**
   * The pool per replica. Absent when the engine has no opinion: no connection budget and no
   * pool published before (a replica then keeps its own configured pool).
   */
  poolMax?: Decided;
  concurrency: ProviderDecision[];
  serviceLevel: LevelDecision;
  /** The order in which to apply the decision so the budget holds at every moment. */
  plan: PlanStep[];
  signals: SignalReading[];
  /** The budget the pools share (budget − reserved), when one is configured and known. */
  connectionBudget?: number;
  budgetConstrained: boolean;
  /** True when the replica decision fell back because an objective's signal is missing. */
  fallbackActive: boolean;
  memory: EngineMemory;
}

export function emptyMemory(now: number): EngineMemory {
  return { recommendations: [], scaleEvents: [], level: { value: 'Full', since: now }, providers: {} };
}
