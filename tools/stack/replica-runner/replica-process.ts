/**
 * DEVELOPMENT HARNESS — not part of the product. One OS process standing in for one pod's
 * container: started in its own session and process group (so a stop reaches everything it
 * spawned, and the runner can die and be restarted without taking it down), logging to a file,
 * recorded in a JSON file so a restarted runner adopts it instead of orphaning it. The record
 * keeps the kernel's start time of the process: a recycled pid is never mistaken for it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

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
}

export interface Exit {
  code: number | null;
  signal: string | null;
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

export class ReplicaProcess {
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(readonly record: ReplicaRecord, private readonly recordFile: string, exited: Promise<Exit>) {
    this.exited = exited.then((e) => (this.exit = e));
  }

  /** Starts argv[0] with argv[1..] in a new session; stdout and stderr append to logFile. */
  static spawn(options: Omit<ReplicaRecord, 'pid' | 'startTicks' | 'startedAt'> & { env: Record<string, string>; cwd: string; recordFile: string }): ReplicaProcess {
    const fd = openSync(options.logFile, 'a');
    try {
      writeFileSync(fd, `--- ${new Date().toISOString()} replica runner starts ${options.pod} on ${options.ip}:${options.port}: ${options.argv.join(' ')}\n`);
      const child = spawn(options.argv[0]!, options.argv.slice(1), { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
      if (child.pid === undefined) throw new Error(`could not start ${options.argv.join(' ')} for pod ${options.pod}`);
      const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const record: ReplicaRecord = {
        pid: child.pid, startTicks: startTicks(child.pid) ?? '', namespace: options.namespace, pod: options.pod, podUid: options.podUid,
        ip: options.ip, port: options.port, argv: options.argv, logFile: options.logFile, startedAt: new Date().toISOString(),
      };
      writeFileSync(`${options.recordFile}.tmp`, JSON.stringify(record, null, 2) + '\n');
      renameSync(`${options.recordFile}.tmp`, options.recordFile);
      // The runner never waits on the child's pipes; unref keeps it from holding the event loop.
      child.unref();
      return new ReplicaProcess(record, options.recordFile, exited);
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
    // Not our child: poll for its end (no exit event for a process we did not spawn).
    const exited = (async () => {
      while (startTicks(record.pid) === record.startTicks) await sleep(250);
      return { code: null, signal: null } satisfies Exit;
    })();
    return new ReplicaProcess(record, recordFile, exited);
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
    // Anything the process left in its group goes too.
    signalGroup(this.record.pid, 'SIGKILL');
    rmSync(this.recordFile, { force: true });
    return this.exit!;
  }

  /** The process died on its own: forget the record. */
  forget(): void {
    rmSync(this.recordFile, { force: true });
  }
}
