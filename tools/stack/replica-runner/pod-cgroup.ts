/**
 * DEVELOPMENT HARNESS — not part of the product. A pod's container limits made binding, as the
 * kubelet makes them: one cgroup per pod under a `plimsoll` parent (the kubelet's `kubepods`),
 * in every hierarchy that has the controller.
 *
 *   limits.cpu: 250m     cgroup v1  cpu/plimsoll/<ns>_<pod>/cpu.cfs_period_us   100000
 *                                   cpu/plimsoll/<ns>_<pod>/cpu.cfs_quota_us    25000
 *                        cgroup v2  plimsoll/<ns>_<pod>/cpu.max                 "25000 100000"
 *   limits.memory: 768Mi cgroup v1  memory/plimsoll/<ns>_<pod>/memory.limit_in_bytes (and memory.memsw.limit_in_bytes)
 *                        cgroup v2  plimsoll/<ns>_<pod>/memory.max (and memory.swap.max 0)
 *
 * The process joins before it runs anything (`joinArgv`: a shell writes its own pid into each
 * cgroup.procs, then execs the command), so no instruction of the container ever runs outside
 * its limits. An OOM kill shows as the memory cgroup's `oom_kill` count growing (v1
 * memory.oom_control, v2 memory.events). The cgroups are made fresh for every start (leftovers
 * of a crashed run are emptied and removed first) and removed when the process has stopped.
 * Needs write access to the cgroup hierarchies (root, or a delegated subtree).
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import { bytes, milliCpu } from './quantity.js';

export class CgroupError extends Error {}

export type Controller = 'cpu' | 'memory';
const CONTROLLERS: Controller[] = ['cpu', 'memory'];

/** The kubelet's CFS period (100 ms): a 250m limit is 25 ms of CPU time in every 100 ms. */
export const CFS_PERIOD_US = 100_000;
/**
 * The kubelet's `cpuCFSQuotaPeriod` range (feature gate CustomCPUCFSQuotaPeriod): 1 ms to 1 s.
 * A shorter period spreads the same share thinner: at 100m a process that used its 10 ms waits
 * at most 90 ms with the default, 9 ms with a 10 ms period.
 */
export const CFS_PERIOD_RANGE_US = { min: 1000, max: 1_000_000 } as const;
/** The kernel refuses a quota under 1 ms; the kubelet raises smaller ones to it. */
const MIN_CFS_QUOTA_US = 1000;

/**
 * V8's heap limit as a share of the memory limit. The old space is only part of a Node process:
 * new space, code, Buffers and sockets outside the heap, the binary and libuv's threads take the
 * rest, tens of MiB at rest and more with every connection and body in flight. With a quarter
 * left for them, V8 collects harder as its heap fills and the matcher's own heap thresholds
 * degrade it, before the kernel would kill the whole process mid-request.
 */
export const HEAP_FRACTION = 0.75;

export interface ContainerLimits {
  /** As the pod spec writes them ("250m", "768Mi"); undefined: no limit. */
  cpu?: string;
  memory?: string;
  cpuMilli?: number;
  memoryBytes?: number;
}

/** The container's limits, parsed (a zero CPU limit means none, as for the kubelet). */
export function containerLimits(container: k8s.V1Container): ContainerLimits {
  const limits = container.resources?.limits ?? {};
  const out: ContainerLimits = {};
  const parse = (resource: string, convert: (text: string) => number): number => {
    try {
      return convert(String(limits[resource]));
    } catch (err) {
      throw new CgroupError(`container ${container.name}: limits.${resource}: ${(err as Error).message}`);
    }
  };
  if (limits.cpu !== undefined) {
    const milli = parse('cpu', milliCpu);
    if (milli > 0) Object.assign(out, { cpu: String(limits.cpu), cpuMilli: milli });
  }
  if (limits.memory !== undefined) {
    const memoryBytes = parse('memory', bytes);
    if (memoryBytes > 0) Object.assign(out, { memory: String(limits.memory), memoryBytes });
  }
  return out;
}

/** The kubelet's MilliCPUToQuota: milli-CPU × period / 1000, at least 1 ms. */
export function cpuQuotaUs(cpuMilli: number, periodUs = CFS_PERIOD_US): number {
  return Math.max(MIN_CFS_QUOTA_US, Math.floor((cpuMilli * periodUs) / 1000));
}

