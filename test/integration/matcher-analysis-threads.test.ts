/**
 * The local matcher runs off the event loop (issue 15), against the real matcher: while a 100 KB
 * adversarial analysis is in flight, /healthz keeps answering; an analysis past its deadline is
 * a 503 ANALYSIS_TIMEOUT. Before, the analysis held the event loop for about 20 s.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { SampleData } from '../../src/matcher/dev/sample-data.js';
import { ADVERSARIAL_INPUTS, ADVERSARIAL_LENGTH } from '../support/adversarial-text.js';
import { api, startTestMatcher, type TestMatcher } from '../support/matcher.js';

const adversarial = (name: string) => ADVERSARIAL_INPUTS.find((a) => a.name === name)!.text;

async function create(t: TestMatcher, resume: string, description: string): Promise<{ resumeId: string; jobId: string }> {
  const key = t.tenants[0]!.key;
  const r = await api(t.url, 'POST', '/v1/resumes', { key, body: { candidateName: 'A. Candidate', content: resume } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const j = await api(t.url, 'POST', '/v1/jobs', { key, body: { title: 'Go Engineer', description } });
  assert.equal(j.status, 201, JSON.stringify(j.body));
  return { resumeId: r.body.data.id as string, jobId: j.body.data.id as string };
}

describe('analyses off the event loop', () => {
  let t: TestMatcher;
  before(async () => { t = await startTestMatcher({ tenants: 1, env: { MATCHER_TENANT_RATE_LIMIT: '100000' } }); });
  after(async () => { await t?.close(); });

  it('/healthz answers while a 100 KB adversarial analysis is in flight', async () => {
    // The two documents issue 15 names: a resume of "5" and spaces, a job of "a", spaces and "b".
    const ids = await create(t, adversarial('resume: "5" and spaces'), adversarial('job: "a", spaces and "b"'));
    let answered = false;
    const analysis = api(t.url, 'POST', '/v1/analyses', { key: t.tenants[0]!.key, body: ids }).finally(() => { answered = true; });
    // Rounds of a /healthz and a 10 ms pause, timed whole: the test shares the matcher's event
    // loop, so an analysis holding it shows in whichever round it falls, probe or pause.
    const rounds: number[] = [];
    while (!answered || rounds.length === 0) {
      const started = performance.now();
      const health = await api(t.url, 'GET', '/healthz');
      assert.equal(health.status, 200);
      await sleep(10);
      rounds.push(performance.now() - started);
    }
    const result = await analysis;
    assert.equal(result.status, 201, JSON.stringify(result.body));
    assert.equal(result.body.data.result.experience.resumeYears, null);
    // A generous bound: the analysis used to hold the event loop for about 20 s.
    assert.ok(Math.max(...rounds) < 1000, `slowest round ${Math.round(Math.max(...rounds))} ms of ${rounds.length}`);
  });

  it('an analysis past MATCHER_ANALYSIS_DEADLINE_MS is a 503 ANALYSIS_TIMEOUT', async () => {
    const hurried = await startTestMatcher({ tenants: 1, env: { MATCHER_ANALYSIS_DEADLINE_MS: '10', MATCHER_ANALYSIS_THREADS: '1' } });
    try {
      // Ordinary documents padded to 100 KB each: tens of milliseconds of real work, over 10 ms.
      const data = new SampleData(3);
      const pad = (text: string) => text.repeat(Math.ceil(ADVERSARIAL_LENGTH / (text.length + 1))).slice(0, ADVERSARIAL_LENGTH);
      const ids = await create(hurried, pad(`${data.resume().content}\n`), pad(`${data.job().description}\n`));
      const r = await api(hurried.url, 'POST', '/v1/analyses', { key: hurried.tenants[0]!.key, body: ids });
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'ANALYSIS_TIMEOUT');
    } finally {
      await hurried.close();
    }
  });
});
