import { createHash } from 'node:crypto';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { PlimsollError, isPlimsollError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { analyse, type AnalysisResult, type JobInput, type ResumeInput } from './analysis/analyse.js';
import { BreakerOpenError, type ProviderBreakers } from './providers/provider-breakers.js';
import { ProviderError } from './providers/provider.js';
import type { AnalysisJobData, AnalysisJobResult, AnalysisQueues } from './queues/analysis-queues.js';
import type { AnalysisRow, JobRow, Repository, ResumeRow } from './repository.js';
import type { ServiceLevel, ServiceLevelSource } from './service-level.js';

export const LOCAL_PROVIDER = 'local';

export type SubmitOutcome =
  | { status: 200 | 201; row: AnalysisRow; source: 'cache' | 'database' | 'local' }
  | { status: 202; pending: { id: string; provider: string; state: string } };

export type GetOutcome = { status: 200; row: AnalysisRow } | { status: 202; pending: { id: string; provider: string; state: string; attemptsMade: number } };

export interface AnalysisServiceDeps {
  repo: Repository;
  redis: Redis;
  levels: ServiceLevelSource;
  queues?: AnalysisQueues;
  breakers?: ProviderBreakers;
  /** Provider names by accuracy, most accurate first (cache lookups in Reduced/Basic try them in order). */
  providerOrder: string[];
  promptVersion: string;
  cachePrefix: string;
  cacheTtlSeconds: number;
  attempts: number;
  logger: Logger;
  registry: Registry;
}

/** A deterministic UUID (version 8 layout) from the idempotency key: the job id and the result id. */
export function analysisId(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A digest of both documents' analysed content: editing a resume or job makes a new analysis. */
export function inputDigest(resume: ResumeInput, job: JobInput): string {
  return createHash('sha256').update(JSON.stringify([resume.headline ?? null, resume.content, job.title, job.description, job.requiredSkills ?? [], job.preferredSkills ?? []]))
    .digest('hex').slice(0, 16);
}

function inputs(resume: ResumeRow, job: JobRow): { resume: ResumeInput & { headline: string | null }; job: Required<Pick<JobInput, 'title' | 'description'>> & { requiredSkills: string[]; preferredSkills: string[] } } {
  return {
    resume: { content: resume.content!, headline: resume.headline },
    job: { title: job.title, description: job.description!, requiredSkills: job.required_skills, preferredSkills: job.preferred_skills },
  };
}

/**
 * Analyses by service level:
 *   Full        → the most accurate healthy provider (its cached or stored result, else a queued job: 202);
 *   Reduced     → any cached result first, else the fastest healthy provider (202);
 *   Basic       → any cached result, else the local matcher inline (201); jobs still queued
 *                 from a higher level are answered by the local matcher too (no provider call);
 *   no healthy provider (breakers open) or no providers configured → as Basic.
 * Maintenance never reaches here (writes are refused before). The id of a result is derived from
 * tenant + resume + job + input digest + provider + prompt version, so it is also the BullMQ job
 * id: a duplicate request joins the same job, a retried job writes one row (ON CONFLICT).
 */
export class AnalysisService {
  readonly cacheRequests: Counter<'result'>;

  constructor(private readonly deps: AnalysisServiceDeps) {
    this.cacheRequests = new Counter({
      name: 'matcher_cache_requests_total', help: 'Analysis cache lookups by result (hit, miss, error).',
      labelNames: ['result'], registers: [deps.registry],
    });
  }

  private key(tenantId: string, resumeId: string, jobId: string, digest: string, provider: string): string {
    return `${tenantId}|${resumeId}|${jobId}|${digest}|${provider}|${this.deps.promptVersion}`;
  }

  private cacheKey(tenantId: string, resumeId: string, jobId: string, digest: string, provider: string): string {
    return `${this.deps.cachePrefix}:cache:${this.deps.promptVersion}:${provider}:${tenantId}:${resumeId}:${jobId}:${digest}`;
  }

  private async cacheGet(keys: string[]): Promise<AnalysisRow | undefined> {
    if (keys.length === 0) return undefined;
    try {
      const values = await this.deps.redis.mget(...keys);
      const hit = values.find((v) => v !== null);
      this.cacheRequests.inc({ result: hit ? 'hit' : 'miss' });
      return hit ? (JSON.parse(hit) as AnalysisRow) : undefined;
    } catch {
      this.cacheRequests.inc({ result: 'error' });
      return undefined;
    }
  }

  private async cacheSet(key: string, row: AnalysisRow, ttlSeconds = this.deps.cacheTtlSeconds): Promise<void> {
    await this.deps.redis.set(key, JSON.stringify(row), 'EX', ttlSeconds).catch(() => undefined);
  }

  async submit(tenantId: string, resumeId: string, jobId: string): Promise<SubmitOutcome> {
    const level = this.deps.levels.current();
    const pair = await this.deps.repo.loadPair(tenantId, resumeId, jobId);
    const input = inputs(pair.resume, pair.job);
    const digest = inputDigest(input.resume, input.job);
    const ck = (p: string) => this.cacheKey(tenantId, resumeId, jobId, digest, p);
    const allKeys = [...this.deps.providerOrder, LOCAL_PROVIDER].map(ck);

    let provider: string | undefined;
    if (level === 'Full' && this.deps.breakers) {
      provider = this.deps.breakers.choose('Full');
      if (provider) {
        const cached = await this.cacheGet([ck(provider)]);
        if (cached) return { status: 200, row: cached, source: 'cache' };
      }
    }
    if (!provider) {
      // Reduced and Basic (and Full without a healthy provider): any cached answer first.
      const cached = await this.cacheGet(allKeys);
      if (cached) return { status: 200, row: cached, source: 'cache' };
      if (level === 'Reduced' || level === 'Full') provider = this.deps.breakers?.choose('Reduced');
    }
    if (provider && this.deps.queues?.has(provider)) {
      const id = analysisId(this.key(tenantId, resumeId, jobId, digest, provider));
      const stored = await this.deps.repo.findAnalysis(tenantId, id);
      if (stored) {
        await this.cacheSet(ck(provider), stored);
        return { status: 200, row: stored, source: 'database' };
      }
      await this.deps.queues.enqueue({
        analysisId: id, tenantId, resumeId, jobId, provider, promptVersion: this.deps.promptVersion, cacheKey: ck(provider), level,
        resume: input.resume, job: input.job, enqueuedAt: Date.now(),
      });
      return { status: 202, pending: { id, provider, state: 'queued' } };
    }
    // The local matcher, inline.
    const started = performance.now();
    const result = analyse(input.resume, input.job, { asOf: new Date() });
    const id = analysisId(this.key(tenantId, resumeId, jobId, digest, LOCAL_PROVIDER));
    const { row, created } = await this.deps.repo.storeAnalysis(id, tenantId, resumeId, jobId, result, level, performance.now() - started);
    await this.cacheSet(ck(LOCAL_PROVIDER), row);
    return { status: created ? 201 : 200, row, source: 'local' };
  }

  async get(tenantId: string, id: string): Promise<GetOutcome> {
    const row = await this.deps.repo.findAnalysis(tenantId, id);
    if (row) return { status: 200, row };
    const pending = await this.deps.queues?.find(id, tenantId);
    if (pending && pending.state === 'failed') {
      // Only an unrecoverable job fails for good (its resume or job was deleted): there is no result.
      throw new PlimsollError('ANALYSIS_NOT_FOUND', `analysis ${id} has no result: ${pending.failedReason ?? 'its job failed'}`);
    }
    if (pending) return { status: 202, pending: { id, ...pending } };
    return { status: 200, row: await this.deps.repo.getAnalysis(tenantId, id) }; // throws ANALYSIS_NOT_FOUND
  }

  /** The BullMQ processor: provider call through its breaker, fallback, idempotent store, cache. */
  readonly process = async (job: Job<AnalysisJobData, AnalysisJobResult>): Promise<AnalysisJobResult> => {
    const d = job.data;
    const started = performance.now();
    const local = analyse(d.resume, d.job, { asOf: new Date(d.enqueuedAt) });
    let result: AnalysisResult = local;
    let fallback = false;
    // Basic (and Maintenance) make no provider calls, also for jobs queued before the level
    // changed: the local matcher drains the queue at once instead of leaving it to the providers'
    // rate limits while the deadline of every waiting analysis runs out.
    const level = this.deps.levels.current();
    if (level === 'Basic' || level === 'Maintenance') {
      return this.finish(d, local, true, started, `the service level is ${level}`);
    }
    try {
      if (!this.deps.breakers) throw new BreakerOpenError(d.provider);
      const answer = await this.deps.breakers.call(d.provider, { resume: d.resume, job: d.job, local, promptVersion: d.promptVersion });
      fallback = !answer.usable;
      result = answer.usable ? { ...answer.result, matcherVersion: `${d.provider}:${d.promptVersion}` } : local;
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'rate_limited') {
        // Back off the whole queue (every replica) for Retry-After; the job goes back to waiting
        // without spending an attempt.
        await this.deps.queues?.queue(d.provider)?.rateLimit(Math.max(100, error.retryAfterMs ?? 1000));
        throw Worker.RateLimitError();
      }
      if (!(error instanceof BreakerOpenError) && job.attemptsMade + 1 < this.deps.attempts) throw error;
      this.deps.logger.info({ jobId: job.id, provider: d.provider, err: (error as Error).message }, 'provider unavailable: local matcher answers');
      fallback = true;
    }
    return this.finish(d, result, fallback, started, `${d.provider} was unavailable`);
  };

  /** Store the answer (idempotently) and cache it; a fallback says why the local matcher answered. */
  private async finish(d: AnalysisJobData, result: AnalysisResult, fallback: boolean, started: number, why: string): Promise<AnalysisJobResult> {
    let row: AnalysisRow;
    try {
      ({ row } = await this.deps.repo.storeAnalysis(d.analysisId, d.tenantId, d.resumeId, d.jobId,
        fallback ? { ...result, explanation: `${result.explanation} (local matcher: ${why})` } : result,
        d.level as ServiceLevel, performance.now() - started));
    } catch (error) {
      if (isPlimsollError(error) && (error.code === 'RESUME_NOT_FOUND' || error.code === 'JOB_NOT_FOUND')) throw new UnrecoverableError(error.message);
      throw error;
    }
    // A fallback answer is cached briefly: the provider's own answer should replace it soon.
    await this.cacheSet(d.cacheKey, row, fallback ? Math.min(60, this.deps.cacheTtlSeconds) : this.deps.cacheTtlSeconds);
    return { analysisId: d.analysisId, provider: fallback ? LOCAL_PROVIDER : d.provider, fallback };
  }
}
