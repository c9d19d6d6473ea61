/**
 * The one error catalogue. Every error Plimsoll reports to a user (CLI, HTTP API, status
 * condition) carries one of these stable codes, so scripts and dashboards can match on the code
 * while the message stays free to improve.
 */
export const errorCatalogue = {
  // Command line and files
  USAGE: { httpStatus: 400, summary: 'The command line is wrong.' },
  FILE_NOT_FOUND: { httpStatus: 404, summary: 'A file named on the command line does not exist.' },
  FILE_UNREADABLE: { httpStatus: 400, summary: 'A file could not be read or parsed as YAML/JSON.' },
  // The ScalingPolicy API
  POLICY_INVALID: { httpStatus: 422, summary: 'A ScalingPolicy breaks the schema or a validation rule.' },
  SCENARIO_INVALID: { httpStatus: 422, summary: 'A simulator scenario file is invalid.' },
  CRD_DRIFT: { httpStatus: 500, summary: 'The committed CRD differs from the one generated from the schema.' },
  // Configuration parsed at start-up
  CONFIG_INVALID: { httpStatus: 500, summary: 'The process configuration (environment or flags) is invalid.' },
  // The matcher's HTTP API
  VALIDATION_FAILED: { httpStatus: 400, summary: 'The request body, query or path breaks the schema; details name each field.' },
  MALFORMED_JSON: { httpStatus: 400, summary: 'The request body is not valid JSON.' },
  INVALID_ENCODING: { httpStatus: 400, summary: 'The request body is not valid UTF-8.' },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, summary: 'The request body must be application/json.' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, summary: 'The request body exceeds the size limit.' },
  INVALID_CONTENT_ENCODING: { httpStatus: 400, summary: 'The request body does not decode with its Content-Encoding (gzip, deflate, br).' },
  INVALID_CURSOR: { httpStatus: 400, summary: 'The pagination cursor is malformed, forged, from another list or tenant, or expired.' },
  UNAUTHENTICATED: { httpStatus: 401, summary: 'A valid API key is required (Authorization: Bearer <key> or X-API-Key).' },
  AUTH_RATE_LIMITED: { httpStatus: 429, summary: 'This client presented too many invalid API keys; retry after the Retry-After delay.' },
  IDEMPOTENCY_KEY_REUSED: { httpStatus: 422, summary: 'This Idempotency-Key was used with a different request (method, path or body).' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { httpStatus: 409, summary: 'A request with this Idempotency-Key is still being processed; retry after the Retry-After delay.' },
  ROUTE_NOT_FOUND: { httpStatus: 404, summary: 'No such endpoint.' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, summary: 'The endpoint exists but not for this HTTP method.' },
  RESUME_NOT_FOUND: { httpStatus: 404, summary: 'No resume with this id for this tenant.' },
  JOB_NOT_FOUND: { httpStatus: 404, summary: 'No job description with this id for this tenant.' },
  ANALYSIS_NOT_FOUND: { httpStatus: 404, summary: 'No analysis with this id for this tenant.' },
  ANALYSIS_TIMEOUT: { httpStatus: 503, summary: 'The local matcher did not finish an analysis within its deadline (MATCHER_ANALYSIS_DEADLINE_MS, waiting for a free analysis thread included).' },
  ANALYSIS_LOST: { httpStatus: 410, summary: 'An accepted analysis has neither a result nor a job (its job was lost or failed for good): POST /v1/analyses again with the same resumeId and jobId.' },
  QUEUE_UNAVAILABLE: { httpStatus: 503, summary: 'The job queue (Redis) cannot be reached: new analyses are answered locally meanwhile; read a pending one again after Retry-After.' },
  DB_UNAVAILABLE: { httpStatus: 503, summary: 'The database cannot be reached.' },
  DB_POOL_TIMEOUT: { httpStatus: 503, summary: 'No database connection became free in time.' },
  DB_TIMEOUT: { httpStatus: 503, summary: 'A database statement or lock wait exceeded its time limit.' },
  NOT_READY: { httpStatus: 503, summary: 'A dependency (database, Redis, migrations) is not ready.' },
  SHUTTING_DOWN: { httpStatus: 503, summary: 'The process is shutting down.' },
  MAINTENANCE: { httpStatus: 503, summary: 'The service is in Maintenance (read-only): writes are refused, reads are served.' },
  OVERLOADED: { httpStatus: 503, summary: 'Admission control refused the request (heap or event-loop lag over its limit).' },
  QUEUE_FULL: { httpStatus: 429, summary: 'Too many analyses are waiting; retry after the Retry-After delay.' },
  TENANT_RATE_LIMITED: { httpStatus: 429, summary: 'This tenant sent more requests than its rate limit allows.' },
  RUNTIME_DOCUMENT_INVALID: { httpStatus: 500, summary: 'The runtime document is unreadable or breaks its schema; the last applied one stays.' },
  // The matcher's database migrations
  MIGRATION_INVALID: { httpStatus: 500, summary: 'A migration file is misnamed, duplicated or unreadable.' },
  MIGRATION_CHECKSUM_MISMATCH: { httpStatus: 500, summary: 'An applied migration file was changed after it was applied.' },
  MIGRATION_FAILED: { httpStatus: 500, summary: 'A migration failed to apply; it was rolled back where possible.' },
  SCHEMA_VERIFY_FAILED: { httpStatus: 500, summary: 'migrate verify found critical problems in the live schema.' },
  // The operator
  SIGNAL_FETCH_FAILED: { httpStatus: 502, summary: 'A signal source (Prometheus, PgBouncer, health) could not be read.' },
  SIGNAL_EMPTY: { httpStatus: 502, summary: 'A signal source answered with no value (emptyResult Missing).' },
  SIGNAL_AMBIGUOUS: { httpStatus: 502, summary: 'A Prometheus query returned more than one series: a signal needs exactly one (aggregate it with sum, max, ...).' },
  SIGNAL_NO_ENDPOINTS: { httpStatus: 503, summary: 'A health signal found no ready endpoint of its target to read (a rollout, a restart, a fleet scaled to 0): nothing to observe, which is not a failed source.' },
  SIGNAL_TIMEOUT: { httpStatus: 504, summary: 'A signal source did not answer within its timeout (waiting for a free slot included).' },
  SIGNAL_UNLIMITED: { httpStatus: 502, summary: 'The source reports no limit (PgBouncer\'s 0 = unlimited): it gives no connection budget.' },
  SIGNAL_SOURCE_NOT_REGISTERED: { httpStatus: 422, summary: 'A signal names a Prometheus server, PgBouncer endpoint or health URL the cluster administrator did not register (OPERATOR_SIGNAL_SOURCES_FILE), or relies on a default none is registered for: nothing is fetched.' },
  SECRET_NOT_CONSENTED: { httpStatus: 403, summary: 'A policy\'s secretRef names a Secret without the label plimsoll.dev/consumer=<policy name>: its data is not read.' },
  CONFIGMAP_NOT_OWNED: { httpStatus: 409, summary: 'The runtime ConfigMap a policy names exists and was not created by Plimsoll for this policy: it is neither written nor deleted.' },
  ACTUATION_FAILED: { httpStatus: 500, summary: 'Writing replicas, the runtime document, status or an Event failed.' },
  LEADER_FENCED: { httpStatus: 503, summary: 'An API request was refused or aborted because this operator may no longer hold the leader Lease (not renewed within the renew deadline).' },
  LEADER_ELECTION_LOST: { httpStatus: 500, summary: 'The operator lost its leader Lease: it stops and exits 1, a fresh process rebuilds its memory from status.' },
  // Anything unexpected
  INTERNAL: { httpStatus: 500, summary: 'An unexpected internal error.' },
} as const satisfies Record<string, { httpStatus: number; summary: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** One problem found in an input, named by its path (e.g. `spec.replicas.min`). */
export interface FieldProblem {
  path: string;
  message: string;
}

export class PlimsollError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly FieldProblem[];

  constructor(code: ErrorCode, message: string, options: { problems?: FieldProblem[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PlimsollError';
    this.code = code;
    this.problems = options.problems ?? [];
  }

  get httpStatus(): number {
    return errorCatalogue[this.code].httpStatus;
  }

  /** The message with every field problem on its own line, as the CLI prints it. */
  describe(): string {
    if (this.problems.length === 0) return `${this.code}: ${this.message}`;
    const lines = this.problems.map((p) => `  - ${p.path}: ${p.message}`);
    return [`${this.code}: ${this.message}`, ...lines].join('\n');
  }
}

export function isPlimsollError(value: unknown): value is PlimsollError {
  return value instanceof PlimsollError;
}
