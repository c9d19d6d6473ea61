import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInstantResult } from '../../../src/plimsoll/operator/signals/prometheus.js';
import { aggregate, fieldValue } from '../../../src/plimsoll/operator/signals/health.js';
import { pgbouncerValue } from '../../../src/plimsoll/operator/signals/pgbouncer.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';

test('prometheus: vector, scalar, empty (Missing vs Zero), errors', () => {
  assert.equal(parseInstantResult({ status: 'success', data: { resultType: 'vector', result: [{ value: [1, '42.5'] }] } }, 'Missing'), 42.5);
  assert.equal(parseInstantResult({ status: 'success', data: { resultType: 'scalar', result: [1, '7'] } }, 'Missing'), 7);
  assert.equal(parseInstantResult({ status: 'success', data: { resultType: 'vector', result: [] } }, 'Zero'), 0);
  assert.throws(() => parseInstantResult({ status: 'success', data: { resultType: 'vector', result: [] } }, 'Missing'),
    (e: unknown) => isPlimsollError(e) && e.code === 'SIGNAL_EMPTY');
  assert.throws(() => parseInstantResult({ status: 'error', errorType: 'bad_data', error: 'parse error' }, 'Missing', 400), /the query failed \(HTTP 400, errorType bad_data\)$/);
  assert.throws(() => parseInstantResult({ status: 'success', data: { resultType: 'vector', result: [{ value: [1, 'NaN'] }] } }, 'Missing'), /finite/);
  assert.throws(() => parseInstantResult({ status: 'success', data: { resultType: 'matrix', result: [] } }, 'Missing'), /unsupported/);
});

test('health: dotted fields, booleans as 1/0, aggregates', () => {
  const doc = { memory: { heapUsedBytes: 123 }, db: { healthy: true }, name: 'x' };
  assert.equal(fieldValue(doc, 'memory.heapUsedBytes'), 123);
  assert.equal(fieldValue(doc, 'db.healthy'), 1);
  assert.equal(fieldValue(doc, 'name'), undefined);
  assert.equal(fieldValue(doc, 'memory.missing.deeper'), undefined);
  assert.equal(aggregate([1, 5, 3], 'Max'), 5);
  assert.equal(aggregate([1, 5, 3], 'Min'), 1);
  assert.equal(aggregate([1, 5, 3], 'Sum'), 9);
  assert.equal(aggregate([1, 5, 3], 'Average'), 3);
});

test('pgbouncer: SHOW POOLS summed per database, maxwait with microseconds, SHOW CONFIG keys', () => {
  const pools = [
    { database: 'app', user: 'a', cl_waiting: 3, maxwait: 1, maxwait_us: 500000, cl_active: 4, sv_active: 2 },
    { database: 'app', user: 'b', cl_waiting: 2, maxwait: 0, maxwait_us: 200000, cl_active: 1, sv_active: 1 },
    { database: 'other', user: 'a', cl_waiting: 100, maxwait: 9, maxwait_us: 0, cl_active: 0, sv_active: 0 },
  ];
  assert.equal(pgbouncerValue('ClientsWaiting', 'app', pools), 5);
  assert.equal(pgbouncerValue('MaxWaitSeconds', 'app', pools), 1.5);
  assert.equal(pgbouncerValue('ClientsActive', 'app', pools), 5);
  assert.equal(pgbouncerValue('ServersActive', 'app', pools), 3);
  assert.equal(pgbouncerValue('ClientsWaiting', 'idle', pools), 0, 'no pool row: nobody waits');
  const config = [{ key: 'max_client_conn', value: '1000' }, { key: 'default_pool_size', value: '20' }];
  assert.equal(pgbouncerValue('MaxClientConnections', 'app', config), 1000);
  assert.equal(pgbouncerValue('DefaultPoolSize', 'app', config), 20);
  assert.throws(() => pgbouncerValue('MaxDatabaseConnections', 'app', config), /max_db_connections/);
});

test('prometheus: more than one series is SIGNAL_AMBIGUOUS naming the count and the series, not the first one', () => {
  const series = [1, 2, 3, 4].map((i) => ({ metric: { job: 'matcher', instance: `10.0.0.${i}:8080` }, value: [1, String(i)] as [number, string] }));
  assert.throws(() => parseInstantResult({ status: 'success', data: { resultType: 'vector', result: series } }, 'Missing'), (e: unknown) => {
    assert.ok(isPlimsollError(e), String(e));
    assert.equal(e.code, 'SIGNAL_AMBIGUOUS');
    assert.match(e.message, /returned 4 series/);
    assert.match(e.message, /\{job="matcher", instance="10\.0\.0\.1:8080"\}/);
    assert.match(e.message, /, \.\.\.$/, 'three shown, the rest elided');
    return true;
  });
});

test('pgbouncer: a value that is not a finite number is an error, not 0 or NaN', () => {
  const pool = (cl_waiting: unknown) => [{ database: 'app', user: 'a', cl_waiting, maxwait: 0, cl_active: 0, sv_active: 0 }] as never;
  for (const bad of [null, '', 'n/a', 'Infinity']) {
    assert.throws(() => pgbouncerValue('ClientsWaiting', 'app', pool(bad)),
      (e: unknown) => isPlimsollError(e) && e.code === 'SIGNAL_FETCH_FAILED' && /cl_waiting of app\/a is .* not a finite number/.test(e.message), `cl_waiting ${JSON.stringify(bad)}`);
  }
  assert.throws(() => pgbouncerValue('MaxWaitSeconds', 'app', [{ database: 'app', user: 'a', maxwait: 1, maxwait_us: 'x' }]), /maxwait_us of app\/a/);
  assert.equal(pgbouncerValue('MaxWaitSeconds', 'app', [{ database: 'app', user: 'a', maxwait: 2 }]), 2, 'maxwait_us absent (PgBouncer < 1.8)');
  assert.throws(() => pgbouncerValue('MaxClientConnections', 'app', [{ key: 'max_client_conn', value: null }]), /max_client_conn is null, not a finite number/);
});

test('pgbouncer: max_db_connections = 0 is "unlimited" (SIGNAL_UNLIMITED), never a budget of 0', () => {
  assert.throws(() => pgbouncerValue('MaxDatabaseConnections', 'app', [{ key: 'max_db_connections', value: '0' }]), (e: unknown) => {
    assert.ok(isPlimsollError(e), String(e));
    assert.equal(e.code, 'SIGNAL_UNLIMITED');
    assert.match(e.message, /max_db_connections = 0 means unlimited/);
    return true;
  });
  assert.equal(pgbouncerValue('MaxDatabaseConnections', 'app', [{ key: 'max_db_connections', value: '25' }]), 25);
});
