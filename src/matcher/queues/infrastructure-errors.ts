import { isPlimsollError, type ErrorCode } from '../../plimsoll/errors.js';

/**
 * Failures of the shared infrastructure (PostgreSQL, PgBouncer, the queue's Redis), as opposed to
 * failures of the job itself: a job that meets one is retried later without spending one of its
 * attempts, because the job did nothing wrong and the dependency comes back by itself.
 */
const INFRASTRUCTURE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['DB_UNAVAILABLE', 'DB_POOL_TIMEOUT', 'DB_TIMEOUT', 'QUEUE_UNAVAILABLE', 'SHUTTING_DOWN']);

export function isInfrastructureError(error: unknown): boolean {
  return isPlimsollError(error) && INFRASTRUCTURE.has(error.code);
}

/** ioredis' words for a connection that is down (offline queue off, retries spent, socket closed). */
const REDIS_DOWN = /Stream isn't writeable|enableOfflineQueue|max retries per request|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/i;

export function isRedisConnectionError(error: unknown): boolean {
  return error instanceof Error && REDIS_DOWN.test(error.message);
}

/** Delay before an infrastructure-failed job runs again: doubles per such failure, capped at 5 s. */
export function infrastructureRetryDelayMs(backoffMs: number, failuresSoFar: number): number {
  return Math.min(5000, backoffMs * 2 ** Math.min(10, Math.max(0, failuresSoFar)));
}
