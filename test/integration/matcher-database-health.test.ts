/**
 * database.healthy of /health/details, the field a policy's Maintenance trigger reads (Min over
 * the replicas): slow is not down. With this test's database paused in the tests' PgBouncer
 * (:16433, PAUSE: queries wait, nothing errors) the pings time out; for
 * MATCHER_DB_UNHEALTHY_AFTER_MS the database still counts as healthy (a replica short of CPU
 * misses the ping's deadline too), then as not, and healthy again once it answers. On the old
 * behaviour the first timed-out ping said unhealthy, and one slow replica sent a fleet to
 * Maintenance.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { withDirectClient } from '../../src/matcher/db/migrations.js';
import { api, PGBOUNCER_ADMIN_URL, startTestMatcher, type TestMatcher } from '../support/matcher.js';

let t: TestMatcher;
const admin = (command: string) => withDirectClient(PGBOUNCER_ADMIN_URL, (c) => c.query(command));
before(async () => { t = await startTestMatcher({ tenants: 1, env: { MATCHER_DB_UNHEALTHY_AFTER_MS: '3000' } }); });
after(async () => { await t?.close(); });

const details = async () => (await api(t.url, 'GET', '/health/details')).body.database as { healthy: boolean; pingOk: boolean; pingMs: number };

test('a database that answers slowly stays healthy for the grace, then is not; it recovers when it answers', { timeout: 60_000 }, async () => {
  assert.deepEqual([(await details()).healthy, (await details()).pingOk], [true, true]);
  await admin(`PAUSE ${t.db.name}`);
  let resumed = false;
  try {
    const started = Date.now();
    const first = await details();
    assert.equal(first.pingOk, false, 'the ping timed out: the paused database does not answer');
    assert.ok(first.pingMs >= 900, `the ping waited for its deadline (${first.pingMs} ms)`);
    assert.equal(first.healthy, true, 'one timed-out ping is slow, not down');
    // Pings go on timing out; past the grace with nothing answered, the database is down.
    let last = first;
    while (Date.now() - started < 6_000 && last.healthy) last = await details();
    assert.equal(last.healthy, false, `unhealthy ${((Date.now() - started) / 1000).toFixed(1)} s into the pause`);
    assert.ok(Date.now() - started >= 3_000, 'not before the grace');
    await admin(`RESUME ${t.db.name}`);
    resumed = true;
    let back = await details();
    for (let i = 0; i < 10 && !back.healthy; i++) back = await details();
    assert.deepEqual([back.healthy, back.pingOk], [true, true], 'healthy again once the database answers');
  } finally {
    if (!resumed) await admin(`RESUME ${t.db.name}`).catch(() => undefined);
  }
});
