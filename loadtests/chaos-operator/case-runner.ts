/**
 * One chaos case end to end: prepare the stack, start the load and the samplers (PgBouncer every
 * interval; the stack's state and the operators' metrics every 500 ms; the pools the replica
 * processes run every second), watch a baseline, inject the fault, wait until the stack has
 * recovered (or the timeout), and compute the case's figures from what was sampled.
 */
import type { ConnectionSample } from '../load/connections.js';
import { PgBouncerSampler } from '../load/pgbouncer-sampler.js';
import { sampleEvery } from '../load/periodic.js';
import type { TenantCatalog } from '../load/workload.js';
import { settledProblems, type Cluster, type StackState } from './cluster.js';
import type { CaseContext, FaultCase } from './faults/types.js';
import { startLoad } from './load.js';
import type { OperatorFleet } from './operator-fleet.js';
import type { ChaosOptions } from './options.js';
import {
  connectionFigures, eventFigures, loadFigures, recoverySeconds, round, writeFigures,
  type CommittedSample, type ConnectionFigures, type HealthCheck, type LoadFigures, type ScrapeRound, type WriteFigures,
} from './report.js';

export interface CaseResult {
  name: string;
  title: string;
  /** Seconds since the case's sampling started. */
  faultAt: number | null;
  liftedAt: number | null;
  endedAt: number;
  /** From the fault lifted to settled (and the case's own condition) for holdSeconds; null: not within the timeout. */
  recoverySeconds: number | null;
  error?: string;
  connections: ConnectionFigures;
  load: LoadFigures;
  writes: WriteFigures;
  events: { byInstance: Record<string, number>; afterKill: Array<{ t: number; reason: string; reportingInstance: string }> };
  operatorExits: Array<{ identity: string; code: number | null; signal: string | null; t: number }>;
  marks: Array<{ t: number; label: string }>;
  /** What was not settled at the end, when it did not recover. */
  unsettled: string[];
  details: Record<string, unknown>;
  series: { clients: Array<[number, number]>; committed: Array<[number, number]>; replicas: Array<[number, number]> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCase(fault: FaultCase, env: {
  cluster: Cluster; fleet: OperatorFleet; options: ChaosOptions; tenants: TenantCatalog[]; budget: number; log: (line: string) => void; seed: number;
}): Promise<CaseResult> {
  const { cluster, fleet, options: o } = env;
  const log = (line: string) => env.log(`[${fault.name}] ${line}`);
  // The case's clock starts with the sampling; the preparation reads 0.
  const start: { ms?: number } = {};
  const clock = () => (start.ms === undefined ? 0 : (performance.now() - start.ms) / 1000);
  const marks: CaseResult['marks'] = [];
  const ctx: CaseContext = {
    cluster, fleet, options: o, clock, log, details: {}, killed: [],
    mark: (label) => { marks.push({ t: round(clock()), label }); log(`${clock().toFixed(1)} s: ${label}`); },
    async waitSettled(what, timeoutSeconds, extra) {
      const deadline = Date.now() + timeoutSeconds * 1000;
      let problems: string[] = [];
      while (Date.now() < deadline) {
        try {
          const s = await cluster.state();
          problems = [...settledProblems(s), ...(extra?.(s) ?? [])];
          if (problems.length === 0) return;
        } catch (error) {
          problems = [(error as Error).message];
        }
        await sleep(500);
      }
      throw new Error(`not settled after ${timeoutSeconds} s waiting for ${what}: ${problems.join('; ')}`);
    },
  };

  log(`preparing: ${fault.title}`);
  await fault.prepare(ctx);
  await ctx.waitSettled('the stack before the fault', o.recoveryTimeoutSeconds);

  const epochStart = Date.now();
  start.ms = performance.now();
  const load = startLoad({ target: o.target, keysFile: o.keysFile, users: o.users, thinkTimeSeconds: o.thinkSeconds, timeoutSeconds: o.timeoutSeconds, analysisShare: o.analysisShare }, env.tenants, clock, env.seed);
  const pgbouncer = new PgBouncerSampler(o.pgbouncer, o.database);
  const connections = pgbouncer.start(clock, o.intervalMs / 1000);
  const checks: HealthCheck[] = [];
  const replicas: Array<[number, number]> = [];
  let lastState: StackState | undefined;
  const stateSampling = sampleEvery(clock, 0.5, async (t) => {
    const s = await cluster.state();
    lastState = s;
    if (s.deployment) replicas.push([round(t), s.deployment.replicas]);
    const problems = [...settledProblems(s), ...(fault.recovered?.(s, ctx) ?? [])];
    checks.push({ t, settled: problems.length === 0 });
    return problems;
  });
  const scrapes = sampleEvery<ScrapeRound>(clock, 0.5, (t) => fleet.scrape(t));
  const committed = sampleEvery<CommittedSample>(clock, 1, async (t) => {
    const processes = await cluster.processes();
    return { t, ...(await cluster.committedPools(processes)) };
  });

  let faultAt: number | null = null;
  let liftedAt: number | null = null;
  let error: string | undefined;
  let recovery: number | null = null;
  try {
    log(`load: ${o.users} users; baseline ${o.baselineSeconds} s`);
    await sleep(o.baselineSeconds * 1000);
    faultAt = clock();
    await fault.inject(ctx);
    liftedAt = clock();
    ctx.mark('fault lifted');
    const deadline = Date.now() + o.recoveryTimeoutSeconds * 1000;
    while (Date.now() < deadline) {
      recovery = recoverySeconds(checks, liftedAt, o.holdSeconds);
      if (recovery !== null) break;
      await sleep(500);
    }
    log(recovery === null ? `not recovered within ${o.recoveryTimeoutSeconds} s` : `recovered ${recovery} s after the fault was lifted`);
  } catch (e) {
    error = (e as Error).message;
    log(`failed: ${error}`);
  } finally {
    await load.stop();
  }
  const endedAt = clock();
  const [sampled, stateResult, scrapeResult, committedResult] = await Promise.all([connections.stop(), stateSampling.stop(), scrapes.stop(), committed.stop()]);
  await pgbouncer.close();

  const samples: ConnectionSample[] = sampled.samples;
  const events = await cluster.policyEvents(epochStart).catch(() => []);
  const eventRecords = events.map((e) => ({ t: round((e.at - epochStart) / 1000), reason: e.reason, reportingInstance: e.reportingInstance }));
  const answers = load.records.map((r) => ({ t: r.doneAt, ok: r.outcome === 'success' }));
  const figures = connectionFigures({ samples, failedSamples: sampled.failed, budget: env.budget, intervalSeconds: o.intervalMs / 1000, committed: committedResult.samples });
  const lastProblems = stateResult.samples.at(-1) ?? [];
  const result: CaseResult = {
    name: fault.name, title: fault.title,
    faultAt: faultAt === null ? null : round(faultAt), liftedAt: liftedAt === null ? null : round(liftedAt), endedAt: round(endedAt),
    recoverySeconds: recovery,
    ...(error ? { error } : {}),
    connections: figures,
    load: loadFigures(answers, liftedAt ?? faultAt ?? 0, endedAt, 5, 0.95),
    writes: writeFigures(scrapeResult.samples),
    events: eventFigures(eventRecords, ctx.killed),
    operatorExits: fleet.exits().filter((x) => x.at >= epochStart).map((x) => ({ identity: x.identity, code: x.code, signal: x.signal, t: round((x.at - epochStart) / 1000) })),
    marks,
    unsettled: recovery === null ? lastProblems : [],
    details: { ...ctx.details, stateSamplesFailed: stateResult.failed, ...(lastState?.policy ? { poolAtEnd: lastState.policy.poolMax } : {}) },
    series: {
      clients: samples.map((s) => [round(s.t), s.clients]),
      committed: committedResult.samples.map((c) => [round(c.t), c.pools]),
      replicas,
    },
  };
  log(`peak ${figures.peak?.clients ?? '—'} clients of ${env.budget} (${figures.violations.length} samples over), pools committed at most ${figures.peakCommitted?.pools ?? '—'}`);
  try {
    log('restoring the stack');
    await fault.restore(ctx);
    await ctx.waitSettled('the stack restored', o.recoveryTimeoutSeconds);
  } catch (e) {
    result.details.restoreError = (e as Error).message;
    log(`restore: ${(e as Error).message}`);
  }
  return result;
}
