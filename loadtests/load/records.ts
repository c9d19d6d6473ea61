/** What the runner keeps per request and per analysis: the raw material of every statistic. */
import type { ErrorKind, LevelName, OutcomeClass } from './outcome.js';

export const REQUEST_KINDS = ['analysis-new', 'analysis-repeat', 'result-read', 'result-poll', 'list-analyses', 'list-resumes', 'list-jobs'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** The matcher's route label for each kind (matcher_http_requests_total{method,route}). */
export const ROUTE_OF: Record<RequestKind, { method: string; route: string }> = {
  'analysis-new': { method: 'POST', route: '/v1/analyses' },
  'analysis-repeat': { method: 'POST', route: '/v1/analyses' },
  'result-read': { method: 'GET', route: '/v1/analyses/:id' },
  'result-poll': { method: 'GET', route: '/v1/analyses/:id' },
  'list-analyses': { method: 'GET', route: '/v1/analyses' },
  'list-resumes': { method: 'GET', route: '/v1/resumes' },
  'list-jobs': { method: 'GET', route: '/v1/jobs' },
};

export interface RequestRecord {
  kind: RequestKind;
  /** Seconds since the run started when the request was sent and when its answer (or failure) came. */
  sentAt: number;
  doneAt: number;
  latencyMs: number;
  outcome: OutcomeClass;
  status: number;
  level: LevelName;
  errorKind?: ErrorKind | undefined;
  reason?: string | undefined;
  /** POST /v1/analyses answered 202: the analysis is queued; its fate is in an AnalysisRecord. */
  queued?: boolean;
}

/** Where the matcher says a 200/201 answer to POST /v1/analyses came from (X-Analysis-Source);
 *  `queue` is ours: the result a user polled after a 202. */
export const ANALYSIS_SOURCES = ['cache', 'database', 'local', 'queue'] as const;
export type AnalysisSource = (typeof ANALYSIS_SOURCES)[number];

/**
 * One analysis a user requested (every POST /v1/analyses), followed to its result: immediately
 * (200/201: cache, stored, local matcher), by the user polling GET /v1/analyses/:id on their next
 * reads after a 202, or not at all (the POST was shed or failed).
 */
export interface AnalysisRecord {
  /** Absent when the POST was refused: no analysis exists. */
  id?: string;
  postedAt: number;
  /** completed: a result arrived within the deadline; gaveUp: none within it (the simulator's
   *  jobDeadlineSeconds); failed: the job failed for good (404), or the POST itself failed;
   *  shed: the POST was shed (429/503 with Retry-After); unresolved: the run ended first. */
  state: 'completed' | 'gaveUp' | 'failed' | 'shed' | 'unresolved';
  resolvedAt?: number;
  /** Seconds from sending the POST to holding the result (poll granularity: ~ the think time). */
  timeToResultSeconds?: number;
  /** The POST's own answer settled it (a result, or a refusal); false: queued (202) and polled. */
  immediate: boolean;
  /** How a completed analysis's result reached the user. */
  source?: AnalysisSource;
  /** Who produced the result: an AI provider's name, or `local` (the local matcher, fallbacks included). */
  answeredBy?: string;
}
