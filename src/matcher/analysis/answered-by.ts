/**
 * Who produced an analysis, and how it reached the caller: the honest score of an answer. A
 * provider's answer is the product; the local matcher's is a degraded one; a cached or stored
 * answer is whichever of the two was stored.
 */
import { LOCAL_PROVIDER } from '../providers/provider.js';

/** How an answer reached the caller (the `source` label of matcher_analyses_total). */
export const ANSWER_SOURCES = ['provider', 'local', 'cache_provider', 'cache_local'] as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[number];

/** Counts answers; the matcher's metrics implement it, tests may pass their own. */
export interface AnswerObserver {
  answered(source: AnswerSource, level: string): void;
}

/**
 * The provider named in a stored result's matcher version (`<provider>:<prompt version>`, as the
 * worker writes it), or `local` for the local matcher's (`local-1.0.0`, no provider prefix).
 */
export function answeredBy(matcherVersion: string): string {
  const colon = matcherVersion.indexOf(':');
  return colon > 0 ? matcherVersion.slice(0, colon) : LOCAL_PROVIDER;
}

/** The source of a cached or stored answer: whose answer the stored one was. */
export function storedAnswerSource(matcherVersion: string): AnswerSource {
  return answeredBy(matcherVersion) === LOCAL_PROVIDER ? 'cache_local' : 'cache_provider';
}
