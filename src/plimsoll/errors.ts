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
  INVALID_CURSOR: { httpStatus: 400, summary: 'The pagination cursor is malformed or from another list.' },
  UNAUTHENTICATED: { httpStatus: 401, summary: 'A valid API key is required (Authorization: Bearer <key> or X-API-Key).' },
  ROUTE_NOT_FOUND: { httpStatus: 404, summary: 'No such endpoint.' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, summary: 'The endpoint exists but not for this HTTP method.' },
  RESUME_NOT_FOUND: { httpStatus: 404, summary: 'No resume with this id for this tenant.' },
  JOB_NOT_FOUND: { httpStatus: 404, summary: 'No job description with this id for this tenant.' },
  ANALYSIS_NOT_FOUND: { httpStatus: 404, summary: 'No analysis with this id for this tenant.' },
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
  ACTUATION_FAILED: { httpStatus: 500, summary: 'Writing replicas, the runtime document, status or an Event failed.' },
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
