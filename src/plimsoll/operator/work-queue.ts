/**
 * A deduplicating, rate-limited work queue keyed by namespace/name, as client-go's
 * workqueue.RateLimitingInterface:
 *
 * - `dirty` holds keys waiting to be processed, `processing` keys a worker holds. A key added
 *   while it is processed is only marked dirty and re-queued by `done()`, so one key is never
 *   reconciled twice at once and a burst of events for it collapses into one reconcile.
 * - `addRateLimited()` delays by the larger of a per-key exponential backoff (5 ms → 1000 s)
 *   and an overall token bucket (10 qps, burst 100); `forget()` resets the key's backoff.
 * - `addAfter()` schedules a key (the periodic requeue at pollingIntervalSeconds); of several
 *   pending schedules for one key the earliest wins.
 */
import { backoffDelay, type Backoff } from '../shared/backoff.js';
import { systemClock, type Clock } from './clock.js';

export interface WorkQueueOptions {
  clock?: Clock;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall token bucket: tokens per second and bucket size. */
  qps?: number;
  burst?: number;
  /** Called whenever the depth or the retries change (metrics). */
  onChange?: (depth: number) => void;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly qps: number;
  private readonly burst: number;
  private readonly onChange: ((depth: number) => void) | undefined;

  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly failures = new Map<string, number>();
  private readonly scheduled = new Map<string, { at: number; handle: unknown }>();
  private tokens: number;
  private tokensAt: number;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.backoff = { baseMs: options.baseDelayMs ?? 5, maxMs: options.maxDelayMs ?? 1_000_000 };
    this.qps = options.qps ?? 10;
    this.burst = options.burst ?? 100;
    this.onChange = options.onChange;
    this.tokens = this.burst;
    this.tokensAt = this.clock.now();
  }

  /** Queue a key now (no-op if it already waits; deferred if a worker holds it). */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
    this.changed();
  }

  /** Queue a key after a delay; the earliest pending schedule of a key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const existing = this.scheduled.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.scheduled.delete(key);
      this.add(key);
    }, delayMs);
    this.scheduled.set(key, { at, handle });
  }

  /** Queue a key after its backoff: the larger of the per-key exponential and the token bucket. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.when(key));
  }

  /** The delay addRateLimited would use now (and counts the failure). */
  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    return Math.max(backoffDelay(failures, this.backoff), this.reserveToken());
  }

  /** Forget a key's failures: its next backoff starts again at the base delay. */
  forget(key: string): void {
    this.failures.delete(key);
    this.changed();
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Sum of the failures of all keys still backing off (the retries gauge). */
  retries(): number {
    let total = 0;
    for (const n of this.failures.values()) total += n;
    return total;
  }

  /** Next key to process, or undefined once the queue shuts down. The caller must call done(). */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.changed();
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished with key: if it was added meanwhile, queue it again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    this.changed();
  }

  len(): number {
    return this.queue.length;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  isScheduled(key: string): boolean {
    return this.scheduled.has(key);
  }

  /** Stop handing out keys; waiting get() calls resolve undefined; pending timers are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { handle } of this.scheduled.values()) this.clock.clearTimeout(handle);
    this.scheduled.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Token bucket (golang.org/x/time/rate Reserve): the wait until a token is ours. */
  private reserveToken(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.qps);
    this.tokensAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  private changed(): void {
    this.onChange?.(this.queue.length);
  }
}
