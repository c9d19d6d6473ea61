/**
 * KEDA on the local cluster (docs/keda.md) for the comparison phase: started with
 * tools/keda/up.sh when it is not running (and then stopped again at the end), its two processes
 * found by their pid files, and its operator's /metrics read inside the pod network namespace,
 * where the operator listens (the root namespace never dials a pod IP).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { metricByLabel, metricSum } from './figures.js';
import { REPO_ROOT } from './fleet.js';

const exec = promisify(execFile);
const LOCAL = join(REPO_ROOT, '.local');
const POD_NETNS = 'plimsoll-pods';
const OPERATOR_METRICS = 'http://10.244.255.10:8080/metrics';
export const KEDA_PROCESSES = ['keda-operator', 'keda-adapter'] as const;

/** Why KEDA cannot run here, or undefined when its binaries are built. */
export function kedaUnavailable(): string | undefined {
  const missing = KEDA_PROCESSES.filter((p) => !existsSync(join(LOCAL, 'bin', p)));
  return missing.length ? `KEDA is not built (${missing.join(', ')} missing in .local/bin): run make keda-build` : undefined;
}

/** The live pid of one of KEDA's processes, from its pid file. */
export function kedaPid(name: (typeof KEDA_PROCESSES)[number]): number | undefined {
  try {
    const pid = Number(readFileSync(join(LOCAL, 'run', `${name}.pid`), 'utf8').trim());
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(join(LOCAL, 'bin', name)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export const kedaRunning = () => KEDA_PROCESSES.every((p) => kedaPid(p) !== undefined);

/**
 * Starts KEDA. `apiQps`: its operator's client-side rate limit towards the API server
 * (--kube-api-qps, burst twice that; KEDA's default is 20, burst 30).
 */
export async function kedaUp(log: (line: string) => void, apiQps: number): Promise<void> {
  const extra = `--kube-api-qps=${apiQps} --kube-api-burst=${apiQps * 2}`;
  log(`starting KEDA (tools/keda/up.sh, operator ${extra})`);
  const env = { ...process.env, KEDA_OPERATOR_EXTRA_ARGS: extra };
  const { stdout, stderr } = await exec('bash', [join(REPO_ROOT, 'tools/keda/up.sh')], { cwd: REPO_ROOT, env, maxBuffer: 16 << 20 });
  for (const line of `${stdout}${stderr}`.trim().split('\n').slice(-3)) log(`  ${line}`);
}

export async function kedaDown(log: (line: string) => void): Promise<void> {
  log('stopping KEDA (tools/keda/down.sh): this run started it');
  await exec('bash', [join(REPO_ROOT, 'tools/keda/down.sh')], { cwd: REPO_ROOT });
}

/**
 * The operator's figures: controller-runtime's client requests (reads are GETs, watches
 * included; writes the rest, also by method) and the ScaledObject controller's work-queue depth.
 */
export async function kedaOperatorProbe(): Promise<Record<string, number>> {
  const { stdout } = await exec('ip', ['netns', 'exec', POD_NETNS, 'curl', '-fsS', '-m', '3', OPERATOR_METRICS], { maxBuffer: 16 << 20 });
  const requests = (keep: (method: string) => boolean) =>
    metricSum(stdout, 'rest_client_requests_total', (l) => keep(/method="([A-Z]+)"/.exec(l)?.[1] ?? '')) ?? 0;
  const byMethod = metricByLabel(stdout, 'rest_client_requests_total', 'method');
  return {
    ...Object.fromEntries(Object.entries(byMethod).filter(([m]) => m !== 'GET').map(([m, n]) => [`writes.${m}`, n])),
    'api.read': requests((m) => m === 'GET'),
    'api.write': requests((m) => m !== 'GET'),
    'queue.depth': metricSum(stdout, 'workqueue_depth', (l) => l.includes('name="scaledobject"')) ?? 0,
  };
}
