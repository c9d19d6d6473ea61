// Kubernetes quantities as the replica runner reads a pod's limits, and what they become: the
// CFS quota, the memory limit in bytes and Node's heap flag. Exact, with the API machinery's
// rounding (up, away from zero), so "1.1" CPU is 1100 milli-CPU and not 1101.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytes, milliCpu, parseQuantity, quantityNumber, scaledValue } from '../../../tools/stack/replica-runner/quantity.js';
import { cfsPeriodUs, containerLimits, cpuQuotaUs, heapLimitMiB, withHeapLimit } from '../../../tools/stack/replica-runner/pod-cgroup.js';

describe('quantity parsing', () => {
  it('CPU: milli-CPU, rounded up', () => {
    const table: [string, number][] = [
      ['250m', 250], ['1', 1000], ['0.5', 500], ['.5', 500], ['2.', 2000], ['1.1', 1100], ['0.25', 250], ['100m', 100],
      ['1500m', 1500], ['0.0001', 1], ['1n', 1], ['1u', 1], ['3e-3', 3], ['1e3', 1_000_000], ['+2', 2000], [' 250m ', 250],
    ];
    for (const [text, milli] of table) assert.equal(milliCpu(text), milli, text);
  });

  it('memory: bytes, binary and decimal suffixes and exponents', () => {
    const table: [string, number][] = [
      ['768Mi', 768 * 2 ** 20], ['1G', 1e9], ['1Gi', 2 ** 30], ['1.5Gi', 1.5 * 2 ** 30], ['128974848', 128974848],
      ['129e6', 129e6], ['129E6', 129e6], ['123k', 123000], ['1Ki', 1024], ['2Ti', 2 * 2 ** 40], ['1M', 1e6], ['1Pi', 2 ** 50],
      ['0.5Ki', 512], ['1.0001Ki', 1025], ['500m', 1], ['0', 0],
    ];
    for (const [text, value] of table) assert.equal(bytes(text), value, text);
  });

  it('E is exa, e3 and E3 are exponents; sign; exact beyond floating point', () => {
    assert.equal(scaledValue(parseQuantity('1E')), 10n ** 18n);
    assert.equal(scaledValue(parseQuantity('1Ei')), 2n ** 60n);
    assert.equal(scaledValue(parseQuantity('2E3')), 2000n);
    assert.equal(scaledValue(parseQuantity('-1.5')), -2n, 'rounded away from zero');
    assert.equal(scaledValue(parseQuantity('1.1'), 3), 1100n);
    assert.equal(quantityNumber('1.1'), 1.1);
    assert.equal(quantityNumber('256Mi'), 256 * 2 ** 20);
  });

  it('rejects what the API server rejects, naming the quantity', () => {
    for (const text of ['', 'lots', '1K', '1mi', '1.2.3', '1e', '1e3.5', 'Mi', '1 Mi', '--1', '1Gib', '.']) {
      assert.throws(() => parseQuantity(text), new RegExp(`cannot parse quantity "${text.replace(/[.+]/g, '\\$&')}"`), JSON.stringify(text));
    }
  });
});

describe('pod limits → cgroup settings and the heap flag', () => {
  it('a CPU limit becomes a CFS quota over a 100 ms period (the kubelet\'s MilliCPUToQuota)', () => {
    assert.equal(cpuQuotaUs(250), 25_000);
    assert.equal(cpuQuotaUs(1000), 100_000);
    assert.equal(cpuQuotaUs(1500), 150_000);
    assert.equal(cpuQuotaUs(5), 1000, 'the kernel\'s minimum, 1 ms');
  });

  it('a shorter CFS period (the kubelet\'s cpuCFSQuotaPeriod) keeps the share: 100m over 10 ms is 1 ms', () => {
    assert.equal(cpuQuotaUs(100, cfsPeriodUs('10ms', 'period')), 1000);
    assert.equal(cpuQuotaUs(250, cfsPeriodUs('20ms', 'period')), 5000);
    assert.equal(cfsPeriodUs('100ms', 'period'), 100_000);
    assert.equal(cfsPeriodUs('1s', 'period'), 1_000_000);
    assert.equal(cfsPeriodUs('5000', 'period'), 5000, 'a bare number is µs, as cpu.cfs_period_us');
    for (const bad of ['0ms', '500us', '2s', '10 minutes', '', '-10ms']) {
      assert.throws(() => cfsPeriodUs(bad, '--cpu-cfs-quota-period'), /--cpu-cfs-quota-period .*: expected a duration from 1ms to 1s/, bad);
    }
  });

  it('reads a container\'s limits; zero or absent is no limit; a bad one names the container', () => {
    assert.deepEqual(containerLimits({ name: 'c', resources: { limits: { cpu: '250m', memory: '768Mi' } } }),
      { cpu: '250m', cpuMilli: 250, memory: '768Mi', memoryBytes: 768 * 2 ** 20 });
    assert.deepEqual(containerLimits({ name: 'c', resources: { requests: { cpu: '1' }, limits: { cpu: '0' } } }), {});
    assert.deepEqual(containerLimits({ name: 'c' }), {});
    assert.throws(() => containerLimits({ name: 'web', resources: { limits: { memory: 'lots' } } }), /container web: limits.memory: cannot parse quantity "lots"/);
  });

  it('Node\'s heap: 75 % of the memory limit, appended to NODE_OPTIONS unless the container sets its own', () => {
    assert.equal(heapLimitMiB(768 * 2 ** 20), 576);
    assert.equal(heapLimitMiB(96 * 2 ** 20), 72);
    const limits = containerLimits({ name: 'c', resources: { limits: { memory: '1Gi' } } });
    assert.deepEqual(withHeapLimit({ PATH: '/bin' }, limits), { PATH: '/bin', NODE_OPTIONS: '--max-old-space-size=768' });
    assert.equal(withHeapLimit({ NODE_OPTIONS: '--enable-source-maps' }, limits).NODE_OPTIONS, '--enable-source-maps --max-old-space-size=768');
    assert.equal(withHeapLimit({ NODE_OPTIONS: '--max-old-space-size=512' }, limits).NODE_OPTIONS, '--max-old-space-size=512');
    assert.equal(withHeapLimit({ NODE_OPTIONS: '--max_old_space_size=300' }, limits).NODE_OPTIONS, '--max_old_space_size=300');
    assert.deepEqual(withHeapLimit({ PATH: '/bin' }, {}), { PATH: '/bin' }, 'no memory limit, no flag');
  });
});
