import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';
import { KEDA_PEER_DEGRADATION } from '../../../src/plimsoll/simulator/controllers/keda.js';
import { fillByWeight, MatcherModel, type Tick } from '../../../src/plimsoll/simulator/model.js';
import { matcherModelSchema } from '../../../src/plimsoll/simulator/model-params.js';
import { noOutcomes, OUTCOMES, type AnalysisOutcomes } from '../../../src/plimsoll/simulator/outcomes.js';
import { renderJson } from '../../../src/plimsoll/simulator/report.js';
import { simulate, summarise, type SimulationResult } from '../../../src/plimsoll/simulator/run.js';
import { loadScenario, scenarioSchema } from '../../../src/plimsoll/simulator/scenario.js';
import { loadScenarioPolicy } from '../../../src/plimsoll/simulator/scenario-policy.js';
import { CANDIDATES } from '../../../src/plimsoll/simulator/tuning.js';
import { suspectQueries } from '../../../src/plimsoll/simulator/query-check.js';

const scenarios = new URL('../../../loadtests/scenarios/', import.meta.url);
const SHIPPED = ['budget-cut', 'burst', 'db-slowdown', 'herd-stack', 'herd', 'peak-stack', 'peak', 'prometheus-outage', 'provider-outage', 'sawtooth', 'sustained'];

async function load(name: string) {
  const { scenario, policyPath, policyPatchPath } = await loadScenario(new URL(`${name}.yaml`, scenarios).pathname);
  const policy = await loadScenarioPolicy(policyPath, policyPatchPath);
  return { scenario, spec: policy.spec };
}

/** Each shipped scenario simulated once (with its own seed) and shared by the tests that read it. */
const runs = new Map<string, Promise<SimulationResult & { analysisShare: number; reaction: number }>>();
function run(name: string) {
  if (!runs.has(name)) runs.set(name, load(name).then(({ scenario, spec }) => ({ ...simulate(spec, scenario), analysisShare: scenario.load.analysisShare, reaction: spec.pollingIntervalSeconds + scenario.model.propagationSeconds })));
  return runs.get(name)!;
}

test('every shipped scenario exists and parses: burst, sustained, peak, herd and the three faults', async () => {
  const files = (await readdir(scenarios)).filter((f) => f.endsWith('.yaml')).sort();
  assert.deepEqual(files, SHIPPED.map((n) => `${n}.yaml`));
});

test('a run is deterministic for a seed, and the seed matters', async () => {
  const { scenario, spec } = await load('burst');
  const a = simulate(spec, scenario, { seed: 7 });
  const b = simulate(spec, scenario, { seed: 7 });
  const c = simulate(spec, scenario, { seed: 8 });
  assert.deepEqual(a.controllers, b.controllers);
  assert.notDeepEqual(a.arrivals, c.arrivals);
});

// Invariants, not a contest: how Plimsoll compares with the baselines is measured and reported
// (make bench-simulate, docs/simulator.md), never asserted.
for (const name of SHIPPED) {
  // A budget a DBA lowers mid-run is broken until the next evaluation has shrunk the pools:
  // Plimsoll's reaction time (a polling interval, then the runtime document's propagation).
  test(`${name}: Plimsoll never breaks the connection budget, but for its reaction time after a cut`, async () => {
    const { timelines, budgets, reaction } = await run(name);
    const cuts = budgets.flatMap((b, t) => (t > 0 && b < budgets[t - 1]! ? [t] : []));
    const over = timelines.plimsoll!.filter((t) => t.poolTotal > budgets[t.t]! && !cuts.some((c) => t.t >= c && t.t <= c + reaction));
    assert.deepEqual(over.map((t) => t.t), []);
  });

  test(`${name}: every analysis has exactly one outcome, and the scores stay in range`, async () => {
    const { controllers, timelines, arrivals, analysisShare } = await run(name);
    const arrived = arrivals.reduce((a, b) => a + b, 0) * analysisShare;
    for (const [controller, s] of Object.entries(controllers)) {
      const shares = OUTCOMES.reduce((sum, k) => sum + s.analysisOutcomes[k], 0);
      assert.ok(Math.abs(shares - 1) < 1e-9, `${controller}: outcome shares sum to ${shares}`);
      // Jobs still queued at the end have no outcome yet: they are the only analyses left out.
      const pending = timelines[controller]!.at(-1)!.metrics.queueWaiting;
      assert.ok(Math.abs(s.analyses + pending - arrived) <= 1 + arrived * 1e-6, `${controller}: ${s.analyses} + ${pending} pending vs ${arrived} arrived`);
      assert.ok(Math.abs(s.aiAnswerShare - s.analysisOutcomes.provider - s.analysisOutcomes.cacheProvider) < 1e-9, controller);
      if (s.providerUtilisation === null) assert.equal(s.overloadSeconds, 0, controller);
      else assert.ok(s.providerUtilisation >= 0 && s.providerUtilisation <= 1 + 1e-9, `${controller}: utilisation ${s.providerUtilisation}`);
      // The ceiling holds the AI answers a controller got, and no more than every analysis.
      assert.ok(s.aiAnswerCeiling >= s.aiAnswerShare - 1e-9 && s.aiAnswerCeiling <= 1, `${controller}: ceiling ${s.aiAnswerCeiling} vs AI ${s.aiAnswerShare}`);
    }
  });
}

