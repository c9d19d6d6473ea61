import { createHash } from 'node:crypto';
import { PlimsollError, isPlimsollError } from '../plimsoll/errors.js';
import type { ServiceLevelSource } from '../plimsoll/runtime-client/index.js';
import type { JobInput, ResumeInput } from './analysis/analyse.js';
import type { LocalAnalysis } from './analysis/pool.js';
import type { AnalysisCache } from './analysis-cache.js';
import { answeredBy, storedAnswerSource, type AnswerObserver } from './analysis/answered-by.js';
import type { ProviderBreakers } from './providers/provider-breakers.js';
import { LOCAL_PROVIDER } from './providers/provider.js';
import type { AnalysisQueues } from './queues/analysis-queues.js';
import type { AnalysisRow, JobRow, Repository, ResumeRow } from './repository.js';

export type SubmitOutcome =
  | { status: 200 | 201; row: AnalysisRow; source: 'cache' | 'database' | 'local' }
  | { status: 202; pending: { id: string; provider: string; state: string } };

export type GetOutcome = { status: 200; row: AnalysisRow } | { status: 202; pending: { id: string; provider: string; state: string; attemptsMade: number } };

export interface AnalysisServiceDeps {
  repo: Repository;
  cache: AnalysisCache;
  levels: ServiceLevelSource;
  /** Absent when no provider is configured: every analysis is the local matcher's. */
  queues?: AnalysisQueues;
  breakers?: ProviderBreakers;
  /** Provider names by accuracy, most accurate first (cache lookups in Reduced/Basic try them in order). */
  providerOrder: string[];
  promptVersion: string;
  /** Counts each answer by source and level (matcher_analyses_total). */
  answers?: AnswerObserver;
  /** The local matcher, off the event loop (analysis/pool.ts). */
  localAnalysis: LocalAnalysis;
}

