/**
 * Two operator processes in leader election, as a Deployment with two replicas runs them: the
 * stack's own `plimsoll operator` build (dist/), its ServiceAccount kubeconfig, namespace
 * `default`, the stack's Lease. A process that exits (kill -9, or LEADER_ELECTION_LOST) is
 * started again after a second with a fresh identity, as a kubelet restarts a container and the
 * default identity (`<hostname>_<random>`) changes with it. Each slot has its own metrics port,
 * read for `plimsoll_leader` and `plimsoll_api_writes_total`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { signalSourcesFile, stackSignalSources } from '../../test/support/signal-sources.js';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ScrapeRound } from './report.js';

interface Slot {
  index: number;
  port: number;
  identity: string;
  child?: ChildProcess;
  exits: Array<{ identity: string; code: number | null; signal: string | null; at: number }>;
}

export class OperatorFleet {
  private readonly slots: Slot[];
  /** The stack's Prometheus and PgBouncer, registered as tools/stack/operator.sh registers them. */
  private readonly signalSources = signalSourcesFile(stackSignalSources());
  private stopping = false;
  private started = 0;

  constructor(private readonly o: { root: string; kubeconfig: string; ports: number[]; logDir: string; log: (line: string) => void }) {
    this.slots = o.ports.map((port, index) => ({ index, port, identity: '', exits: [] }));
  }

  start(): void {
    for (const slot of this.slots) this.launch(slot);
  }

  private launch(slot: Slot): void {
    this.started++;
    slot.identity = `chaos-op-${slot.index}-${this.started}`;
    const log = createWriteStream(join(this.o.logDir, `chaos-operator-${slot.index}.log`), { flags: 'a' });
    log.write(`--- ${new Date().toISOString()} starting ${slot.identity}\n`);
    const child = spawn(process.execPath, [join(this.o.root, 'dist/src/plimsoll/cli/bin.js'), 'operator'], {
      cwd: this.o.root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production',
        KUBECONFIG: this.o.kubeconfig, OPERATOR_NAMESPACE: 'default', LEADER_ELECTION_NAMESPACE: 'plimsoll-system',
        OPERATOR_METRICS_HOST: '127.0.0.1', OPERATOR_METRICS_PORT: String(slot.port), OPERATOR_IDENTITY: slot.identity,
        OPERATOR_SIGNAL_SOURCES_FILE: this.signalSources,
      },
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    slot.child = child;
    const identity = slot.identity;
    child.on('exit', (code, signal) => {
      slot.exits.push({ identity, code, signal, at: Date.now() });
      if (slot.child === child) slot.child = undefined;
      if (this.stopping) return;
      this.o.log(`operator ${identity} exited (${signal ?? `code ${code}`}); starting a new one in 1 s`);
      setTimeout(() => { if (!this.stopping && !slot.child) this.launch(slot); }, 1000);
    });
  }

  identities(): string[] {
    return this.slots.filter((s) => s.child).map((s) => s.identity);
  }

  /** Every exit so far (identity, code or signal, epoch ms). */
  exits(): Slot['exits'] {
    return this.slots.flatMap((s) => s.exits).sort((a, b) => a.at - b.at);
  }

  /** SIGKILL to the process holding `identity`; false when no live process has it. */
  kill9(identity: string): boolean {
    const slot = this.slots.find((s) => s.child && s.identity === identity);
    if (!slot?.child) return false;
    slot.child.kill('SIGKILL');
    return true;
  }

  /** Until both processes answer /readyz. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await Promise.all(this.slots.map((s) => fetch(`http://127.0.0.1:${s.port}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)));
      if (ok.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`the chaos operators are not ready after ${timeoutMs / 1000} s; see ${this.o.logDir}/chaos-operator-*.log`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** One round: every live process read at once (leader flag, non-lease writes). */
  async scrape(t: number): Promise<ScrapeRound> {
    const processes: ScrapeRound['processes'] = {};
    await Promise.all(this.slots.filter((s) => s.child).map(async (s) => {
      const identity = s.identity;
      try {
        const text = await (await fetch(`http://127.0.0.1:${s.port}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
        processes[identity] = parseOperatorMetrics(text);
      } catch {
        // Not up yet, or just killed: absent from this round.
      }
    }));
    return { t, processes };
  }

  /** SIGTERM to every process (each hands the Lease back), SIGKILL after 35 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map(async (s) => {
      const child = s.child;
      if (!child) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await exited;
      clearTimeout(timer);
    }));
  }
}

/** plimsoll_leader and the sum of plimsoll_api_writes_total over every kind but lease (whatever other labels the registry adds). */
export function parseOperatorMetrics(text: string): { leader: boolean; writes: number } {
  let leader = false;
  let writes = 0;
  for (const line of text.split('\n')) {
    const m = /^(plimsoll_leader|plimsoll_api_writes_total)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const kind = /(?:^|,)kind="([^"]*)"/.exec(m[2] ?? '')?.[1];
    if (m[1] === 'plimsoll_leader') leader = Number(m[3]) === 1;
    else if (kind !== 'lease') writes += Number(m[3]);
  }
  return { leader, writes };
}
