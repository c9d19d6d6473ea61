import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PlimsollError } from '../../errors.js';
import { unmappedSignals } from '../../simulator/controllers/plimsoll.js';
import { suspectQueries } from '../../simulator/query-check.js';
import { renderCsv, renderJson, renderSvg, renderTable } from '../../simulator/report.js';
import { simulate } from '../../simulator/run.js';
import { loadScenario, scenarioDuration } from '../../simulator/scenario.js';
import { loadScenarioPolicy } from '../../simulator/scenario-policy.js';
import { parseCommandLine } from '../../shared/command-line.js';
import type { CliCommand } from '../../shared/command-line.js';

/** Write-then-rename, so an interrupted run never leaves a half-written file behind. */
async function writeAtomically(path: string, content: string): Promise<void> {
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run a policy against a scenario in virtual time, next to KEDA, HPA and static baselines',
  usage: `Usage: plimsoll simulate SCENARIO [--policy FILE] [--format table|json] [--out DIR] [--seed N]

Runs the decision engine in virtual time (1 s steps) against a model of the matcher, and the
same load against three baselines with a fixed pool, fixed concurrency and per-replica
degradation: KEDA on the policy's own objectives (tuned degradation thresholds), an HPA on CPU
(the seeds' thresholds), and static replicas. Scenarios live in loadtests/scenarios/.

Options:
  --policy FILE          the ScalingPolicy to simulate (default: the scenario's policy)
  --format table|json    summary format on stdout (default table)
  --out DIR              also write DIR/timeline.csv, DIR/chart.svg and DIR/summary.json
  --seed N               override the scenario's seed (a run is deterministic for a seed)
  -h, --help             show this help

Success counts degraded but valid answers; shed requests (429/503) and timeouts do not.
AI answers: the share of analyses a provider answered, fresh or from the cache. Provider use:
provider answers ÷ the healthy providers' rate limits, over the seconds demand exceeded them.
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine('plimsoll simulate', argv, {
      policy: { type: 'string' },
      format: { type: 'string', default: 'table' },
      out: { type: 'string' },
      seed: { type: 'string' },
    });
    if (positionals.length !== 1) throw new PlimsollError('USAGE', 'name exactly one scenario file. Run `plimsoll simulate --help`.');
    if (values.format !== 'table' && values.format !== 'json') throw new PlimsollError('USAGE', `--format must be table or json, not "${values.format}"`);
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!Number.isInteger(seed)) throw new PlimsollError('USAGE', `--seed must be an integer, not "${values.seed}"`);
    }

    const { scenario, policyPath, policyPatchPath } = await loadScenario(positionals[0]!);
    const policy = await loadScenarioPolicy(values.policy ?? policyPath, policyPatchPath);
    for (const name of unmappedSignals(policy.spec, scenario)) {
      io.stderr.write(`warning: the model has no metric for signal "${name}"; it reads as missing (map it under "signals:" in the scenario)\n`);
    }
    for (const problem of suspectQueries(policy.spec, scenario)) {
      io.stderr.write(`warning: ${problem}; the simulation assumes it does (map the signal under "signals:" in the scenario to say what it reads)\n`);
    }

    // Progress only for runs long enough to wonder about: after 2 s, at most once a second.
    const started = Date.now();
    let lastReport = started;
    const onProgress = (controller: string, fraction: number) => {
      const now = Date.now();
      if (now - started < 2000 || now - lastReport < 1000) return;
      lastReport = now;
      io.stderr.write(`simulating ${scenarioDuration(scenario)} s: ${controller} ${Math.round(fraction * 100)}%\n`);
    };
    const result = simulate(policy.spec, scenario, { ...(seed === undefined ? {} : { seed }), onProgress });
    io.stdout.write(values.format === 'json' ? renderJson(result) : renderTable(result));

    if (values.out !== undefined) {
      const dir = resolve(values.out);
      await mkdir(dir, { recursive: true });
      await writeAtomically(join(dir, 'timeline.csv'), renderCsv(result));
      await writeAtomically(join(dir, 'chart.svg'), renderSvg(result));
      await writeAtomically(join(dir, 'summary.json'), renderJson(result));
      io.stderr.write(`wrote ${join(dir, 'chart.svg')}, ${join(dir, 'timeline.csv')} and ${join(dir, 'summary.json')}\n`);
    }
    return 0;
  },
};
