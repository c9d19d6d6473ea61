/**
 * The database connection budget shared by every replica's pool.
 *
 * pool per replica = clamp(floor(budget / replicas × safetyFactor), pool.min, pool.max), where
 * budget = maxConnections − reserved; replicas are capped at floor(budget / pool.min) so that
 * replicas × pool ≤ budget holds in every output, and a final guard enforces it even when the
 * budget is too small for one pool of pool.min.
 */
import type { ConnectionBudget } from '../api/scaling-policy.js';
import type { Decided } from './types.js';

/** budget − reserved, or undefined when it comes from a signal that is missing. */
export function availableConnections(budget: ConnectionBudget, values: Map<string, number>): number | undefined {
  const total = budget.maxConnections ?? (budget.fromSignal === undefined ? undefined : values.get(budget.fromSignal));
  if (total === undefined) return undefined;
  return Math.max(0, Math.floor(total) - budget.reserved);
}

/** The most replicas whose smallest pools still fit the budget (never below one). */
export function replicaCap(available: number, budget: ConnectionBudget): number {
  return Math.max(1, Math.floor(available / budget.pool.min));
}

export function poolFor(replicas: number, available: number, budget: ConnectionBudget): Decided {
  const { min, max } = budget.pool;
  const r = Math.max(1, replicas);
  const share = Math.floor((available / r) * budget.safetyFactor);
  let value = Math.min(Math.max(share, min), max);
  let limitedBy = share > max ? 'PoolMax' : share < min ? 'PoolMin' : 'ConnectionBudget';
  const hardCeiling = Math.floor(available / r);
  if (value > hardCeiling) {
    value = hardCeiling;
    limitedBy = 'ConnectionBudget';
  }
  return {
    value,
    reason: 'BudgetShare',
    limitedBy,
    message: `${available} connections over ${r} replica${r === 1 ? '' : 's'} × safety ${budget.safetyFactor} → ${share}, bounded to ${value}`,
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
