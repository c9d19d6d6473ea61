import { Queue, Worker, type Job, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../observability/logger.js';
import type { RuntimeDocument } from '../runtime/document.js';

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
}
export interface AnalysisJobResult { analysisId: string; provider: string; fallback: boolean }

export interface QueueCounts { waiting: number; active: number; delayed: number; prioritized: number; completed: number; failed: number }
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface AnalysisQueuesOptions {
  redisUrl: string;
  prefix: string;
  providers: { name: string; concurrency: number }[];
  attempts: number;
  backoffMs: number;
  stalledIntervalMs: number;
  lockDurationMs: number;
  /** A provider's cluster-wide rate limit before the runtime document sets one. */
  defaultRateLimit: { max: number; durationMs: number };
  processor: Processor<AnalysisJobData, AnalysisJobResult>;
  logger: Logger;
  registry: Registry;
}

interface ProviderQueue {
  queue: Queue<AnalysisJobData, AnalysisJobResult>;
  worker: Worker<AnalysisJobData, AnalysisJobResult>;
  concurrency: number;
  paused: boolean;
  rateLimit: { max: number; durationMs: number };
  counts: QueueCounts;
}

/**
 * A BullMQ queue and worker per provider (`analyses-<provider>`). Live knobs: worker concurrency
 * (BullMQ's `worker.concurrency` setter; 0 pauses this replica's worker) and the provider's
 * cluster-wide rate limit (`queue.setGlobalRateLimit`, shared by every replica through Redis).
 * Jobs: attempts with exponential backoff, idempotent ids (added twice = one job), stalled jobs
 * (a replica died mid-job) recovered by the workers' stalled check. Counts are polled every
 * second for admission, health and metrics, so no request pays a Redis round trip for them.
 */
