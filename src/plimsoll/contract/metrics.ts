/**
 * The metric a runtime client exports (`<prefix>_runtime_generation`: the applied generation,
 * −1 before the first document), and the matcher's metric names that policies (examples/), the
 * chart's alerts and dashboard, and the load tests read. The matcher registers its metrics under
 * these names and nothing else spells them, so a rename is one change here that the packaging
 * tests check against every query.
 */
export function runtimeGenerationMetric<P extends string>(prefix: P): `${P}_runtime_generation` {
  return `${prefix}_runtime_generation`;
}

/** The prefix the matcher's runtime client exports its metric under. */
export const MATCHER_METRIC_PREFIX = 'matcher';

export const matcherMetrics = {
  httpRequestDuration: 'matcher_http_request_duration_seconds',
  httpRequests: 'matcher_http_requests_total',
  /** HTTP requests received and not yet answered (a gauge): leads the request rate in a surge (Little's law). */
  httpRequestsInFlight: 'matcher_http_requests_in_flight',
  dbQueryDuration: 'matcher_db_query_duration_seconds',
  dbPoolConnections: 'matcher_db_pool_connections',
  dbPoolMax: 'matcher_db_pool_max',
  /** Failed attempts to open a database connection, by reason (PgBouncer's refusals: client_limit). */
  dbConnectionErrors: 'matcher_db_connection_errors_total',
  /** The effective level's rank: 0 Full … 3 Maintenance. */
  serviceLevel: 'matcher_service_level',
  queueJobs: 'matcher_queue_jobs',
  workerConcurrency: 'matcher_worker_concurrency',
  providerRequestDuration: 'matcher_provider_request_duration_seconds',
  providerErrors: 'matcher_provider_errors_total',
  circuitBreakerState: 'matcher_circuit_breaker_state',
  cacheRequests: 'matcher_cache_requests_total',
  /** Analyses answered, by source (provider, local, cache_provider, cache_local) and effective level. */
  analyses: 'matcher_analyses_total',
  admissionRejections: 'matcher_admission_rejections_total',
  /** How late the event loop ran a timer, a histogram by effective level: its p99 over any range is one quantile. */
  eventLoopDelay: 'matcher_event_loop_delay_seconds',
  runtimeGeneration: runtimeGenerationMetric(MATCHER_METRIC_PREFIX),
} as const;
