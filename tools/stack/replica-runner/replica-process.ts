/**
 * DEVELOPMENT HARNESS — not part of the product. One OS process standing in for one pod's
 * container: started in its own session and process group (so a stop reaches everything it
 * spawned, and the runner can die and be restarted without taking it down), logging to a file,
 * recorded in a JSON file so a restarted runner adopts it instead of orphaning it. The record
 * keeps the kernel's start time of the process: a recycled pid is never mistaken for it.
 * Given a pod cgroup (pod-cgroup.ts), the process joins it before it runs anything, an exit is
 * told apart as an OOM kill by the cgroup's oom_kill count, and the cgroup goes with the process.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PodCgroup, type PodCgroupRecord } from './pod-cgroup.js';

export interface ReplicaRecord {
  pid: number;
  /** /proc/<pid>/stat field 22: clock ticks after boot; identifies the process with its pid. */
  startTicks: string;
  namespace: string;
  pod: string;
  podUid: string;
  ip: string;
  port: number;
  argv: string[];
  logFile: string;
  startedAt: string;
  /** The pod cgroup it runs in; absent: none. */
  cgroup?: PodCgroupRecord;
}

export interface Exit {
  code: number | null;
  signal: string | null;
  /** The kernel's OOM killer ended it: its memory cgroup's oom_kill count grew while it ran. */
  oomKilled: boolean;
  finishedAt: string;
}

function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** An exit told apart by the cgroup: an OOM kill when its oom_kill count passed the count at start. */
function exitOf(code: number | null, signal: string | null, cgroup: PodCgroup | undefined, oomKillsAtStart: number): Exit {
  return { code, signal, oomKilled: (cgroup?.oomKills() ?? 0) > oomKillsAtStart, finishedAt: new Date().toISOString() };
}

export class ReplicaProcess {
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(readonly record: ReplicaRecord, private readonly recordFile: string, exited: Promise<Exit>, readonly cgroup: PodCgroup | undefined) {
    this.exited = exited.then((e) => (this.exit = e));
  }

  /**
   * Starts argv[0] with argv[1..] in a new session; stdout and stderr append to logFile. With a
   * cgroup, argv (whatever it is: `ip netns exec …` included) runs only once inside it.
   */
  static spawn(options: Omit<ReplicaRecord, 'pid' | 'startTicks' | 'startedAt' | 'cgroup'> & { env: Record<string, string>; cwd: string; recordFile: string; cgroup?: PodCgroup }): ReplicaProcess {
    const { cgroup } = options;
    const fd = openSync(options.logFile, 'a');
    try {
      const where = cgroup ? ` (cgroup ${cgroup.paths.join(', ')})` : '';
      writeFileSync(fd, `--- ${new Date().toISOString()} replica runner starts ${options.pod} on ${options.ip}:${options.port}${where}: ${options.argv.join(' ')}\n`);
      const argv = cgroup ? cgroup.joinArgv(options.argv) : options.argv;
      const oomKillsAtStart = cgroup?.oomKills() ?? 0;
      const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
      if (child.pid === undefined) throw new Error(`could not start ${options.argv.join(' ')} for pod ${options.pod}`);
      const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve(exitOf(code, signal, cgroup, oomKillsAtStart))));
      const record: ReplicaRecord = {
        pid: child.pid, startTicks: startTicks(child.pid) ?? '', namespace: options.namespace, pod: options.pod, podUid: options.podUid,
        ip: options.ip, port: options.port, argv: options.argv, logFile: options.logFile, startedAt: new Date().toISOString(),
        ...(cgroup ? { cgroup: cgroup.record } : {}),
      };
      writeFileSync(`${options.recordFile}.tmp`, JSON.stringify(record, null, 2) + '\n');
      renameSync(`${options.recordFile}.tmp`, options.recordFile);
      // The runner never waits on the child's pipes; unref keeps it from holding the event loop.
      child.unref();
      return new ReplicaProcess(record, options.recordFile, exited, cgroup);
    } finally {
      closeSync(fd);
    }
  }

  /** The process of a record a previous runner left, if it still runs; else undefined (record removed). */
  static adopt(recordFile: string): ReplicaProcess | undefined {
    let record: ReplicaRecord;
    try {
      record = JSON.parse(readFileSync(recordFile, 'utf8')) as ReplicaRecord;
    } catch {
      rmSync(recordFile, { force: true });
      return undefined;
    }
    if (!record.pid || startTicks(record.pid) !== record.startTicks) {
      rmSync(recordFile, { force: true });
      return undefined;
    }
    const cgroup = record.cgroup ? PodCgroup.open(record.cgroup) : undefined;
    const oomKillsAtStart = cgroup?.oomKills() ?? 0;
    // Not our child: poll for its end (no exit event for a process we did not spawn).
    const exited = (async () => {
      while (startTicks(record.pid) === record.startTicks) await sleep(250);
      return exitOf(null, null, cgroup, oomKillsAtStart);
    })();
    return new ReplicaProcess(record, recordFile, exited, cgroup);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM to the group, SIGKILL after graceMs; resolves when it has exited, record removed. */
  async stop(graceMs: number): Promise<Exit> {
    if (this.running) {
      signalGroup(this.record.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.record.pid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // Anything the process left in its group goes too, and in its cgroup (with the cgroup).
    signalGroup(this.record.pid, 'SIGKILL');
    await this.removeCgroup();
    rmSync(this.recordFile, { force: true });
    return this.exit!;
  }

  /** The process died on its own: forget the record, remove its cgroup. */
  forget(): Promise<void> {
    rmSync(this.recordFile, { force: true });
    return this.removeCgroup();
  }

  /**
   * Never rejects (callers are on their way out): a cgroup that cannot be removed is noted in the
   * replica's log, and the next start of the pod, which empties and removes it first, says so too.
   */
  private async removeCgroup(): Promise<void> {
    try {
      await this.cgroup?.remove();
    } catch (err) {
      appendFileSync(this.record.logFile, `--- ${new Date().toISOString()} replica runner: ${(err as Error).message}\n`);
    }
  }
}
