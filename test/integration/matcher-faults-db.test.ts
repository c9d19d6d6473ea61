import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPlimsollError } from '../../src/plimsoll/errors.js';
import { Database } from '../../src/matcher/db/database.js';
import { withDirectClient } from '../../src/matcher/db/migrations.js';
import { ResizablePool } from '../../src/plimsoll/runtime-client/pool.js';
import { api, createTestDatabase, PGBOUNCER_ADMIN_URL, startTestMatcher, type TestDatabase } from '../support/matcher.js';

/**
 * PgBouncer or PostgreSQL dropping a connection mid-transaction (issue 15): the transaction fails
 * with DB_UNAVAILABLE (503 with Retry-After in the API), the broken connection is discarded, and
 * the process lives on. The fault is planted server-side on this test's own database only: the
 * tests' PgBouncer KILLs its clients, or PostgreSQL terminates its backends.
 */
let db: TestDatabase;
const profiles = {
  fast: { statementTimeoutMs: 5000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 5000 },
  // Far above the held statements' pg_sleep(30): the drop, not a timeout, must end them, however
  // slow the machine is to get all three to the server (a 5 s timeout against a 5 s sleep raced in CI).
  analysis: { statementTimeoutMs: 60_000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 60_000 },
  admin: { statementTimeoutMs: 30000, lockTimeoutMs: 5000, idleInTransactionTimeoutMs: 30000 },
};
before(async () => { db = await createTestDatabase({ migrate: false }); });
after(async () => { await db?.drop(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `count` of one case's held statements (tagged) run on the server. The tag matters:
 * a backend whose client PgBouncer dropped keeps sleeping until PostgreSQL next writes to it, so
 * an earlier case's statements can still be active, and counting them (not the tag) let the drop
 * come before this case's statements started (CI: one ran on into its statement timeout).
 */
async function waitForSleepers(count: number, tag: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await withDirectClient(db.directUrl, (c) => c.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE $1 AND state = 'active'", [`%${tag}%`]));
    if (rows[0]!.n >= count) return;
    await sleep(50);
  }
  throw new Error(`${count} statements never reached the server`);
}

describe('a connection dropped mid-transaction', () => {
  for (const [how, drop] of [
    // KILL leaves the database paused for new clients until RESUME (PgBouncer's admin console).
    ['PgBouncer KILLs the database\'s clients', () => withDirectClient(PGBOUNCER_ADMIN_URL, async (c) => {
      await c.query(`KILL ${db.name}`);
      await c.query(`RESUME ${db.name}`);
    })],
    ['PostgreSQL terminates the backends', () => withDirectClient(db.directUrl, (c) => c.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'))],
  ] as const) {
    it(`${how}: the transaction fails with DB_UNAVAILABLE, the connection is discarded, the process lives`, async () => {
      const pool = new ResizablePool({ connectionString: db.url, max: 4, hardMax: 8, acquireTimeoutMs: 2000, idleTimeoutMs: 30_000 });
      const database = new Database(pool, profiles);
      try {
        const tag = `held_${Math.random().toString(36).slice(2)}`;
        const inFlight = Array.from({ length: 3 }, () => database.tx('analysis', 'test.held', async (q) => {
          await q.query(`SELECT pg_sleep(30) AS ${tag}`);
        }));
        const settled = Promise.allSettled(inFlight);
        // Dropped only once all three statements run on the server, however slow the machine.
        await waitForSleepers(3, tag);
        assert.equal(pool.stats().active, 3);
        await drop();
        const results = await settled;
        for (const r of results) {
          assert.equal(r.status, 'rejected');
          const reason = (r as PromiseRejectedResult).reason as unknown;
          assert.ok(isPlimsollError(reason) && reason.code === 'DB_UNAVAILABLE', String(reason));
          assert.equal(reason.httpStatus, 503);
        }
        await sleep(100);
        assert.equal(pool.stats().active, 0);
        // The broken connections were closed, not handed to the next caller: it gets a working one.
        const { rows } = await database.query<{ one: number }>('fast', 'test.after', 'SELECT 1 AS one');
        assert.equal(rows[0]!.one, 1);
      } finally {
        await pool.end();
        // Backends PgBouncer let go of sleep on: end them, so no later case counts or waits for them.
        await withDirectClient(db.directUrl, (c) => c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%held\\_%'")).catch(() => undefined);
      }
    });
  }
});

describe('the database unreachable for every replica', () => {
  it('the replica stays ready and refuses database work at once with a code and Retry-After, then recovers by itself', async () => {
    const t = await startTestMatcher({ tenants: 1, env: { MATCHER_DB_ACQUIRE_TIMEOUT_MS: '500' } });
    const admin = (sql: string) => withDirectClient(PGBOUNCER_ADMIN_URL, (c) => c.query(sql));
    try {
      const key = t.tenants[0]!.key;
      assert.equal((await api(t.url, 'GET', '/readyz')).status, 200);
      assert.equal((await api(t.url, 'GET', '/v1/resumes', { key })).status, 200);
      // PgBouncer refuses this test's database (as while it restarts).
      // DISABLE refuses new clients at once, KILL drops the connected ones (and pauses: RESUME lifts
      // that; a client arriving during KILL's pause leaves PgBouncer 1.18's auto-database stuck).
      await admin(`DISABLE ${t.db.name}`);
      await admin(`KILL ${t.db.name}`);
      await admin(`RESUME ${t.db.name}`);
      try {
        const ready = await api(t.url, 'GET', '/readyz');
        assert.equal(ready.status, 200, JSON.stringify(ready.body));
        assert.equal(ready.body.checks.database.ok, false, 'the dependency is reported, not required');
        const refused = await api(t.url, 'GET', '/v1/resumes', { key });
        assert.equal(refused.status, 503, JSON.stringify(refused.body));
        assert.match(refused.body.error.code, /^DB_(UNAVAILABLE|POOL_TIMEOUT)$/);
        assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      } finally {
        await admin(`ENABLE ${t.db.name}`);
      }
      const deadline = Date.now() + 10_000;
      while ((await api(t.url, 'GET', '/v1/resumes', { key })).status !== 200) {
        assert.ok(Date.now() < deadline, 'recovered within 10 s');
        await sleep(100);
      }
    } finally {
      await t.close();
    }
  });
});
