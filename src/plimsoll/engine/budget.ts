/**
 * The database connection budget shared by every replica's pool.
 *
 * pool per replica = clamp(floor(budget / replicas × safetyFactor), pool.min, pool.max), where
 * budget = maxConnections − reserved; replicas are capped at floor(budget / pool.min) so that
 * replicas × pool ≤ budget holds in every output, and a final guard enforces it even when the
 * budget is too small for one pool of pool.min.
 */
import type { ConnectionBudget } from '../api/scaling-policy.js';
import { surgeFor, type RolloutStrategy } from './fleet.js';
import type { Decided } from './types.js';

/** budget − reserved, or undefined when it comes from a signal that is missing. */
export function availableConnections(budget: ConnectionBudget, values: Map<string, number>): number | undefined {
  if (budget.maxConnections !== undefined) return Math.max(0, budget.maxConnections - budget.reserved);
  const total = budget.fromSignal === undefined ? undefined : values.get(budget.fromSignal);
  if (total === undefined || implausibleBudget(budget, total)) return undefined;
  return Math.floor(total) - budget.reserved;
}

/**
 * Why a budget read from a signal cannot be believed, or undefined. 0 is PgBouncer's "unlimited"
 * max_db_connections; a negative or non-finite value is a broken query; below reserved + one
 * pool.min there is no room for a single replica. Each would shrink the fleet below what the
 * objectives need on one bad reading, so it counts as missing and the policy holds.
 */
export function implausibleBudget(budget: ConnectionBudget, total: number): string | undefined {
  if (!Number.isFinite(total) || total <= 0) return `${budget.fromSignal} reads ${total}, not a connection limit (0 is PgBouncer's "unlimited")`;
  if (total < budget.reserved + budget.pool.min) return `${budget.fromSignal} reads ${total}, below reserved ${budget.reserved} + pool.min ${budget.pool.min}`;
  return undefined;
}

/**
 * The most replicas whose smallest pools still fit the budget together with the surge pods a
 * rollout may add (never below one).
 */
export function replicaCap(available: number, budget: ConnectionBudget, rollout?: RolloutStrategy): number {
  for (let r = Math.floor(available / budget.pool.min); r > 1; r--) {
    if ((r + surgeFor(r, rollout)) * budget.pool.min <= available) return r;
  }
  return 1;
}

/**
 * The pool per replica: the safety-factored share over the replicas, never above what fits
 * the replicas plus a rollout's surge pods (the hard ceiling: a rollout can start at any time,
 * and its surge pods apply the same document).
 */
export function poolFor(replicas: number, available: number, budget: ConnectionBudget, rollout?: RolloutStrategy): Decided {
  const { min, max } = budget.pool;
  const r = Math.max(1, replicas);
  const surge = surgeFor(r, rollout);
  const share = Math.floor((available / r) * budget.safetyFactor);
  let value = Math.min(Math.max(share, min), max);
  let limitedBy = share > max ? 'PoolMax' : share < min ? 'PoolMin' : 'ConnectionBudget';
  const hardCeiling = Math.floor(available / (r + surge));
  if (value > hardCeiling) {
    value = hardCeiling;
    limitedBy = surge > 0 ? 'RolloutSurge' : 'ConnectionBudget';
  }
  const room = surge > 0 ? ` (room for ${surge} surge pod${surge === 1 ? '' : 's'})` : '';
  return {
    value,
    reason: 'BudgetShare',
    limitedBy,
    message: `${available} connections over ${r} replica${r === 1 ? '' : 's'} × safety ${budget.safetyFactor} → ${share}, bounded to ${value}${room}`,
  };
}

/**
 * PgBouncer's queue says the database, not the replicas, is the bottleneck: clients wait for a
 * server connection. More replicas would only lengthen that queue, so scale-out is braked.
 */
export function databaseSaturation(budget: ConnectionBudget, values: Map<string, number>): string | undefined {
  const s = budget.saturation;
  if (!s) return undefined;
  const waiting = s.clientsWaitingSignal === undefined ? undefined : values.get(s.clientsWaitingSignal);
  if (waiting !== undefined && waiting > s.clientsWaitingThreshold) {
    return `${waiting} clients wait in PgBouncer (threshold ${s.clientsWaitingThreshold})`;
  }
  const maxWait = s.maxWaitSignal === undefined ? undefined : values.get(s.maxWaitSignal);
  if (maxWait !== undefined && maxWait > s.maxWaitSecondsThreshold) {
    return `the oldest PgBouncer client has waited ${maxWait.toFixed(2)} s (threshold ${s.maxWaitSecondsThreshold} s)`;
  }
  return undefined;
}
