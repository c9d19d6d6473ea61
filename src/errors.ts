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
