/**
 * Who answered the analyses the users requested. A 2xx is not the same answer whatever produced
 * it: an AI provider's analysis is what the product offers, the local matcher's is a degraded
 * answer (inline at Basic, or the fallback when a provider was unavailable), and a cached or
 * stored result is only as good as whoever produced it first. Pure: reads the matcher's answer
 * bodies and classifies the records the workload kept.
 */
import { answeredBy } from '../../src/matcher/analysis/answered-by.js';
import { LOCAL_PROVIDER } from '../../src/matcher/providers/provider.js';
import type { Series } from './prometheus.js';
import type { AnalysisRecord, AnalysisSource } from './records.js';

/** The `answeredBy` of an analysis the local matcher produced. */
export const LOCAL = LOCAL_PROVIDER;

/**
 * One outcome per requested analysis:
 *   provider      — an AI provider's answer, produced for this request (queued, then polled in time);
 *   cacheProvider — a cached or stored answer an AI provider produced earlier;
 *   local         — the local matcher, inline (Basic) or as the fallback for a queued analysis;
 *   cacheLocal    — a cached or stored answer the local matcher produced earlier;
 *   late          — queued, and no result within the deadline (the user gave up);
 *   failed        — the POST failed (error, timeout) or the queued job failed for good;
 *   shed          — the POST was shed (429/503 with Retry-After);
 *   unresolved    — queued, and the run ended before the deadline.
 */
export const ANALYSIS_OUTCOMES = ['provider', 'cacheProvider', 'local', 'cacheLocal', 'late', 'failed', 'shed', 'unresolved'] as const;
export type AnalysisOutcome = (typeof ANALYSIS_OUTCOMES)[number];

/** How the summary and the page name each outcome. */
export const OUTCOME_LABELS: Record<AnalysisOutcome, string> = {
  provider: 'provider', cacheProvider: 'cached provider', local: 'local', cacheLocal: 'cached local',
  late: 'late', failed: 'failed', shed: 'shed', unresolved: 'unresolved',
};

/** The sources X-Analysis-Source may name; anything else (an older matcher) is unknown. */
const HEADER_SOURCES: readonly string[] = ['cache', 'database', 'local'] satisfies AnalysisSource[];

export function analysisSourceOf(header: string | undefined): AnalysisSource | undefined {
  const value = header?.trim().toLowerCase();
  return value !== undefined && HEADER_SOURCES.includes(value) ? (value as AnalysisSource) : undefined;
}

/**
 * Who produced an analysis body: its `answeredBy`, or, from a matcher older than that field, the
 * provider prefix of `matcherVersion` (`<provider>:<promptVersion>`); a version without one is the
 * local matcher's. Undefined when the body names neither.
 */
export function answeredByOf(data: { answeredBy?: unknown; matcherVersion?: unknown } | undefined): string | undefined {
  if (typeof data?.answeredBy === 'string' && data.answeredBy !== '') return data.answeredBy;
  return typeof data?.matcherVersion === 'string' ? answeredBy(data.matcherVersion) : undefined;
}

export function analysisOutcome(a: AnalysisRecord): AnalysisOutcome {
  switch (a.state) {
    case 'gaveUp': return 'late';
    case 'failed': return 'failed';
    case 'shed': return 'shed';
    case 'unresolved': return 'unresolved';
    case 'completed': break;
  }
  // An answer that names no producer is not counted as an AI answer: the score stays honest.
  const byProvider = a.answeredBy !== undefined && a.answeredBy !== LOCAL;
  // Answered at once: the local matcher inline, or a result that existed before (cache, stored).
  // A provider cannot answer inline, so an immediate provider answer was stored whatever the header.
  const earlier = a.immediate && (a.source === 'cache' || a.source === 'database' || (a.source === undefined && byProvider));
  if (earlier) return byProvider ? 'cacheProvider' : 'cacheLocal';
  return byProvider ? 'provider' : 'local';
}

export interface AnswerSummary {
  /** Every requested analysis, one outcome each. */
  outcomes: Record<AnalysisOutcome, number>;
  /** outcomes ÷ analyses requested; null when none was. */
  shares: Record<AnalysisOutcome, number | null>;
  /** (provider + cacheProvider) ÷ analyses requested: the share that got what the product offers. */
  aiAnswerShare: number | null;
  /** Completed analyses by producer (`local`, a provider's name, or `unknown`). */
  answeredBy: Record<string, number>;
}

export function answerSummary(analyses: AnalysisRecord[]): AnswerSummary {
  const outcomes = Object.fromEntries(ANALYSIS_OUTCOMES.map((o) => [o, 0])) as Record<AnalysisOutcome, number>;
  const answeredBy: Record<string, number> = {};
  for (const a of analyses) {
    outcomes[analysisOutcome(a)]++;
    if (a.state === 'completed') answeredBy[a.answeredBy ?? 'unknown'] = (answeredBy[a.answeredBy ?? 'unknown'] ?? 0) + 1;
  }
  const n = analyses.length;
  const share = (k: number) => (n === 0 ? null : k / n);
  return {
    outcomes,
    shares: Object.fromEntries(ANALYSIS_OUTCOMES.map((o) => [o, share(outcomes[o])])) as Record<AnalysisOutcome, number | null>,
    aiAnswerShare: share(outcomes.provider + outcomes.cacheProvider),
    answeredBy,
  };
}

/** The lines of the answer-sources chart: the outcomes the page draws, the unanswered together. */
const SOURCE_LINES: Array<{ id: string; label: string; outcomes: AnalysisOutcome[] }> = [
  { id: 'answers-provider', label: 'AI provider, fresh', outcomes: ['provider'] },
  { id: 'answers-cache-provider', label: 'AI provider, cached or stored', outcomes: ['cacheProvider'] },
  { id: 'answers-local', label: 'local matcher (inline or fallback)', outcomes: ['local'] },
  { id: 'answers-cache-local', label: 'local matcher, cached or stored', outcomes: ['cacheLocal'] },
  { id: 'answers-none', label: 'late, failed or shed', outcomes: ['late', 'failed', 'shed'] },
];

/**
 * Shares of the analyses settled in each step (by the time the user held the result or gave up),
 * one line per source; a step that settled none has no point. Unresolved analyses never settled.
 */
export function answerSeries(analyses: AnalysisRecord[], durationSeconds: number, stepSeconds: number): Series[] {
  const count = Math.max(1, Math.ceil(durationSeconds / stepSeconds));
  const buckets = Array.from({ length: count }, () => new Map<AnalysisOutcome, number>());
  const totals = new Array<number>(count).fill(0);
  for (const a of analyses) {
    if (a.resolvedAt === undefined) continue;
    const i = Math.floor(a.resolvedAt / stepSeconds);
    if (i < 0 || i >= count) continue;
    const outcome = analysisOutcome(a);
    buckets[i]!.set(outcome, (buckets[i]!.get(outcome) ?? 0) + 1);
    totals[i]!++;
  }
  return SOURCE_LINES.map(({ id, label, outcomes }) => ({
    id, label, chart: 'sources' as const, source: 'measured' as const,
    points: buckets.flatMap((b, i) => (totals[i] === 0 ? [] : [[i * stepSeconds, outcomes.reduce((s, o) => s + (b.get(o) ?? 0), 0) / totals[i]!] as [number, number]])),
  }));
}