/** A CFS period as the kubelet writes it ("10ms", "100ms", "1s", or µs), within its range; `what` names the setting in the error. */
export function cfsPeriodUs(text: string, what: string): number {
  const m = /^(\d+)(us|ms|s)?$/.exec(text.trim());
  const unit = ({ us: 1, ms: 1000, s: 1_000_000 } as const)[(m?.[2] ?? 'us') as 'us' | 'ms' | 's'];
  const us = m ? Number(m[1]) * unit : NaN;
  if (!(us >= CFS_PERIOD_RANGE_US.min && us <= CFS_PERIOD_RANGE_US.max)) {
    throw new CgroupError(`${what} ${text}: expected a duration from 1ms to 1s (e.g. 10ms, 100ms)`);
  }
  return us;
}

export function heapLimitMiB(memoryBytes: number): number {
  return Math.floor((memoryBytes * HEAP_FRACTION) / 2 ** 20);
}

/**
 * The environment with Node's heap flag derived from the memory limit, appended to NODE_OPTIONS.
 * A container that sets --max-old-space-size itself keeps its own (the manifest's choice wins).
 */
export function withHeapLimit(env: Record<string, string>, limits: ContainerLimits): Record<string, string> {
  const current = env.NODE_OPTIONS ?? '';
  if (limits.memoryBytes === undefined || /--max[-_]old[-_]space[-_]size/.test(current)) return env;
  return { ...env, NODE_OPTIONS: `${current} --max-old-space-size=${heapLimitMiB(limits.memoryBytes)}`.trim() };
}

// ——— where the controllers are ———

export interface Hierarchy {
  controller: Controller;
  version: 1 | 2;
  /** Where the hierarchy is mounted. */
  mount: string;
}

/** /proc/mounts escapes space, tab, newline and backslash in paths as octal (\040). */
const unescapeMount = (path: string) => path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/**
 * The usable hierarchy of each controller, from a /proc/mounts text: a cgroup v1 mount carrying
 * it (preferred: on a hybrid machine the v1 mounts hold the controllers), else the v2 mount whose
 * cgroup.controllers lists it; each must be writable. `missing` says why a controller has none.
 */
export function findHierarchies(mounts: string): { found: Partial<Record<Controller, Hierarchy>>; missing: Partial<Record<Controller, string>> } {
  const v1 = new Map<Controller, string>();
  const v2: string[] = [];
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    const path = unescapeMount(mountPoint);
    if (type === 'cgroup2') v2.push(path);
    else if (type === 'cgroup') for (const c of CONTROLLERS) if (options.split(',').includes(c) && !v1.has(c)) v1.set(c, path);
  }
  const found: Partial<Record<Controller, Hierarchy>> = {};
  const missing: Partial<Record<Controller, string>> = {};
  const probe = { cpu: 'cpu.cfs_quota_us', memory: 'memory.limit_in_bytes' } as const;
  for (const c of CONTROLLERS) {
    const reasons: string[] = [];
    const v1Mount = v1.get(c);
    if (v1Mount) {
      const problem = !existsSync(join(v1Mount, probe[c])) ? `${join(v1Mount, probe[c])} does not exist` : notWritable(v1Mount);
      if (!problem) {
        found[c] = { controller: c, version: 1, mount: v1Mount };
        continue;
      }
      reasons.push(`cgroup v1: ${problem}`);
    } else {
      reasons.push(`cgroup v1: no hierarchy with the ${c} controller is mounted`);
    }
    if (v2.length === 0) reasons.push('cgroup v2: not mounted');
    for (const mount of v2) {
      const listed = readOr(join(mount, 'cgroup.controllers'), '').trim();
      const problem = !listed.split(/\s+/).includes(c) ? `${join(mount, 'cgroup.controllers')} does not list ${c} (it lists "${listed}")` : notWritable(mount);
      if (!problem) {
        found[c] = { controller: c, version: 2, mount };
        break;
      }
      reasons.push(`cgroup v2: ${problem}`);
    }
    if (!found[c]) missing[c] = reasons.join('; ');
  }
  return { found, missing };
}

