import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { withDirectClient } from '../../src/matcher/db/migrations.js';
import { api, PGBOUNCER_ADMIN_URL } from '../support/matcher.js';
import { awaitAnalysis, createPair, providerHarness, REDIS_URL } from '../support/providers.js';
import { PrivateRedis } from '../support/private-redis.js';

/**
 * Issue 15, faults of the queue: Redis down or restarted, failed jobs, infrastructure errors,
 * fallback answers, duplicate requests. Redis is the test's own (PrivateRedis): stopping it
 * touches nothing shared. The database fault is PgBouncer pausing this test's database only.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = (ms: number) => ({ signal: AbortSignal.timeout(ms) });

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A resume and a job, and an analysis of them accepted for a provider (202): its id. */
async function acceptAnalysis(url: string, key: string): Promise<{ pair: Awaited<ReturnType<typeof createPair>>; id: string }> {
  const pair = await createPair(url, key);
  const accepted = await api(url, 'POST', '/v1/analyses', { key, body: pair });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  return { pair, id: accepted.body.data.id as string };
}

describe('the queue\'s Redis down', () => {
  it('readiness stays, new analyses are answered locally at once, a pending one is refused with a code and Retry-After, and it recovers', async () => {
    const redis = await PrivateRedis.start({ persistence: true });
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9, settings: { latencyMs: 1500 } }], { MATCHER_REDIS_URL: redis.url });
    try {
      const m = await h.start();
      const key = h.tenant.key;
      const first = await createPair(m.url, key);
      const accepted = await api(m.url, 'POST', '/v1/analyses', { key, body: first });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const second = await createPair(m.url, key);

      await redis.down('SIGTERM');
      await sleep(300);
      const ready = await fetch(`${m.url}/readyz`, within(3000));
      assert.equal(ready.status, 200, await ready.text());
      // Old code: the queue connection's offline queue held this request until Redis came back.
      const local = await fetch(`${m.url}/v1/analyses`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(second), ...within(5000),
      });
      assert.equal(local.status, 201, await local.clone().text());
      assert.equal(local.headers.get('x-analysis-source'), 'local');
      const pending = await api(m.url, 'GET', `/v1/analyses/${accepted.body.data.id}`, { key });
      assert.equal(pending.status, 503, JSON.stringify(pending.body));
      assert.equal(pending.body.error.code, 'QUEUE_UNAVAILABLE');
      assert.ok(Number(pending.headers.get('retry-after')) >= 1);
      assert.equal((await api(m.url, 'GET', '/v1/resumes', { key })).status, 200, 'reads are served');

      await redis.up();
      const third = await createPair(m.url, key);
      let queued = await api(m.url, 'POST', '/v1/analyses', { key, body: third });
      await until('analyses are queued again', async () => {
        queued = await api(m.url, 'POST', '/v1/analyses', { key, body: third });
        return queued.status === 202;
      }, 10_000);
      // Both accepted analyses are answered: the AOF kept the first one's job over the restart.
      for (const id of [accepted.body.data.id, queued.body.data.id]) assert.equal((await awaitAnalysis(m.url, key, id, 20_000)).id, id);
    } finally {
      await h.close();
      await redis.close();
    }
  });

  it('a Redis restart without persistence: an accepted analysis answers ANALYSIS_LOST (re-POST), not 404; the re-POST runs it', async () => {
    const redis = await PrivateRedis.start({ persistence: false });
    // Concurrency 0: the job stays waiting, so the restart loses it.
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9, concurrency: 0 }], { MATCHER_REDIS_URL: redis.url });
    try {
      const m = await h.start();
      const key = h.tenant.key;
      const { pair, id } = await acceptAnalysis(m.url, key);
      await redis.down('SIGKILL');
      await redis.up();
      await until('the queue answers again', async () => (await api(m.url, 'GET', `/v1/analyses/${id}`, { key })).status !== 503, 10_000);
      const lost = await api(m.url, 'GET', `/v1/analyses/${id}`, { key });
      assert.equal(lost.status, 410, JSON.stringify(lost.body));
      assert.equal(lost.body.error.code, 'ANALYSIS_LOST');
      assert.match(lost.body.error.message, /POST \/v1\/analyses again/);
      // An id that was never handed out stays a plain 404.
      assert.equal((await api(m.url, 'GET', '/v1/analyses/00000000-0000-4000-8000-000000000000', { key })).status, 404);
      const again = await api(m.url, 'POST', '/v1/analyses', { key, body: pair });
      assert.equal(again.status, 202);
      assert.equal(again.body.data.id, id);
      m.runtime.queues!.setConcurrency('alpha', 1);
      assert.equal((await awaitAnalysis(m.url, key, id)).answeredBy, 'alpha');
    } finally {
      await h.close();
      await redis.close();
    }
  });
});