/** A deterministic UUID (version 8 layout) from the idempotency key: the job id and the result id. */
export function analysisId(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Whether an id has analysisId()'s layout (version 8): one this service may have handed out. */
export function isAnalysisId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id);
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
 *                 when its queue holds what it can answer within the deadline (the runtime
 *                 document's maxWaiting), the next healthy provider with room, else any cached
 *                 answer, else the local matcher inline (201);
 *   Reduced     → any cached result first, else the fastest healthy provider (202) while its
 *                 queue has room, else the local matcher inline;
 *   Basic       → any cached result, else the local matcher inline (201); jobs still queued
 *                 from a higher level are answered by the local matcher too (no provider call);
 *   no healthy provider (breakers open) or no providers configured → as Basic.
 * Maintenance never reaches here (writes are refused before). Jobs are processed by
 * AnalysisWorker. The id of a result is derived from
 * tenant + resume + job + input digest + provider + prompt version, so it is also the BullMQ job
 * id: a duplicate request joins the same job, a retried job writes one result (ON CONFLICT).
 *
 * The queue's Redis unreachable: no job is queued (the request does not wait for Redis); the
 * local matcher answers at once, and a pending analysis cannot be read (QUEUE_UNAVAILABLE, with
 * Retry-After). A result stored under a provider's id that is the local matcher's fallback is
 * answered as it is and its job is run again for the provider, whose answer replaces it.
 */
export class AnalysisService {
  constructor(private readonly deps: AnalysisServiceDeps) {}

  private key(tenantId: string, resumeId: string, jobId: string, digest: string, provider: string): string {
    return `${tenantId}|${resumeId}|${jobId}|${digest}|${provider}|${this.deps.promptVersion}`;
  }

  async submit(tenantId: string, resumeId: string, jobId: string): Promise<SubmitOutcome> {
    const level = this.deps.levels.current();
    const pair = await this.deps.repo.loadPair(tenantId, resumeId, jobId);
    const input = inputs(pair.resume, pair.job);
    const digest = inputDigest(input.resume, input.job);
    const ck = (p: string) => this.deps.cache.key(tenantId, resumeId, jobId, digest, p);
    const allKeys = [...this.deps.providerOrder, LOCAL_PROVIDER].map(ck);

    let preferred: string | undefined;
    if (level === 'Full' && this.deps.breakers) {
      preferred = this.deps.breakers.choose('Full');
      if (preferred) {
        const cached = await this.deps.cache.get([ck(preferred)]);
        // A cached fallback under the provider's key is not the provider's answer: go on, so its job runs again.
        if (cached && answeredBy(cached.matcher_version) !== LOCAL_PROVIDER) return this.stored(cached, 'cache', level);
      }
    }
    let anyCacheChecked = false;
    if (!preferred) {
      // Reduced and Basic (and Full without a healthy provider): any cached answer first.
      const cached = await this.deps.cache.get(allKeys);
      if (cached) return this.stored(cached, 'cache', level);
      anyCacheChecked = true;
    }
    const provider = this.providerWithRoom(level);
    if (provider) {
      const id = analysisId(this.key(tenantId, resumeId, jobId, digest, provider));
      const stored = await this.deps.repo.findAnalysis(tenantId, id);
      const data = {
        analysisId: id, tenantId, resumeId, jobId, provider, promptVersion: this.deps.promptVersion, cacheKey: ck(provider), level,
        resume: input.resume, job: input.job, enqueuedAt: Date.now(),
      };
      if (stored && answeredBy(stored.matcher_version) === LOCAL_PROVIDER) {
        // The local matcher's fallback under the provider's id: answer it now, and let the
        // provider's answer replace it (the job runs again; the store replaces a fallback).
        await this.deps.queues!.enqueue(data, { rerunCompleted: true }).catch(() => undefined);
        await this.deps.cache.set(ck(provider), stored, Math.min(60, this.deps.cache.ttlSeconds));
        return this.stored(stored, 'database', level);
      }
      if (stored) {
        await this.deps.cache.set(ck(provider), stored);
        return this.stored(stored, 'database', level);
      }
      const queued = await this.deps.queues!.enqueue(data).then(() => true, (error: unknown) => {
        if (isPlimsollError(error) && error.code === 'QUEUE_UNAVAILABLE') return false;
        throw error;
      });
      if (queued) return { status: 202, pending: { id, provider, state: 'queued' } };
    }
    if (!anyCacheChecked) {
      // Every provider's queue is full: another provider's cached answer beats the local matcher's.
      const cached = await this.deps.cache.get(allKeys);
      if (cached) return this.stored(cached, 'cache', level);
    }
    // The local matcher, inline.
    const started = performance.now();
    const result = await this.deps.localAnalysis(input.resume, input.job, new Date());
    const id = analysisId(this.key(tenantId, resumeId, jobId, digest, LOCAL_PROVIDER));
    const { row, created } = await this.deps.repo.storeAnalysis(id, tenantId, resumeId, jobId, result, level, performance.now() - started);
    await this.deps.cache.set(ck(LOCAL_PROVIDER), row);
    this.deps.answers?.answered('local', level);
    return { status: created ? 201 : 200, row, source: 'local' };
  }

  /**
   * The provider to queue for: at Full the most accurate healthy one whose queue has room, then
   * the next (work-conserving: a full queue overflows to the other providers before the local
   * matcher); at Reduced only the fastest healthy one. None at Basic, or when every queue is full.
   */
  private providerWithRoom(level: string): string | undefined {
    const { breakers, queues } = this.deps;
    if (!breakers || !queues || (level !== 'Full' && level !== 'Reduced')) return undefined;
    if (!queues.reachable()) return undefined;
    const candidates = level === 'Full' ? breakers.ranked('Full') : breakers.ranked('Reduced').slice(0, 1);
    return candidates.find((p) => queues.has(p) && queues.hasRoom(p));
  }

  /** An answer already stored (cache or database), counted by whose answer it was. */
  private stored(row: AnalysisRow, source: 'cache' | 'database', level: string): SubmitOutcome {
    this.deps.answers?.answered(storedAnswerSource(row.matcher_version), level);
    return { status: 200, row, source };
  }

  async get(tenantId: string, id: string): Promise<GetOutcome> {
    const row = await this.deps.repo.findAnalysis(tenantId, id);
    if (row) return { status: 200, row };
    const { queues } = this.deps;
    if (!queues) return { status: 200, row: await this.deps.repo.getAnalysis(tenantId, id) }; // throws ANALYSIS_NOT_FOUND
    const pending = await queues.find(id, tenantId); // QUEUE_UNAVAILABLE (503, Retry-After) while Redis is down
    if (pending && pending.state === 'failed') {
      throw new PlimsollError('ANALYSIS_LOST', `analysis ${id} has no result: its job failed (${pending.failedReason ?? 'no reason given'}); `
        + 'POST /v1/analyses again with the same resumeId and jobId to run it again');
    }
    if (pending) return { status: 202, pending: { id, ...pending } };
    // A result may have landed between the two reads.
    const landed = await this.deps.repo.findAnalysis(tenantId, id);
    if (landed) return { status: 200, row: landed };
    // No result and no job for an id of ours: its job was lost (Redis restarted without
    // persistence, or a failed job expired). Saying so beats a 404 the client cannot act on.
    if (isAnalysisId(id)) {
      throw new PlimsollError('ANALYSIS_LOST', `analysis ${id} has neither a result nor a job (its job was lost); `
        + 'POST /v1/analyses again with the same resumeId and jobId to run it again');
    }
    throw new PlimsollError('ANALYSIS_NOT_FOUND', `analysis ${id} not found`);
  }
}
