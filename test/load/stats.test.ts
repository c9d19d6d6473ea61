// Percentiles, summaries and the measured timeline: the maths behind every number in a report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AnalysisRecord, RequestRecord } from '../../loadtests/load/records.js';
import { latencySummary, measuredTimeline, percentileSorted, sloViolationSeconds, summarise } from '../../loadtests/load/stats.js';

const rec = (over: Partial<RequestRecord>): RequestRecord => ({
  kind: 'list-jobs', sentAt: 0, doneAt: 0.01, latencyMs: 10, outcome: 'success', status: 200, level: 'Full', ...over,
});

test('nearest-rank percentiles', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentileSorted(hundred, 0.5), 50);
  assert.equal(percentileSorted(hundred, 0.95), 95);
  assert.equal(percentileSorted(hundred, 0.99), 99);
  assert.equal(percentileSorted(hundred, 1), 100);
  assert.equal(percentileSorted(hundred, 0), 1);
  assert.equal(percentileSorted([7], 0.95), 7);
  assert.equal(percentileSorted([], 0.5), undefined);
  assert.deepEqual(latencySummary([30, 10, 20, 40]), { count: 4, p50: 20, p95: 40, p99: 40, mean: 25, max: 40 });
  assert.equal(latencySummary([]).p95, null);
});

test('percentiles lie within the data and grow with q (property)', () => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (values, a, b) => {
    const sorted = [...values].sort((x, y) => x - y);
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    const pLo = percentileSorted(sorted, lo)!;
    const pHi = percentileSorted(sorted, hi)!;
    return pLo >= sorted[0]! && pHi <= sorted[sorted.length - 1]! && pLo <= pHi && values.includes(pLo);
  }));
});

test('summary: outcomes, levels, reasons, routes, and the simulator-definition success rate', () => {
  const records: RequestRecord[] = [
    rec({ level: 'Full' }),
    rec({ kind: 'result-read', level: 'Basic', latencyMs: 30 }),
    rec({ kind: 'analysis-new', status: 202, queued: true, latencyMs: 20 }),
    rec({ kind: 'analysis-new', status: 202, queued: true, latencyMs: 20 }),
    rec({ kind: 'analysis-repeat', status: 200, latencyMs: 15 }),
    rec({ outcome: 'shed', status: 429, reason: 'TENANT_RATE_LIMITED', latencyMs: 2 }),
    rec({ outcome: 'error', status: 0, errorKind: 'timeout', reason: 'timeout', latencyMs: 30000, level: 'unknown' }),
  ];
  const analyses: AnalysisRecord[] = [
    { id: 'a', postedAt: 0, immediate: false, state: 'completed', resolvedAt: 3, timeToResultSeconds: 3 },
    { id: 'b', postedAt: 0, immediate: false, state: 'gaveUp', resolvedAt: 61 },
    { id: 'c', postedAt: 0, immediate: true, state: 'completed', resolvedAt: 0.015, timeToResultSeconds: 0.015 },
  ];
  const s = summarise(records, analyses, 10, { p95LatencySeconds: 4, successRate: 0.99 });
  assert.equal(s.total, 7);
  assert.equal(s.success, 5);
  assert.equal(s.shed, 1);
  assert.equal(s.errors, 1);
  assert.equal(s.successRate, 5 / 7);
  // Two 202s: one completed, one given up → 4 of 7 by the simulator's definition.
  assert.equal(s.successRateSimulatorDefinition, 4 / 7);
  assert.equal(s.byLevel.Full, 4);
  assert.equal(s.byLevel.Basic, 1);
  assert.deepEqual(s.shedReasons, { TENANT_RATE_LIMITED: 1 });
  assert.deepEqual(s.errorReasons, { timeout: 1 });
  assert.deepEqual(s.byStatus, { 200: 3, 202: 2, 429: 1, timeout: 1 });
  assert.deepEqual(s.byRouteStatus, { 'GET /v1/jobs 200': 1, 'GET /v1/analyses/:id 200': 1, 'POST /v1/analyses 202': 2, 'POST /v1/analyses 200': 1, 'GET /v1/jobs 429': 1 });
  assert.equal(s.latencyMs.count, 6, 'a timeout has no HTTP latency');
  assert.equal(s.latencyMs.max, 30);
  assert.equal(s.throughputPerSecond, 0.7);
  assert.deepEqual([s.analyses.requested, s.analyses.immediate, s.analyses.queued, s.analyses.completed, s.analyses.gaveUp], [3, 1, 2, 1, 1]);
  assert.equal(s.analyses.timeToResultSeconds.p95, 3);
});

test('an unresolved analysis (the run ended first) leaves the simulator-definition denominator', () => {
  const records = [rec({ kind: 'analysis-new', status: 202, queued: true }), rec({})];
  const s = summarise(records, [{ id: 'x', postedAt: 0, immediate: false, state: 'unresolved' }], 1, { p95LatencySeconds: 4, successRate: 0.99 });
  assert.equal(s.successRateSimulatorDefinition, 1);
  assert.equal(s.analyses.unresolved, 1);
});

test('SLO-violation seconds: a slow second and a failing second count, a good one does not', () => {
  const records = [
    rec({ doneAt: 0.5, latencyMs: 100 }),
    rec({ doneAt: 1.5, latencyMs: 5000 }),
    rec({ doneAt: 2.1 }), rec({ doneAt: 2.2, outcome: 'shed', status: 503 }),
  ];
  assert.equal(sloViolationSeconds(records, 4, { p95LatencySeconds: 4, successRate: 0.99 }), 2);
  assert.equal(sloViolationSeconds(records, 4, { p95LatencySeconds: 10, successRate: 0.5 }), 0);
});

test('timeline buckets: rates per second by outcome, percentiles, users and level shares', () => {
  const records = [
    ...Array.from({ length: 10 }, (_, i) => rec({ doneAt: i * 0.4, latencyMs: i + 1, level: i < 5 ? 'Full' : 'Reduced' })),
    rec({ doneAt: 6, outcome: 'error', status: 500 }),
  ];
  const b = measuredTimeline(records, [1, 1, 1, 1, 1, 3, 3, 3, 3, 3], 10, 5);
  assert.equal(b.length, 2);
  assert.equal(b[0]!.successPerSecond, 2);
  assert.equal(b[0]!.p50Ms, 5);
  assert.equal(b[0]!.p95Ms, 10);
  assert.equal(b[0]!.users, 1);
  assert.deepEqual([b[0]!.levels.Full, b[0]!.levels.Reduced], [0.5, 0.5]);
  assert.equal(b[1]!.errorPerSecond, 0.2);
  assert.equal(b[1]!.users, 3);
  assert.equal(b[1]!.p95Ms, 10);
});