function notWritable(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (err) {
    return `${path} is not writable (${(err as NodeJS.ErrnoException).code}; the replica runner needs root for cgroups)`;
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function write(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (err) {
    throw new CgroupError(`cannot write "${value}" to ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

// ——— one pod's cgroups ———

export interface PodCgroupRecord {
  name: string;
  dirs: { controller: Controller; version: 1 | 2; path: string }[];
}

export interface CgroupSettings {
  /** One per hierarchy the pod's cgroup is in. */
  paths: string[];
  cpuQuotaUs: number | null;
  cpuPeriodUs: number | null;
  memoryLimitBytes: number | null;
  memoryUsageBytes: number | null;
  oomKills: number | null;
}

export interface CreateOptions {
  /** The cgroup's name: `<namespace>_<pod>`. */
  name: string;
  limits: ContainerLimits;
  /** The parent under each hierarchy's root (default plimsoll). */
  parent?: string;
  /** Throw when a limit cannot be enforced; otherwise it is only a warning. */
  require?: boolean;
  /** A /proc/mounts text (default: this process's). */
  mounts?: string;
  /** The CFS period the CPU limit is a share of, µs (default CFS_PERIOD_US, as the kubelet). */
  cpuPeriodUs?: number;
}

/** Removals in flight per path: a restart must not mkdir while the previous cgroup is being removed. */
const removing = new Map<string, Promise<void>>();

export class PodCgroup {
  private constructor(readonly record: PodCgroupRecord, readonly warnings: string[]) {}

  /** Fresh cgroups for a pod's container with its limits written; leftovers of the same name are emptied and removed first. */
  static async create(options: CreateOptions): Promise<PodCgroup> {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(options.name)) throw new CgroupError(`invalid cgroup name "${options.name}"`);
    const parent = options.parent ?? 'plimsoll';
    const { found, missing } = findHierarchies(options.mounts ?? readFileSync('/proc/self/mounts', 'utf8'));
    const { limits } = options;
    const warnings: string[] = [];
    if (limits.cpuMilli !== undefined && missing.cpu) warnings.push(`CPU limit ${limits.cpu} not enforced: no writable cpu controller (${missing.cpu})`);
    if (limits.memoryBytes !== undefined && missing.memory) warnings.push(`memory limit ${limits.memory} not enforced: no writable memory controller (${missing.memory})`);
    if (options.require && warnings.length > 0) throw new CgroupError(warnings.join('; '));

    const record: PodCgroupRecord = { name: options.name, dirs: [] };
    const made = new Set<string>();
    for (const h of Object.values(found)) {
      const parentDir = join(h.mount, parent);
      const path = join(parentDir, options.name);
      if (h.version === 2) enableV2Controller(h.mount, parentDir, h.controller);
      else mkdirSync(parentDir, { recursive: true });
      // cpu and memory share one directory in cgroup v2: make it once.
      if (!made.has(path)) {
        await removing.get(path);
        if (existsSync(path)) await emptyAndRemove(path);
        try {
          mkdirSync(path);
        } catch (err) {
          throw new CgroupError(`cannot create cgroup ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        made.add(path);
      }
      writeLimits(h, path, limits, options.cpuPeriodUs ?? CFS_PERIOD_US);
      record.dirs.push({ controller: h.controller, version: h.version, path });
    }
    return new PodCgroup(record, warnings);
  }

  /** The cgroups of a record a previous runner left (those that still exist). */
  static open(record: PodCgroupRecord): PodCgroup {
    return new PodCgroup({ name: record.name, dirs: record.dirs.filter((d) => existsSync(d.path)) }, []);
  }

  /** One directory per hierarchy (cpu and memory share one on cgroup v2). */
  get paths(): string[] {
    return [...new Set(this.record.dirs.map((d) => d.path))];
  }

  /**
   * argv run by a shell that first moves itself into every cgroup and then execs argv (same pid,
   * so the command and all it starts are inside from their first instruction). A failed join
   * ends it with 125 and a message in the log, never an unconstrained start.
   */
  joinArgv(argv: string[]): string[] {
    const files = this.paths.map((p) => join(p, 'cgroup.procs'));
    if (files.length === 0) return argv;
    const joins = files.map((_, i) => `echo $$ > "$${i + 1}" || { echo "replica runner: cannot join cgroup $${i + 1}" >&2; exit 125; }`);
    return ['/bin/sh', '-c', [...joins, `shift ${files.length}`, 'exec "$@"'].join('; '), 'plimsoll-cgroup', ...files, ...argv];
  }

  /** How many processes the kernel's OOM killer has killed in the memory cgroup; undefined without one. */
  oomKills(): number | undefined {
    const dir = this.record.dirs.find((d) => d.controller === 'memory');
    if (!dir) return undefined;
    const text = readOr(join(dir.path, dir.version === 1 ? 'memory.oom_control' : 'memory.events'), '');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m ? Number(m[1]) : undefined;
  }

  /** What the kernel holds now (read back from the cgroup files). */
  settings(): CgroupSettings {
    const out: CgroupSettings = { paths: this.paths, cpuQuotaUs: null, cpuPeriodUs: null, memoryLimitBytes: null, memoryUsageBytes: null, oomKills: this.oomKills() ?? null };
    const unlimited = (text: string) => (text === 'max' || text === '-1' || Number(text) >= 2 ** 62 ? null : Number(text));
    for (const d of this.record.dirs) {
      if (d.controller === 'cpu' && d.version === 1) {
        out.cpuQuotaUs = unlimited(readOr(join(d.path, 'cpu.cfs_quota_us'), 'max').trim());
        out.cpuPeriodUs = Number(readOr(join(d.path, 'cpu.cfs_period_us'), '').trim()) || null;
      } else if (d.controller === 'cpu') {
        const [quota = 'max', period = ''] = readOr(join(d.path, 'cpu.max'), 'max').trim().split(' ');
        out.cpuQuotaUs = unlimited(quota);
        out.cpuPeriodUs = Number(period) || null;
      } else {
        out.memoryLimitBytes = unlimited(readOr(join(d.path, d.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), 'max').trim());
        out.memoryUsageBytes = Number(readOr(join(d.path, d.version === 1 ? 'memory.usage_in_bytes' : 'memory.current'), '').trim()) || null;
      }
    }
    return out;
  }

  /** Kills whatever is still inside (as the kubelet ends a container's every process) and removes the cgroups. */
  async remove(): Promise<void> {
    await Promise.all(this.paths.map((path) => {
      const pending = removing.get(path) ?? emptyAndRemove(path).finally(() => removing.delete(path));
      removing.set(path, pending);
      return pending;
    }));
  }
}

/**
 * Removes the cgroups under the parent whose names start with prefix and are not in keep, with
 * any process still inside: what a runner that died without stopping its replicas left (the
 * kubelet's orphaned-pod cleanup). Returns the paths removed.
 */
export async function sweepCgroups(options: { prefix: string; keep: Set<string>; parent?: string; mounts?: string }): Promise<string[]> {
  const { found } = findHierarchies(options.mounts ?? readFileSync('/proc/self/mounts', 'utf8'));
  const paths = new Set<string>();
  for (const h of Object.values(found)) {
    const parentDir = join(h.mount, options.parent ?? 'plimsoll');
    if (!existsSync(parentDir)) continue;
    for (const entry of readdirSync(parentDir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name.startsWith(options.prefix) && !options.keep.has(entry.name)) paths.add(join(parentDir, entry.name));
    }
  }
  for (const path of paths) await emptyAndRemove(path);
  return [...paths];
}

export function cgroupPids(path: string): number[] {
  return readOr(join(path, 'cgroup.procs'), '').split('\n').filter(Boolean).map(Number);
}

function writeLimits(h: Hierarchy, path: string, limits: ContainerLimits, periodUs: number): void {
  if (h.controller === 'cpu' && limits.cpuMilli !== undefined) {
    const quota = cpuQuotaUs(limits.cpuMilli, periodUs);
    if (h.version === 1) {
      write(join(path, 'cpu.cfs_period_us'), String(periodUs));
      write(join(path, 'cpu.cfs_quota_us'), String(quota));
    } else {
      write(join(path, 'cpu.max'), `${quota} ${periodUs}`);
    }
  }
  if (h.controller === 'memory' && limits.memoryBytes !== undefined) {
    const value = String(limits.memoryBytes);
    if (h.version === 1) {
      // A fresh cgroup is unlimited in both; memsw (memory + swap) may not go below the memory
      // limit, so the memory limit comes first. Equal: swapping does not dodge the limit.
      write(join(path, 'memory.limit_in_bytes'), value);
      if (existsSync(join(path, 'memory.memsw.limit_in_bytes'))) write(join(path, 'memory.memsw.limit_in_bytes'), value);
    } else {
      write(join(path, 'memory.max'), value);
      if (existsSync(join(path, 'memory.swap.max'))) write(join(path, 'memory.swap.max'), '0');
      // As the kubelet does on v2: an OOM kill takes the container's every process, not one of them.
      if (existsSync(join(path, 'memory.oom.group'))) write(join(path, 'memory.oom.group'), '1');
    }
  }
}

/** cgroup v2 hands a controller to children only when each ancestor lists it in cgroup.subtree_control. */
function enableV2Controller(root: string, parentDir: string, controller: Controller): void {
  for (const dir of [root, parentDir]) {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'cgroup.subtree_control');
    if (!readOr(file, '').split(/\s+/).includes(controller)) write(file, `+${controller}`);
  }
}

/** SIGKILL to every process in the cgroup, then rmdir once it is empty (the kernel refuses it before). */
async function emptyAndRemove(path: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!existsSync(path)) return;
    const pids = cgroupPids(path);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (pids.length === 0) {
      try {
        rmdirSync(path);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' || Date.now() > deadline) throw new CgroupError(`cannot remove cgroup ${path}: ${code}`);
      }
    } else if (Date.now() > deadline) {
      throw new CgroupError(`cannot remove cgroup ${path}: processes ${pids.join(', ')} survive SIGKILL`);
    }
    await sleep(50);
  }
}
