import type { AnalysisResult, JobInput, ResumeInput } from '../analysis/analyse.js';

/** The local matcher, named as a provider (in cache keys, and in a job's result when it answered). */
export const LOCAL_PROVIDER = 'local';

/** What a provider is asked: the two documents, and the local matcher's answer as the base. */
export interface ProviderRequest {
  resume: ResumeInput;
  job: JobInput;
  /** The local matcher's result: the skill lists the provider refines, and the fallback. */
  local: AnalysisResult;
  promptVersion: string;
}

export interface ProviderAnswer {
  result: AnalysisResult;
  /** False when the reply was unusable and `result` is the local matcher's (counted as invalid_reply). */
  usable: boolean;
}

export type ProviderErrorKind = 'rate_limited' | 'timeout' | 'server' | 'client' | 'network';

/** A provider call that failed; a control-flow signal for the queue (retry, rate-limit, fall back). */
export class ProviderError extends Error {
  constructor(readonly provider: string, readonly kind: ProviderErrorKind, message: string, readonly retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderError';
  }
}

export interface AnalysisProvider {
  readonly name: string;
  analyse(request: ProviderRequest): Promise<ProviderAnswer>;
}
