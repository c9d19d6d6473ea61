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
  prometheus: z.string().url().default('http://127.0.0.1:19090'),
  kubeconfig: z.string().min(1).default('.local/kubeconfig'),
  out: z.string().min(1).default('out/bench-operator'),
}).refine((o) => o.changing <= o.policies, { message: '--changing must not exceed --policies' });

export type BenchOptions = z.infer<typeof optionsSchema>;

const flags = {
  policies: { type: 'string' }, 'steady-minutes': { type: 'string' }, changing: { type: 'string' },
  'health-fleet': { type: 'string' }, keda: { type: 'boolean' }, 'settle-seconds': { type: 'string' },
  'converge-timeout-seconds': { type: 'string' }, 'change-timeout-seconds': { type: 'string' },
  workers: { type: 'string' }, runtime: { type: 'string' }, 'node-options': { type: 'string' }, prometheus: { type: 'string' }, kubeconfig: { type: 'string' }, out: { type: 'string' },
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
