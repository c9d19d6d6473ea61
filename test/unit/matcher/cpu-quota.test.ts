// The matcher under a CPU limit: reading its quota (cgroup v1 and v2), the share of it used, and
// the admission rule on that share.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { admissionVerdict } from '../../../src/matcher/protection/admission.js';
import { ancestors, cpuCgroupPath, downwardApiQuota, parseV1Quota, parseV2Max, readCpuQuota } from '../../../src/matcher/runtime/cpu-quota.js';
import { CpuQuotaUse } from '../../../src/matcher/runtime/cpu-quota-use.js';

describe('the CPU quota', () => {
  it('parses cgroup v1 and v2 files; -1 and max mean none', () => {
    assert.deepEqual(parseV1Quota('10000\n', '100000\n'), { quotaUs: 10000, periodUs: 100000 });
    assert.equal(parseV1Quota('-1\n', '100000\n'), undefined);
    assert.deepEqual(parseV2Max('25000 100000\n'), { quotaUs: 25000, periodUs: 100000 });
    assert.equal(parseV2Max('max 100000\n'), undefined);
  });

  it('finds the cpu cgroup in /proc/self/cgroup: the v1 cpu line first, else the v2 line', () => {
    assert.deepEqual(cpuCgroupPath('4:memory:/m\n2:cpu,cpuacct:/kubepods/pod1/c1\n0::/\n'), { version: 1, path: '/kubepods/pod1/c1' });
    assert.deepEqual(cpuCgroupPath('0::/kubepods.slice/pod1\n'), { version: 2, path: '/kubepods.slice/pod1' });
    assert.equal(cpuCgroupPath(''), undefined);
    assert.deepEqual(ancestors('/a/b'), ['/a/b', '/a', '/']);
    assert.deepEqual(ancestors('/'), ['/']);
  });

  const root = mkdtempSync(join(tmpdir(), 'cpu-quota-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const files = (dir: string, content: Record<string, string>) => {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(content)) writeFileSync(join(dir, name), text);
  };

  it('reads the tightest quota from the process cgroup up to the root (v1: the pod\'s limit above the container\'s none)', () => {
    files(join(root, 'v1/cpu'), { 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_period_us': '100000\n' });
    files(join(root, 'v1/cpu/pod'), { 'cpu.cfs_quota_us': '10000\n', 'cpu.cfs_period_us': '100000\n' });
    files(join(root, 'v1/cpu/pod/c'), { 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_period_us': '100000\n' });
    const q = readCpuQuota(join(root, 'v1'), '3:cpu:/pod/c\n');
    assert.equal(q?.cores, 0.1);
    assert.equal(q?.source, join(root, 'v1/cpu/pod'));
    assert.equal(readCpuQuota(join(root, 'v1'), '3:cpu:/\n'), undefined, 'no quota on the root');
  });

  it('reads cgroup v2 cpu.max', () => {
    files(join(root, 'v2/pod'), { 'cpu.max': '50000 100000\n' });
    files(join(root, 'v2/pod/c'), { 'cpu.max': 'max 100000\n' });
    assert.equal(readCpuQuota(join(root, 'v2'), '0::/pod/c\n')?.cores, 0.5);
  });

  it('reads nothing where there is no cgroup file', () => {
    assert.equal(readCpuQuota(join(root, 'absent'), '0::/x\n'), undefined);
    assert.equal(readCpuQuota(root, undefined), undefined);
  });
});

describe('the share of the quota used', () => {
  it('is CPU time over the quota\'s time across the last window', () => {
    const use = new CpuQuotaUse(0.1, 1000);
    assert.equal(use.share(), 0);
    use.record(0, 0);
    use.record(500, 25_000); // 25 ms of CPU in 500 ms: half of 100m
    assert.equal(use.share(), 0.5);
    for (let t = 600; t <= 3000; t += 100) use.record(t, 25_000 + (t - 500) * 100); // then 100 ms/s: all of it
    assert.equal(Math.round(use.share() * 100) / 100, 1, 'the half-used start has left the window');
  });

  it('refuses at the configured share, never when it is 0 or no quota is known', () => {
    const limits = { heapMb: 450, eventLoopLagMs: 1000, maxWaiting: 10, cpuQuotaShare: 0.75 };
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 0, cpuQuotaShare: 0.74 }, 0, false, limits), undefined);
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 0, cpuQuotaShare: 0.75 }, 0, false, limits), 'cpu_quota');
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 0, cpuQuotaShare: 0.99 }, 0, false, { ...limits, cpuQuotaShare: 0 }), undefined);
    assert.equal(admissionVerdict({ heapMb: 10, lagMs: 0 }, 0, false, limits), undefined);
  });
});

it('the downward API\'s limits.cpu stands in when the cgroup files are hidden; 0 is no limit', () => {
  assert.deepEqual(downwardApiQuota(100), { cores: 0.1, periodUs: 100_000, source: 'MATCHER_CPU_LIMIT_MILLICORES' });
  assert.equal(downwardApiQuota(0), undefined);
  assert.equal(downwardApiQuota(undefined), undefined);
});
