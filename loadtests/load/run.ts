/**
 * One load test, end to end: check the stack is up, read the catalog, drive the scenario's users
 * (applying its faults), read the timeline from Prometheus, run the simulator on the same scaled
 * scenario, and write report.json and report.html into a fresh directory.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { loadScenario, scenarioDuration } from '../../src/plimsoll/simulator/scenario.js';
import { analysisOutcome, answerSeries } from './answers.js';
import { discoverCatalog, readKeys } from './catalog.js';
import { connectionReport } from './connection-report.js';
import { connectionSeries, redactUrl, type ConnectionSummary } from './connections.js';
import { LoadTestError } from './errors.js';
import { eventLoopLag, runDelay } from './event-loop.js';
import { FaultInjector, planFaults } from './faults.js';
import { computeGap, measuredForGap } from './gap.js';
import { PgBouncerSampler } from './pgbouncer-sampler.js';
import { ProviderSampler, type ProviderSampling } from './provider-sampler.js';
import { predict, type Prediction } from './prediction.js';
import { Progress } from './progress.js';
import { PrometheusClient, timelineQueries, type Selectors, type Series } from './prometheus.js';
import type { AnalysisRecord, RequestRecord } from './records.js';
import { measuredSeries, type LoadReport } from './report.js';
import { renderHtml } from './report-html.js';
import { resolveScenarioPath, scaleScenario, scenarioYaml } from './scenario-scale.js';
import { userSchedule } from './schedule.js';
import { kindStats, measuredTimeline, summarise } from './stats.js';
import { driveUsers } from './users.js';
import { providerUtilisation, type ProviderUtilisation } from './utilisation.js';
import { Workload } from './workload.js';

export interface LoadOptions {
  /** A scenario name (loadtests/scenarios/<name>.yaml) or a path. */
  scenario: string;
  timeScale: number;
  target: string;
  prometheus: string;
  selectors: Selectors;
  providers: Record<string, string>;
  keysFile: string;
  /** Reports go to <outDir>/<scenario>-<timestamp>/ unless runDir names the directory. */
  outDir: string;
  runDir?: string;
  /** The policy the simulator runs (default: the scenario's). */
  policy?: string;
  timeoutSeconds: number;
  seed?: number;
  stepSeconds: number;
  progressSeconds: number;
  resultReadShare: number;
  /** Default: the model's jobDeadlineSeconds, so both sides give up on an analysis together. */
  deadlineSeconds?: number;
  maxStoredAnalyses: number;
  /** The CPU of one replica of the target, in cores: the prediction's model.cpuCoresPerReplica (absent: the scenario's). */
  replicaCpuCores?: number;
  /** PgBouncer's admin console, sampled through the run for the database's real connections. */
  pgbouncer?: { url: string; database: string; intervalSeconds: number };
  log: (line: string) => void;
  signal?: AbortSignal;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function checkTarget(target: string): Promise<void> {
  try {
    const res = await fetch(`${target}/healthz`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`GET /healthz answered HTTP ${res.status}`);
  } catch (error) {
    throw new LoadTestError('TARGET_UNREACHABLE', `the matcher at ${target} is not up (${(error as Error).message}); run make up first (or pass --target URL)`);
  }
}

export function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * PgBouncer's limits for the target's database, before the load. PgBouncer knows a database of
 * its `*` fallback only while it has clients, and a console read can come back empty on a busy
 * machine: three tries a second apart. Still unknown, the run goes on and the sampler looks again
 * under load (the run's warnings say so if it never appears); an unreachable console refuses the run.
 */
async function pgbouncerLimits(sampler: PgBouncerSampler, log: (line: string) => void): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    if (await sampler.tryLimits()) return;
    if (attempt < 3) await sleep(1000);
  }
  log(`pgbouncer: ${redactUrl(sampler.url)} does not know database "${sampler.database}" yet (a * fallback database is known only while it has clients); its limits are read again under load`);
}

