// The users' request mix: shares, fresh pairs, re-asked pairs, polling queued analyses, deadlines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Workload, type ServerAnswer, type TenantCatalog } from '../../loadtests/load/workload.js';

const tenant = (key: string, resumes = 20, jobs = 10): TenantCatalog => ({
  key, resumes: Array.from({ length: resumes }, (_, i) => `${key}-r${i}`), jobs: Array.from({ length: jobs }, (_, i) => `${key}-j${i}`),
  analysed: new Map(), analysedPairs: [], asked: new Set(), results: [],
});
const mix = { analysisShare: 0.2, cacheHitRatio: 0.5, resultReadShare: 0.5, deadlineSeconds: 60 };
/** An HTTP answer as the driver hands it over (a 429 with Retry-After is shed). */
const answer = (sentAt: number, doneAt: number, status: number, body?: string, analysisSource?: string): ServerAnswer => ({
  sentAt, doneAt, status, outcome: status === 429 ? 'shed' : status >= 200 && status < 300 ? 'success' : 'error', body, analysisSource,
});

test('the mix: analysisShare of requests are analyses; half of those re-ask analysed pairs once there are some', () => {
  const w = new Workload([tenant('a'), tenant('b')], mix, 7);
  const users = [w.user(0), w.user(1)];
  assert.deepEqual(users.map((u) => u.tenant), [0, 1], 'users spread round-robin over tenants');
  const counts: Record<string, number> = {};
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const user = users[i % 2]!;
    const spec = w.next(user, i * 0.01);
    counts[spec.kind] = (counts[spec.kind] ?? 0) + 1;
    assert.equal(spec.key, user.tenant === 0 ? 'a' : 'b');
    // Every analysis is answered at once with a stored result (as a cache hit would be).
    if (spec.method === 'POST') w.answered(user, spec, answer(i * 0.01, i * 0.01 + 0.005, 200, JSON.stringify({ data: { id: `id-${i}` } })));
  }
  const analyses = (counts['analysis-new'] ?? 0) + (counts['analysis-repeat'] ?? 0);
  assert.ok(Math.abs(analyses / n - 0.2) < 0.015, `analysis share ${analyses / n}`);
  assert.ok(Math.abs(counts['analysis-repeat']! / analyses - 0.5) < 0.03, `re-asked share ${counts['analysis-repeat']! / analyses}`);
  const reads = n - analyses;
  assert.ok(Math.abs(counts['result-read']! / reads - 0.5) < 0.03, `result reads ${counts['result-read']! / reads}`);
  for (const list of ['list-analyses', 'list-resumes', 'list-jobs']) assert.ok(Math.abs(counts[list]! / reads - 1 / 6) < 0.02, `${list} ${counts[list]! / reads}`);
  assert.equal(counts['result-poll'], undefined, 'nothing queued, nothing to poll');
});

test('new pairs are new until the tenant runs out, which is counted', () => {
  const w = new Workload([tenant('a', 3, 2)], { ...mix, analysisShare: 1, cacheHitRatio: 0 }, 1);
  const user = w.user(0);
  const pairs = Array.from({ length: 6 }, () => w.next(user, 0).pair);
  assert.equal(new Set(pairs).size, 6, 'all 3 × 2 pairs, each once');
  assert.equal(w.exhaustedPairs, 0);
  w.next(user, 0);
  assert.equal(w.exhaustedPairs, 1);
});

