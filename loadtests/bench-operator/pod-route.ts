/**
 * How KEDA's pods reach the benchmark's Prometheus: the stack's pod gateway relays a fixed list
 * of loopback ports (tools/stack/pod-network.sh: the shared Prometheus's 19090 among them), not
 * the private one's. So the benchmark runs a second pair of the same gateway processes
 * (tools/stack/replica-runner/pod-network-cli.ts gateway), for that one port: the pods side
 * listens on 127.0.0.1:<port> inside the pod network namespace and dials a Unix socket under
 * .local/bench-operator/, the host side listens there and dials 127.0.0.1:<port> in the root
 * namespace. Every packet stays on a loopback; a ScaledObject's serverAddress is then
 * http://127.0.0.1:<port>, as the operator's is.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BenchError } from './errors.js';
import { REPO_ROOT } from './fleet.js';

export const POD_NETNS = 'plimsoll-pods';
const GATEWAY_CLI = join(REPO_ROOT, 'tools', 'stack', 'replica-runner', 'pod-network-cli.ts');

/** TCP ports listening on 127.0.0.1 inside the pod network namespace. */
export function podLoopbackPorts(): Set<number> {
  const out = execFileSync('ip', ['netns', 'exec', POD_NETNS, 'ss', '-Htln'], { encoding: 'utf8' });
  return new Set([...out.matchAll(/127\.0\.0\.1:(\d+)\s/g)].map((m) => Number(m[1])));
}

export class PodRoute {
  private readonly children: ChildProcess[] = [];

  constructor(private readonly port: number, private readonly socketDir: string, private readonly logDir: string) {}

  get pids(): Record<string, number> {
    return Object.fromEntries(this.children.flatMap((c, i) => (c.pid ? [[`bench-gateway-${i === 0 ? 'host' : 'pods'}`, c.pid]] : [])));
  }

  async start(): Promise<void> {
    if (podLoopbackPorts().has(this.port)) throw new BenchError('SETUP_FAILED', `port ${this.port} is taken inside ${POD_NETNS}: the benchmark's Prometheus needs another one`);
    rmSync(this.socketDir, { recursive: true, force: true });
    mkdirSync(this.socketDir, { recursive: true });
    const gateway = ['--import', 'tsx', GATEWAY_CLI, 'gateway', '--socket-dir', this.socketDir, '--ports', String(this.port)];
    for (const side of ['host', 'pods'] as const) {
      const argv = [process.execPath, ...gateway, '--side', side];
      const command = side === 'pods' ? ['ip', 'netns', 'exec', POD_NETNS, ...argv] : argv;
      const log = openSync(join(this.logDir, `pod-route-${side}.log`), 'w');
      const child = spawn(command[0]!, command.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', log, log] });
      closeSync(log);
      this.children.push(child);
      // The pods side dials the host side's socket; the route is there once the pods side listens.
      const ready = side === 'host' ? () => existsSync(join(this.socketDir, `${this.port}.sock`)) : () => podLoopbackPorts().has(this.port);
      for (let i = 0; i < 200 && !ready() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      if (!ready()) throw new BenchError('SETUP_FAILED', `the benchmark's pod route (${side} side) did not start; see ${join(this.logDir, `pod-route-${side}.log`)}`);
    }
  }

  /** Answers 127.0.0.1:<port><path> as a pod sees it (curl inside the pod network namespace). */
  async probe(path: string): Promise<string> {
    const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', POD_NETNS, 'curl', '-fsS', '-m', '5', `http://127.0.0.1:${this.port}${path}`], { encoding: 'utf8' });
    return stdout;
  }

  async stop(): Promise<void> {
    for (const child of this.children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.length = 0;
    rmSync(this.socketDir, { recursive: true, force: true });
  }
}
