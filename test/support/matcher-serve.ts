/**
 * A `matcher serve` child process for tests that need a real process (signals, exit codes, logs).
 * It is started from TypeScript through tsx, which compiles on the fly: on a busy test machine
 * that can take well over ten seconds, so the wait for /healthz is generous and fails with the
 * process's own output. The child is killed when the test ends, whatever happened, so a failed
 * test never leaves a process behind that keeps the test file (and CI) running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';

export interface ServeProcess {
  child: ChildProcess;
  base: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code when the process exits. */
  exited: Promise<number | null>;
}

const STARTUP_TIMEOUT_MS = 90_000;

export async function startMatcherServe(t: TestContext, env: Record<string, string>, options: { captureOutput?: boolean } = {}): Promise<ServeProcess> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const capture = options.captureOutput ?? true;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/matcher/cli/bin.ts', 'serve', '--port', String(port)], {
    env: { ...process.env, ...env }, stdio: ['ignore', capture ? 'pipe' : 'ignore', capture ? 'pipe' : 'ignore'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => { gone = true; });
  t.after(async () => {
    if (gone) return;
    child.kill('SIGKILL');
    await exited;
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error(`matcher serve exited during start-up (code ${child.exitCode}):\n${out}`);
    try {
      if ((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch { /* starting */ }
    if (Date.now() > deadline) throw new Error(`matcher serve did not answer /healthz on ${base} within ${STARTUP_TIMEOUT_MS / 1000} s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base, output: () => out, exited };
}
