/**
 * kubectl against the local cluster (admin credentials, as the stack's scripts use), with errors
 * that name the command and what it printed. The comparison changes cluster objects only through
 * here, so a failed step stops the run with its cause instead of comparing a half-set stack.
 */
import { spawn } from 'node:child_process';

export class CompareError extends Error {
  constructor(readonly code: 'STACK_NOT_READY' | 'KUBECTL_FAILED' | 'TIMEOUT' | 'LOAD_RUN_FAILED' | 'USAGE', message: string) {
    super(message);
    this.name = 'CompareError';
  }
}

export interface CommandResult { code: number; stdout: string; stderr: string }

/** Runs a command to completion; `onLine` sees its output line by line (progress). */
export function runCommand(
  command: string, args: string[],
  options: {
    env?: NodeJS.ProcessEnv; input?: string; onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
    /** On abort the command gets SIGINT (the load runner then stops early and still writes its report). */
    signal?: AbortSignal;
  } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const interrupt = () => child.kill('SIGINT');
    if (options.signal?.aborted) interrupt();
    options.signal?.addEventListener('abort', interrupt, { once: true });
    child.on('close', () => options.signal?.removeEventListener('abort', interrupt));
    let stdout = '';
    let stderr = '';
    const partial = { stdout: '', stderr: '' };
    const lines = (stream: 'stdout' | 'stderr', chunk: string) => {
      if (!options.onLine) return;
      partial[stream] += chunk;
      const parts = partial[stream].split('\n');
      partial[stream] = parts.pop()!;
      for (const line of parts) options.onLine(line, stream);
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; lines('stdout', c); });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; lines('stderr', c); });
    child.on('error', reject);
    child.on('close', (code) => {
      for (const stream of ['stdout', 'stderr'] as const) if (partial[stream] && options.onLine) options.onLine(partial[stream], stream);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export class Kubectl {
  constructor(private readonly kubeconfig: string, private readonly namespace: string) {}

  async run(args: string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<CommandResult> {
    const result = await runCommand('kubectl', ['-n', this.namespace, ...args], { env: { ...process.env, KUBECONFIG: this.kubeconfig }, input: options.input });
    if (result.code !== 0 && !options.allowFailure) {
      throw new CompareError('KUBECTL_FAILED', `kubectl ${args.join(' ')} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
    }
    return result;
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse((await this.run([...args, '-o', 'json'])).stdout) as T;
  }

  /** Whether the API server serves a resource (keda.sh's ScaledObject exists only with KEDA's CRDs). */
  async serves(resource: string): Promise<boolean> {
    return (await this.run(['get', resource, '--ignore-not-found', '-o', 'name'], { allowFailure: true })).code === 0;
  }
}

/** Polls `check` until it returns a value (not undefined) or `seconds` pass. */
export async function waitFor<T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new CompareError('TIMEOUT', `timed out after ${seconds} s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
