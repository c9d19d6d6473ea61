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
  assert.throws(() => parseInstantResult({ status: 'error', error: 'bad_data' }, 'Missing'), /bad_data/);
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
