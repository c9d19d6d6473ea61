// The connection figures from PgBouncer's admin-console rows: samples, limits, the budget, the
// seconds over it and at PgBouncer's ceiling, the chart's series and the warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  budgetFigures, connectionSeries, connectionWarnings, ConsoleDataError, limitsFrom, redactUrl, sampleFrom, summariseConnections,
  type ConnectionSample, type PgBouncerLimits,
} from '../../loadtests/load/connections.js';

// SHOW POOLS rows as PgBouncer 1.18 returns them (node-postgres gives numbers as strings or numbers).
const pool = (database: string, user: string, values: Record<string, number>) => ({
  database, user, cl_active: 0, cl_waiting: 0, cl_active_cancel_req: 0, cl_waiting_cancel_req: 0, sv_active: 0, sv_active_cancel: 0,
  sv_being_canceled: 0, sv_idle: 0, sv_used: 0, sv_tested: 0, sv_login: 0, maxwait: 0, maxwait_us: 0, pool_mode: 'transaction', ...values,
});

test('a sample: every cl_* and sv_* list of the database, summed over users; all clients from SHOW CLIENTS', () => {
  const pools = [
    pool('plimsoll', 'plimsoll', { cl_active: 30, cl_waiting: 4, cl_active_cancel_req: 1, sv_active: 20, sv_idle: 3, sv_login: 1 }),
    pool('plimsoll', 'reporting', { cl_active: 2, sv_used: 1 }),
    pool('other', 'plimsoll', { cl_active: 50, sv_active: 9 }),
    pool('pgbouncer', 'pgbouncer', { cl_active: 2 }),
  ];
  const clients = Array.from({ length: 89 }, (_, i) => ({ type: 'C', database: i < 2 ? 'pgbouncer' : 'plimsoll' }));
  assert.deepEqual(sampleFrom(12.5, 'plimsoll', pools, clients), { t: 12.5, clients: 37, clientsWaiting: 4, servers: 25, clientsAll: 89 });
  // A database without a pool row (nobody connected yet) has no connections, not an error.
  assert.deepEqual(sampleFrom(0, 'absent', pools, clients), { t: 0, clients: 0, clientsWaiting: 0, servers: 0, clientsAll: 89 });
  // String figures (the console's text protocol) count the same.
  assert.equal(sampleFrom(0, 'x', [{ database: 'x', user: 'u', cl_active: '3', sv_idle: '2' }], []).servers, 2);
});

test('limits: max_client_conn from SHOW CONFIG, the database\'s pool and server ceiling from SHOW DATABASES', () => {
  const config = [{ key: 'max_client_conn', value: '100' }, { key: 'pool_mode', value: 'transaction' }, { key: 'default_pool_size', value: '20' },
    { key: 'reserve_pool_size', value: '5' }, { key: 'max_db_connections', value: '30' }];
  const databases = [
    { name: 'pgbouncer', pool_size: 2, reserve_pool: 0, pool_mode: 'statement', max_connections: 25 },
    { name: 'plimsoll', pool_size: 20, reserve_pool: 5, pool_mode: '', max_connections: 25 },
    { name: 'plimsoll_session', pool_size: 5, reserve_pool: 5, pool_mode: 'session', max_connections: 25 },
  ];
  assert.deepEqual(limitsFrom('plimsoll', config, databases), { maxClientConn: 100, maxDbConnections: 25, poolSize: 20, reservePool: 5, poolMode: 'transaction', source: 'database' });
  assert.equal(limitsFrom('plimsoll_session', config, databases).poolMode, 'session');
  assert.throws(() => limitsFrom('plimsol', config, databases), (e: Error) => e instanceof ConsoleDataError
    && e.message === 'PgBouncer serves no database "plimsol" (SHOW DATABASES lists: plimsoll, plimsoll_session; SHOW POOLS has no pool for it)');
  // An auto-database PgBouncer serves (its pools) but does not list: the instance's defaults.
  const pools = [{ database: 'matcher_test_1', user: 'matcher', cl_active: 1 }];
  assert.deepEqual(limitsFrom('matcher_test_1', config, databases, pools),
    { maxClientConn: 100, maxDbConnections: 30, poolSize: 20, reservePool: 5, poolMode: 'transaction', source: 'instance defaults' });
  assert.throws(() => limitsFrom('matcher_test_1', config.filter((r) => r.key !== 'reserve_pool_size'), databases, pools), /SHOW CONFIG has no reserve_pool_size/);
  assert.throws(() => limitsFrom('matcher_test_2', config, databases, pools), /serves no database "matcher_test_2"/);
  assert.throws(() => limitsFrom('plimsoll', [], databases), /SHOW CONFIG has no max_client_conn/);
});

