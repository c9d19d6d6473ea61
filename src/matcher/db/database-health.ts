/**
 * Whether the database answers this replica: `/health/details`' `database.healthy`, which a
 * policy's Maintenance trigger reads as the minimum over the replicas.
 *
 * A ping that fails with an error (refused, authentication, a server error) says no at once: the
 * database, or the way to it, is down. A ping that only runs past its deadline says slow, not
 * down: a replica short of CPU (starting, throttled by its quota) misses a one-second deadline
 * while the database is fine, and one such replica must not send the whole fleet to Maintenance
 * (measured on the stack in a burst: two replicas a minute old each had one ping between 1 and
 * 2.5 s, `matcher_db_query_duration_seconds{operation="health.ping"}`, and the fleet went to
 * Maintenance and refused writes for two minutes). So timeouts say no only once they have gone on for
 * `graceMs` with nothing succeeding in between: no ping, and no query of the replica's own
 * traffic. A database that hangs is still found, `graceMs` later.
 */
import type { QueryObserver } from './database.js';

export class DatabaseHealth {
  /** When the current run of timed-out pings began (none since the last success). */
  private timingOutSince: number | undefined;
  /** A ping failed with an error, and nothing has succeeded since. */
  private erred = false;

  constructor(private readonly graceMs = 10_000, private readonly now: () => number = Date.now) {}

  /** Any query answered: the database is reachable now. */
  succeeded(): void {
    this.timingOutSince = undefined;
    this.erred = false;
  }

  /**
   * A health ping failed: with an error, or past its deadline. (A ping that answers is a query
   * like any other: observing() has counted its success.)
   */
  pingFailed(timedOut: boolean): void {
    if (!timedOut) this.erred = true;
    else this.timingOutSince ??= this.now();
  }

  healthy(): boolean {
    if (this.erred) return false;
    return this.timingOutSince === undefined || this.now() - this.timingOutSince < this.graceMs;
  }

  /** A QueryObserver that also tells this tracker of every query that succeeded. */
  observing(inner: QueryObserver): QueryObserver {
    return {
      observe: (operation, seconds, ok) => {
        if (ok) this.succeeded();
        inner.observe(operation, seconds, ok);
      },
      connectionFailed: (reason) => inner.connectionFailed?.(reason),
    };
  }
}
