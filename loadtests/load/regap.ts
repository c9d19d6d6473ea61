/**
 * The gap of a finished run against today's model: the run's measured figures (report.json) next
 * to the prediction the run was compared with then and a fresh one from the simulator as it is now.
 * It calibrates the model without a second load run, so run-to-run noise does not blur the
 * before-and-after (docs/simulator.md, "Calibration"). Writes <run>/regap.json and the scaled
 * scenario it simulated, <run>/scenario.regap.yaml.
 *
 *   node --import tsx loadtests/load/regap.ts out/load/burst-… [--policy FILE] [--replica-cpu-cores N]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PlimsollError } from '../../src/plimsoll/errors.js';
import { loadScenario } from '../../src/plimsoll/simulator/scenario.js';
import { computeGap, measuredForGap, type GapRow } from './gap.js';
import { predict } from './prediction.js';
import type { LoadReport } from './report.js';
import { scaleScenario, scenarioYaml } from './scenario-scale.js';

export interface RegapRow {
  metric: string;
  label: string;
  measured: number | null;
  /** The prediction the run was compared with (its report's gap table). */
  simulatedThen: number | null;
  gapThen: number | null;
  simulatedNow: number | null;
  gapNow: number | null;
}

/** Today's rows beside the report's, matched by metric (a row the report lacks has no "then"). */
export function joinGaps(then: GapRow[], now: GapRow[]): RegapRow[] {
  return now.map((row) => {
    const old = then.find((r) => r.metric === row.metric);
    return {
      metric: row.metric, label: row.label, measured: row.measured,
      simulatedThen: old?.predicted ?? null, gapThen: old?.gap ?? null, simulatedNow: row.predicted, gapNow: row.gap,
    };
  });
}

const cell = (x: number | null) => (x === null ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

export function regapTable(rows: RegapRow[]): string {
  const lines = ['| metric | measured | simulated then | gap then | simulated now | gap now |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.label} | ${cell(r.measured)} | ${cell(r.simulatedThen)} | ${cell(r.gapThen)} | ${cell(r.simulatedNow)} | ${cell(r.gapNow)} |`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { policy: { type: 'string' }, 'replica-cpu-cores': { type: 'string' } } });
  if (positionals.length !== 1) throw new PlimsollError('USAGE', 'usage: regap.ts RUN_DIR [--policy FILE] [--replica-cpu-cores N]');
  const dir = resolve(positionals[0]!);
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as LoadReport;
  const cores = Number(values['replica-cpu-cores'] ?? '0.1');
  if (!(cores > 0)) throw new PlimsollError('USAGE', `--replica-cpu-cores must be a positive number of cores, not ${values['replica-cpu-cores']}`);
  // The scenario as the runner scaled it, from the original file: the run's own scaled copy has
  // the model's defaults of its day written out, and today's are the point.
  const { scenario: original, policyPath } = await loadScenario(report.scenario.file);
  const scaled = scaleScenario(original, report.scenario.timeScale);
  const policy = values.policy ? resolve(values.policy) : 'error' in report.prediction ? policyPath : report.prediction.policyFile;
  const scenarioFile = join(dir, 'scenario.regap.yaml');
  await writeFile(scenarioFile, scenarioYaml({ ...scaled, model: { ...scaled.model, cpuCoresPerReplica: cores } }, policy));
  const prediction = await predict(scenarioFile, policy, report.timeline.stepSeconds);
  const prometheusSeries = report.timeline.series.filter((s) => s.source === 'prometheus');
  const now = computeGap(measuredForGap(report.summary, report.timeline.stepSeconds, report.connections?.secondsOverBudget ?? null, prometheusSeries), prediction);
  const rows = joinGaps(report.gap, now);
  await writeFile(join(dir, 'regap.json'), `${JSON.stringify({ policy, replicaCpuCores: cores, rows }, null, 2)}\n`);
  process.stdout.write(`${dir}\npolicy ${policy}, ${cores} cores per replica\n${regapTable(rows)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`regap: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
