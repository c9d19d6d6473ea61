/**
 * `make chaos`'s options, parsed once (zod). Counts and durations default to issue 14's.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const CASE_NAMES = ['scale-in', 'rollout', 'policy-recreate', 'leader-kill', 'apiserver-restart', 'prometheus-stop'] as const;
export type CaseName = (typeof CASE_NAMES)[number];

export const usage = `usage: node --import tsx loadtests/chaos-operator/cli.ts [options]   (make chaos CHAOS_ARGS='…')

The operator's faults under closed-loop load on the running stack (make up first), PgBouncer's
client connections of the matcher's database sampled throughout; report in out/chaos/<timestamp>/.

  --cases LIST                  comma-separated subset of ${CASE_NAMES.join(',')}   [all]
  --users N                     constant closed-loop users during each case                 [30]
  --think-seconds S             each user's mean think time                                  [1]
  --analysis-share F            share of requests that ask for an analysis                   [0.1]
  --interval-ms MS              PgBouncer sampling interval                                  [200]
  --scale-from N --scale-to M   the scale-in case's replicas                                 [8, 2]
  --termination-seconds S       slow termination: the pods' preStop sleep                    [30]
  --cap-pool-min N              the rollout case's pool.min, so the budget caps the fleet    [10]
  --kills N                     kill -9 of the leader, how many times                        [20]
  --prometheus-outage-seconds S how long Prometheus stays stopped                            [120]
  --baseline-seconds S          load and sampling before each fault                          [10]
  --hold-seconds S              settled this long to count as recovered                      [5]
  --recovery-timeout-seconds S  give up waiting for recovery after this                      [300]
  --out DIR                     where the run's directory goes                               [out/chaos]
  --operator-ports P,Q          metrics ports of the two chaos operators                     [18085,18086]
`;

const schema = z.object({
  cases: z.array(z.enum(CASE_NAMES)).min(1),
  users: z.coerce.number().int().min(1).max(500),
  thinkSeconds: z.coerce.number().positive(),
  analysisShare: z.coerce.number().min(0).max(1),
  intervalMs: z.coerce.number().int().min(50).max(10_000),
  scaleFrom: z.coerce.number().int().min(2).max(12),
  scaleTo: z.coerce.number().int().min(1).max(12),
  terminationSeconds: z.coerce.number().int().min(1).max(600),
  capPoolMin: z.coerce.number().int().min(1).max(85),
  kills: z.coerce.number().int().min(1).max(200),
  prometheusOutageSeconds: z.coerce.number().int().min(1).max(3600),
  baselineSeconds: z.coerce.number().min(0),
  holdSeconds: z.coerce.number().min(0),
  recoveryTimeoutSeconds: z.coerce.number().positive(),
  outDir: z.string(),
  operatorPorts: z.array(z.coerce.number().int().min(1024).max(65535)).length(2),
  root: z.string(),
}).refine((o) => o.scaleTo < o.scaleFrom, { message: '--scale-to must be below --scale-from' });

export type ChaosOptions = z.infer<typeof schema> & {
  target: string; keysFile: string; kubeconfig: string; operatorKubeconfig: string; policyFile: string;
  runnerStatusUrl: string; pgbouncer: string; database: string; timeoutSeconds: number;
};

export function parseChaosArgs(argv: string[], root: string): ChaosOptions | 'help' {
  const { values: v } = parseArgs({
    args: argv, allowPositionals: false, strict: true,
    options: {
      help: { type: 'boolean' }, cases: { type: 'string' }, users: { type: 'string' }, 'think-seconds': { type: 'string' },
      'analysis-share': { type: 'string' }, 'interval-ms': { type: 'string' }, 'scale-from': { type: 'string' }, 'scale-to': { type: 'string' },
      'termination-seconds': { type: 'string' }, 'cap-pool-min': { type: 'string' }, kills: { type: 'string' },
      'prometheus-outage-seconds': { type: 'string' }, 'baseline-seconds': { type: 'string' }, 'hold-seconds': { type: 'string' },
      'recovery-timeout-seconds': { type: 'string' }, out: { type: 'string' }, 'operator-ports': { type: 'string' },
    },
  });
  if (v.help) return 'help';
  const parsed = schema.safeParse({
    cases: (v.cases ?? CASE_NAMES.join(',')).split(',').map((s) => s.trim()).filter(Boolean),
    users: v.users ?? '30', thinkSeconds: v['think-seconds'] ?? '1', analysisShare: v['analysis-share'] ?? '0.1',
    intervalMs: v['interval-ms'] ?? '200', scaleFrom: v['scale-from'] ?? '8', scaleTo: v['scale-to'] ?? '2',
    terminationSeconds: v['termination-seconds'] ?? '30', capPoolMin: v['cap-pool-min'] ?? '10', kills: v.kills ?? '20',
    prometheusOutageSeconds: v['prometheus-outage-seconds'] ?? '120', baselineSeconds: v['baseline-seconds'] ?? '10',
    holdSeconds: v['hold-seconds'] ?? '5', recoveryTimeoutSeconds: v['recovery-timeout-seconds'] ?? '300',
    outDir: resolve(root, v.out ?? 'out/chaos'), operatorPorts: (v['operator-ports'] ?? '18085,18086').split(','), root,
  });
  if (!parsed.success) throw new Error(`make chaos: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}\n\n${usage}`);
  const local = resolve(root, '.local');
  return {
    ...parsed.data,
    target: 'http://127.0.0.1:18080',
    keysFile: `${local}/seed-keys.json`,
    kubeconfig: `${local}/kubeconfig`,
    operatorKubeconfig: `${local}/stack/operator.kubeconfig`,
    policyFile: `${local}/stack/policy.yaml`,
    runnerStatusUrl: 'http://127.0.0.1:18090/status',
    pgbouncer: 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16432/pgbouncer',
    database: 'plimsoll',
    timeoutSeconds: 30,
  };
}
