import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, createTestDatabase, startTestMatcher, type TestDatabase, type TestMatcher } from '../support/matcher.js';
import { startMatcherServe } from '../support/matcher-serve.js';

let t: TestMatcher;
before(async () => { t = await startTestMatcher({ tenants: 1 }); });
after(async () => { await t?.close(); });

describe('matcher observability', () => {
  it('/healthz, /readyz and /health/details', async () => {
    const live = await api(t.url, 'GET', '/healthz');
    assert.equal(live.status, 200);
    assert.equal(live.headers.get('x-service-level'), 'Full');
    const ready = await api(t.url, 'GET', '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(Object.keys(ready.body.checks).sort(), ['database', 'migrations', 'redis']);
    const details = await api(t.url, 'GET', '/health/details');
    for (const key of ['pool', 'redis', 'memory', 'eventLoop', 'queues', 'breakers', 'serviceLevel', 'runtimeGeneration']) {
      assert.ok(key in details.body, `details has ${key}`);
    }
    assert.equal(details.body.pool.max, 8);
    assert.equal(details.body.serviceLevel, 'Full');
    assert.equal(typeof details.body.eventLoop.lagP99Ms, 'number');
    // The fields examples/matcher.yaml's health signals read.
    assert.equal(details.body.database.healthy, true);
    assert.ok(details.body.memory.heapUsedBytes > 1e6, String(details.body.memory.heapUsedBytes));
  });

  it('/readyz fails when migrations are not current', async () => {
    await t.sql('DELETE FROM schema_migrations WHERE version = 2');
    try {
      // The positive result is cached for 30 s; a fresh matcher on the same database sees it at once.
      const fresh = await startTestMatcher({ tenants: 0 });
      await fresh.sql('DELETE FROM schema_migrations WHERE version = 2');
      const r = await api(fresh.url, 'GET', '/readyz');
      assert.equal(r.status, 503);
      assert.equal(r.body.checks.migrations.pending, 1);
      await fresh.close();
    } finally {
      await t.sql(`INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES (2, 'analysis_indexes', $1, 0)`,
        [(await import('../../src/matcher/db/migrations.js')).loadMigrations()[1]!.checksum]);
    }
  });

  it('/metrics exposes the contract names from an injected registry', async () => {
    await api(t.url, 'GET', '/v1/resumes', { key: t.tenants[0]!.key });
    const r = await fetch(`${t.url}/metrics`);
    const text = await r.text();
    for (const name of ['matcher_http_request_duration_seconds_bucket', 'matcher_http_requests_total', 'matcher_db_pool_connections',
      'matcher_db_pool_max', 'matcher_db_query_duration_seconds_bucket', 'matcher_service_level', 'process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      assert.ok(text.includes(name), `metric ${name}`);
    }
    assert.match(text, /matcher_http_requests_total\{method="GET",route="\/v1\/resumes",status_code="200"\} \d/);
    assert.match(text, /matcher_db_pool_connections\{state="active"\}/);
    assert.match(text, /matcher_db_pool_max 8/);
    assert.match(text, /matcher_service_level 0/);
    assert.match(text, /matcher_db_query_duration_seconds_count\{operation="resumes.list",outcome="ok"\}/);
  });
});

describe('matcher serve process', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db?.drop(); });

  it('logs JSON with request ids and shuts down gracefully on SIGTERM, finishing in-flight requests', async (t) => {
    const { child, base, output, exited } = await startMatcherServe(t, { MATCHER_DATABASE_URL: db.url, MATCHER_MIGRATION_DATABASE_URL: db.directUrl, MATCHER_LOG_LEVEL: 'info' });
    const r = await fetch(`${base}/v1/resumes`, { headers: { 'x-request-id': 'req-test-42' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('x-request-id'), 'req-test-42');
    const inflight = fetch(`${base}/readyz`).then((x) => x.status);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output());
    assert.ok([200, 503].includes(await inflight.catch(() => 0)), 'in-flight request answered');
    const lines = output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.reqId === 'req-test-42' && l.status === 401), 'request logged with its id');
    assert.ok(lines.some((l) => l.msg === 'matcher stopped'));
  });
});
