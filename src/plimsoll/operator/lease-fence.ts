/**
 * The leader's write fence. Leadership is a promise about time: after a successful renew sent
 * at t, no other candidate can take the Lease before t + leaseDuration on any clock (they wait
 * a full leaseDuration from when they saw our record change, which is after t). We claim less,
 * t + renewDeadline, and refuse every API request after that instant unless a newer renew
 * succeeded. The check reads the monotonic clock at the moment of each request, so a process
 * frozen (SIGSTOP, a long GC pause, a starved VM) past its deadline refuses its first write
 * after it wakes, before any timer or event of the old term has had a chance to run.
 * Revoking also aborts the requests already in flight.
 */
import { performance } from 'node:perf_hooks';
import { PlimsollError } from '../errors.js';
import type { RequestGuard } from './guarded-kube-config.js';

export class LeaseFence {
  private heldUntil = Number.NEGATIVE_INFINITY;
  private term = new AbortController();

  constructor(
    private readonly renewDeadlineMs: number,
    private readonly onRefused: () => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A monotonic timestamp to take just before sending an acquire or renew request. */
  stamp(): number {
    return this.now();
  }

  /** The acquire or renew request sent at `sentAt` succeeded. */
  renewed(sentAt: number): void {
    if (this.term.signal.aborted) this.term = new AbortController();
    this.heldUntil = Math.max(this.heldUntil, sentAt + this.renewDeadlineMs);
  }

  get held(): boolean {
    return this.now() < this.heldUntil;
  }

  /** Milliseconds until the fence closes unless renewed (≤ 0 once closed). */
  get remainingMs(): number {
    return this.heldUntil - this.now();
  }

  /** Leadership ended: refuse from now on and abort what is in flight. */
  revoke(reason: string): void {
    this.heldUntil = Number.NEGATIVE_INFINITY;
    if (!this.term.signal.aborted) this.term.abort(new PlimsollError('LEADER_FENCED', reason));
  }

  /** The fence as a request guard: LEADER_FENCED past the deadline, else the term's abort signal. */
  readonly guard: RequestGuard = {
    signal: () => {
      if (!this.held) {
        this.revoke('the leader Lease was not renewed within the renew deadline');
        this.onRefused();
        throw new PlimsollError('LEADER_FENCED', 'refused an API request: this operator may no longer hold the leader Lease');
      }
      return this.term.signal;
    },
  };
}
