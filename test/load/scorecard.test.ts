// The scorecard: one run's figures, flat, from a small report built by the real summary functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetFigures, summariseConnections } from '../../loadtests/load/connections.js';
import type { Series } from '../../loadtests/load/prometheus.js';
import type { AnalysisRecord, RequestRecord } from '../../loadtests/load/records.js';
import type { LoadReport } from '../../loadtests/load/report.js';
import { scorecard } from '../../loadtests/load/scorecard.js';
import { kindStats, summarise } from '../../loadtests/load/stats.js';
import { providerUtilisation } from '../../loadtests/load/utilisation.js';

const rec = (over: Partial<RequestRecord>): RequestRecord => ({ kind: 'list-jobs', sentAt: 0, doneAt: 1, latencyMs: 10, outcome: 'success', status: 200, level: 'Full', ...over });
const prom = (id: string, chart: Series['chart'], values: number[]): Series => ({ id, label: id, chart, source: 'prometheus', points: values.map((v, i) => [i * 10, v]) });

function report(): LoadReport {
  const records = [
    ...Array.from({ length: 6 }, (_, i) => rec({ latencyMs: 10 * (i + 1) })),
    rec({ kind: 'analysis-new', status: 202, queued: true, latencyMs: 20 }),
    rec({ kind: 'analysis-new', status: 202, queued: true, latencyMs: 20 }),
    rec({ kind: 'analysis-repeat', status: 200, latencyMs: 5 }),
    rec({ kind: 'analysis-new', outcome: 'shed', status: 429, reason: 'QUEUE_FULL', latencyMs: 1 }),
  ];
  const analyses: AnalysisRecord[] = [
    { id: 'p', postedAt: 0, immediate: false, state: 'completed', resolvedAt: 4, timeToResultSeconds: 4, source: 'queue', answeredBy: 'anthropic' },
    { id: 'l', postedAt: 0, immediate: false, state: 'gaveUp', resolvedAt: 61 },
    { id: 'c', postedAt: 0, immediate: true, state: 'completed', resolvedAt: 1, timeToResultSeconds: 0.005, source: 'cache', answeredBy: 'local' },
    { postedAt: 0, immediate: true, state: 'shed', resolvedAt: 0.001 },
  ];
  const summary = summarise(records, analyses, 40, { p95LatencySeconds: 1, successRate: 0.99 });
  const limits = { maxClientConn: 100, maxDbConnections: 25, poolSize: 20, reservePool: 5, poolMode: 'transaction', source: 'database' as const };
  return {
    version: 1,
    scenario: { name: 'tiny', file: 'tiny.yaml', scaledFile: 'tiny.scaled.yaml', timeScale: 0.5, durationSeconds: 40, thinkTimeSeconds: 1, analysisShare: 0.3, cacheHitRatio: 0.5, maxUsers: 4, phases: [], slo: { p95LatencySeconds: 1, successRate: 0.99 } },
    config: { target: 't', prometheus: 'p', selectors: { matcher: 'm', operator: 'o' }, providers: {}, timeoutSeconds: 30, seed: 1, stepSeconds: 10, resultReadShare: 0.5, deadlineSeconds: 60, keysFile: 'k' },
    run: { startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:01:00.000Z', wallSeconds: 60 },
    catalog: { tenants: 1, resumes: 1, jobs: 1, storedAnalysesAtStart: 0, exhaustedPairs: 0, discoveryRequests: {} },
    summary,
    kinds: kindStats(records),
    faults: [],
    connections: summariseConnections({
      console: 'postgres://x@h/pgbouncer', database: 'plimsoll', intervalSeconds: 1, failedSamples: 0, limits, budget: budgetFigures({ maxConnections: 100, reserved: 15 }, 100),
      samples: [30, 70, 50].map((clients, t) => ({ t, clients, clientsWaiting: 0, servers: 10, clientsAll: clients + 1 })), matcherErrors: { total: 2, byReason: { client_limit: 2 } },
    }),
    providers: providerUtilisation([
      { t: 0, providers: { anthropic: { ok: 0, rateLimited: 0, rateLimit: 60, rateWindowMs: 60_000 } } },
      { t: 20, providers: { anthropic: { ok: 10, rateLimited: 3, rateLimit: 60, rateWindowMs: 60_000 } } },
      { t: 40, providers: { anthropic: { ok: 12, rateLimited: 3, rateLimit: 60, rateWindowMs: 60_000 } } },
    ], { queueWaiting: [], localAnswersAt: [] }),
    timeline: {
      stepSeconds: 10, buckets: [],
      // The last point is past the load (Prometheus answers a little beyond): not counted.
      series: [prom('replicas-up', 'replicas', [2, 3, 3, 2, 9]), prom('level', 'level', [0, 1, 2, 0, 3])],
    },
    prediction: { error: 'not run' },
    gap: [],
    warnings: [],
  };
}

test('the scorecard of a small run, field by field', () => {
  assert.deepEqual(scorecard(report()), {
    scenario: 'tiny', timeScale: 0.5, startedAt: '2026-01-01T00:00:00.000Z', loadSeconds: 40,
    requestsCount: 10,
    // 9 successes, of which 2 are 202s: one completed, one given up → 8 of 10.
    successRatio: 0.8, successHttpRatio: 0.9, shedCount: 1, shedRatio: 0.1,
    analysesCount: 4, aiAnswerRatio: 0.25, localAnswerRatio: 0.25, unansweredRatio: 0.5,
    // 429s in the first 20 s: 10 ok of the 20 allowed (60/min).
    providerUtilisationRatio: 0.5, overloadSeconds: 20, provider429Count: 3,
    latencyP95Ms: 60, latencyP99Ms: 60, timeToResultP95Seconds: 4,
    replicaSeconds: 100, peakReplicasCount: 3,
    peakDbClientConnectionsCount: 70, dbClientConnectionBudgetCount: 85, secondsOverDbBudget: 0, dbConnectionErrorsCount: 2,
    fullSeconds: 20, reducedSeconds: 10, basicSeconds: 10, maintenanceSeconds: 0,
  });
});

test('what a report cannot give is null, never 0: no samplers, no timeline, an older report', () => {
  const r = report();
  delete r.connections;
  delete r.providers;
  r.timeline.series = [];
  const older = r.summary.analyses as Partial<typeof r.summary.analyses>;
  delete older.shares;
  delete older.aiAnswerShare;
  const s = scorecard(r);
  for (const field of ['aiAnswerRatio', 'localAnswerRatio', 'unansweredRatio', 'providerUtilisationRatio', 'overloadSeconds', 'provider429Count', 'replicaSeconds',
    'peakReplicasCount', 'peakDbClientConnectionsCount', 'dbClientConnectionBudgetCount', 'secondsOverDbBudget', 'dbConnectionErrorsCount', 'fullSeconds', 'maintenanceSeconds'] as const) {
    assert.equal(s[field], null, field);
  }
  assert.equal(s.successRatio, 0.8);
});
