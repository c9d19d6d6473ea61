import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { analyse } from '../../src/matcher/analysis/analyse.js';
import type { AnalysisJobData, AnalysisJobResult } from '../../src/matcher/queues/analysis-queues.js';
import { api } from '../support/matcher.js';
import { startMatcherServe } from '../support/matcher-serve.js';
import { awaitAnalysis, createPair, providerHarness } from '../support/providers.js';

const RESUME_CHECK = (r: { content: string }) => r;

/** The cluster level as the operator sets it: runtime documents in a file the matcher watches. */
function levelDocuments() {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-level-'));
  const file = join(dir, 'runtime.json');
  let generation = 0;
  const write = (serviceLevel: string) => {
    generation += 1;
    writeFileSync(`${file}.tmp`, JSON.stringify({ policy: 'm', generation, issuedAt: new Date().toISOString(), serviceLevel, replicas: 1, queues: {} }));
    renameSync(`${file}.tmp`, file);
  };
  write('Full');
  return {
    env: { MATCHER_RUNTIME_FILE: file, MATCHER_RUNTIME_POLL_MS: '100' },
    /** Publishes the level and resolves once the matcher runs it. */
    async set(m: { levels: { current(): string } }, serviceLevel: string) {
      write(serviceLevel);
      const deadline = Date.now() + 3000;
      while (m.levels.current() !== serviceLevel) {
        if (Date.now() > deadline) throw new Error(`level ${serviceLevel} not applied within 3 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe('analyses through providers and queues', () => {
  it('Full: 202 with a job id, GET returns the provider result, the next POST is a cache hit', async () => {
    const h = await providerHarness([{ name: 'alpha', accuracy: 0.9 }]);
    try {
      const m = (await h.start());
      const { resumeId, jobId } = await createPair(m.url, h.tenant.key);
      const posted = await api(m.url, 'POST', '/v1/analyses', { key: h.tenant.key, body: { resumeId, jobId } });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      assert.equal(posted.body.data.provider, 'alpha');
      assert.equal(posted.headers.get('location'), `/v1/analyses/${posted.body.data.id}`);
      const done = await awaitAnalysis(m.url, h.tenant.key, posted.body.data.id);
      assert.equal(done.matcherVersion, 'alpha:p1');
      assert.equal(done.answeredBy, 'alpha');
      assert.match(done.result.explanation, /^alpha: /);
      const again = await api(m.url, 'POST', '/v1/analyses', { key: h.tenant.key, body: { resumeId, jobId } });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('x-analysis-source'), 'cache');
      assert.equal(again.body.data.id, posted.body.data.id);
      const details = await api(m.url, 'GET', '/health/details');
      assert.ok(details.body.queues.alpha.counts, JSON.stringify(details.body.queues));
      assert.equal(details.body.breakers.alpha.state, 'closed');
      const metrics = await (await fetch(`${m.url}/metrics`)).text();
      for (const re of [/matcher_queue_jobs\{provider="alpha",state="waiting"\}/, /matcher_provider_request_duration_seconds_count\{provider="alpha",outcome="ok"\} [1-9]/,
        /matcher_circuit_breaker_state\{provider="alpha"\} 0/, /matcher_cache_requests_total\{result="hit"\} 1/, /matcher_worker_concurrency\{provider="alpha"\} 4/,
        // The honest score: one fresh provider answer, then the same answer from the cache.
        /matcher_analyses_total\{source="provider",level="Full"\} 1\n/, /matcher_analyses_total\{source="cache_provider",level="Full"\} 1\n/,
        /matcher_analyses_total\{source="local",level="Full"\} 0\n/]) {
        assert.match(metrics, re);
      }
    } finally {
      await h.close();
    }
  });

  it('a retried or duplicated job writes one result', async () => {
    const h = await providerHarness([{ name: 'flaky', settings: { errorRate: 0.5 } }], { MATCHER_QUEUE_ATTEMPTS: '10', MATCHER_BREAKER_VOLUME: '10000' });
    try {
      const m = (await h.start());
      const ids = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const { resumeId, jobId } = await createPair(m.url, h.tenant.key);
        // The same request five times at once: one job, one result.
        const posts = await Promise.all(Array.from({ length: 5 }, () => api(m.url, 'POST', '/v1/analyses', { key: h.tenant.key, body: { resumeId, jobId } })));
        const got = new Set(posts.map((p) => p.body.data.id as string));
        assert.equal(got.size, 1);
        ids.add([...got][0]!);
      }
      for (const id of ids) await awaitAnalysis(m.url, h.tenant.key, id);
      assert.ok(h.fakes.get('flaky')!.stats.errors > 0, 'some attempts failed and were retried');
      const rows = await h.sql<{ id: string; n: string }>('SELECT id, count(*) AS n FROM analysis_results GROUP BY id');
      assert.equal(rows.length, ids.size);
      // The processor itself run twice on one job (a stalled job redelivered after its write): still one row.
      const queue = m.queues!.queue('flaky')!;
      const { resumeId, jobId } = await createPair(m.url, h.tenant.key);
      const posted = await api(m.url, 'POST', '/v1/analyses', { key: h.tenant.key, body: { resumeId, jobId } });
      await awaitAnalysis(m.url, h.tenant.key, posted.body.data.id);
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      const job = (await queue.getJob(posted.body.data.id)) as Job<AnalysisJobData, AnalysisJobResult> | undefined;
      assert.ok(job, `job ${posted.body.data.id} kept after completion (${JSON.stringify(await queue.getJobCounts())})`);
      h.fakes.get('flaky')!.set({ errorRate: 0 });
      await m.analysisWorker.process(job);
      await m.analysisWorker.process(job);
      assert.equal((await h.sql('SELECT 1 FROM analysis_results WHERE id = $1', [posted.body.data.id])).length, 1);
      assert.equal((await h.sql('SELECT 1 FROM analysis_results')).length, ids.size + 1);
    } finally {
      await h.close();
    }
  });

  it('a failing provider opens its breaker; requests take the other provider, then the local matcher, with correct answers', async () => {
    const h = await providerHarness([{ name: 'accurate', accuracy: 0.9 }, { name: 'quick', accuracy: 0.4 }]);
    try {
      const m = (await h.start());
      const key = h.tenant.key;
      h.fakes.get('accurate')!.set({ mode: 'outage' });
      const first: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { resumeId, jobId } = await createPair(m.url, key);
        const r = await api(m.url, 'POST', '/v1/analyses', { key, body: { resumeId, jobId } });
        assert.equal(r.status, 202);
        first.push(r.body.data.id);
      }
      for (const id of first) await awaitAnalysis(m.url, key, id);
      assert.equal(m.breakers!.state('accurate'), 'open');
      // Breaker open: Full now chooses the healthy provider.
      const pair = await createPair(m.url, key);
      const viaQuick = await api(m.url, 'POST', '/v1/analyses', { key, body: pair });
      assert.equal(viaQuick.body.data.provider, 'quick');
      const quickResult = await awaitAnalysis(m.url, key, viaQuick.body.data.id);
      assert.equal(quickResult.matcherVersion, 'quick:p1');
      // Both down: the local matcher answers inline (the Basic path), and the answer is right.
      h.fakes.get('quick')!.set({ mode: 'outage' });
      const failing: string[] = [];
      for (let i = 0; i < 4; i++) {
        const p = await createPair(m.url, key);
        const r = await api(m.url, 'POST', '/v1/analyses', { key, body: p });
        if (r.status === 202) failing.push(r.body.data.id);
      }
      for (const id of failing) await awaitAnalysis(m.url, key, id);
      assert.equal(m.breakers!.state('quick'), 'open');
      const p = await createPair(m.url, key);
      const local = await api(m.url, 'POST', '/v1/analyses', { key, body: p });
      assert.equal(local.status, 201);
      assert.equal(local.body.data.matcherVersion, 'local-1.0.0');
      assert.equal(local.body.data.answeredBy, 'local');
      const resume = (await api(m.url, 'GET', `/v1/resumes/${p.resumeId}`, { key })).body.data;
      const job = (await api(m.url, 'GET', `/v1/jobs/${p.jobId}`, { key })).body.data;
      const expected = analyse(RESUME_CHECK({ content: resume.content, headline: resume.headline } as { content: string }),
        { title: job.title, description: job.description, requiredSkills: job.requiredSkills, preferredSkills: job.preferredSkills });
      assert.equal(local.body.data.matchPercentage, expected.matchPercentage);
      const metrics = await (await fetch(`${m.url}/metrics`)).text();
      assert.match(metrics, /matcher_circuit_breaker_state\{provider="accurate"\} 2/);
      assert.match(metrics, /matcher_provider_errors_total\{provider="accurate",kind="server"\} [1-9]/);
      assert.match(metrics, /matcher_analyses_total\{source="local",level="Full"\} [1-9]/, 'the fallbacks and the inline answer count as local');
    } finally {
      await h.close();
    }
  });

  it('Reduced serves any cached answer and uses the fastest provider; Basic calls no provider', async () => {
    const h = await providerHarness([{ name: 'slow', accuracy: 0.9, settings: { latencyMs: 120 } }, { name: 'fast', accuracy: 0.3, settings: { latencyMs: 5 } }]);
    const level = levelDocuments();
    try {
      const m = (await h.start(level.env));
      const key = h.tenant.key;
      // Warm both latency estimates.
      for (const provider of ['slow', 'fast']) {
        const p = await createPair(m.url, key);
        const r = await api(m.url, 'POST', '/v1/analyses', { key, body: p });
        if (provider === 'slow') await awaitAnalysis(m.url, key, r.body.data.id);
      }
      const pFull = await createPair(m.url, key);
      const full = await api(m.url, 'POST', '/v1/analyses', { key, body: pFull });
      await awaitAnalysis(m.url, key, full.body.data.id);
      // Measure "fast" once through the breaker so the choice has data.
      await m.breakers!.call('fast', { resume: { content: 'Go', headline: null }, job: { title: 'Go', description: 'Go' }, local: analyse({ content: 'Go' }, { title: 'Go', description: 'Go' }), promptVersion: 'p1' });
      await level.set(m, 'Reduced');
      const cached = await api(m.url, 'POST', '/v1/analyses', { key, body: pFull });
      assert.equal(cached.status, 200);
      assert.equal(cached.body.serviceLevel, 'Reduced');
      assert.equal(cached.headers.get('x-analysis-source'), 'cache');
      const pNew = await createPair(m.url, key);
      const reduced = await api(m.url, 'POST', '/v1/analyses', { key, body: pNew });
      assert.equal(reduced.status, 202);
      assert.equal(reduced.body.data.provider, 'fast');
      await awaitAnalysis(m.url, key, reduced.body.data.id);
      await level.set(m, 'Basic');
      const before = h.fakes.get('slow')!.stats.requests + h.fakes.get('fast')!.stats.requests;
      const pBasic = await createPair(m.url, key);
      const basic = await api(m.url, 'POST', '/v1/analyses', { key, body: pBasic });
      assert.equal(basic.status, 201);
      assert.equal(basic.body.serviceLevel, 'Basic');
      assert.equal(basic.body.data.analysedAtServiceLevel, 'Basic');
      assert.equal((await api(m.url, 'POST', '/v1/analyses', { key, body: pFull })).headers.get('x-analysis-source'), 'cache');
      assert.equal(h.fakes.get('slow')!.stats.requests + h.fakes.get('fast')!.stats.requests, before, 'no provider call in Basic');
    } finally {
      await h.close();
      level.remove();
    }
  });

  it('Basic drains jobs queued at a higher level with the local matcher, without provider calls', async () => {
    // One slow call at a time: most of the ten jobs are still waiting when the level drops.
    const h = await providerHarness([{ name: 'slow', concurrency: 1, settings: { latencyMs: 600, distribution: 'fixed' } }]);
    const level = levelDocuments();
    try {
      const m = (await h.start(level.env));
      const key = h.tenant.key;
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const posted = await api(m.url, 'POST', '/v1/analyses', { key, body: await createPair(m.url, key) });
        assert.equal(posted.status, 202, JSON.stringify(posted.body));
        ids.push(posted.body.data.id);
      }
      await level.set(m, 'Basic');
      const callsAtSwitch = h.fakes.get('slow')!.stats.requests;
      const done = await Promise.all(ids.map((id) => awaitAnalysis(m.url, key, id, 10_000)));
      const drained = done.filter((a) => /local matcher: the service level is Basic/.test(a.result.explanation));
      assert.ok(drained.length >= 5, `${drained.length} of 10 answered locally after the switch`);
      assert.ok(h.fakes.get('slow')!.stats.requests <= callsAtSwitch + 1, 'at most the call in flight at the switch');
    } finally {
      await h.close();
      level.remove();
    }
  });

  it('provider 429s slow the queue without losing a job or spending attempts', async () => {
    const h = await providerHarness([{ name: 'limited', concurrency: 4, settings: { rateLimit: 4, rateWindowMs: 1000 } }], { MATCHER_QUEUE_ATTEMPTS: '2' });
    try {
      const m = (await h.start());
      const key = h.tenant.key;
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const p = await createPair(m.url, key);
        ids.push((await api(m.url, 'POST', '/v1/analyses', { key, body: p })).body.data.id);
      }
      const results = await Promise.all(ids.map((id) => awaitAnalysis(m.url, key, id, 20_000)));
      assert.ok(h.fakes.get('limited')!.stats.rateLimited > 0, 'the provider answered 429s');
      for (const r of results) assert.equal(r.matcherVersion, 'limited:p1', 'answered by the provider, not the fallback');
      const metrics = await (await fetch(`${m.url}/metrics`)).text();
      assert.match(metrics, /matcher_provider_errors_total\{provider="limited",kind="rate_limited"\} [1-9]/);
      assert.equal(m.breakers!.state('limited'), 'closed', '429s do not open the breaker');
    } finally {
      await h.close();
    }
  });

  it('work-conserving admission: a full queue overflows to the next provider, then the local matcher answers at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-admit-'));
    const file = join(dir, 'runtime.json');
    // Workers paused (concurrency 0), so what is queued stays waiting and the counts are exact.
    const write = (g: number, accurateMax: number) => {
      writeFileSync(`${file}.tmp`, JSON.stringify({ policy: 'm', generation: g, issuedAt: new Date().toISOString(), serviceLevel: 'Full', replicas: 1,
        queues: { accurate: { concurrency: 0, maxWaiting: accurateMax }, quick: { concurrency: 0, maxWaiting: 1 } } }));
      renameSync(`${file}.tmp`, file);
    };
    write(1, 1);
    const h = await providerHarness([{ name: 'accurate', accuracy: 0.9 }, { name: 'quick', accuracy: 0.4 }]);
    try {
      const m = await h.start({ MATCHER_RUNTIME_FILE: file, MATCHER_RUNTIME_POLL_MS: '100' });
      const key = h.tenant.key;
      const waiting = (p: string) => m.queues!.details()[p]!.counts.waiting;
      // The queue counts refresh every second: wait until the matcher sees what was queued.
      const sees = async (p: string, n: number) => {
        const deadline = Date.now() + 5000;
        while (waiting(p) !== n) {
          if (Date.now() > deadline) throw new Error(`${p} shows ${waiting(p)} waiting, not ${n}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const post = async () => api(m.url, 'POST', '/v1/analyses', { key, body: await createPair(m.url, key) });
      const first = await post();
      assert.equal(first.status, 202);
      assert.equal(first.body.data.provider, 'accurate', 'the most accurate provider while its queue has room');
      await sees('accurate', 1);
      const second = await post();
      assert.equal(second.status, 202);
      assert.equal(second.body.data.provider, 'quick', 'a full queue overflows to the next provider');
      await sees('quick', 1);
      const third = await post();
      assert.equal(third.status, 201, 'every queue full: the local matcher answers at once');
      assert.equal(third.body.data.answeredBy, 'local');
      assert.equal(m.levels.current(), 'Full', 'no level change: admission, not degradation');
      const metrics = await (await fetch(`${m.url}/metrics`)).text();
      assert.match(metrics, /matcher_analyses_total\{source="local",level="Full"\} 1\n/);
      // A larger admission limit (the operator's next document) lets the accurate queue take more.
      write(2, 5);
      const deadline = Date.now() + 3000;
      while (m.queues!.details().accurate!.maxWaiting !== 5) {
        if (Date.now() > deadline) throw new Error('maxWaiting 5 not applied within 3 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      const fourth = await post();
      assert.equal(fourth.status, 202);
      assert.equal(fourth.body.data.provider, 'accurate');
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shrinking the pool and the concurrency under load (runtime document) fails no request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-rt-'));
    const file = join(dir, 'runtime.json');
    const write = (g: number, poolMax: number, concurrency: number) => {
      writeFileSync(`${file}.tmp`, JSON.stringify({ policy: 'm', generation: g, issuedAt: new Date().toISOString(), serviceLevel: 'Full', replicas: 1,
        db: { poolMax }, queues: { busy: { concurrency, rateLimit: { max: 500, durationMs: 1000 } } } }));
      renameSync(`${file}.tmp`, file);
    };
    write(1, 8, 8);
    const h = await providerHarness([{ name: 'busy', concurrency: 8, settings: { latencyMs: 30 } }]);
    try {
      const m = await h.start({ MATCHER_RUNTIME_FILE: file, MATCHER_RUNTIME_POLL_MS: '100', MATCHER_DB_ACQUIRE_TIMEOUT_MS: '10000' });
      const key = h.tenant.key;
      const pairs = await Promise.all(Array.from({ length: 40 }, () => createPair(m.url, key)));
      const load = pairs.map(async (p, i) => {
        await new Promise((r) => setTimeout(r, i * 5));
        const r = await api(m.url, 'POST', '/v1/analyses', { key, body: p });
        assert.ok([200, 201, 202].includes(r.status), `POST ${r.status} ${JSON.stringify(r.body)}`);
        return awaitAnalysis(m.url, key, r.body.data.id, 20_000);
      });
      await new Promise((r) => setTimeout(r, 60));
      write(2, 2, 1);
      const done = await Promise.all(load);
      assert.equal(done.length, 40);
      assert.equal(m.pool.max, 2);
      assert.equal(m.queues!.details().busy!.concurrency, 1);
      const metrics = await (await fetch(`${m.url}/metrics`)).text();
      assert.match(metrics, /matcher_worker_concurrency\{provider="busy"\} 1/);
      assert.match(metrics, /matcher_db_pool_max 2/);
      write(3, 6, 0);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(m.queues!.details().busy!.paused, true);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a shutdown (SIGTERM path) during load loses no accepted job: another replica finishes them', async () => {
    const h = await providerHarness([{ name: 'steady', concurrency: 2, settings: { latencyMs: 100 } }]);
    try {
      const a = await h.start();
      const key = h.tenant.key;
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const p = await createPair(a.url, key);
        const r = await api(a.url, 'POST', '/v1/analyses', { key, body: p });
        assert.equal(r.status, 202);
        ids.push(r.body.data.id);
      }
      await new Promise((r) => setTimeout(r, 150));
      await a.shutdown('SIGTERM');
      const doneByA = (await h.sql('SELECT 1 FROM analysis_results')).length;
      assert.ok(doneByA < 20, `A was stopped mid-load (${doneByA} done)`);
      const b = await h.start();
      await Promise.all(ids.map((id) => awaitAnalysis(b.url, key, id, 20_000)));
      assert.equal((await h.sql('SELECT 1 FROM analysis_results')).length, 20);
    } finally {
      await h.close();
    }
  });

  it('SIGTERM to a `matcher serve` process under load loses no accepted job', async (t) => {
    const h = await providerHarness([{ name: 'steady', concurrency: 2, settings: { latencyMs: 150 } }]);
    try {
      const { child, base, output, exited } = await startMatcherServe(t, {
        MATCHER_DATABASE_URL: h.db.url, MATCHER_MIGRATION_DATABASE_URL: h.db.directUrl, MATCHER_LOG_LEVEL: 'info',
        MATCHER_PROVIDERS: h.providersEnv, MATCHER_QUEUE_PREFIX: h.prefix, MATCHER_RUNTIME_FILE: '', MATCHER_RUNTIME_CONFIGMAP: '',
      });
      const key = h.tenant.key;
      const ids: string[] = [];
      for (let i = 0; i < 16; i++) {
        const p = await createPair(base, key);
        const r = await api(base, 'POST', '/v1/analyses', { key, body: p });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        ids.push(r.body.data.id);
      }
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output());
      const doneByChild = (await h.sql('SELECT 1 FROM analysis_results')).length;
      assert.ok(doneByChild < ids.length, `stopped mid-load (${doneByChild} done)`);
      assert.ok(output().includes('matcher stopped'));
      const b = await h.start();
      await Promise.all(ids.map((id) => awaitAnalysis(b.url, key, id, 20_000)));
      assert.equal((await h.sql('SELECT 1 FROM analysis_results')).length, ids.length);
      const failed = await b.queues!.queue('steady')!.getJobCounts('failed');
      assert.equal(failed.failed, 0, 'no job failed (none was left stalled by the stopped process)');
    } finally {
      await h.close();
    }
  });

  it('a replica killed (SIGKILL) mid-job: its stalled jobs are recovered by another replica, one result each', async (t) => {
    const h = await providerHarness([{ name: 'steady', concurrency: 4, settings: { latencyMs: 400 } }]);
    try {
      const { child, base, exited } = await startMatcherServe(t, {
        MATCHER_DATABASE_URL: h.db.url, MATCHER_MIGRATION_DATABASE_URL: h.db.directUrl, MATCHER_LOG_LEVEL: 'silent',
        MATCHER_PROVIDERS: h.providersEnv, MATCHER_QUEUE_PREFIX: h.prefix, MATCHER_QUEUE_LOCK_DURATION_MS: '1000', MATCHER_QUEUE_STALLED_INTERVAL_MS: '500',
      }, { captureOutput: false });
      const key = h.tenant.key;
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push((await api(base, 'POST', '/v1/analyses', { key, body: await createPair(base, key) })).body.data.id);
      while (h.fakes.get('steady')!.stats.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      await exited;
      const b = await h.start({ MATCHER_QUEUE_LOCK_DURATION_MS: '1000', MATCHER_QUEUE_STALLED_INTERVAL_MS: '500' });
      await Promise.all(ids.map((id) => awaitAnalysis(b.url, key, id, 30_000)));
      const rows = await h.sql<{ id: string }>('SELECT id FROM analysis_results');
      assert.equal(rows.length, ids.length);
      assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(ids));
    } finally {
      await h.close();
    }
  });
});
