/**
 * Why opening a database connection failed, as a small fixed set of reasons for the
 * matcher_db_connection_errors_total counter. `client_limit` is the connection budget biting:
 * PgBouncer refuses a client past max_client_conn (SQLSTATE 08P01 with that text; 1.24+ adds
 * per-database and per-user limits) and PostgreSQL past max_connections (53300).
 */
export const CONNECTION_ERROR_REASONS = ['client_limit', 'timeout', 'unreachable', 'auth', 'other'] as const;
export type ConnectionErrorReason = (typeof CONNECTION_ERROR_REASONS)[number];

const CLIENT_LIMIT = /no more connections allowed|max_client_conn|max_db_client_connections|max_user_client_connections|too many (clients|connections)/i;

export function connectionErrorReason(error: unknown): ConnectionErrorReason {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '53300' || CLIENT_LIMIT.test(message)) return 'client_limit';
  if (code === '28P01' || code === '28000' || /password authentication failed|SASL|SCRAM/i.test(message)) return 'auth';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' || /Connection terminated unexpectedly/.test(message)) return 'unreachable';
  if (code === 'ETIMEDOUT' || /timeout/i.test(message)) return 'timeout';
  return 'other';
}