export class AnalysisQueues {
  private readonly queues = new Map<string, ProviderQueue>();
  private readonly connection: Redis;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: AnalysisQueuesOptions) {
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: true });
    this.connection.on('error', (err) => options.logger.debug({ err: err.message }, 'queue redis error'));
    for (const p of options.providers) {
      const name = `analyses-${p.name}`;
      const queue = new Queue<AnalysisJobData, AnalysisJobResult>(name, { connection: this.connection, prefix: options.prefix });
      const worker = new Worker<AnalysisJobData, AnalysisJobResult>(name, options.processor, {
        connection: redisOptions(options.redisUrl), // the worker owns (and closes) its connections
        prefix: options.prefix,
        concurrency: Math.max(1, p.concurrency),
        autorun: p.concurrency > 0,
        stalledInterval: options.stalledIntervalMs,
        lockDuration: options.lockDurationMs,
        maxStalledCount: 2,
      });
      worker.on('error', (err) => options.logger.warn({ provider: p.name, err: err.message }, 'queue worker error'));
      worker.on('failed', (job, err) => options.logger.warn({ provider: p.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'analysis job attempt failed'));
      this.queues.set(p.name, {
        queue, worker, concurrency: p.concurrency, paused: p.concurrency === 0, rateLimit: options.defaultRateLimit,
        counts: { waiting: 0, active: 0, delayed: 0, prioritized: 0, completed: 0, failed: 0 },
      });
    }
    const jobs: Gauge<'provider' | 'state'> = new Gauge({
      name: 'matcher_queue_jobs', help: 'Analysis jobs per provider queue and state (waiting, active, delayed, prioritized, completed, failed).',
      labelNames: ['provider', 'state'], registers: [options.registry],
      collect: () => {
        for (const [provider, q] of this.queues) for (const s of STATES) jobs.set({ provider, state: s }, q.counts[s]);
      },
    });
    const concurrency: Gauge<'provider'> = new Gauge({
      name: 'matcher_worker_concurrency', help: 'Live worker concurrency per provider on this replica (0: paused).',
      labelNames: ['provider'], registers: [options.registry],
      collect: () => { for (const [provider, q] of this.queues) concurrency.set({ provider }, q.paused ? 0 : q.concurrency); },
    });
  }

  async start(): Promise<void> {
    for (const q of this.queues.values()) await q.queue.setGlobalRateLimit(q.rateLimit.max, q.rateLimit.durationMs);
    await this.refreshCounts();
    this.poller = setInterval(() => void this.refreshCounts().catch(() => undefined), 1000);
    this.poller.unref();
  }

  has(provider: string): boolean {
    return this.queues.has(provider);
  }

  /** Adds a job; a job with the same id already waiting, running or kept is not added twice. */
  async enqueue(data: AnalysisJobData): Promise<void> {
    const q = this.queues.get(data.provider);
    if (!q) throw new Error(`no queue for provider ${data.provider}`);
    await q.queue.add('analyse', data, {
      jobId: data.analysisId,
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 24 * 3600 },
    });
    q.counts.waiting++;
  }

  /** The state of a job (for GET while it runs), checked against the tenant. */
  async find(analysisId: string, tenantId: string): Promise<{ provider: string; state: string; attemptsMade: number; failedReason?: string } | undefined> {
    for (const [provider, q] of this.queues) {
      const job = (await q.queue.getJob(analysisId)) as Job<AnalysisJobData, AnalysisJobResult> | undefined;
      if (job && job.data.tenantId === tenantId) {
        const state = await job.getState();
        return { provider, state, attemptsMade: job.attemptsMade, ...(job.failedReason ? { failedReason: job.failedReason } : {}) };
      }
    }
    return undefined;
  }

  /** Applies the runtime document's queue section: concurrency per replica, rate limit per provider. */
  async apply(queues: RuntimeDocument['queues']): Promise<void> {
    for (const [provider, q] of this.queues) {
      const knobs = queues[provider];
      if (!knobs) continue;
      this.setConcurrency(provider, knobs.concurrency, q);
      if (knobs.rateLimit && (knobs.rateLimit.max !== q.rateLimit.max || knobs.rateLimit.durationMs !== q.rateLimit.durationMs)) {
        q.rateLimit = knobs.rateLimit;
        await q.queue.setGlobalRateLimit(knobs.rateLimit.max, knobs.rateLimit.durationMs);
      }
    }
  }

  setConcurrency(provider: string, n: number, q = this.queues.get(provider)): void {
    if (!q || this.closed) return;
    q.concurrency = n;
    if (n === 0) {
      if (!q.paused) void q.worker.pause(true);
      q.paused = true;
      return;
    }
    q.worker.concurrency = n;
    if (q.paused) {
      q.paused = false;
      if (!q.worker.isRunning()) void q.worker.run().catch((err: Error) => this.options.logger.error({ provider, err: err.message }, 'worker stopped'));
      else q.worker.resume();
    }
  }

  /** Waiting (incl. delayed and prioritized) jobs over every provider, as last polled. */
  totalWaiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.counts.waiting + q.counts.delayed + q.counts.prioritized;
    return n;
  }

  async refreshCounts(): Promise<void> {
    for (const q of this.queues.values()) {
      const c = await q.queue.getJobCounts(...STATES);
      for (const s of STATES) q.counts[s] = c[s] ?? 0;
    }
  }

  details(): Record<string, { counts: QueueCounts; concurrency: number; paused: boolean; rateLimit: { max: number; durationMs: number } }> {
    const out: ReturnType<AnalysisQueues['details']> = {};
    for (const [provider, q] of this.queues) out[provider] = { counts: { ...q.counts }, concurrency: q.concurrency, paused: q.paused, rateLimit: q.rateLimit };
    return out;
  }

  queue(provider: string): Queue<AnalysisJobData, AnalysisJobResult> | undefined {
    return this.queues.get(provider)?.queue;
  }

  /** Drains: workers finish their active jobs (waiting jobs stay in Redis for other replicas), then closes. */
  async close(): Promise<void> {
    this.closed = true;
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
