import type { Queue, Worker } from 'bullmq';
import type { RuntimeDocument } from '../contract/runtime-document.js';
import type { RuntimeLogger } from './logger.js';

export interface RateLimit { max: number; durationMs: number }

/** A BullMQ queue and this replica's worker on it, governed by one entry of the document's `queues`. */
export interface GovernedQueue {
  queue: Pick<Queue, 'setGlobalRateLimit'>;
  worker: Worker;
  /** The concurrency it starts with (0: paused, for a worker built with autorun off); default the worker's. */
  concurrency?: number;
  /** The cluster-wide rate limit set at start, before a document sets one. */
  rateLimit?: RateLimit;
  /** The jobs the queue admits before a document says (undefined: no limit). */
  maxWaiting?: number;
}

export interface QueueState {
  /** The worker concurrency on this replica (0: paused). */
  concurrency: number;
  paused: boolean;
  /** The cluster-wide rate limit last set (null: none set by us). */
  rateLimit: RateLimit | null;
  /**
   * Jobs the queue admits (the document's `maxWaiting`: what the provider answers within the
   * deadline); the application sends an analysis elsewhere when the queue holds this many. null: no limit.
   */
  maxWaiting: number | null;
}

interface Entry { governed: GovernedQueue; state: QueueState }

/**
 * The live knobs of BullMQ queues, by name: worker concurrency on this replica (BullMQ's
 * `worker.concurrency` setter; 0 pauses the worker, a later value resumes it) and the queue's
 * cluster-wide rate limit (`queue.setGlobalRateLimit`, shared by every replica through Redis).
 * Nothing restarts: active jobs keep running when concurrency drops.
 */
export class QueueKnobs {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly logger: RuntimeLogger) {}

  add(name: string, governed: GovernedQueue): void {
    const concurrency = governed.concurrency ?? governed.worker.concurrency;
    this.entries.set(name, { governed, state: { concurrency, paused: concurrency === 0, rateLimit: null, maxWaiting: governed.maxWaiting ?? null } });
  }

  /** Sets the starting rate limits (before any document). */
  async start(): Promise<void> {
    for (const { governed, state } of this.entries.values()) {
      if (governed.rateLimit) await this.setRateLimit(governed, state, governed.rateLimit);
    }
  }

  /** Applies the document's `queues`: queues it does not name, and names this replica has no queue for, are left alone. */
  async apply(knobs: RuntimeDocument['queues']): Promise<void> {
    for (const [name, entry] of this.entries) {
      const k = knobs[name];
      if (!k) continue;
      this.setConcurrency(name, k.concurrency);
      if (k.maxWaiting !== undefined) entry.state.maxWaiting = k.maxWaiting;
      const current = entry.state.rateLimit;
      if (k.rateLimit && (k.rateLimit.max !== current?.max || k.rateLimit.durationMs !== current.durationMs)) {
        await this.setRateLimit(entry.governed, entry.state, k.rateLimit);
      }
    }
  }

  setConcurrency(name: string, n: number): void {
    const entry = this.entries.get(name);
    if (!entry || this.closed) return;
    const { worker } = entry.governed;
    const state = entry.state;
    state.concurrency = n;
    if (n === 0) {
      if (!state.paused) void worker.pause(true);
      state.paused = true;
      return;
    }
    worker.concurrency = n;
    if (state.paused) {
      state.paused = false;
      if (!worker.isRunning()) void worker.run().catch((err: Error) => this.logger.warn({ queue: name, err: err.message }, 'worker stopped'));
      else worker.resume();
    }
  }

  /** Whether the queue admits another job when it holds `waiting` (a field read: the hot path asks). */
  admits(name: string, waiting: number): boolean {
    const limit = this.entries.get(name)?.state.maxWaiting;
    return limit === null || limit === undefined || waiting < limit;
  }

  state(name: string): QueueState | undefined {
    const s = this.entries.get(name)?.state;
    return s && { ...s };
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** No more changes (the workers are closing). */
  close(): void {
    this.closed = true;
  }

  private async setRateLimit(governed: GovernedQueue, state: QueueState, limit: RateLimit): Promise<void> {
    await governed.queue.setGlobalRateLimit(limit.max, limit.durationMs);
    state.rateLimit = { max: limit.max, durationMs: limit.durationMs };
  }
}
