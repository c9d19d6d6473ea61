/** The load runner's command line, validated once (zod) into LoadOptions. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { PlimsollError } from '../../src/plimsoll/errors.js';
import { DEFAULT_PROVIDERS } from './faults.js';
import type { LoadOptions } from './run.js';

export const usage = `Usage: node --import tsx loadtests/load/cli.ts SCENARIO [options]     (or: make load SCENARIO=burst)

Drives the scenario's closed-loop users against the running matcher with autocannon, applies its
fault events, reads the timeline from Prometheus, runs the simulator on the same (scaled)
scenario and writes report.json and report.html to out/load/<scenario>-<timestamp>/.

SCENARIO is a name in loadtests/scenarios/ (burst, sustained, peak, provider-outage, …) or a path.

Options:
  --time-scale F            compress every duration and event time by F (0.25: 40 min → 10 min)   [1]
  --target URL              the matcher (the local stack's load balancer)            [http://127.0.0.1:18080]
  --prometheus URL          Prometheus                                               [http://127.0.0.1:19090]
  --matcher-selector M      label matchers of the matcher's replicas                 [job="matcher"]
  --operator-selector M     label matchers of the operator's metrics for the policy  [job="plimsoll-operator",namespace="default",policy="matcher"]
  --provider NAME=URL       a fake provider's admin URL, repeatable     [groq :18181, openai :18182, anthropic :18183]
  --pgbouncer URL|none      PgBouncer's admin console, sampled for real connections [postgres://pgbouncer_admin:…@127.0.0.1:16432/pgbouncer]
  --pgbouncer-database NAME the database whose connections are held against the budget [plimsoll]
  --pgbouncer-interval-seconds N  PgBouncer sampling interval                      [1]
  --keys FILE               tenants' API keys, as matcher-dev seed --out writes them   [.local/seed-keys.json]
  --policy FILE             the ScalingPolicy the simulator runs                     [the scenario's]
  --replica-cpu-cores N     the simulator's CPU per replica (model.cpuCoresPerReplica) [0.1: the stack's 100m pods]
  --out DIR                 where run directories go                                 [out/load]
  --run-dir DIR             write this run's report exactly here
  --timeout-seconds N       a request without an answer after N s is an error        [30]
  --seed N                  the users' random choices                                [the scenario's seed]
  --step-seconds N          timeline resolution (Prometheus step, chart buckets)     [5]
  --progress-seconds N      progress line interval                                   [10]
  --result-read-share P     share of reads that fetch a stored analysis (the rest are listings) [0.5]
  --deadline-seconds N      a queued analysis not answered in N s is given up        [the model's jobDeadlineSeconds]
  --max-stored-analyses N   stored analyses read per tenant before the run           [5000]
  -h, --help                this text
`;

const positive = z.coerce.number().positive();
const optionsSchema = z.object({
  timeScale: positive.max(100),
  target: z.url().transform((u) => u.replace(/\/+$/, '')),
  prometheus: z.url().transform((u) => u.replace(/\/+$/, '')),
  matcherSelector: z.string().min(1),
  operatorSelector: z.string(),
  keys: z.string().min(1),
  out: z.string().min(1),
  timeoutSeconds: positive.max(600),
  seed: z.coerce.number().int().optional(),
  stepSeconds: z.coerce.number().int().min(1).max(300),
  progressSeconds: positive.max(3600),
  resultReadShare: z.coerce.number().min(0).max(1),
  deadlineSeconds: positive.optional(),
  maxStoredAnalyses: z.coerce.number().int().min(0).max(1_000_000),
  pgbouncer: z.string().refine((u) => u === 'none' || (/^postgres(ql)?:\/\//.test(u) && URL.canParse(u)), 'expected postgres://user:password@host:port/pgbouncer or none'),
  pgbouncerDatabase: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a database name as PgBouncer lists it'),
  pgbouncerIntervalSeconds: z.coerce.number().min(0.1).max(60),
  replicaCpuCores: positive.max(64),
});

export function parseLoadArgs(argv: string[], log: (line: string) => void): LoadOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        'time-scale': { type: 'string' }, target: { type: 'string' }, prometheus: { type: 'string' },
        'matcher-selector': { type: 'string' }, 'operator-selector': { type: 'string' }, provider: { type: 'string', multiple: true },
        keys: { type: 'string' }, policy: { type: 'string' }, out: { type: 'string' }, 'run-dir': { type: 'string' },
        'timeout-seconds': { type: 'string' }, seed: { type: 'string' }, 'step-seconds': { type: 'string' }, 'progress-seconds': { type: 'string' },
        'result-read-share': { type: 'string' }, 'deadline-seconds': { type: 'string' }, 'max-stored-analyses': { type: 'string' },
        pgbouncer: { type: 'string' }, 'pgbouncer-database': { type: 'string' }, 'pgbouncer-interval-seconds': { type: 'string' },
        'replica-cpu-cores': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new PlimsollError('USAGE', `${(error as Error).message}. Run with --help.`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (positionals.length !== 1) throw new PlimsollError('USAGE', `name exactly one scenario (e.g. burst); got ${positionals.length}. Run with --help.`);
  const result = optionsSchema.safeParse({
    timeScale: v['time-scale'] ?? '1',
    target: v.target ?? 'http://127.0.0.1:18080',
    prometheus: v.prometheus ?? 'http://127.0.0.1:19090',
    matcherSelector: v['matcher-selector'] ?? 'job="matcher"',
    operatorSelector: v['operator-selector'] ?? 'job="plimsoll-operator",namespace="default",policy="matcher"',
    keys: v.keys ?? '.local/seed-keys.json',
    out: v.out ?? 'out/load',
    timeoutSeconds: v['timeout-seconds'] ?? '30',
    seed: v.seed,
    stepSeconds: v['step-seconds'] ?? '5',
    progressSeconds: v['progress-seconds'] ?? '10',
    resultReadShare: v['result-read-share'] ?? '0.5',
    deadlineSeconds: v['deadline-seconds'],
    maxStoredAnalyses: v['max-stored-analyses'] ?? '5000',
    // The stack's PgBouncer (tools/services/env.sh), whose max_client_conn is the policy's budget.
    pgbouncer: v.pgbouncer ?? 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16432/pgbouncer',
    pgbouncerDatabase: v['pgbouncer-database'] ?? 'plimsoll',
    pgbouncerIntervalSeconds: v['pgbouncer-interval-seconds'] ?? '1',
    // The stack's pods are held to 100m (tools/stack/kustomize/matcher/matcher-resources-local.yaml);
    // the prediction's replicas must have the CPU the measured ones had.
    replicaCpuCores: v['replica-cpu-cores'] ?? '0.1',
  });
  if (!result.success) {
    const flag = (path: string) => `--${path.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new PlimsollError('USAGE', `invalid options: ${result.error.issues.map((i) => `${flag(String(i.path[0]))}: ${i.message}`).join('; ')}`);
  }
  const providers = { ...DEFAULT_PROVIDERS };
  for (const p of v.provider ?? []) {
    const m = /^([a-z][a-z0-9-]*)=(https?:\/\/\S+)$/.exec(p);
    if (!m) throw new PlimsollError('USAGE', `--provider ${p}: expected NAME=URL, e.g. groq=http://127.0.0.1:18181`);
    providers[m[1]!] = m[2]!.replace(/\/+$/, '');
  }
  const o = result.data;
  return {
    scenario: positionals[0]!,
    timeScale: o.timeScale,
    target: o.target,
    prometheus: o.prometheus,
    selectors: { matcher: o.matcherSelector, operator: o.operatorSelector },
    providers,
    keysFile: o.keys,
    outDir: o.out,
    ...(v['run-dir'] ? { runDir: v['run-dir'] } : {}),
    ...(v.policy ? { policy: v.policy } : {}),
    timeoutSeconds: o.timeoutSeconds,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    stepSeconds: o.stepSeconds,
    progressSeconds: o.progressSeconds,
    resultReadShare: o.resultReadShare,
    ...(o.deadlineSeconds !== undefined ? { deadlineSeconds: o.deadlineSeconds } : {}),
    maxStoredAnalyses: o.maxStoredAnalyses,
    replicaCpuCores: o.replicaCpuCores,
    ...(o.pgbouncer !== 'none' ? { pgbouncer: { url: o.pgbouncer, database: o.pgbouncerDatabase, intervalSeconds: o.pgbouncerIntervalSeconds } } : {}),
    log,
  };
}
