/** The command line, parsed once (node:util parseArgs, then zod for types and bounds). */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BenchError } from './errors.js';

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const optionsSchema = z.object({
  policies: count(1, 5000).default(500),
  steadyMinutes: z.coerce.number().min(0).max(240).default(30),
  changing: count(0, 5000).default(50),
  /** Policies with a health signal (the "small fleet"). */
  healthFleet: count(0, 5000).default(50),
  keda: z.boolean().default(false),
  settleSeconds: count(0, 3600).default(60),
  convergeTimeoutSeconds: count(10, 7200).default(900),
  changeTimeoutSeconds: count(10, 3600).default(180),
  /** OPERATOR_WORKERS: the operator's own default (controller.ts DEFAULT_WORKERS). */
  workers: count(1, 64).default(16),
  /** compiled: the operator as its image runs it (tsc output); tsx: from source, as `make operator`. */
  runtime: z.enum(['compiled', 'tsx']).default('compiled'),
  /** NODE_OPTIONS of the operator process: by default the chart's (operator.maxHeapMb 256, charts/plimsoll/templates/operator/deployment.yaml). */
  nodeOptions: z.string().max(1000).default('--max-old-space-size=256 --max-semi-space-size=1'),
  /** The benchmark's own Prometheus (private-prometheus.ts): its loopback port (0: a free one) and scrape interval. */
  prometheusPort: count(0, 65_535).default(0),
  scrapeSeconds: count(1, 60).default(5),
  /**
   * Its --web.max-connections. Prometheus's default, 512, is fewer than KEDA holds at 500
   * ScaledObjects (a keep-alive connection per trigger, 1 000 triggers): the rest wait to be
   * accepted, past KEDA's 3 s timeout (docs/bench-operator.md).
   */
  prometheusMaxConnections: count(16, 65_536).default(4096),
  /**
   * KEDA operator's --kube-api-qps (burst twice that) when the run starts KEDA. Not KEDA's
   * default 20 (burst 30): at 500 ScaledObjects its own status writes alone need 33 a second, and
   * KEDA never converges (docs/bench-operator.md); --keda-api-qps 20 measures that.
   */
  kedaApiQps: count(1, 10_000).default(100),
  /** Only KEDA's phase; the Plimsoll figures (for the goals and the ratios) from an earlier run's report.json. */
  skipPlimsoll: z.boolean().default(false),
  plimsollReport: z.string().min(1).optional(),
  kubeconfig: z.string().min(1).default('.local/kubeconfig'),
  out: z.string().min(1).default('out/bench-operator'),
}).refine((o) => o.changing <= o.policies, { message: '--changing must not exceed --policies' })
  .refine((o) => !o.skipPlimsoll || o.keda, { message: '--skip-plimsoll runs only the KEDA phase: add --keda' });

export type BenchOptions = z.infer<typeof optionsSchema>;

const flags = {
  policies: { type: 'string' }, 'steady-minutes': { type: 'string' }, changing: { type: 'string' },
  'health-fleet': { type: 'string' }, keda: { type: 'boolean' }, 'settle-seconds': { type: 'string' },
  'converge-timeout-seconds': { type: 'string' }, 'change-timeout-seconds': { type: 'string' },
  workers: { type: 'string' }, runtime: { type: 'string' }, 'node-options': { type: 'string' }, 'prometheus-port': { type: 'string' }, 'scrape-seconds': { type: 'string' },
  'prometheus-max-connections': { type: 'string' }, 'skip-plimsoll': { type: 'boolean' }, 'keda-api-qps': { type: 'string' }, 'plimsoll-report': { type: 'string' }, kubeconfig: { type: 'string' }, out: { type: 'string' },
} as const;

export function parseOptions(argv: string[]): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: flags, strict: true }).values;
  } catch (err) {
    throw new BenchError('USAGE', (err as Error).message);
  }
  const camel = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
  const parsed = optionsSchema.safeParse(camel);
  if (!parsed.success) throw new BenchError('USAGE', parsed.error.issues.map((i) => `--${String(i.path[0] ?? '')}: ${i.message}`).join('; '));
  return parsed.data;
}
