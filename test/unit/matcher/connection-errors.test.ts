// Why a database connection failed, as the reasons of matcher_db_connection_errors_total. The
// messages are the ones node-postgres surfaces (the integration tier meets PgBouncer's for real).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionErrorReason } from '../../../src/matcher/db/connection-errors.js';

const pgError = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

test('client limits: PgBouncer past max_client_conn (and 1.24\'s per-database and per-user limits), PostgreSQL past max_connections', () => {
  assert.equal(connectionErrorReason(pgError('no more connections allowed (max_client_conn)', '08P01')), 'client_limit');
  assert.equal(connectionErrorReason(pgError('client connections exceeded (max_db_client_connections)', '08P01')), 'client_limit');
  assert.equal(connectionErrorReason(pgError('client connections exceeded (max_user_client_connections)', '08P01')), 'client_limit');
  assert.equal(connectionErrorReason(pgError('sorry, too many clients already', '53300')), 'client_limit');
});

test('timeouts, unreachable servers, authentication and the rest', () => {
  assert.equal(connectionErrorReason(pgError('timeout exceeded when trying to connect')), 'timeout');
  assert.equal(connectionErrorReason(pgError('Connection terminated due to connection timeout')), 'timeout');
  assert.equal(connectionErrorReason(pgError('connect ECONNREFUSED 127.0.0.1:16432', 'ECONNREFUSED')), 'unreachable');
  assert.equal(connectionErrorReason(pgError('Connection terminated unexpectedly')), 'unreachable');
  assert.equal(connectionErrorReason(pgError('password authentication failed for user "plimsoll"', '28P01')), 'auth');
  assert.equal(connectionErrorReason(pgError('no such database: nope', '08P01')), 'other');
  assert.equal(connectionErrorReason(undefined), 'other', 'an error without a cause is still counted');
});
