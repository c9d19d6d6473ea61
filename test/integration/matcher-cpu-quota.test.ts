/**
 * The matcher under a CPU limit (issue 15: event-loop lag p99 under 100 ms through the burst with
 * replicas held to 100m). Two real matcher processes, each in its own cgroup v1 cpu cgroup with a
 * 100m CFS quota (10000/100000), get the same open-loop load of local analyses at once, at a rate
 * that needs more than the quota: one with the CPU-quota admission turned off
 * (MATCHER_ADMISSION_CPU_QUOTA_SHARE=0, the default), one with it at 0.75. Under a quota the
 * event loop waits whenever the period's CPU is spent, so the baseline's lag piles up by whole
 * 100 ms periods; the quota-aware one refuses (503 OVERLOADED, Retry-After) before the quota runs
 * out. The assertion compares the two in the same run, not with a fixed speed: the machine is shared.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cpuCgroupUnavailable, driveLocalAnalyses, startQuotaMatchers, type QuotaMatcher } from '../support/cpu-quota-matcher.js';

const QUOTA_US = 10_000; // 100m
// More than a 100m replica serves (make bench-cpu-quota: about 20 local analyses a second use all
// of it), as in the burst before the fleet has scaled out.
const RATE = 30;
const SECONDS = 20;
const unavailable = cpuCgroupUnavailable();

describe('a matcher held to a 100m CPU quota', { skip: unavailable }, () => {
  let baseline: QuotaMatcher | undefined;
  let aware: QuotaMatcher | undefined;
  before(async () => {
    [baseline, aware] = await startQuotaMatchers([
      { name: 'baseline', quotaUs: QUOTA_US, env: { MATCHER_ADMISSION_CPU_QUOTA_SHARE: '0' }, resumes: 40, jobs: 20 },
      { name: 'aware', quotaUs: QUOTA_US, env: { MATCHER_ADMISSION_CPU_QUOTA_SHARE: '0.75' }, resumes: 40, jobs: 20 },
    ]);
  });
  after(async () => { await Promise.all([baseline?.stop(), aware?.stop()]); });

  it('refuses before its quota runs out, and its event-loop lag p99 stays well under the unaware one\'s', async (t) => {
    // Warm both (JIT, connections) at the same rate, then measure, scraping /metrics every 2 s.
    const both = [baseline!, aware!];
    await Promise.all(both.map((m) => driveLocalAnalyses(m, { rate: RATE, seconds: 5 })));
    const [b, a] = await Promise.all(both.map((m) => driveLocalAnalyses(m, { rate: RATE, seconds: SECONDS })));
    const summary = JSON.stringify({ baseline: b, aware: a });
    t.diagnostic(summary);
    // The baseline refuses too, late: on a lag past MATCHER_ADMISSION_LAG_MS, or after its analyses waited out their deadline.
    assert.ok((a!.answers['503 OVERLOADED'] ?? 0) > 0, `the quota-aware matcher refused some: ${summary}`);
    assert.ok((a!.answers['201'] ?? 0) > 0, `and answered the others: ${summary}`);
    // What it refused, it refused at once with Retry-After; the baseline's analyses waited out their deadline.
    assert.equal(a!.answers['503 ANALYSIS_TIMEOUT'] ?? 0, 0, `no analysis of the quota-aware matcher timed out: ${summary}`);
    assert.ok(a!.throttledPercent < b!.throttledPercent, `it was throttled in fewer periods: ${summary}`);
    assert.ok(a!.worstLagP99Ms < 0.7 * b!.worstLagP99Ms, `worst 2 s window's lag p99 ${a!.worstLagP99Ms} ms, under 0.7 × the baseline's ${b!.worstLagP99Ms} ms: ${summary}`);
  });
});
