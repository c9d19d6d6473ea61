import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadMatcherConfig } from '../../src/matcher/config.js';
import { isPlimsollError } from '../../src/plimsoll/errors.js';
import { Database } from '../../src/matcher/db/database.js';
import { ResizablePool } from '../../src/plimsoll/runtime-client/pool.js';
import { createTestDatabase, type TestDatabase } from '../support/matcher.js';

let db: TestDatabase;
const profiles = {
  fast: { statementTimeoutMs: 200, lockTimeoutMs: 100, idleInTransactionTimeoutMs: 1000 },
  analysis: { statementTimeoutMs: 5000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 5000 },
  admin: { statementTimeoutMs: 30000, lockTimeoutMs: 5000, idleInTransactionTimeoutMs: 30000 },
};
before(async () => { db = await createTestDatabase(); });
after(async () => { await db?.drop(); });

describe('resizable pool through PgBouncer', () => {
  it('shrinks under load without failing a query, then grows again', async () => {
    const pool = new ResizablePool({ connectionString: db.url, max: 16, hardMax: 32, acquireTimeoutMs: 20_000, idleTimeoutMs: 30_000 });
    const database = new Database(pool, profiles);
    try {
      let peak = 0;
      const sampler = setInterval(() => { peak = Math.max(peak, pool.stats().active); }, 2);
      const run = (i: number) => database.query('analysis', 'test.sleep', 'SELECT pg_sleep(0.02), $1::int AS i', [i]);
      const first = Array.from({ length: 150 }, (_, i) => run(i));
      await new Promise((r) => setTimeout(r, 60));
      assert.ok(pool.stats().active > 4, `load reached the pool: ${JSON.stringify(pool.stats())}`);
      pool.resize(3);
      const results = await Promise.allSettled(first);
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, `no query failed: ${failed.map((f) => String((f as PromiseRejectedResult).reason)).slice(0, 3)}`);
      peak = 0;
      await Promise.all(Array.from({ length: 30 }, (_, i) => run(i)));
      clearInterval(sampler);
      assert.ok(peak <= 3, `after shrinking at most 3 in use, saw ${peak}`);
      assert.ok(pool.stats().total <= 3, `open connections trimmed to the limit: ${JSON.stringify(pool.stats())}`);
      pool.resize(12);
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 48 }, (_, i) => run(i)));
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(pool.max, 12);
      assert.throws(() => pool.resize(0), (e: unknown) => isPlimsollError(e) && e.code === 'CONFIG_INVALID');
      assert.throws(() => pool.resize(33));
    } finally {
      await pool.end();
    }
  });

  it('times out a checkout when the pool stays full (DB_POOL_TIMEOUT)', async () => {
    const pool = new ResizablePool({ connectionString: db.url, max: 1, hardMax: 4, acquireTimeoutMs: 100, idleTimeoutMs: 10_000 });
    const database = new Database(pool, profiles);
    try {
      const slow = database.query('analysis', 'test.slow', 'SELECT pg_sleep(0.5)');
      await assert.rejects(database.query('fast', 'test.quick', 'SELECT 1'), (e: unknown) => isPlimsollError(e) && e.code === 'DB_POOL_TIMEOUT');
      await slow;
      assert.equal(pool.stats().timeouts, 1);
    } finally {
      await pool.end();
    }
  });

  it('applies per-operation timeouts with SET LOCAL, and nothing leaks to the next transaction', async () => {
    const pool = new ResizablePool({ connectionString: db.url, max: 2, hardMax: 2, acquireTimeoutMs: 5000, idleTimeoutMs: 10_000 });
    const database = new Database(pool, profiles);
    try {
      await assert.rejects(database.query('fast', 'test.too-slow', 'SELECT pg_sleep(1)'), (e: unknown) => isPlimsollError(e) && e.code === 'DB_TIMEOUT');
      assert.equal((await database.query('analysis', 'test.ok', 'SELECT pg_sleep(0.3), 1 AS ok')).rows[0]?.ok, 1);
      const inside = await database.query<{ statement_timeout: string }>('fast', 'test.show', 'SHOW statement_timeout');
      assert.equal(inside.rows[0]?.statement_timeout, '200ms');
      // Outside our transactions (a bare query on a PgBouncer connection) the server default is back.
      const c = await pool.acquire();
      try {
        for (let i = 0; i < 5; i++) assert.equal((await c.query('SHOW statement_timeout')).rows[0]?.statement_timeout, '0');
      } finally {
        pool.release(c);
      }
    } finally {
      await pool.end();
    }
  });

  it('reads its configuration once, validated and frozen', () => {
    const config = loadMatcherConfig({ MATCHER_DB_POOL_MAX: '7' });
    assert.equal(config.db.poolMax, 7);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.db.profiles.fast));
    assert.throws(() => loadMatcherConfig({ MATCHER_DB_POOL_MAX: '500', MATCHER_DB_POOL_HARD_MAX: '100', MATCHER_PORT: 'x' }), (e: unknown) =>
      isPlimsollError(e) && e.code === 'CONFIG_INVALID' && e.problems.some((p) => p.path === 'port') && e.problems.some((p) => p.path === 'db.poolMax'));
  });
});