test('the AI-answer ceiling counts, each second, the analyses without an AI answer the rate limits had room for', () => {
  const tick = (outcomes: Partial<AnalysisOutcomes>, providerLimit: number) => ({ outcomes: { ...noOutcomes(), ...outcomes }, providerLimit, providerDemand: 0, latencies: [], analysisLatencies: [], succeeded: 0, failed: 0, shed: 0, replicas: 1, poolTotal: 0, levelChanges: 0, oomKills: 0 }) as unknown as Tick;
  const ticks = [
    tick({ provider: 2, local: 6 }, 5), // room for 3 more: 5 of 8
    tick({ provider: 1, cacheProvider: 1, shed: 1, late: 1 }, 10), // room for both: 4 of 4
    tick({ local: 4 }, 0), // no provider healthy: 0 of 4
  ];
  const s = summarise(ticks, [100, 100, 100], { p95LatencySeconds: 1, successRate: 0.99 });
  assert.equal(s.aiAnswerShare, 4 / 16);
  assert.equal(s.aiAnswerCeiling, 9 / 16);
});

test('the keda baseline comes right after plimsoll in the JSON, with the same fields', async () => {
  const summary = JSON.parse(renderJson(await run('burst')));
  assert.deepEqual(Object.keys(summary.controllers), ['plimsoll', 'keda', 'hpa', 'static']);
  assert.deepEqual(Object.keys(summary.controllers.keda).sort(), Object.keys(summary.controllers.plimsoll).sort());
  for (const key of ['analyses', 'aiAnswerShare', 'providerUtilisation', 'overloadSeconds']) assert.ok(key in summary.controllers.keda, key);
});

test('the keda baseline holds its replicas while Prometheus is down (the HPA sees no metrics)', async () => {
  const { timelines } = await run('prometheus-outage');
  const during = timelines.keda!.filter((t) => t.t >= 615 && t.t < 1200).map((t) => t.replicas);
  assert.equal(new Set(during).size, 1, `replicas ${[...new Set(during)].join(', ')}`);
});

test('the keda baseline runs thresholds the tuning sweep tries', () => {
  assert.ok(CANDIDATES.some((c) => JSON.stringify(c.thresholds) === JSON.stringify(KEDA_PEER_DEGRADATION)));
});

test('level changes are counted per ready replica by the model: a cluster-wide change on 4 replicas counts 4', () => {
  const model = new MatcherModel(matcherModelSchema.parse({}), [], { analysisShare: 0.15, cacheHitRatio: 0.55 }, 4);
  const knobs = { replicas: 4, poolMax: 10, concurrency: { groq: 1, openai: 1, anthropic: 1 }, globalRateLimit: true };
  assert.equal(model.step(0, 20, { ...knobs, clusterLevel: 'Full' }).levelChanges, 0);
  assert.equal(model.step(1, 20, { ...knobs, clusterLevel: 'Basic' }).levelChanges, 4);
  assert.equal(model.step(2, 20, { ...knobs, clusterLevel: 'Basic' }).levelChanges, 0);
  model.setReplicaLevels((i) => (i === 0 ? 'Maintenance' : undefined));
  assert.equal(model.step(3, 20, { ...knobs, clusterLevel: 'Basic' }).levelChanges, 1);
});

test('a baseline with the seeds\' fixed pool of 25 breaks the budget once it passes 3 replicas', async () => {
  // keda in herd: the herd's request rate takes it to 4 replicas (4 × 25 > 85). At the calibrated
  // CPU costs (model-params.ts) a one-core replica stays far below the CPU-only HPA's 70 % in every
  // shipped scenario, so the HPA no longer scales (it did in peak with the seed plans' costs).
  const { controllers, timelines } = await run('herd');
  assert.ok(controllers.keda!.budgetViolations > 0);
  const over = timelines.keda!.find((t) => t.poolTotal > 85)!;
  assert.ok(over.replicas >= 4);
});

