// Who answered each requested analysis: the outcome classification behind the AI-answer share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisOutcome, analysisSourceOf, answeredByOf, answerSeries, answerSummary } from '../../loadtests/load/answers.js';
import type { AnalysisRecord } from '../../loadtests/load/records.js';

const done = (over: Partial<AnalysisRecord>): AnalysisRecord => ({ id: 'a', postedAt: 0, immediate: true, state: 'completed', resolvedAt: 1, timeToResultSeconds: 1, ...over });

const cases: Array<[string, AnalysisRecord, ReturnType<typeof analysisOutcome>]> = [
  ['a queued analysis a provider answered in time', done({ immediate: false, source: 'queue', answeredBy: 'anthropic' }), 'provider'],
  ['a queued analysis the local matcher answered (fallback or Basic drain)', done({ immediate: false, source: 'queue', answeredBy: 'local' }), 'local'],
  ['the local matcher inline (Basic)', done({ source: 'local', answeredBy: 'local' }), 'local'],
  ['a cache hit on a provider\'s answer', done({ source: 'cache', answeredBy: 'groq' }), 'cacheProvider'],
  ['a stored provider answer', done({ source: 'database', answeredBy: 'openai' }), 'cacheProvider'],
  ['a cache hit on a local answer', done({ source: 'cache', answeredBy: 'local' }), 'cacheLocal'],
  ['a stored local answer', done({ source: 'database', answeredBy: 'local' }), 'cacheLocal'],
  ['an immediate provider answer without the header was stored', done({ answeredBy: 'groq' }), 'cacheProvider'],
  ['an immediate local answer without the header', done({ answeredBy: 'local' }), 'local'],
  ['an answer that names no producer is not an AI answer', done({ immediate: false, source: 'queue' }), 'local'],
  ['given up at the deadline', { id: 'g', postedAt: 0, immediate: false, state: 'gaveUp', resolvedAt: 61 }, 'late'],
  ['the queued job failed for good', { id: 'f', postedAt: 0, immediate: false, state: 'failed', resolvedAt: 5 }, 'failed'],
  ['the POST failed', { postedAt: 0, immediate: true, state: 'failed', resolvedAt: 0.1 }, 'failed'],
  ['the POST was shed', { postedAt: 0, immediate: true, state: 'shed', resolvedAt: 0.1 }, 'shed'],
  ['the run ended first', { id: 'u', postedAt: 0, immediate: false, state: 'unresolved' }, 'unresolved'],
];

for (const [name, record, expected] of cases) {
  test(`outcome: ${name}`, () => assert.equal(analysisOutcome(record), expected));
}

test('answeredBy from the body, else from matcherVersion; the header\'s sources', () => {
  assert.equal(answeredByOf({ answeredBy: 'groq', matcherVersion: 'local-1.0.0' }), 'groq', 'answeredBy wins');
  assert.equal(answeredByOf({ matcherVersion: 'anthropic:v3' }), 'anthropic', 'an older matcher: the version\'s provider prefix');
  assert.equal(answeredByOf({ matcherVersion: 'local-1.0.0' }), 'local', 'no provider prefix: the local matcher');
  assert.equal(answeredByOf({ matcherVersion: 'local:2' }), 'local');
  assert.equal(answeredByOf({ id: 'x' } as never), undefined);
  assert.equal(answeredByOf(undefined), undefined);
  assert.deepEqual(['cache', 'Database', ' local ', 'queue', 'redis', undefined].map(analysisSourceOf), ['cache', 'database', 'local', undefined, undefined, undefined]);
});

test('the summary: counts and shares of every requested analysis, and the AI-answer share', () => {
  const analyses = [
    done({ immediate: false, source: 'queue', answeredBy: 'anthropic' }),
    done({ source: 'cache', answeredBy: 'groq' }),
    done({ source: 'local', answeredBy: 'local' }),
    done({ immediate: false, source: 'queue', answeredBy: 'local' }),
    { id: 'g', postedAt: 0, immediate: false, state: 'gaveUp', resolvedAt: 61 } as AnalysisRecord,
    { postedAt: 0, immediate: true, state: 'shed', resolvedAt: 0.1 } as AnalysisRecord,
    { postedAt: 0, immediate: true, state: 'failed', resolvedAt: 0.1 } as AnalysisRecord,
    { id: 'u', postedAt: 0, immediate: false, state: 'unresolved' } as AnalysisRecord,
  ];
  const s = answerSummary(analyses);
  assert.deepEqual(s.outcomes, { provider: 1, cacheProvider: 1, local: 2, cacheLocal: 0, late: 1, failed: 1, shed: 1, unresolved: 1 });
  assert.equal(s.aiAnswerShare, 2 / 8);
  assert.equal(s.shares.local, 2 / 8);
  assert.deepEqual(s.answeredBy, { anthropic: 1, groq: 1, local: 2 });
  assert.equal(answerSummary([]).aiAnswerShare, null, 'no analysis requested: no share, not 0');
});

test('the chart: shares of the analyses settled in each step, unanswered together', () => {
  const analyses = [
    done({ resolvedAt: 1, source: 'cache', answeredBy: 'groq' }),
    done({ resolvedAt: 2, immediate: false, source: 'queue', answeredBy: 'openai' }),
    done({ resolvedAt: 3, immediate: false, source: 'queue', answeredBy: 'openai' }),
    { postedAt: 4, immediate: true, state: 'shed', resolvedAt: 4 } as AnalysisRecord,
    done({ resolvedAt: 12, source: 'local', answeredBy: 'local' }),
    { id: 'u', postedAt: 14, immediate: false, state: 'unresolved' } as AnalysisRecord,
  ];
  const series = Object.fromEntries(answerSeries(analyses, 15, 5).map((s) => [s.id, s.points]));
  assert.deepEqual(series['answers-provider'], [[0, 0.5], [10, 0]], 'the step without settled analyses has no point');
  assert.deepEqual(series['answers-cache-provider'], [[0, 0.25], [10, 0]]);
  assert.deepEqual(series['answers-none'], [[0, 0.25], [10, 0]]);
  assert.deepEqual(series['answers-local'], [[0, 0], [10, 1]]);
});
