/**
 * The Plimsoll operator as its own process (`plimsoll operator`, as it runs in its pod), watching
 * only the benchmark's namespace, without leader election (one replica), with its output in the
 * run's directory. Its pid is what the sampler reads in /proc. Compiled (as its image runs it:
 * `tsc -p tsconfig.build.json` output, plain node) or from source through tsx (`make operator`),
 * whose loader thread adds to the RSS.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BenchError } from './errors.js';
import { REPO_ROOT } from './fleet.js';

/** A free port on 127.0.0.1 for the operator's /metrics. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type Runtime = 'compiled' | 'tsx';

/** Compiles src/ as the image's build does, into `dir` (inside the repository, so node_modules resolve); returns the entry. */
export async function compileOperator(dir: string): Promise<string> {
  const entry = join(dir, 'src', 'plimsoll', 'cli', 'bin.js');
  // Type errors elsewhere in the tree (work in progress) do not stop tsc's emit; a missing entry does.
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', dir], { cwd: REPO_ROOT, maxBuffer: 16 << 20 }).catch(() => undefined);
  if (!existsSync(entry)) throw new BenchError('SETUP_FAILED', `tsc -p tsconfig.build.json --outDir ${dir} did not produce ${entry}`);
  return entry;
}

export class OperatorProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(private readonly options: {
    kubeconfig: string; namespace: string; metricsPort: number; logFile: string; workers: number;
    /** The compiled entry (bin.js), or undefined to run src/ through tsx. */
    compiledEntry: string | undefined;
    /** OPERATOR_SIGNAL_SOURCES_FILE: the Prometheus and health URLs the bench's policies name. */
    signalSources: string;
    /** NODE_OPTIONS (V8 flags), or empty. */
    nodeOptions: string;
  }) {}

  get pid(): number {
    if (!this.child?.pid) throw new BenchError('OPERATOR_EXITED', 'the operator is not running');
    return this.child.pid;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.options.metricsPort}/metrics`;
  }

  async start(): Promise<void> {
    const log = createWriteStream(this.options.logFile);
    // The node binary itself, not npx: the pid sampled is the operator's.
    const args = this.options.compiledEntry ? [this.options.compiledEntry, 'operator'] : ['--import', 'tsx', 'src/plimsoll/cli/bin.ts', 'operator'];
    this.child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KUBECONFIG: this.options.kubeconfig,
        OPERATOR_NAMESPACE: this.options.namespace,
        OPERATOR_METRICS_HOST: '127.0.0.1',
        OPERATOR_METRICS_PORT: String(this.options.metricsPort),
        OPERATOR_WORKERS: String(this.options.workers),
        LEADER_ELECTION: 'off',
        OPERATOR_LOG_LEVEL: 'warn',
        OPERATOR_SIGNAL_SOURCES_FILE: this.options.signalSources,
        ...(this.options.nodeOptions ? { NODE_OPTIONS: this.options.nodeOptions } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.exited = new Promise((resolve) => this.child!.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const early = await Promise.race([this.exited, new Promise((r) => setTimeout(() => r('waiting'), 500))]);
      if (early !== 'waiting') throw new BenchError('OPERATOR_EXITED', `the operator exited (code ${String(early)}) before serving /metrics; see ${this.options.logFile}`);
      try {
        if ((await fetch(this.metricsUrl, { signal: AbortSignal.timeout(1000) })).ok) return;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new BenchError('OPERATOR_EXITED', `the operator did not serve /metrics within 120 s; see ${this.options.logFile}`);
    }
  }

  /** SIGTERM (it drains), SIGKILL after 40 s. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const code = await Promise.race([this.exited, new Promise((r) => setTimeout(() => r('timeout'), 40_000))]);
    if (code === 'timeout') this.child.kill('SIGKILL');
  }
}
