/**
 * An operator as its own process (`plimsoll operator`), for the tests that need two of them,
 * signals (SIGTERM, SIGSTOP) or an exit code: its output, its exit, and its /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../support/cluster.js';
import { signalSourcesFile } from '../support/signal-sources.js';
import type { Env } from './harness.js';

export interface OperatorProcess { child: ChildProcess; port: number; output: () => string; exited: Promise<number | null> }

export function startOperatorProcess(env: Env, identity: string, port: number, extraEnv: Record<string, string> = {}): OperatorProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/plimsoll/cli/bin.ts', 'operator'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KUBECONFIG: env.operatorKubeconfigPath,
      OPERATOR_NAMESPACE: env.namespace,
      OPERATOR_METRICS_HOST: '127.0.0.1',
      OPERATOR_METRICS_PORT: String(port),
      OPERATOR_IDENTITY: identity,
      LEADER_ELECTION: 'on',
      OPERATOR_LOG_LEVEL: 'info',
      // What the test registered until now (its policies are applied before its operators start).
      OPERATOR_SIGNAL_SOURCES_FILE: signalSourcesFile(env.sources),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, port, output: () => out, exited };
}

/** One sample's value from the process's /metrics, summed over its series. */
async function metric(port: number, name: string, keep: (line: string) => boolean = () => true): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lines = text.split('\n').filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && keep(l));
  return lines.length === 0 ? undefined : lines.reduce((a, l) => a + Number(l.split(' ').pop()), 0);
}

export const leaderGauge = (port: number) => metric(port, 'plimsoll_leader');

/** Writes other than the Lease's own. */
export async function writesOf(port: number): Promise<number> {
  return (await metric(port, 'plimsoll_api_writes_total', (l) => !l.includes('kind="lease"'))) ?? 0;
}
