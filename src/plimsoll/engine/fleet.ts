/**
 * The connection budget over the pods that actually exist, not over spec.replicas.
 *
 * A Deployment holds more pods than spec.replicas at two moments: during a rollout (up to
 * maxSurge extra pods, which the Deployment controller creates without asking anyone) and
 * after a scale-in (terminating pods keep their connections until they exit; the controller
 * does not count them against maxSurge either). Every such pod runs a pool, so the invariant
 * is Σ pool(pod) ≤ budget over every pod, at the pool each one actually runs.
 *
 * Pure functions: the operator observes the pods, the engine says what fits.
 */

/** How the target's Deployment replaces pods (spec.strategy). */
export interface RolloutStrategy {
  type: 'RollingUpdate' | 'Recreate';
  /** spec.strategy.rollingUpdate.maxSurge: a count or a percentage of replicas ("25%"). */
  maxSurge?: number | string;
}

/** The Deployment default: RollingUpdate with maxSurge 25%. */
export const DEFAULT_ROLLOUT: RolloutStrategy = { type: 'RollingUpdate', maxSurge: '25%' };

/**
 * The pods a rollout may add on top of `replicas`: maxSurge resolved as the Deployment
 * controller resolves it (a percentage rounds up); Recreate removes the old pods first: none.
 */
export function surgeFor(replicas: number, strategy: RolloutStrategy | undefined): number {
  if (!strategy || strategy.type === 'Recreate') return 0;
  const surge = strategy.maxSurge ?? '25%';
  if (typeof surge === 'number') return Math.max(0, Math.floor(surge));
  const percent = /^(\d+)%$/.exec(surge.trim());
  if (percent) return Math.ceil((replicas * Number(percent[1])) / 100);
  const count = Number(surge);
  return Number.isFinite(count) ? Math.max(0, Math.floor(count)) : 0;
}

/** One pod of the target as the operator sees it. */
export interface FleetPod {
  name: string;
  /** deletionTimestamp is set: it still holds its connections until it exits. */
  terminating: boolean;
  /** The pool it runs: what it reports, else the pool it is assumed to run (see the operator). */
  poolMax: number;
}

/**
 * The most connections the fleet can hold once `replicas` run documents with pool `pool`:
 * every terminating pod and every other existing pod at the larger of `pool` and the pool it
 * runs (it may apply the new document, or still run its own), plus the pods still to be
 * created up to replicas + surge (a rollout may start at any moment) at `pool`.
 */
export function fleetConnections(pods: FleetPod[], replicas: number, surge: number, pool: number): number {
  let total = 0;
  let live = 0;
  for (const pod of pods) {
    total += Math.max(pool, pod.poolMax);
    if (!pod.terminating) live += 1;
  }
  return total + Math.max(0, replicas + surge - live) * pool;
}

export interface FleetCheck {
  fits: boolean;
  connections: number;
  /** The terminating pods, by name: what a held publication waits for. */
  terminating: string[];
}

export function checkFleet(pods: FleetPod[], replicas: number, surge: number, pool: number, budget: number): FleetCheck {
  const connections = fleetConnections(pods, replicas, surge, pool);
  return { fits: connections <= budget, connections, terminating: pods.filter((p) => p.terminating).map((p) => p.name) };
}

/**
 * The most replicas in [from, to] whose fleet still fits the budget at `pool` (each count with
 * its own surge), or `from` when none above it does: a scale-out goes as far as the pods that
 * exist allow, and the rest waits for them to go.
 */
export function replicasThatFit(
  pods: FleetPod[], from: number, to: number, pool: number, budget: number, strategy: RolloutStrategy | undefined,
): number {
  for (let r = to; r > from; r--) {
    if (fleetConnections(pods, r, surgeFor(r, strategy), pool) <= budget) return r;
  }
  return from;
}