test('scenario validation names the field', () => {
  const bad = scenarioSchema.safeParse({ name: 'x', load: { phases: [{ durationSeconds: 10, users: 5, arrivalRate: 3 }] }, events: [{ type: 'meteor', at: 1 }] });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('load.phases.0'), paths.join(', '));
  assert.ok(paths.some((p) => p.startsWith('events.0')), paths.join(', '));
});

test('an event after the end of the load is refused with its index', async () => {
  const { writeFile, mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/plimsoll-`);
  await writeFile(`${dir}/late.yaml`, 'name: late\nload:\n  phases: [{ durationSeconds: 60, users: 5 }]\nevents:\n  - { type: databaseSlowdown, factor: 2, at: 90, durationSeconds: 10 }\n');
  await assert.rejects(loadScenario(`${dir}/late.yaml`), (e) => isPlimsollError(e) && e.code === 'SCENARIO_INVALID' && e.problems[0]!.path === 'events[0].at');
});

test('fillByWeight splits by weight, never past a target\'s room, and overflows to the others', () => {
  const weights = { a: 60, b: 30 };
  assert.deepEqual(fillByWeight(9, ['a', 'b'], weights, { a: Infinity, b: Infinity }), { a: 6, b: 3 });
  assert.deepEqual(fillByWeight(9, ['a', 'b'], weights, { a: 2, b: Infinity }), { a: 2, b: 7 });
  const full = fillByWeight(9, ['a', 'b'], weights, { a: 2, b: 1 });
  assert.deepEqual(full, { a: 2, b: 1 }, 'what no queue can take is left for the local matcher');
  assert.deepEqual(fillByWeight(5, [], weights, {}), {});
});

// Issue 13's invariant, in the model: while Plimsoll answers analyses locally for lack of provider
// capacity (at Full, every healthy provider's queue at its admission limit), the providers run at
// their rate limits: provider answers in those seconds reach ≥ 90 % of what the limits allow.
test('work-conserving: while Plimsoll answers locally at Full, the providers run at ≥ 90 % of their limits', async () => {
  const { scenario, spec } = await load('sustained');
  const ticks = simulate(spec, scenario).timelines.plimsoll!;
  const overflow = ticks.filter((t) => t.levelRank === 0 && t.outcomes.local > 0.5 && t.providerLimit > 0);
  assert.ok(overflow.length > 60, `the sustained overload answers locally at Full for a while (${overflow.length} s)`);
  const answered = overflow.reduce((s, t) => s + t.outcomes.provider, 0);
  const allowed = overflow.reduce((s, t) => s + t.providerLimit, 0);
  assert.ok(answered >= 0.9 * allowed, `provider answers ${answered.toFixed(0)} of ${allowed.toFixed(0)} allowed`);
});

// Issue 13 §3: the level follows the load. In a sawtooth, Plimsoll escalates at most once per
// load cycle and is back at Full in every quiet phase (nothing is wrong there).
test('sawtooth: at most one escalation per cycle, and Full in every quiet phase', async () => {
  const { scenario, spec } = await load('sawtooth');
  const ticks = simulate(spec, scenario).timelines.plimsoll!;
  let escalations = 0;
  for (let i = 1; i < ticks.length; i++) if (ticks[i]!.levelRank > ticks[i - 1]!.levelRank) escalations++;
  assert.ok(escalations <= 10, `${escalations} escalations in 10 cycles`);
  for (let cycle = 0; cycle < 10; cycle++) {
    const quietEnd = ticks[cycle * 180 + 89]!;
    assert.equal(quietEnd.levelRank, 0, `Full at the end of quiet phase ${cycle + 1}`);
  }
});

test('a Prometheus signal whose query does not read what the model assumes is reported', async () => {
  const { scenario, spec } = await load('burst');
  assert.deepEqual(suspectQueries(spec, scenario), [], 'the example policy reads what the model stands for');
  const wrong = structuredClone(spec);
  wrong.signals.find((s) => s.name === 'request-rate')!.prometheus!.query = 'sum(rate(nginx_requests_total[1m]))';
  wrong.signals.find((s) => s.name === 'groq-latency')!.prometheus!.query = 'histogram_quantile(0.5, sum by (le) (rate(matcher_provider_request_duration_seconds_bucket{provider="openai"}[1m])))';
  const problems = suspectQueries(wrong, scenario);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0]!, /request-rate.*does not read matcher_http_requests_total/);
  assert.match(problems[1]!, /groq-latency.*does not name groq/);
});
