// Issue 13 §5: the model's CPU, per request and per replica, against the real stack's figures
// (model-params.ts says which run and which metric each comes from).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatcherModel, type Knobs, type Tick } from '../../../src/plimsoll/simulator/model.js';
import { matcherModelSchema } from '../../../src/plimsoll/simulator/model-params.js';
import { percentile } from '../../../src/plimsoll/simulator/observed.js';

/** The load runner's mix (burst, sustained): 15 % analyses, 55 % of them cached. */
const MIX = { analysisShare: 0.15, cacheHitRatio: 0.55 };
const knobs = (replicas: number): Knobs => ({ replicas, poolMax: 31, concurrency: { groq: 1, openai: 1, anthropic: 2 }, clusterLevel: 'Full', globalRateLimit: true });

function run(params: unknown, replicas: number, seconds: number, arrivals: number): Tick[] {
  const model = new MatcherModel(matcherModelSchema.parse(params), [], MIX, replicas);
  return Array.from({ length: seconds }, (_, t) => model.step(t, arrivals, knobs(replicas)));
}
const mean = (ticks: Tick[], f: (t: Tick) => number) => ticks.reduce((s, t) => s + f(t), 0) / ticks.length;

test('the calibrated costs give the CPU the stack measured: 49 req/s of the mix on four 100m replicas, about 0.06 cores each', () => {
  // The hold of `make load SCENARIO=burst TIME_SCALE=0.25` (docs/simulator.md, Calibration):
  // 4 replicas up, 47–50 req/s, rate(process_cpu_seconds_total) 0.055–0.070 per replica. The
  // seed plans' costs put the same load at 0.3 cores, three times what a 100m pod can give.
  const ticks = run({ cpuCoresPerReplica: 0.1 }, 4, 300, 49).slice(60);
  const cpu = mean(ticks, (t) => t.metrics.cpuUtilization);
  assert.ok(cpu > 0.05 && cpu < 0.075, `simulated ${cpu.toFixed(3)} cores per replica`);
  assert.equal(mean(ticks, (t) => t.shed), 0);
});

test('a replica runs at most its CPU: the load a core serves with room overruns a 100m replica, which queues, then sheds at its admission limit', () => {
  // 100 req/s on 2 replicas: 50 each, about 165 ms of CPU a second at the calibrated costs.
  const core = run({}, 2, 120, 100);
  const small = run({ cpuCoresPerReplica: 0.1 }, 2, 120, 100);
  const last = (ticks: Tick[]) => ticks.at(-1)!;
  assert.ok(last(core).metrics.cpuUtilization > 0.12 && last(core).metrics.cpuUtilization < 0.25, `one core: ${last(core).metrics.cpuUtilization}`);
  assert.equal(core.reduce((s, t) => s + t.shed, 0), 0);
  assert.ok(Math.abs(last(small).metrics.cpuUtilization - 0.1) < 1e-9, `100m: ${last(small).metrics.cpuUtilization} cores, never more than its limit`);
  assert.ok(last(small).shed > 0, 'past admissionBacklogSeconds of queued CPU work, new requests are shed');
  const p95 = (ticks: Tick[]) => percentile(ticks.slice(60).flatMap((t) => t.latencies), 0.95)!;
  // The queue a 100m replica cannot drain: its requests wait up to the admission limit (5 s).
  assert.ok(p95(small) > 1 && p95(small) < 6, `100m p95 ${p95(small).toFixed(2)} s`);
  assert.ok(p95(core) < 0.05, `one core p95 ${(p95(core) * 1000).toFixed(1)} ms`);
});
