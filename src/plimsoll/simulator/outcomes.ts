/**
 * What became of each analysis request (`arrivals × analysisShare`): every one ends in exactly
 * one of these outcomes, so their sum is the number of analyses that have an outcome. The
 * categories are what a user of the matcher can tell apart: an AI answer (fresh or cached), a
 * degraded local answer, or no answer.
 */
export interface AnalysisOutcomes {
  /** Answered by a provider within the job deadline. */
  provider: number;
  /** Served from the cache, a provider's answer. */
  cacheProvider: number;
  /** Served from the cache, an answer the local matcher produced earlier. */
  cacheLocal: number;
  /** Answered by the local matcher: inline (Basic, no healthy provider, every queue at its admission limit) or a queued job handed to it. */
  local: number;
  /** Answered after its deadline: a queued job past `jobDeadlineSeconds`, an inline answer past the client's timeout. */
  late: number;
  /** Refused by admission control (503) or by Maintenance. */
  shed: number;
  /** Errors: connections PgBouncer refused, no ready replica, a replica killed by OOM. */
  failed: number;
}

export const OUTCOMES = ['provider', 'cacheProvider', 'cacheLocal', 'local', 'late', 'shed', 'failed'] as const satisfies ReadonlyArray<keyof AnalysisOutcomes>;

export function noOutcomes(): AnalysisOutcomes {
  return { provider: 0, cacheProvider: 0, cacheLocal: 0, local: 0, late: 0, shed: 0, failed: 0 };
}

export function totalOutcomes(o: AnalysisOutcomes): number {
  return OUTCOMES.reduce((s, k) => s + o[k], 0);
}

export function addOutcomes(into: AnalysisOutcomes, from: AnalysisOutcomes): void {
  for (const k of OUTCOMES) into[k] += from[k];
}

/** Each outcome as a share of all of them (zeros when there are none). */
export function sharesOf(o: AnalysisOutcomes): AnalysisOutcomes {
  const total = totalOutcomes(o);
  const shares = noOutcomes();
  if (total > 0) for (const k of OUTCOMES) shares[k] = o[k] / total;
  return shares;
}

/** AI answers: a provider's, fresh or from the cache. */
export function aiAnswers(o: AnalysisOutcomes): number {
  return o.provider + o.cacheProvider;
}

/**
 * Whose answers the cache holds. The matcher caches every answer under its producer's key
 * (`…:<provider>:…`, `…:local:…`); Full looks up only the chosen provider's key, so a Full hit
 * is a provider's answer. Reduced and Basic look up every key, providers first, so their extra
 * hits (the model's `degradedCacheHitBonus`, pairs Full would miss) are a provider's answer in
 * the proportion of provider answers among all fresh answers so far. The cache starts warm with
 * provider answers: every run begins at Full.
 */
export class CacheMix {
  private providerAnswers = 0;
  private localAnswers = 0;

  record(provider: number, local: number): void {
    this.providerAnswers += provider;
    this.localAnswers += local;
  }

  /** The share of provider answers among the cache's entries a degraded lookup may find. */
  providerShare(): number {
    const all = this.providerAnswers + this.localAnswers;
    return all === 0 ? 1 : this.providerAnswers / all;
  }
}
