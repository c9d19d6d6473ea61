/**
 * A report built by the real pipeline (summary, timeline, simulator prediction, gap, HTML) from
 * deterministic synthetic requests and Prometheus-like series, for testing the page without
 * running load. It includes a missing series, a fault window and hostile text ("</script>").
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scenarioSchema } from '../../../src/plimsoll/simulator/scenario.js';
import { mulberry32 } from '../../../src/plimsoll/shared/random.js';
import { answerSeries } from '../../../loadtests/load/answers.js';
import { budgetFigures, connectionSeries, summariseConnections, type ConnectionSample } from '../../../loadtests/load/connections.js';
import { eventLoopLag } from '../../../loadtests/load/event-loop.js';
import { computeGap } from '../../../loadtests/load/gap.js';
import { predict } from '../../../loadtests/load/prediction.js';
import type { Series } from '../../../loadtests/load/prometheus.js';
import { REQUEST_KINDS, type AnalysisRecord, type RequestRecord } from '../../../loadtests/load/records.js';
import { measuredSeries, type LoadReport } from '../../../loadtests/load/report.js';
import { scenarioYaml } from '../../../loadtests/load/scenario-scale.js';
import { userSchedule } from '../../../loadtests/load/schedule.js';
import { kindStats, measuredTimeline, summarise } from '../../../loadtests/load/stats.js';
import { providerUtilisation } from '../../../loadtests/load/utilisation.js';

export async function syntheticReport(dir: string): Promise<LoadReport> {
  const scenario = scenarioSchema.parse({
    name: 'synthetic', load: { thinkTimeSeconds: 1, phases: [{ name: 'ramp', durationSeconds: 30, users: { from: 2, to: 20 } }, { name: 'hold', durationSeconds: 30, users: 20 }] },
    events: [{ type: 'providerOutage', provider: 'openai', at: 20, durationSeconds: 15 }],
  });
  const scaledFile = join(dir, 'scenario.scaled.yaml');
  writeFileSync(scaledFile, scenarioYaml(scenario, resolve('examples/matcher.yaml')));
  const schedule = userSchedule(scenario);
  const random = mulberry32(5);
  const records: RequestRecord[] = [];
  for (let t = 0; t < 60; t += 0.05) {
    if (random() > schedule.users[Math.floor(t)]! / 20) continue;
    const r = random();
    const outcome = r < 0.02 ? 'error' : r < 0.05 ? 'shed' : 'success';
    records.push({
      kind: REQUEST_KINDS[Math.floor(random() * REQUEST_KINDS.length)]!, sentAt: t, doneAt: t + 0.02, latencyMs: 5 + 200 * random() ** 4,
      outcome, status: outcome === 'error' ? 500 : outcome === 'shed' ? 429 : 200, level: t > 20 && t < 35 ? 'Reduced' : 'Full',
    });
  }
  // The analyses those POSTs requested: provider answers at first, the local matcher and late
  // ones during the outage, cached answers throughout.
  const analyses: AnalysisRecord[] = [];
  for (const r of records.filter((x) => x.kind === 'analysis-new' || x.kind === 'analysis-repeat')) {
    const t = r.sentAt;
    const during = t > 20 && t < 35;
    const draw = random();
    if (r.outcome !== 'success') analyses.push({ postedAt: t, immediate: true, state: r.outcome === 'shed' ? 'shed' : 'failed', resolvedAt: r.doneAt });
    else if (draw < 0.3) analyses.push({ id: `c${t}`, postedAt: t, immediate: true, state: 'completed', resolvedAt: r.doneAt, timeToResultSeconds: 0.02, source: 'cache', answeredBy: during ? 'local' : 'groq' });
    else {
      r.queued = true;
      r.status = 202;
      if (!during) analyses.push({ id: `p${t}`, postedAt: t, immediate: false, state: 'completed', resolvedAt: t + 3, timeToResultSeconds: 3, source: 'queue', answeredBy: 'openai' });
      else if (draw < 0.8) analyses.push({ id: `l${t}`, postedAt: t, immediate: false, state: 'completed', resolvedAt: t + 2, timeToResultSeconds: 2, source: 'queue', answeredBy: 'local' });
      else analyses.push({ id: `g${t}`, postedAt: t, immediate: false, state: 'gaveUp', resolvedAt: t + 10 });
    }
  }
  const step = 5;
  const prometheus = (id: string, chart: Series['chart'], value: (t: number) => number): Series => ({
    id, label: id, chart, source: 'prometheus', query: `query_for(${id})`, points: Array.from({ length: 12 }, (_, i) => [i * step, value(i * step)] as [number, number]),
  });
  const promSeries: Series[] = [
    prometheus('replicas-up', 'replicas', (t) => (t < 25 ? 2 : 4)),
    prometheus('pool-max', 'pool', (t) => (t < 25 ? 32 : 16)),
    prometheus('concurrency:groq', 'concurrency', () => 2),
    prometheus('level', 'level', (t) => (t > 20 && t < 35 ? 1 : 0)),
    prometheus('queue-waiting', 'queue', (t) => Math.max(0, 30 - Math.abs(t - 30))),
    prometheus('request-rate', 'throughput', (t) => schedule.users[t]!),
    { ...prometheus('analyses-rate:provider', 'analyses', (t) => (t > 20 && t < 35 ? 0.2 : 1.2)), label: 'provider answers/s' },
    { ...prometheus('analyses-rate:local', 'analyses', (t) => (t > 20 && t < 35 ? 1 : 0)), label: 'local answers/s' },
    prometheus('p95', 'latency', () => 150),
    prometheus('cache-hit-ratio', 'cache', () => 0.6),
    prometheus('heap', 'memory', () => 120),
    prometheus('cpu', 'cpu', (t) => 0.2 + t / 100),
    { ...prometheus('loop-lag-p99:10.0.0.1:18080', 'lag', (t) => (t === 25 ? 42.25 : 11)), label: '10.0.0.1:18080 event-loop lag p99, ms' },
    { ...prometheus('loop-lag-p99:10.0.0.2:18080', 'lag', () => 12), label: '10.0.0.2:18080 event-loop lag p99, ms' },
    { id: 'replicas-desired', label: 'replicas decided (operator)', chart: 'replicas', source: 'prometheus', query: 'max(plimsoll_desired_replicas{job="plimsoll-operator"})', points: [], missing: 'no data: the series does not exist over the run' },
  ];
  // PgBouncer sampled every second: the clients follow the replicas' pools and touch the budget once.
  const samples: ConnectionSample[] = Array.from({ length: 60 }, (_, t) => {
    const clients = t < 25 ? 40 : t === 40 ? 90 : 60;
    return { t, clients, clientsWaiting: t === 40 ? 4 : 0, servers: Math.min(25, Math.round(clients / 3)), clientsAll: clients + 2 };
  });
  const limits = { maxClientConn: 100, maxDbConnections: 25, poolSize: 20, reservePool: 5, poolMode: 'transaction', source: 'database' as const };
  const connections = summariseConnections({
    console: 'postgres://pgbouncer_admin:secret@127.0.0.1:16432/pgbouncer', database: 'plimsoll', intervalSeconds: 1, samples, failedSamples: 0,
    limits, budget: budgetFigures({ maxConnections: 100, reserved: 15 }, 100), matcherErrors: { total: 3, byReason: { client_limit: 3 } },
  });
  promSeries.push(...connectionSeries(samples, connections, 60));
  const prediction = await predict(scaledFile, undefined, step);
  const summary = summarise(records, analyses, 60, scenario.slo);
  // Two providers sampled every step: groq limited to 30/min and used 2 of every 5 s allowed, openai unlimited.
  const providers = providerUtilisation(Array.from({ length: 13 }, (_, i) => ({
    t: i * step,
    providers: {
      groq: { ok: i, rateLimited: i > 6 ? (i - 6) * 3 : 0, rateLimit: 30, rateWindowMs: 60_000 },
      openai: i === 4 ? null : { ok: i * 4, rateLimited: 0, rateLimit: 0, rateWindowMs: 60_000 },
    },
  })), { queueWaiting: promSeries.find((x) => x.id === 'queue-waiting')!.points, localAnswersAt: analyses.filter((a) => a.answeredBy === 'local' && a.source === 'queue').map((a) => a.resolvedAt!) });
  const buckets = measuredTimeline(records, schedule.users, 60, step);
  const { series: simSeries, ...predictionRest } = prediction;
  return {
    version: 1,
    scenario: {
      name: scenario.name, file: '(synthetic)', scaledFile, timeScale: 1, durationSeconds: 60, thinkTimeSeconds: 1, analysisShare: scenario.load.analysisShare,
      cacheHitRatio: scenario.load.cacheHitRatio, maxUsers: schedule.maxUsers, phases: schedule.phases, slo: scenario.slo,
    },
    config: {
      target: 'http://127.0.0.1:1', prometheus: 'http://127.0.0.1:2', selectors: { matcher: 'job="matcher"', operator: 'job="plimsoll-operator"' }, providers: {},
      timeoutSeconds: 30, seed: 1, stepSeconds: step, resultReadShare: 0.5, deadlineSeconds: 60, keysFile: '(none)',
    },
    run: { startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:01:00.000Z', wallSeconds: 60 },
    catalog: { tenants: 1, resumes: 1, jobs: 1, storedAnalysesAtStart: 0, exhaustedPairs: 0, discoveryRequests: {} },
    summary,
    kinds: kindStats(records),
    connections,
    providers,
    eventLoop: eventLoopLag(promSeries)!,
    faults: [{ type: 'providerOutage', subject: 'openai', at: 20, durationSeconds: 15, status: 'restored', appliedAt: 20, restoredAt: 35, settings: { mode: 'outage' } }],
    timeline: { stepSeconds: step, buckets, series: [...measuredSeries(buckets), ...answerSeries(analyses, 60, step), ...promSeries, ...simSeries] },
    prediction: predictionRest,
    gap: computeGap({
      durationSeconds: 60, stepSeconds: step, successRateSimulatorDefinition: summary.successRateSimulatorDefinition, successRateHttp: summary.successRate,
      shedRate: summary.shedRate, p95LatencySeconds: summary.latencyMs.p95! / 1000, analysisP95Seconds: null, sloViolationSeconds: summary.sloViolationSeconds,
      throughputPerSecond: summary.throughputPerSecond, secondsOverBudget: connections.secondsOverBudget, series: promSeries,
    }, prediction),
    warnings: ['a warning that tries to close the page: </script><script>document.body.dataset.pwned = "yes"</script>'],
  };
}
