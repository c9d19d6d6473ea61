import type pg from 'pg';
import type { TimeoutProfile } from '../config.js';
import { PlimsollError, isPlimsollError } from '../../plimsoll/errors.js';
import { connectionErrorReason, type ConnectionErrorReason } from './connection-errors.js';
import type { ResizablePool } from '../../plimsoll/runtime-client/pool.js';

/** The kinds of work, each with its own statement / lock / idle-in-transaction limits. */
export type OperationKind = 'fast' | 'analysis' | 'admin';

/** What a transaction body may run. Parameterised queries use pg's unnamed statements only. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface QueryObserver {
  /** Seconds one operation (a whole transaction) took, by operation name. */
  observe(operation: string, seconds: number, ok: boolean): void;
  /** A connection could not be opened (PgBouncer refusing past its budget, a timeout, …). */
  connectionFailed?(reason: ConnectionErrorReason): void;
}

/**
 * Every database access goes through tx(): one transaction on one pooled connection, opened
 * with SET LOCAL limits. SET LOCAL ends with the transaction, so under PgBouncer's transaction
 * pooling no setting leaks to the next client of the same server connection, and no named
 * prepared statement is ever created (node-postgres only names a statement when asked to).
 */
export class Database {
  private readonly prelude: Record<OperationKind, string>;

  constructor(
    readonly pool: ResizablePool,
    profiles: Record<OperationKind, TimeoutProfile>,
    private readonly observer?: QueryObserver,
  ) {
    const sql = (p: TimeoutProfile) =>
      `BEGIN; SET LOCAL statement_timeout = ${p.statementTimeoutMs}; SET LOCAL lock_timeout = ${p.lockTimeoutMs}; ` +
      `SET LOCAL idle_in_transaction_session_timeout = ${p.idleInTransactionTimeoutMs}`;
    this.prelude = { fast: sql(profiles.fast), analysis: sql(profiles.analysis), admin: sql(profiles.admin) };
  }

  async tx<T>(kind: OperationKind, operation: string, body: (q: Queryable) => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let ok = false;
    const client = await this.pool.acquire().catch((error: unknown) => {
      // Counted apart from slow or failed queries: a refused connection is the budget biting.
      if (isPlimsollError(error) && error.code === 'DB_UNAVAILABLE') this.observer?.connectionFailed?.(connectionErrorReason(error.cause));
      throw error;
    });
    let broken: Error | undefined;
    try {
      await client.query(this.prelude[kind]);
      const result = await body(client);
      await client.query('COMMIT');
      ok = true;
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw translatePgError(error, operation);
    } finally {
      this.pool.release(client, broken);
      this.observer?.observe(operation, Number(process.hrtime.bigint() - started) / 1e9, ok);
    }
  }

  /** One statement in its own transaction. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(kind: OperationKind, operation: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.tx(kind, operation, (q) => q.query<R>(sql, params));
  }
}

/** PostgreSQL error codes worth a stable API code; everything else passes through unchanged. */
export function translatePgError(error: unknown, operation: string): unknown {
  if (isPlimsollError(error)) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  if (code === '57014' || code === '55P03' || code === '25P03') {
    return new PlimsollError('DB_TIMEOUT', `${operation}: ${message}`, { cause: error });
  }
  if ((code !== undefined && (code.startsWith('08') || code === '57P01' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET'))
    || /Connection terminated|connect ECONNREFUSED/.test(message)) {
    return new PlimsollError('DB_UNAVAILABLE', `${operation}: ${message}`, { cause: error });
  }
  return error;
}