test('a queued analysis is polled on the user\'s next reads until its result arrives', () => {
  const w = new Workload([tenant('a')], { ...mix, analysisShare: 0 }, 3);
  const user = w.user(0);
  // A POST answered 202 (the test drives the state the way the driver does).
  const post = { kind: 'analysis-new' as const, method: 'POST' as const, path: '/v1/analyses', key: 'a', tenant: 0, pair: 'a-r1 a-j1' };
  assert.deepEqual(w.answered(user, post, answer(1, 1.02, 202, '{"data":{"id":"q1","provider":"groq","state":"queued"}}')), { queued: true });
  const poll = w.next(user, 3);
  assert.equal(poll.kind, 'result-poll');
  assert.equal(poll.path, '/v1/analyses/q1');
  w.answered(user, poll, answer(3, 3.01, 202, '{}'));
  const again = w.next(user, 5);
  assert.equal(again.kind, 'result-poll');
  w.answered(user, again, answer(5, 5.5, 200, '{"data":{"id":"q1","resumeId":"a-r1","jobId":"a-j1"}}'));
  assert.notEqual(w.next(user, 7).kind, 'result-poll');
  assert.deepEqual(w.analyses.map((a) => [a.state, a.timeToResultSeconds]), [['completed', 4.5]]);
  assert.deepEqual(w.tenants[0]!.results, ['q1'], 'the result is now a stored result others may read');
  assert.deepEqual(w.tenants[0]!.analysedPairs, ['a-r1 a-j1']);
});

test('past the deadline the user gives up; a 404 means the job failed for good', () => {
  const w = new Workload([tenant('a')], { ...mix, analysisShare: 0, deadlineSeconds: 10 }, 3);
  const user = w.user(0);
  const post = (pair: string) => ({ kind: 'analysis-new' as const, method: 'POST' as const, path: '/v1/analyses', key: 'a', tenant: 0, pair });
  w.answered(user, post('p1'), answer(0, 0.1, 202, '{"data":{"id":"slow"}}'));
  w.answered(user, post('p2'), answer(5, 5.1, 202, '{"data":{"id":"doomed"}}'));
  const poll = w.next(user, 11);
  assert.equal(poll.path, '/v1/analyses/doomed', 'the expired one is dropped first');
  w.answered(user, poll, answer(11, 11.1, 404, '{"error":{"code":"ANALYSIS_NOT_FOUND"}}'));
  assert.deepEqual(w.analyses.map((a) => [a.id, a.state]), [['slow', 'gaveUp'], ['doomed', 'failed']]);
});

test('every requested analysis is recorded with who answered it and how, refused ones too', () => {
  const w = new Workload([tenant('a')], { ...mix, analysisShare: 0 }, 3);
  const user = w.user(0);
  const post = (pair: string) => ({ kind: 'analysis-new' as const, method: 'POST' as const, path: '/v1/analyses', key: 'a', tenant: 0, pair });
  w.answered(user, post('p1'), answer(0, 0.01, 200, '{"data":{"id":"hit","answeredBy":"groq"}}', 'cache'));
  w.answered(user, post('p2'), answer(1, 1.2, 201, '{"data":{"id":"inline","matcherVersion":"local-1.0.0"}}', 'local'));
  w.answered(user, post('p3'), answer(2, 2.01, 429, '{"error":{"code":"QUEUE_FULL"}}'));
  w.answered(user, post('p4'), answer(3, 33, 0));
  w.answered(user, post('p5'), answer(4, 4.1, 202, '{"data":{"id":"q"}}'));
  const poll = w.next(user, 6);
  w.answered(user, poll, answer(6, 6.1, 200, '{"data":{"id":"q","resumeId":"a-r1","jobId":"a-j1","matcherVersion":"anthropic:v2"}}'));
  assert.deepEqual(w.analyses.map((a) => [a.id, a.state, a.immediate, a.source, a.answeredBy]), [
    ['hit', 'completed', true, 'cache', 'groq'],
    ['inline', 'completed', true, 'local', 'local'],
    [undefined, 'shed', true, undefined, undefined],
    [undefined, 'failed', true, undefined, undefined],
    ['q', 'completed', false, 'queue', 'anthropic'],
  ]);
  assert.deepEqual(w.analyses.slice(2, 4).map((a) => a.resolvedAt), [2.01, 33], 'a refused POST is settled when its answer (or failure) came');
});