export async function runLoadTest(o: LoadOptions): Promise<{ report: LoadReport; dir: string }> {
  const scenarioFile = resolveScenarioPath(o.scenario);
  const { scenario: original, policyPath } = await loadScenario(scenarioFile);
  const scaledTimes = scaleScenario(original, o.timeScale);
  const scenario = o.replicaCpuCores === undefined ? scaledTimes : { ...scaledTimes, model: { ...scaledTimes.model, cpuCoresPerReplica: o.replicaCpuCores } };
  const seed = o.seed ?? scenario.seed;
  const dir = resolve(o.runDir ?? join(o.outDir, `${scenario.name}-${timestamp(new Date())}`));
  await mkdir(dir, { recursive: true });
  const scaledFile = join(dir, 'scenario.scaled.yaml');
  await writeAtomically(scaledFile, scenarioYaml(scenario, o.policy ? resolve(o.policy) : policyPath));

  const prometheus = new PrometheusClient(o.prometheus);
  await checkTarget(o.target);
  await prometheus.checkReady();

  const keys = await readKeys(o.keysFile);
  const discoveryRequests: Record<string, number> = {};
  const tenants = await discoverCatalog(o.target, keys, { maxAnalyses: o.maxStoredAnalyses }, discoveryRequests);
  const catalog = {
    tenants: tenants.length,
    resumes: tenants.reduce((s, t) => s + t.resumes.length, 0),
    jobs: tenants.reduce((s, t) => s + t.jobs.length, 0),
    storedAnalysesAtStart: tenants.reduce((s, t) => s + t.results.length, 0),
    exhaustedPairs: 0,
    discoveryRequests,
  };
  o.log(`catalog: ${catalog.tenants} tenants, ${catalog.resumes} resumes, ${catalog.jobs} jobs, ${catalog.storedAnalysesAtStart} stored analyses`);
  // Checked before the load, right after the discovery has read the target's database: PgBouncer
  // lists a database of its `*` fallback only while it has connections. The console connection
  // is reopened when sampling starts.
  const sampler = o.pgbouncer && new PgBouncerSampler(o.pgbouncer.url, o.pgbouncer.database);
  if (sampler) await pgbouncerLimits(sampler, o.log).finally(() => sampler.close());

  const schedule = userSchedule(scenario);
  const deadlineSeconds = o.deadlineSeconds ?? scenario.model.jobDeadlineSeconds;
  const workload = new Workload(tenants, { analysisShare: scenario.load.analysisShare, cacheHitRatio: scenario.load.cacheHitRatio, resultReadShare: o.resultReadShare, deadlineSeconds }, seed);
  const faults = new FaultInjector(planFaults(scenario.events, o.providers), o.providers, o.log);
  for (const f of faults.faults) if (f.status === 'skipped') o.log(`fault: ${f.type} ${f.subject} at ${f.at} s skipped: ${f.reason}`);
  o.log(`running ${scenario.name}${o.timeScale !== 1 ? ` at time scale ${o.timeScale}` : ''}: ${scenarioDuration(scenario)} s, up to ${schedule.maxUsers} users thinking ${schedule.thinkTimeSeconds} s, against ${o.target}; report in ${dir}`);
  for (const note of schedule.notes) o.log(`note: ${note}`);

  const records: RequestRecord[] = [];
  const progress = new Progress(schedule, o.log);
  const started = new Date();
  const loadAtStart = loadavg()[0]!;
  const startMs = performance.now();
  const startEpoch = Date.now() / 1000;
  const clock = () => (performance.now() - startMs) / 1000;
  const sampling = sampler?.start(clock, o.pgbouncer!.intervalSeconds);
  // The providers' counters once a step, to set their answers against their rate limits.
  const providerSampling = Object.keys(o.providers).length > 0 ? new ProviderSampler(o.providers).start(clock, o.stepSeconds) : undefined;
  let interrupted: string | undefined;
  let abortedAt: number | undefined;
  const handle = driveUsers({
    target: o.target, schedule, workload, timeoutSeconds: o.timeoutSeconds, seed, clock,
    onRecord: (r) => {
      records.push(r);
      progress.record(r);
    },
  });
  const onAbort = () => {
    abortedAt = clock();
    interrupted = `interrupted (SIGINT/SIGTERM) after ${abortedAt.toFixed(0)} s: the load stopped early`;
    o.log('interrupted: stopping the users, waiting for answers still out, restoring faults…');
    handle.abort(interrupted);
  };
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let faultBusy = false;
  const faultTimer = setInterval(() => {
    if (faultBusy || interrupted) return;
    faultBusy = true;
    void faults.tick(clock()).finally(() => (faultBusy = false));
  }, 1000);
  const progressTimer = setInterval(() => {
    const s = handle.stats();
    progress.print(clock(), s.activeUsers, s.inFlight);
  }, o.progressSeconds * 1000);
  let driver;
  let sampled: Awaited<ReturnType<NonNullable<typeof sampling>['stop']>> | undefined;
  let providerSamples: ProviderSampling | undefined;
  try {
    driver = await handle.done;
  } finally {
    clearInterval(faultTimer);
    clearInterval(progressTimer);
    o.signal?.removeEventListener('abort', onAbort);
    while (faultBusy) await sleep(50);
    await faults.restoreAll(clock());
    sampled = await sampling?.stop();
    await sampler?.close();
    providerSamples = await providerSampling?.stop();
  }
  const ended = new Date();
  const loadSeconds = Math.max(1, Math.min(schedule.durationSeconds, abortedAt ?? schedule.durationSeconds));
  // Answers drained after the schedule ended still belong in the timeline.
  const lastAnswer = records.reduce((m, r) => Math.max(m, r.doneAt), 0);
  o.log(`load done: ${records.length} answers in ${clock().toFixed(0)} s`);

  // One more scrape so the last seconds are in Prometheus, then the timeline.
  await sleep((o.stepSeconds + 1) * 1000);
  o.log('reading the timeline from Prometheus…');
  const endEpoch = Date.now() / 1000;
  const promSeries = await prometheus.timeline(timelineQueries(o.selectors), startEpoch, endEpoch, o.stepSeconds);

  o.log('running the simulator on the same scaled scenario…');
  let prediction: Prediction | { error: string };
  try {
    prediction = await predict(scaledFile, o.policy ? resolve(o.policy) : undefined, o.stepSeconds);
  } catch (error) {
    prediction = { error: (error as Error).message };
  }

  const timelineSeconds = Math.max(loadSeconds, Math.ceil(lastAnswer));
  let connections: ConnectionSummary | undefined;
  const budgetWarnings: string[] = [];
  const limits = sampler?.limitsRead;
  if (o.pgbouncer && !limits) {
    budgetWarnings.push(`PgBouncer at ${redactUrl(o.pgbouncer.url)} never served database "${o.pgbouncer.database}" during the run (no SHOW DATABASES row, no pool): no connection figures (pass --pgbouncer-database NAME, or --pgbouncer URL of the PgBouncer the target uses)`);
  }
  if (o.pgbouncer && limits?.source === 'instance defaults') {
    budgetWarnings.push(`PgBouncer at ${redactUrl(o.pgbouncer.url)} served database "${o.pgbouncer.database}" (SHOW POOLS) without listing it in SHOW DATABASES, as it does with an auto-database whose first client logged in while its janitor ran: the limits shown are the instance's defaults (SHOW CONFIG), a * fallback's own unless its line sets pool_size, reserve_pool or max_db_connections`);
  }
  if (o.pgbouncer && limits && sampled) {
    const assembled = await connectionReport({
      pgbouncer: o.pgbouncer, limits, sampled, policyFile: o.policy ? resolve(o.policy) : policyPath,
      matcherErrors: () => prometheus.connectionErrors(o.selectors.matcher, startEpoch, endEpoch),
    });
    connections = assembled.summary;
    budgetWarnings.push(...assembled.warnings);
  }
  const analyses: AnalysisRecord[] = workload.analyses;
  const eventLoop = eventLoopLag(promSeries);
  const delayBuckets = await prometheus.eventLoopDelayBuckets(o.selectors.matcher, startEpoch, endEpoch).catch(() => null);
  const eventLoopRun = delayBuckets ? runDelay(delayBuckets) : null;
  const summary = summarise(records, analyses, loadSeconds, scenario.slo);
  const buckets = measuredTimeline(records, schedule.users, timelineSeconds, o.stepSeconds);
  let providers: ProviderUtilisation | undefined;
  if (providerSamples) {
    providers = providerUtilisation(providerSamples.samples, {
      queueWaiting: promSeries.find((x) => x.id === 'queue-waiting')?.points ?? [],
      localAnswersAt: analyses.filter((a) => analysisOutcome(a) === 'local').map((a) => a.resolvedAt!),
    });
  }
  const series: Series[] = [
    ...measuredSeries(buckets), ...answerSeries(analyses, timelineSeconds, o.stepSeconds), ...promSeries, ...(connections ? connectionSeries(sampled!.samples, connections, timelineSeconds) : []),
    ...('error' in prediction ? [] : prediction.series),
  ];
  const gap = 'error' in prediction ? [] : computeGap(measuredForGap(summary, o.stepSeconds, connections?.secondsOverBudget ?? null, promSeries), prediction);

  catalog.exhaustedPairs = workload.exhaustedPairs;
  const warnings = [...schedule.notes, ...budgetWarnings];
  if (interrupted) warnings.push(`${interrupted}; the gap compares this partial run with the whole simulated scenario`);
  for (const f of faults.faults) if (f.status === 'skipped' || f.status === 'failed' || f.reason?.startsWith('restore failed')) warnings.push(`fault ${f.type} ${f.subject}: ${f.status}: ${f.reason}`);
  if (workload.exhaustedPairs > 0) warnings.push(`${workload.exhaustedPairs} "new" analyses re-asked a pair already asked: the seeded resume × job pairs ran out (seed more: matcher-dev seed --resumes N)`);
  if ('error' in prediction) warnings.push(`the simulator could not run: ${prediction.error}`);
  else {
    if (prediction.unmappedSignals.length > 0) warnings.push(`the simulator's model has no metric for signals ${prediction.unmappedSignals.join(', ')}: they read as missing in the prediction`);
    for (const problem of prediction.suspectQueries) warnings.push(`the prediction may be wrong: ${problem}`);
  }
  if (!promSeries.some((s) => s.id === 'replicas-up' && s.points.length > 0)) warnings.push(`Prometheus has no up{${o.selectors.matcher}} series over the run: it does not scrape the target, so the timeline is empty`);
  // A shared target: traffic from others makes the comparison meaningless, so say so.
  const served = promSeries.find((x) => x.id === 'request-rate')?.points.filter(([t]) => t >= 0 && t < loadSeconds) ?? [];
  const servedRate = served.length > 0 ? served.reduce((a, [, v]) => a + v, 0) / served.length : undefined;
  if (servedRate !== undefined && servedRate > summary.throughputPerSecond * 1.25 + 2) {
    warnings.push(`the matcher served ${servedRate.toFixed(1)} API req/s on average, this run sent ${summary.throughputPerSecond.toFixed(1)}: other traffic shared the target, so the measurements are not this scenario's alone`);
  }
  if (providers && providers.failedSamples > 0) {
    warnings.push(`${providers.failedSamples} provider stats readings failed (of ${providers.samples * Object.keys(providers.providers).length}): utilisation has gaps; last: ${providerSamples?.lastError ?? '?'}`);
  }
  const clientErrors = records.filter((r) => r.errorKind === 'client').length;
  if (clientErrors > 0) warnings.push(`${clientErrors} answers were 4xx other than shedding: a mismatch between the load generator and the API (see error reasons)`);

  const { series: _omit, ...predictionWithoutSeries } = 'error' in prediction ? { series: undefined, ...prediction } : prediction;
  const report: LoadReport = {
    version: 1,
    scenario: {
      name: scenario.name, file: scenarioFile, scaledFile, timeScale: o.timeScale, durationSeconds: schedule.durationSeconds,
      thinkTimeSeconds: schedule.thinkTimeSeconds, analysisShare: scenario.load.analysisShare, cacheHitRatio: scenario.load.cacheHitRatio,
      maxUsers: schedule.maxUsers, phases: schedule.phases, slo: scenario.slo,
    },
    config: {
      target: o.target, prometheus: o.prometheus, selectors: o.selectors, providers: o.providers, timeoutSeconds: o.timeoutSeconds, seed,
      stepSeconds: o.stepSeconds, resultReadShare: o.resultReadShare, deadlineSeconds, keysFile: resolve(o.keysFile),
      ...(connections ? { pgbouncer: { console: connections.console, database: connections.database, intervalSeconds: connections.intervalSeconds } } : {}),
    },
    run: {
      startedAt: started.toISOString(), endedAt: ended.toISOString(), wallSeconds: Math.round((ended.getTime() - started.getTime()) / 100) / 10,
      // The machine is shared (the stack, Prometheus, maybe other work): its load explains some gaps.
      machine: { cpus: cpus().length, loadAverage1m: { start: loadAtStart, end: loadavg()[0]! } },
      ...(interrupted ? { interrupted } : {}),
    },
    catalog,
    summary,
    kinds: kindStats(records),
    faults: faults.faults,
    ...(connections ? { connections } : {}),
    ...(providers ? { providers } : {}),
    ...(eventLoop ? { eventLoop } : {}),
    ...(eventLoopRun ? { eventLoopRun } : {}),
    timeline: { stepSeconds: o.stepSeconds, buckets, series },
    prediction: predictionWithoutSeries as LoadReport['prediction'],
    gap,
    ...(driver?.autocannon ? { autocannon: driver.autocannon } : {}),
    warnings,
  };
  await writeAtomically(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeAtomically(join(dir, 'report.html'), renderHtml(report));
  return { report, dir };
}
