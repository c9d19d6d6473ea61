/**
 * The CPU limit this process runs under, as the kernel enforces it (like Go's automaxprocs): a
 * container's `limits.cpu` is a CFS quota on its cgroup, `quota` µs of CPU time in every
 * `period` µs, shared by every thread of the process. Read from /proc/self/cgroup and the cgroup
 * filesystem (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max), nearest limit on the path up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CpuQuota {
  /** CPU time per period over the period: 0.1 for a 100m limit. */
  cores: number;
  periodUs: number;
  /** Where it was read, for the log. */
  source: string;
}

/** A cgroup v1 pair of files: quota -1 means none. */
export function parseV1Quota(quotaText: string, periodText: string): { quotaUs: number; periodUs: number } | undefined {
  const quotaUs = Number(quotaText.trim());
  const periodUs = Number(periodText.trim());
  if (!(quotaUs > 0) || !(periodUs > 0)) return undefined;
  return { quotaUs, periodUs };
}

/** A cgroup v2 cpu.max: "max 100000" means none, "10000 100000" a 100m limit. */
export function parseV2Max(text: string): { quotaUs: number; periodUs: number } | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  return parseV1Quota(quota, period ?? '100000');
}

/**
 * The process's cgroup path in the cpu hierarchy from /proc/self/cgroup: v1 "N:cpu,cpuacct:/a/b"
 * (version 1), else v2 "0::/a/b" (version 2).
 */
export function cpuCgroupPath(procSelfCgroup: string): { version: 1 | 2; path: string } | undefined {
  let v2: string | undefined;
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, ...rest] = line.split(':');
    const path = rest.join(':');
    if (controllers === undefined || !path) continue;
    if (controllers.split(',').includes('cpu')) return { version: 1, path };
    if (controllers === '') v2 = path;
  }
  return v2 === undefined ? undefined : { version: 2, path: v2 };
}

/** The directories to look in, the process's own cgroup first, then each parent to the root. */
export function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, parts.length - i).join('/')}`).concat('/');
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The tightest CPU quota on the way from this process's cgroup to the root (a pod's limit may sit
 * on the pod's cgroup or the container's), or undefined: no limit, or not Linux. Inside a
 * container with its own cgroup namespace the path is "/" and the mount shows its own cgroup.
 */
export function readCpuQuota(root = '/sys/fs/cgroup', procSelfCgroup = read('/proc/self/cgroup')): CpuQuota | undefined {
  const where = procSelfCgroup === undefined ? undefined : cpuCgroupPath(procSelfCgroup);
  if (!where) return undefined;
  let best: CpuQuota | undefined;
  for (const dir of ancestors(where.path)) {
    const found = where.version === 1
      ? [join(root, 'cpu', dir), join(root, 'cpu,cpuacct', dir)].map((d) => {
        const quota = read(join(d, 'cpu.cfs_quota_us'));
        const period = read(join(d, 'cpu.cfs_period_us'));
        return quota !== undefined && period !== undefined ? { parsed: parseV1Quota(quota, period), at: d } : undefined;
      }).find((x) => x !== undefined)
      : ((text) => (text === undefined ? undefined : { parsed: parseV2Max(text), at: join(root, dir) }))(read(join(root, dir, 'cpu.max')));
    if (!found?.parsed) continue;
    const cores = found.parsed.quotaUs / found.parsed.periodUs;
    if (!best || cores < best.cores) best = { cores, periodUs: found.parsed.periodUs, source: found.at };
  }
  return best;
}

/**
 * The limit as the downward API gives it (limits.cpu in millicores), for when the cgroup files
 * are out of sight (a network namespace entered with `ip netns exec` remounts /sys; some
 * runtimes hide the hierarchy). The kernel's period is the kubelet's default, 100 ms. 0 (what a
 * runner reports for no limit) is none; a kubelet reports the node's allocatable instead, a
 * quota the event loop never nears.
 */
export function downwardApiQuota(millicores: number | undefined): CpuQuota | undefined {
  if (!millicores) return undefined;
  return { cores: millicores / 1000, periodUs: 100_000, source: 'MATCHER_CPU_LIMIT_MILLICORES' };
}