describe('jobs that failed', () => {
  it('a failed job answers ANALYSIS_LOST, and a re-POST runs it again (not "queued" with nothing running)', async () => {
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9, concurrency: 0 }], { MATCHER_QUEUE_ATTEMPTS: '2' });
    let failer: Worker<unknown, never> | undefined;
    try {
      const m = await h.start();
      const key = h.tenant.key;
      const { pair, id } = await acceptAnalysis(m.url, key);
      // A real BullMQ worker on the same queue fails the job for good (every attempt throws).
      failer = new Worker('analyses-alpha', async () => { throw new Error('planted failure'); },
        { connection: { host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port), maxRetriesPerRequest: null }, prefix: h.prefix });
      await until('the job failed', async () => (await m.queues!.queue('alpha')!.getJobState(id)) === 'failed');
      await failer?.close();
      failer = undefined;
      const failed = await api(m.url, 'GET', `/v1/analyses/${id}`, { key });
      assert.equal(failed.status, 410, JSON.stringify(failed.body));
      assert.equal(failed.body.error.code, 'ANALYSIS_LOST');
      m.runtime.queues!.setConcurrency('alpha', 1);
      const again = await api(m.url, 'POST', '/v1/analyses', { key, body: pair });
      assert.equal(again.status, 202);
      assert.equal((await awaitAnalysis(m.url, key, id)).answeredBy, 'alpha');
    } finally {
      await failer?.close();
      await h.close();
    }
  });

  it('the database unreachable while storing spends no attempt and no second provider call', async () => {
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9, concurrency: 0 }], { MATCHER_QUEUE_ATTEMPTS: '2', MATCHER_DB_ACQUIRE_TIMEOUT_MS: '300' });
    const admin = (sql: string) => withDirectClient(PGBOUNCER_ADMIN_URL, (c) => c.query(sql));
    try {
      const m = await h.start();
      const key = h.tenant.key;
      const { id } = await acceptAnalysis(m.url, key);
      // PgBouncer refuses this test's database: storing fails with DB_UNAVAILABLE.
      // DISABLE refuses new clients at once, KILL drops the connected ones (and pauses: RESUME lifts
      // that; a client arriving during KILL's pause leaves PgBouncer 1.18's auto-database stuck).
      await admin(`DISABLE ${h.db.name}`);
      await admin(`KILL ${h.db.name}`);
      await admin(`RESUME ${h.db.name}`);
      try {
        m.runtime.queues!.setConcurrency('alpha', 1);
        await sleep(4000);
        const job = await m.queues!.queue('alpha')!.getJob(id);
        assert.ok(job, 'the job is kept');
        assert.notEqual(await job.getState(), 'failed');
        assert.equal(job.attemptsMade, 0, 'infrastructure failures spent no attempt');
      } finally {
        await admin(`ENABLE ${h.db.name}`);
      }
      await until('the database answers again', async () => (await api(m.url, 'GET', '/v1/resumes', { key })).status === 200);
      const done = await awaitAnalysis(m.url, key, id);
      assert.equal(done.answeredBy, 'alpha');
      assert.equal(h.fakes.get('alpha')!.stats.requests, 1, 'the provider\'s answer was kept on the job, not asked again');
    } finally {
      await h.close();
    }
  });
});

describe('answers shared and replaced', () => {
  it('a local fallback stored under the provider\'s id is replaced by the provider\'s answer once it recovers', async () => {
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9, settings: { mode: 'outage' } }], { MATCHER_QUEUE_ATTEMPTS: '1', MATCHER_BREAKER_VOLUME: '10000' });
    try {
      const m = await h.start();
      const key = h.tenant.key;
      const { pair, id } = await acceptAnalysis(m.url, key);
      assert.equal((await awaitAnalysis(m.url, key, id)).answeredBy, 'local', 'the provider was down: the local matcher answered');
      // The result is stored just before BullMQ marks the job completed; a re-POST re-runs a completed job.
      await until('the job completed', async () => (await m.queues!.queue('alpha')!.getJobState(id)) === 'completed');
      h.fakes.get('alpha')!.set({ mode: 'normal' });
      const again = await api(m.url, 'POST', '/v1/analyses', { key, body: pair });
      assert.equal(again.status, 200, 'the fallback is answered at once');
      await until('the provider\'s answer replaced the fallback', async () =>
        (await api(m.url, 'GET', `/v1/analyses/${id}`, { key })).body.data?.answeredBy === 'alpha', 10_000);
      const rows = await h.sql<{ n: string }>('SELECT count(*) AS n FROM analysis_results WHERE id = $1', [id]);
      assert.equal(Number(rows[0]!.n), 1);
      const sets = await h.sql<{ n: string }>('SELECT count(*) AS n FROM interview_questions WHERE analysis_result_id = $1', [id]);
      assert.ok(Number(sets[0]!.n) <= 1, 'one set of interview questions per result');
      const cached = await api(m.url, 'POST', '/v1/analyses', { key, body: pair });
      assert.equal(cached.body.data.answeredBy, 'alpha');
    } finally {
      await h.close();
    }
  });

  it('concurrent duplicate analyses share one provider call', async () => {
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9, settings: { latencyMs: 300 } }]);
    try {
      const m = await h.start();
      const key = h.tenant.key;
      const pairs = await Promise.all(Array.from({ length: 5 }, () => createPair(m.url, key)));
      const posts = await Promise.all(pairs.flatMap((p) => Array.from({ length: 8 }, () => api(m.url, 'POST', '/v1/analyses', { key, body: p }))));
      const ids = new Set(posts.map((p) => p.body.data.id as string));
      assert.equal(ids.size, 5);
      for (const id of ids) await awaitAnalysis(m.url, key, id);
      assert.equal(h.fakes.get('alpha')!.stats.requests, 5, 'one provider call per analysis');
    } finally {
      await h.close();
    }
  });
});
