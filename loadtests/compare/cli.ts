/**
 * `make compare SCENARIO=peak [TIME_SCALE=0.125] [CONTENDERS=plimsoll,keda,static]`: Plimsoll,
 * the KEDA peer and a static fleet under the same load on the local stack (loadtests/compare/run.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CONTENDERS } from './contenders.js';
import { CompareError } from './kube.js';
import { renderCompareTable } from './report.js';
import { runCompare } from './run.js';

const usage = `Usage: node --import tsx loadtests/compare/cli.ts SCENARIO [options] [-- LOAD_ARGS…]   (or: make compare SCENARIO=peak)

Runs the scenario's closed-loop load against each contender in turn, each from the same clean
state, and writes compare.html, compare.txt and compare.json (plus each run's own load report) to
out/compare/<scenario>-<timestamp>/. Needs the stack (make up) and, for keda, KEDA (make keda).

Options:
  --time-scale F      compress the scenario's durations by F                        [0.125]
  --contenders LIST   comma-separated, in run order: ${CONTENDERS.join(', ')}   [all]
  --settle-seconds N  wait after the replicas are ready, before the load             [20]
  --out DIR           where comparison directories go                               [out/compare]
  --policy FILE       the stack's ScalingPolicy (applied for plimsoll; its objectives size the static fleet) [.local/stack/policy.yaml]
  --kubeconfig FILE   the local cluster's admin kubeconfig                          [.local/kubeconfig]
  --keys FILE         the seeded tenants' API keys                                  [.local/seed-keys.json]
  -h, --help          this text
Arguments after -- go to the load runner (loadtests/load/cli.ts --help).
`;

const optionsSchema = z.object({
  scenario: z.string().min(1),
  timeScale: z.coerce.number().positive().max(100),
  contenders: z.string().transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean))
    .pipe(z.array(z.enum(CONTENDERS)).min(1).refine((l) => new Set(l).size === l.length, 'a contender is named twice')),
  settleSeconds: z.coerce.number().int().min(0).max(600),
  out: z.string().min(1),
  policy: z.string().min(1),
  kubeconfig: z.string().min(1),
  keys: z.string().min(1),
});

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const split = argv.indexOf('--');
  const { values, positionals } = parseArgs({
    args: split < 0 ? argv : argv.slice(0, split), allowPositionals: true,
    options: {
      'time-scale': { type: 'string', default: '0.125' }, contenders: { type: 'string', default: CONTENDERS.join(',') },
      'settle-seconds': { type: 'string', default: '20' }, out: { type: 'string', default: 'out/compare' },
      policy: { type: 'string', default: '.local/stack/policy.yaml' }, kubeconfig: { type: 'string', default: '.local/kubeconfig' },
      keys: { type: 'string', default: '.local/seed-keys.json' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (positionals.length !== 1) throw new CompareError('USAGE', `expected one SCENARIO, got ${positionals.length}\n\n${usage}`);
  const parsed = optionsSchema.safeParse({
    scenario: positionals[0], timeScale: values['time-scale'], contenders: values.contenders, settleSeconds: values['settle-seconds'],
    out: values.out, policy: values.policy, kubeconfig: values.kubeconfig, keys: values.keys,
  });
  if (!parsed.success) {
    throw new CompareError('USAGE', parsed.error.issues.map((i) => `--${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; '));
  }
  const o = parsed.data;
  const root = process.cwd();
  // Ctrl-C once: the running load stops early (its partial report is kept), no other contender
  // starts, and the stack is given back to Plimsoll. Twice: exit at once, the stack as it is.
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
    log(`${signal}: stopping after the current load (again to quit at once; then run make up to restore the stack)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { dir, results } = await runCompare({
    root, scenario: o.scenario, timeScale: o.timeScale, contenders: o.contenders, outDir: resolve(o.out),
    kubeconfig: resolve(o.kubeconfig), namespace: 'default', policyFile: resolve(o.policy), keysFile: resolve(o.keys),
    runnerStatusUrl: 'http://127.0.0.1:18090/status', settleSeconds: o.settleSeconds, loadArgs: split < 0 ? [] : argv.slice(split + 1), log,
    signal: controller.signal,
  });
  process.stdout.write(`\n${renderCompareTable(o.scenario, o.timeScale, results)}\nreport: ${dir}/compare.html\n`);
  return controller.signal.aborted ? 130 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  if (error instanceof CompareError) {
    log(`make compare: ${error.code}: ${error.message}`);
    process.exit(error.code === 'USAGE' ? 2 : 1);
  }
  log(`make compare: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
