/**
 * Benchmarks (numbers for the notes, not assertions): one engine decision for the matcher's full
 * policy, and one simulated hour at 1 s steps. Each is printed next to a baseline measured in the
 * same run, so the ratio stays meaningful on a noisy shared machine:
 *   - a decision vs. parsing the same spec with its schema (work every reconcile does anyway);
 *   - a simulated hour with the Plimsoll engine vs. the same hour with static replicas (the model alone).
 * Run: make bench
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { scalingPolicySpecSchema } from '../src/plimsoll/api/scaling-policy.js';
import { parseScalingPolicy } from '../src/plimsoll/api/validate.js';
import { decide } from '../src/plimsoll/engine/decide.js';
import { emptyMemory, type EngineMemory } from '../src/plimsoll/engine/types.js';
import { plimsollController } from '../src/plimsoll/simulator/controllers/plimsoll.js';
import { staticController } from '../src/plimsoll/simulator/controllers/static.js';
import { arrivalsFor, runController } from '../src/plimsoll/simulator/run.js';
import { loadScenario } from '../src/plimsoll/simulator/scenario.js';
import { percentileSorted } from './load/stats.js';

const median = (xs: number[]) => percentileSorted([...xs].sort((a, b) => a - b), 0.5) ?? NaN;

function timeEach(iterations: number, fn: (i: number) => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return samples;
}

const document = parse(await readFile(new URL('../examples/matcher.yaml', import.meta.url), 'utf8'));
const spec = parseScalingPolicy(document).spec;
const signalNames = spec.signals.map((s) => s.name);
const now0 = Date.UTC(2026, 0, 1);

// One decision: realistic signals that vary per iteration, and memory carried forward.
let memory: EngineMemory = emptyMemory(now0);
const decision = (i: number) => {
  const now = now0 + i * 15_000;
  const signals = Object.fromEntries(signalNames.map((name, k) => [name, { value: ((i * 7 + k * 13) % 200) + 1, readAt: now, consecutiveFailures: 0 }]));
  memory = decide({ spec, observations: { currentReplicas: 2 + (i % 8), signals, currentPoolMax: 10 }, memory, now }).memory;
};
timeEach(2000, decision); // warm-up: JIT
const decisionUs = median(timeEach(20000, decision));
const parseUs = median(timeEach(20000, () => scalingPolicySpecSchema.parse(document.spec)));

// One simulated hour (sustained: 3600 s).
const { scenario } = await loadScenario(new URL('./scenarios/sustained.yaml', import.meta.url).pathname);
const arrivals = arrivalsFor(scenario, scenario.seed);
const hour = (make: () => Parameters<typeof runController>[0]) => {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    runController(make(), scenario, arrivals);
    runs.push((performance.now() - start) / 1000);
  }
  return median(runs);
};
const plimsollHour = hour(() => plimsollController(spec, scenario));
const staticHour = hour(() => staticController(spec, 2, { groq: 1, openai: 2, anthropic: 1 }, 30));

console.log(`engine decision (matcher policy, ${signalNames.length} signals): median ${decisionUs.toFixed(1)} µs`);
console.log(`  baseline, schema parse of the same spec:       median ${parseUs.toFixed(1)} µs  (decision/parse = ${(decisionUs / parseUs).toFixed(2)})`);
console.log(`simulated hour at 1 s steps, Plimsoll:            median ${plimsollHour.toFixed(3)} s wall`);
console.log(`  baseline, the same hour with static replicas:  median ${staticHour.toFixed(3)} s wall  (ratio ${(plimsollHour / staticHour).toFixed(2)})`);
