/**
 * Exponential backoff, the one formula every retry loop here uses (the operator's work queue and
 * watcher, the replica runner's CrashLoopBackOff): base × 2^failures, capped at max. Jitter, where
 * wanted, is applied by the caller (a per-key queue must stay deterministic for its tests).
 */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** The delay after `failures` consecutive failures (0 → baseMs). */
export function backoffDelay(failures: number, { baseMs, maxMs }: Backoff): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures));
}