test('the budget: the policy\'s maxConnections − reserved, or PgBouncer\'s max_client_conn when the policy reads it', () => {
  assert.deepEqual(budgetFigures({ maxConnections: 100, reserved: 15 }, 1000), { maxConnections: 100, reserved: 15, pools: 85, source: 'policy' });
  assert.deepEqual(budgetFigures({ maxConnections: undefined, reserved: 10 }, 200), { maxConnections: 200, reserved: 10, pools: 190, source: 'pgbouncer' });
  assert.deepEqual(budgetFigures(undefined, 50), { maxConnections: 50, reserved: 0, pools: 50, source: 'pgbouncer' });
});

test('the console URL is reported without its password', () => {
  assert.equal(redactUrl('postgres://pgbouncer_admin:s3cret@127.0.0.1:16432/pgbouncer'), 'postgres://pgbouncer_admin:***@127.0.0.1:16432/pgbouncer');
  assert.equal(redactUrl('not a url'), '(unparseable URL)');
});

const limits: PgBouncerLimits = { maxClientConn: 100, maxDbConnections: 25, poolSize: 20, reservePool: 5, poolMode: 'transaction', source: 'database' };
const sample = (t: number, clients: number, clientsAll = clients + 1, servers = 10, clientsWaiting = 0): ConnectionSample => ({ t, clients, clientsWaiting, servers, clientsAll });

test('figures: peaks, seconds over the pools\' budget (strictly above), seconds at max_client_conn (all taken)', () => {
  // Every 2 s: 85 is the budget itself (not over), 86 and 99 are over; 100 of 100 clients is the ceiling.
  const samples = [sample(0, 40), sample(2, 85), sample(4, 86, 87, 25, 6), sample(6, 99, 100), sample(8, 60)];
  const s = summariseConnections({
    console: 'postgres://a:b@127.0.0.1:16432/pgbouncer', database: 'plimsoll', intervalSeconds: 2, samples, failedSamples: 1,
    limits, budget: budgetFigures({ maxConnections: 100, reserved: 15 }, 100), matcherErrors: { total: 4, byReason: { client_limit: 4 } },
  });
  assert.deepEqual(s.peak, { clients: 99, clientsWaiting: 6, servers: 25, clientsAll: 100 });
  assert.equal(s.secondsOverBudget, 4);
  assert.equal(s.secondsAtCeiling, 2);
  assert.equal(s.samples, 5);
  assert.equal(s.console, 'postgres://a:***@127.0.0.1:16432/pgbouncer');
  assert.deepEqual(s.matcherErrors, { total: 4, byReason: { client_limit: 4 } });
  const none = summariseConnections({ ...s, console: 'postgres://x@h/pgbouncer', samples: [], failedSamples: 0 });
  assert.deepEqual([none.peak, none.secondsOverBudget, none.secondsAtCeiling], [null, 0, 0]);
});

test('series: the samples on the connections chart, and the limits as lines across the run', () => {
  const samples = [sample(0, 10), sample(1, 12), sample(2, 11)];
  const summary = summariseConnections({
    console: 'postgres://a@h/pgbouncer', database: 'plimsoll', intervalSeconds: 1, samples, failedSamples: 0,
    limits, budget: budgetFigures({ maxConnections: 100, reserved: 15 }, 100), matcherErrors: null,
  });
  const series = connectionSeries(samples, summary, 30);
  assert.ok(series.every((s) => s.chart === 'connections'));
  assert.deepEqual(series.find((s) => s.id === 'pgb-clients')!.points, [[0, 10], [1, 12], [2, 11]]);
  assert.equal(series.find((s) => s.id === 'pgb-clients')!.source, 'pgbouncer');
  assert.deepEqual(series.filter((s) => s.source === 'limit').map((s) => [s.id, s.points]), [
    ['limit-max-client-conn', [[0, 100], [30, 100]]],
    ['limit-pools', [[0, 85], [30, 85]]],
  ]);
  assert.deepEqual(connectionWarnings(summary), [], 'the budget is the ceiling: nothing to warn about');
  // A PgBouncer whose ceiling is not the budget: the budget gets its own line, and a warning.
  const loose = { ...summary, limits: { ...limits, maxClientConn: 1000 }, failedSamples: 2 };
  assert.deepEqual(connectionSeries(samples, loose, 30).find((s) => s.id === 'limit-budget')!.points, [[0, 100], [30, 100]]);
  const warnings = connectionWarnings(loose);
  assert.match(warnings[0]!, /budget \(100\) is not PgBouncer's max_client_conn \(1000\) at postgres:\/\/a@h\/pgbouncer: the budget does not bite there/);
  assert.match(warnings[1]!, /2 PgBouncer samples failed \(of 5\)/);
});
