import { DelayedError, Queue, Worker, type Job, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import { matcherMetrics } from '../../plimsoll/contract/metrics.js';
import { PlimsollError, isPlimsollError } from '../../plimsoll/errors.js';
import type { Logger } from '../../plimsoll/observability/logger.js';
import type { AnalysisResult } from '../analysis/analyse.js';
import type { QueueKnobs, RateLimit } from '../../plimsoll/runtime-client/index.js';
import { withRetry } from '../protection/admission.js';
import { ProviderError } from '../providers/provider.js';
import { infrastructureRetryDelayMs, isInfrastructureError, isRedisConnectionError } from './infrastructure-errors.js';

export interface AnalysisJobData {
  analysisId: string;
  tenantId: string;
  resumeId: string;
  jobId: string;
  provider: string;
  promptVersion: string;
  cacheKey: string;
  level: string;
  resume: { content: string; headline: string | null };
  job: { title: string; description: string; requiredSkills: string[]; preferredSkills: string[] };
  enqueuedAt: number;
  /**
   * The provider's answer, kept on the job when storing it failed for lack of the database: the
   * re-run stores it without calling the provider again.
   */
  answer?: { result: AnalysisResult; fallback: boolean };
}
export interface AnalysisJobResult { analysisId: string; provider: string; fallback: boolean }

export interface QueueCounts { waiting: number; active: number; delayed: number; prioritized: number; completed: number; failed: number }
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface AnalysisQueuesOptions {
  redisUrl: string;
  prefix: string;
  /** rateLimit: the provider's own limiter until the runtime document sets one (else defaultRateLimit). */
  providers: { name: string; concurrency: number; rateLimit?: RateLimit | undefined }[];
  attempts: number;
  backoffMs: number;
  stalledIntervalMs: number;
  lockDurationMs: number;
  /** A provider's cluster-wide rate limit before the runtime document sets one. */
  defaultRateLimit: RateLimit;
  processor: Processor<AnalysisJobData, AnalysisJobResult>;
  /** The runtime client's queue knobs: each provider's queue and worker is governed there. */
  knobs: QueueKnobs;
  logger: Logger;
  registry: Registry;
}

/** What enqueue() did: a job is queued or running (new, or joined), or a kept job runs again. */
export type EnqueueOutcome = 'queued' | 'rerun';

/**
 * How long a request waits for the queue's Redis before the queue counts as unreachable. Redis
 * answers in well under a millisecond; a second without an answer means it is down or
 * restarting, and the request is better answered at once (locally, or refused) than held.
 */
const COMMAND_TIMEOUT_MS = 1000;
/** Retry-After for QUEUE_UNAVAILABLE: about as long as a Redis restart takes. */
const QUEUE_RETRY_AFTER_SECONDS = 2;

interface ProviderQueue {
  queue: Queue<AnalysisJobData, AnalysisJobResult>;
  worker: Worker<AnalysisJobData, AnalysisJobResult>;
  counts: QueueCounts;
}

/**
 * A BullMQ queue and worker per provider (`analyses-<provider>`). Their live knobs (worker
 * concurrency, the provider's cluster-wide rate limit) belong to the runtime client's QueueKnobs.
 * A provider's 429 backs off its whole queue (every replica) for Retry-After; the job goes back
 * to waiting without spending an attempt. Jobs: attempts with exponential backoff, idempotent ids (added twice = one job), stalled jobs
 * (a replica died mid-job) recovered by the workers' stalled check. Counts are polled every
 * second for admission, health and metrics, so no request pays a Redis round trip for them.
 *
 * Redis down: the producer connection has no offline queue and every call a deadline, so
 * enqueue() and find() fail at once with QUEUE_UNAVAILABLE (the service answers locally or
 * refuses) instead of holding the request; ioredis reconnects by itself. A job that fails on the
 * infrastructure (database or Redis unreachable) is delayed and retried without spending an
 * attempt; a failed job is run again when its analysis is requested again.
 */
export class AnalysisQueues {
  private readonly queues = new Map<string, ProviderQueue>();
  private readonly connection: Redis;
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly options: AnalysisQueuesOptions) {
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: 2000 });
    this.connection.on('error', (err) => options.logger.debug({ err: err.message }, 'queue redis error'));
    for (const p of options.providers) {
      const name = `analyses-${p.name}`;
      const queue = new Queue<AnalysisJobData, AnalysisJobResult>(name, { connection: this.connection, prefix: options.prefix });
      const worker: Worker<AnalysisJobData, AnalysisJobResult> = new Worker<AnalysisJobData, AnalysisJobResult>(name, async (job, token) => {
        try {
          return await options.processor(job, token);
        } catch (error) {
          if (isInfrastructureError(error) && token) {
            // Not the job's fault: back to delayed without spending an attempt (BullMQ's manual delay).
            const failures = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
            await job.moveToDelayed(Date.now() + infrastructureRetryDelayMs(options.backoffMs, failures), token);
            throw new DelayedError();
          }
          if (!(error instanceof ProviderError) || error.kind !== 'rate_limited') throw error;
          await queue.rateLimit(Math.max(100, error.retryAfterMs ?? 1000));
          throw Worker.RateLimitError();
        }
      }, {
        connection: redisOptions(options.redisUrl), // the worker owns (and closes) its connections
        prefix: options.prefix,
        concurrency: Math.max(1, p.concurrency),
        // Idle until runWorkers(): a job touches the database, and a replica opens no database
        // connection before it has applied its runtime document (or learnt that none can be read).
        autorun: false,
        stalledInterval: options.stalledIntervalMs,
        lockDuration: options.lockDurationMs,
        maxStalledCount: 2,
      });
      worker.on('error', (err) => options.logger.warn({ provider: p.name, err: err.message }, 'queue worker error'));
      worker.on('failed', (job, err) => options.logger.warn({ provider: p.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'analysis job attempt failed'));
      this.queues.set(p.name, { queue, worker, counts: { waiting: 0, active: 0, delayed: 0, prioritized: 0, completed: 0, failed: 0 } });
      options.knobs.add(p.name, { queue, worker, concurrency: 0, rateLimit: p.rateLimit ?? options.defaultRateLimit });
    }
    const jobs: Gauge<'provider' | 'state'> = new Gauge({
      name: matcherMetrics.queueJobs, help: 'Analysis jobs per provider queue and state (waiting, active, delayed, prioritized, completed, failed).',
      labelNames: ['provider', 'state'], registers: [options.registry],
      collect: () => {
        for (const [provider, q] of this.queues) for (const s of STATES) jobs.set({ provider, state: s }, q.counts[s]);
      },
    });
    const concurrency: Gauge<'provider'> = new Gauge({
      name: matcherMetrics.workerConcurrency, help: 'Live worker concurrency per provider on this replica (0: paused).',
      labelNames: ['provider'], registers: [options.registry],
      collect: () => { for (const provider of this.queues.keys()) concurrency.set({ provider }, options.knobs.state(provider)?.concurrency ?? 0); },
    });
  }

  async start(): Promise<void> {
    // Redis down at start-up: the counts stay 0 until it answers; the service starts anyway.
    await this.refreshCounts().catch((err: Error) => this.options.logger.warn({ err: err.message }, 'queue counts unavailable at start-up'));
    this.poller = setInterval(() => void this.refreshCounts().catch(() => undefined), 1000);
    this.poller.unref();
  }

  /**
   * Starts the workers the runtime document did not govern, with their configured concurrency
   * (those it named already run what it says: QueueKnobs started or left them paused).
   */
  runWorkers(governed: (provider: string) => boolean): void {
    for (const p of this.options.providers) {
      if (!governed(p.name) && p.concurrency > 0) this.options.knobs.setConcurrency(p.name, p.concurrency);
    }
  }

  has(provider: string): boolean {
    return this.queues.has(provider);
  }

  /** Whether the queue's Redis is connected now (a field read: the hot path asks before queueing). */
  reachable(): boolean {
    return this.connection.status === 'ready';
  }

  /**
   * Whether the provider's queue admits another job: fewer wait than the runtime document's
   * maxWaiting (what the provider answers within the deadline). Counts are refreshed every second,
   * so a burst may overshoot by a second of arrivals; the headroom in maxWaiting absorbs it.
   */
  hasRoom(provider: string): boolean {
    const q = this.queues.get(provider);
    if (!q) return false;
    return this.options.knobs.admits(provider, q.counts.waiting + q.counts.delayed + q.counts.prioritized);
  }

  /**
   * Adds a job; a job with the same id already waiting or running is joined, not added twice (one
   * provider call for concurrent duplicates). A kept failed job is run again (a re-POST must not
   * answer "queued" with nothing running); so is a kept completed one when `rerunCompleted` (its
   * answer was the local matcher's and the provider's should replace it).
   * QUEUE_UNAVAILABLE at once when Redis is unreachable.
   */
  async enqueue(data: AnalysisJobData, options: { rerunCompleted?: boolean } = {}): Promise<EnqueueOutcome> {
    const q = this.queues.get(data.provider);
    if (!q) throw new Error(`no queue for provider ${data.provider}`);
    return this.guard('enqueue', async () => {
      const job = await q.queue.add('analyse', data, {
        jobId: data.analysisId,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 24 * 3600 },
      });
      // add() with the id of a kept job changes nothing and says nothing: ask the job's state.
      const state = await job.getState();
      if (state === 'failed' || (state === 'completed' && options.rerunCompleted)) {
        try {
          await job.updateData(data);
          await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
        } catch (error) {
          // Another replica re-ran it first (the job moved on): joining that run is the answer.
          if (isRedisConnectionError(error)) throw error;
          return 'queued';
        }
        q.counts.waiting++;
        return 'rerun';
      }
      if (state === 'waiting') q.counts.waiting++;
      return 'queued';
    });
  }

  /** The state of a job (for GET while it runs), checked against the tenant. */
  async find(analysisId: string, tenantId: string): Promise<{ provider: string; state: string; attemptsMade: number; failedReason?: string } | undefined> {
    return this.guard('find', async () => {
      for (const [provider, q] of this.queues) {
        const job = (await q.queue.getJob(analysisId)) as Job<AnalysisJobData, AnalysisJobResult> | undefined;
        if (job && job.data.tenantId === tenantId) {
          const state = await job.getState();
          return { provider, state, attemptsMade: job.attemptsMade, ...(job.failedReason ? { failedReason: job.failedReason } : {}) };
        }
      }
      return undefined;
    });
  }

  /** Waiting (incl. delayed and prioritized) jobs over every provider, as last polled. */
  totalWaiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.counts.waiting + q.counts.delayed + q.counts.prioritized;
    return n;
  }

  async refreshCounts(): Promise<void> {
    for (const q of this.queues.values()) {
      const c = await this.guard('counts', () => q.queue.getJobCounts(...STATES));
      for (const s of STATES) q.counts[s] = c[s] ?? 0;
    }
  }

  /**
   * One call on the producer connection, failing fast: QUEUE_UNAVAILABLE (with Retry-After) when
   * Redis is not connected, does not answer within COMMAND_TIMEOUT_MS (also while BullMQ still
   * waits for its first connection), or the connection drops during the call.
   */
  private async guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    const unavailable = (why: string, cause?: unknown) =>
      withRetry(new PlimsollError('QUEUE_UNAVAILABLE', `the job queue cannot be reached (${what}): ${why}`, { cause }), QUEUE_RETRY_AFTER_SECONDS);
    if (!this.reachable()) throw unavailable(`Redis is ${this.connection.status}`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(unavailable(`no answer within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
    });
    try {
      return await Promise.race([op(), deadline]);
    } catch (error) {
      if (isPlimsollError(error) || !(isRedisConnectionError(error) || !this.reachable())) throw error;
      throw unavailable((error as Error).message, error);
    } finally {
      clearTimeout(timer);
    }
  }

  details(): Record<string, { counts: QueueCounts; concurrency: number; paused: boolean; rateLimit: RateLimit | null; maxWaiting: number | null }> {
    const out: ReturnType<AnalysisQueues['details']> = {};
    for (const [provider, q] of this.queues) {
      const knobs = this.options.knobs.state(provider) ?? { concurrency: 0, paused: true, rateLimit: null, maxWaiting: null };
      out[provider] = { counts: { ...q.counts }, ...knobs };
    }
    return out;
  }

  queue(provider: string): Queue<AnalysisJobData, AnalysisJobResult> | undefined {
    return this.queues.get(provider)?.queue;
  }

  /** Drains: workers finish their active jobs (waiting jobs stay in Redis for other replicas), then closes. */
  async close(): Promise<void> {
    this.options.knobs.close();
    if (this.poller) clearInterval(this.poller);
    await Promise.all([...this.queues.values()].map((q) => q.worker.close()));
    await Promise.all([...this.queues.values()].map((q) => q.queue.close()));
    this.connection.disconnect();
  }
}

/** ioredis options from a redis:// URL (BullMQ workers need maxRetriesPerRequest: null). */
function redisOptions(url: string): { host: string; port: number; db: number; username?: string; password?: string; maxRetriesPerRequest: null } {
  const u = new URL(url);
  return {
    host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest: null,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}), ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}
