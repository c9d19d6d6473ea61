/**
 * The load runner's own failures, with stable codes a script can match (the shared catalogue in
 * src/plimsoll/errors.ts is the product's; these belong to the test harness).
 */
export type LoadTestErrorCode =
  | 'TARGET_UNREACHABLE'
  | 'PROMETHEUS_UNREACHABLE'
  | 'PGBOUNCER_UNREACHABLE'
  | 'PGBOUNCER_DATABASE_UNKNOWN'
  | 'KEYS_INVALID'
  | 'DISCOVERY_FAILED'
  | 'AUTOCANNON_UNSUPPORTED'
  | 'INTERRUPTED';

export class LoadTestError extends Error {
  constructor(readonly code: LoadTestErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'LoadTestError';
  }
}
