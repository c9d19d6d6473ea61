/**
 * Plimsoll against the baselines on every shipped scenario, scored honestly (AI-answer share and
 * provider utilisation beside success), then the sweep that tunes the KEDA baseline's
 * per-replica degradation thresholds. Numbers for the notes, never assertions.
 * Writes out/bench-simulate/report.json and report.md. Run: make bench-simulate
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { KEDA_PEER_DEGRADATION } from '../src/plimsoll/simulator/controllers/keda.js';
import type { DegradationThresholds } from '../src/plimsoll/simulator/controllers/per-replica-degradation.js';
import { formatTable, percent, utilisation } from '../src/plimsoll/simulator/report.js';
import { simulate, type ControllerSummary } from '../src/plimsoll/simulator/run.js';
import { loadScenario } from '../src/plimsoll/simulator/scenario.js';
import { CANDIDATES, sweep } from '../src/plimsoll/simulator/tuning.js';
import { loadScenarioPolicy } from '../src/plimsoll/simulator/scenario-policy.js';

const SUCCESS_FLOOR = 0.99;
const CONTROLLERS = ['plimsoll', 'keda', 'hpa', 'static'] as const;
const scenariosDir = new URL('./scenarios/', import.meta.url);
const outDir = new URL('../out/bench-simulate/', import.meta.url);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

const names = (await readdir(scenariosDir)).filter((f) => f.endsWith('.yaml')).sort();
const inputs = [];
for (const file of names) {
  const { scenario, policyPath, policyPatchPath } = await loadScenario(new URL(file, scenariosDir).pathname);
  inputs.push({ scenario, spec: (await loadScenarioPolicy(policyPath, policyPatchPath)).spec });
}

/** a ÷ b, with the cases a reader should see spelled out rather than as Infinity or NaN. */
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '1.00 (both 0)' : `∞ (${a} vs 0)`) : (a / b).toFixed(2));

const HEADER = ['controller', 'success', 'AI answers', 'provider use', 'SLO-violation s', 'replica-s', 'budget violations', 'level changes'];
const row = (name: string, s: ControllerSummary) => [name, percent(s.successRate), percent(s.aiAnswerShare), utilisation(s.providerUtilisation), String(s.sloViolationSeconds), String(s.replicaSeconds), String(s.budgetViolations), String(s.levelChanges)];
const markdown = (rows: string[][]) => [rows[0]!, rows[0]!.map(() => '---'), ...rows.slice(1)].map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n';

const text: string[] = [];
const md: string[] = ['# plimsoll simulate: Plimsoll against the baselines\n', 'Produced by `make bench-simulate` (loadtests/bench-simulate.ts). Success counts every valid answer; AI answers are analyses answered by a provider, fresh or cached; provider use is provider answers ÷ the healthy providers\' rate limits over the seconds when demand exceeded them (docs/simulator.md).\n'];
const scenarioReports = [];
for (const { scenario, spec } of inputs) {
  process.stderr.write(`[${elapsed()}] ${scenario.name}: simulating ${CONTROLLERS.join(', ')}\n`);
  const result = simulate(spec, scenario);
  const c = result.controllers;
  const rows = [HEADER, ...CONTROLLERS.map((n) => row(n, c[n]!))];
  const p = c.plimsoll!;
  const k = c.keda!;
  // The most any controller could reach: the higher of the two runs' ceilings (each counts its own demand).
  const ceiling = Math.max(p.aiAnswerCeiling, k.aiAnswerCeiling);
  const ratios = {
    aiAnswerShare: ratio(p.aiAnswerShare, k.aiAnswerShare), aiAnswerCeiling: ratio(ceiling, k.aiAnswerShare),
    sloViolationSeconds: ratio(p.sloViolationSeconds, k.sloViolationSeconds), replicaSeconds: ratio(p.replicaSeconds, k.replicaSeconds),
  };
  const ratioLine = `plimsoll ÷ keda: AI answers ${ratios.aiAnswerShare} (the rate limits' ceiling ${percent(ceiling)}: at most ${ratios.aiAnswerCeiling}), SLO-violation s ${ratios.sloViolationSeconds}, replica-s ${ratios.replicaSeconds}`;
  const title = `${scenario.name} (${result.durationSeconds} s, seed ${result.seed})`;
  text.push(`${title}\n${formatTable(rows)}${ratioLine}\n`);
  md.push(`## ${title}\n`, markdown(rows), `\n${ratioLine}\n`);
  scenarioReports.push({ scenario: scenario.name, durationSeconds: result.durationSeconds, seed: result.seed, controllers: result.controllers, plimsollOverKeda: ratios });
}

process.stderr.write(`[${elapsed()}] tuning sweep: ${CANDIDATES.length} threshold sets × ${inputs.length} scenarios\n`);
const { results, floors, chosen } = sweep(inputs, CANDIDATES, {
  successFloor: SUCCESS_FLOOR,
  tolerance: 0.005,
  onCandidate: (name) => process.stderr.write(`[${elapsed()}]   ${name}\n`),
});
const scenarioNames = inputs.map((i) => i.scenario.name);
const sweepRows = [
  ['thresholds', ...scenarioNames.map((n) => `${n} (floor ${percent(floors[n]!)})`), 'mean AI', 'below floor'],
  ...results.map((r) => [
    `${r === chosen ? '* ' : ''}${r.candidate.name}`,
    ...scenarioNames.map((n) => `${percent(r.perScenario[n]!.successRate)} / ${percent(r.perScenario[n]!.aiAnswerShare)}`),
    percent(r.meanAiAnswerShare),
    r.belowFloor.join(', ') || '–',
  ]),
];
const same = (a: DegradationThresholds, b: DegradationThresholds) => JSON.stringify(a) === JSON.stringify(b);
const verdict = same(chosen.candidate.thresholds, KEDA_PEER_DEGRADATION)
  ? `chosen: ${chosen.candidate.name} — KEDA_PEER_DEGRADATION (controllers/keda.ts) holds this set.`
  : `chosen: ${chosen.candidate.name} — KEDA_PEER_DEGRADATION (controllers/keda.ts) differs: update it to ${JSON.stringify(chosen.candidate.thresholds)}.`;
const sweepTitle = 'KEDA baseline, per-replica degradation sweep (cells: success / AI answers; * chosen)';
text.push(`${sweepTitle}\n${formatTable(sweepRows)}${verdict}\n`);
md.push(`## ${sweepTitle}\n`, `Rule: the best mean AI-answer share among the sets whose success stays above each scenario's floor (${percent(SUCCESS_FLOOR)}, or, where no set reaches it, the best set's success less half a point).\n`, markdown(sweepRows), `\n${verdict}\n`);

console.log(text.join('\n'));
await mkdir(outDir, { recursive: true });
// Infinity ("never on the queue") has no JSON form; spell it.
const json = JSON.stringify({ scenarios: scenarioReports, sweep: { successFloor: SUCCESS_FLOOR, floors, results, chosen: chosen.candidate.name } }, (_, v) => (v === Infinity ? 'Infinity' : v), 2);
await writeFile(new URL('report.json', outDir), json + '\n');
await writeFile(new URL('report.md', outDir), md.join('\n'));
process.stderr.write(`[${elapsed()}] wrote out/bench-simulate/report.json and report.md\n`);
