import { UnrecoverableError, type Job } from 'bullmq';
import { isPlimsollError } from '../plimsoll/errors.js';
import type { ServiceLevel } from '../plimsoll/contract/service-levels.js';
import type { Logger } from '../plimsoll/observability/logger.js';
import type { ServiceLevelSource } from '../plimsoll/runtime-client/index.js';
import type { AnalysisResult } from './analysis/analyse.js';
import type { LocalAnalysis } from './analysis/pool.js';
import type { AnalysisCache } from './analysis-cache.js';
import type { AnswerObserver } from './analysis/answered-by.js';
import { BreakerOpenError, type ProviderBreakers } from './providers/provider-breakers.js';
import { LOCAL_PROVIDER, ProviderError } from './providers/provider.js';
import type { AnalysisJobData, AnalysisJobResult } from './queues/analysis-queues.js';
import { isInfrastructureError } from './queues/infrastructure-errors.js';
import type { AnalysisRow, Repository } from './repository.js';

export interface AnalysisWorkerDeps {
  repo: Repository;
  cache: AnalysisCache;
  levels: ServiceLevelSource;
  breakers?: ProviderBreakers;
  attempts: number;
  logger: Logger;
  /** Counts each answer by source and level (matcher_analyses_total). */
  answers?: AnswerObserver;
  /** The local matcher, off the event loop (analysis/pool.ts). */
  localAnalysis: LocalAnalysis;
}

/**
 * The queue side of an analysis (the BullMQ processor): the provider call through its breaker,
 * the local matcher when the provider is unavailable on the last attempt (or its breaker is
 * open), an idempotent store (the job id is the result id) and the cache. A 429 is not handled
 * here: it propagates, and the queue backs off as a whole (AnalysisQueues). Neither is the
 * database being unreachable while storing: the answer is kept on the job, and the queue runs
 * the job again later without spending an attempt; the re-run stores the kept answer, so an
 * outage of the database costs no second provider call.
 */
export class AnalysisWorker {
  constructor(private readonly deps: AnalysisWorkerDeps) {}

  readonly process = async (job: Job<AnalysisJobData, AnalysisJobResult>): Promise<AnalysisJobResult> => {
    const d = job.data;
    const started = performance.now();
    const local = await this.deps.localAnalysis(d.resume, d.job, new Date(d.enqueuedAt));
    let result: AnalysisResult = local;
    let fallback = false;
    // Basic (and Maintenance) make no provider calls, also for jobs queued before the level
    // changed: the local matcher drains the queue at once instead of leaving it to the providers'
    // rate limits while the deadline of every waiting analysis runs out.
    if (d.answer) return this.finish(job, d.answer.result, d.answer.fallback, started, `${d.provider} was unavailable`);
    const level = this.deps.levels.current();
    if (level === 'Basic' || level === 'Maintenance') {
      return this.finish(job, local, true, started, `the service level is ${level}`);
    }
    try {
      if (!this.deps.breakers) throw new BreakerOpenError(d.provider);
      const answer = await this.deps.breakers.call(d.provider, { resume: d.resume, job: d.job, local, promptVersion: d.promptVersion });
      fallback = !answer.usable;
      result = answer.usable ? { ...answer.result, matcherVersion: `${d.provider}:${d.promptVersion}` } : local;
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'rate_limited') throw error;
      if (!(error instanceof BreakerOpenError) && job.attemptsMade + 1 < this.deps.attempts) throw error;
      this.deps.logger.info({ jobId: job.id, provider: d.provider, err: (error as Error).message }, 'provider unavailable: local matcher answers');
      fallback = true;
    }
    return this.finish(job, result, fallback, started, `${d.provider} was unavailable`);
  };

  /** Store the answer (idempotently) and cache it; a fallback says why the local matcher answered. */
  private async finish(job: Job<AnalysisJobData, AnalysisJobResult>, result: AnalysisResult, fallback: boolean, started: number, why: string): Promise<AnalysisJobResult> {
    const d = job.data;
    const stored = fallback && !d.answer ? { ...result, explanation: `${result.explanation} (local matcher: ${why})` } : result;
    let row: AnalysisRow;
    try {
      ({ row } = await this.deps.repo.storeAnalysis(d.analysisId, d.tenantId, d.resumeId, d.jobId, stored, d.level as ServiceLevel, performance.now() - started));
    } catch (error) {
      if (isPlimsollError(error) && (error.code === 'RESUME_NOT_FOUND' || error.code === 'JOB_NOT_FOUND')) throw new UnrecoverableError(error.message);
      // Keep a provider's answer for the re-run (best effort: if Redis is down too, the re-run calls again).
      if (isInfrastructureError(error) && !fallback && !d.answer) await job.updateData({ ...d, answer: { result: stored, fallback } }).catch(() => undefined);
      throw error;
    }
    // A fallback answer is cached briefly: the provider's own answer should replace it soon.
    const { cache } = this.deps;
    await cache.set(d.cacheKey, row, fallback ? Math.min(60, cache.ttlSeconds) : cache.ttlSeconds);
    this.deps.answers?.answered(fallback ? 'local' : 'provider', this.deps.levels.current());
    return { analysisId: d.analysisId, provider: fallback ? LOCAL_PROVIDER : d.provider, fallback };
  }
}
