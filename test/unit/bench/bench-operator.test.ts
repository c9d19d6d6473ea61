// The benchmark's arithmetic (loadtests/bench-operator): what it reports is only as good as these
// pure parts, so each is checked against hand-computed figures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coresBetween, counterIncrease, cpuTicks, metricByLabel, metricSum, perMinute, perMinuteSeries, rssBytes, withLabels, latencySummary } from '../../../loadtests/bench-operator/figures.js';
import { summariseLatency, seriesOfQuery, type Change } from '../../../loadtests/bench-operator/latency.js';
import { changedIndices } from '../../../loadtests/bench-operator/phase.js';
import { firstValue } from '../../../loadtests/bench-operator/prom-proxy.js';
import { summariseWindow } from '../../../loadtests/bench-operator/summary.js';
import type { Sample } from '../../../loadtests/bench-operator/sampler.js';
import { parseOptions } from '../../../loadtests/bench-operator/options.js';
import { policySpec, replicasFor } from '../../../loadtests/bench-operator/specs.js';
import { parseScalingPolicy } from '../../../src/plimsoll/api/validate.js';

describe('bench-operator: /proc', () => {
  it('reads VmRSS in kB as bytes', () => {
    assert.equal(rssBytes('Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t  181244 kB\nRssAnon:\t 1 kB\n'), 181244 * 1024);
    assert.equal(rssBytes('Name:\tzombie\n'), undefined);
  });

  it('adds utime and stime, counting fields after a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (node (my) op) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 11 0 500 0 0';
    assert.equal(cpuTicks(stat), 1234 + 567);
  });

  it('turns tick deltas into cores', () => {
    // 150 ticks at 100/s over 10 s = 1.5 s of CPU in 10 s.
    assert.equal(coresBetween({ atMs: 0, ticks: 1000 }, { atMs: 10_000, ticks: 1150 }, 100), 0.15);
    assert.equal(coresBetween({ atMs: 5, ticks: 1 }, { atMs: 5, ticks: 9 }, 100), 0);
  });
});

describe('bench-operator: counters and the text format', () => {
  const text = [
    '# HELP plimsoll_kube_api_requests_total x',
    'plimsoll_kube_api_requests_total{kind="read"} 12',
    'plimsoll_kube_api_requests_total{kind="write"} 3',
    'plimsoll_kube_api_requests_total_created{kind="read"} 99',
    'prometheus_http_requests_total{code="200",handler="/api/v1/query"} 40',
    'prometheus_http_requests_total{code="400",handler="/api/v1/query"} 2',
    'prometheus_http_requests_total{code="200",handler="/api/v1/query_range"} 7',
    'plimsoll_workqueue_depth 4',
  ].join('\n');

  it('sums series by name and labels, never a longer name', () => {
    assert.equal(metricSum(text, 'plimsoll_kube_api_requests_total'), 15);
    assert.equal(metricSum(text, 'prometheus_http_requests_total', withLabels({ handler: '/api/v1/query' })), 42);
    assert.equal(metricSum(text, 'plimsoll_workqueue_depth'), 4);
    assert.equal(metricSum(text, 'absent_total'), undefined);
    assert.deepEqual(metricByLabel(text, 'plimsoll_kube_api_requests_total', 'kind'), { read: 12, write: 3 });
  });

  it('computes increase and rate per minute, a reset counted from zero', () => {
    const samples = [{ atMs: 0, value: 10 }, { atMs: 30_000, value: 40 }, { atMs: 60_000, value: 5 }, { atMs: 120_000, value: 25 }];
    assert.equal(counterIncrease(samples), 30 + 5 + 20);
    assert.equal(perMinute(samples), 55 / 2);
    assert.equal(perMinute(samples.slice(0, 1)), undefined);
    assert.deepEqual(perMinuteSeries(samples).map((s) => s.value), [60, 10, 20]);
  });

  it('reads the first value of an instant query answer', () => {
    assert.equal(firstValue('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"50"]}]}}'), 50);
    assert.equal(firstValue('{"status":"success","data":{"result":[]}}'), undefined);
    assert.equal(firstValue('\u001f\u008b not json'), undefined);
    assert.equal(seriesOfQuery('plimsoll_bench_signal{job="bench",policy="p-007",signal="load"}'), 'p-007');
  });
});

describe('bench-operator: percentiles and windows', () => {
  it('nearest-rank p50 and p99', () => {
    const s = latencySummary(Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(s.p50, 50);
    assert.equal(s.p99, 99);
    assert.equal(s.max, 100);
  });

  it('summarises latency from each starting point, naming what never scaled', () => {
    const changes: Change[] = ['a', 'b', 'c'].map((d) => ({ deployment: d, series: d, toReplicas: 5, newLoad: 50 }));
    const times = new Map([
      ['a', { changedMs: 0, visibleMs: 5000, readMs: 9000, writtenMs: 9500 }],
      ['b', { changedMs: 0, visibleMs: 6000, readMs: 12_000, writtenMs: 13_000 }],
      ['c', { changedMs: 0, visibleMs: 5000 }],
    ]);
    const r = summariseLatency(changes, times, true);
    assert.equal(r.scaled, 2);
    assert.deepEqual(r.notScaled, ['c']);
    assert.deepEqual([r.fromExporterSeconds.p50, r.fromExporterSeconds.max], [9.5, 13]);
    assert.deepEqual([r.fromVisibleSeconds.p50, r.fromVisibleSeconds.max], [4.5, 7]);
    assert.deepEqual([r.fromReadSeconds!.p50, r.fromReadSeconds!.max], [0.5, 1]);
    assert.equal(summariseLatency(changes, times, false).fromReadSeconds, null);
  });

  it('a window: RSS and CPU of the contender only, API rates, writes by kind, queue depth', () => {
    const sample = (s: number, rss: number, ticks: number, writes: number, depth: number): Sample => ({
      atMs: s * 1000,
      processes: { operator: { rss: rss * 1024 * 1024, ticks }, 'kube-apiserver': { rss: 1e9, ticks: ticks * 10 } },
      values: { 'api.read': 100, 'api.write': writes, 'writes.status': writes, 'queue.depth': depth, 'prom.own': s * 2 },
    });
    const samples = [sample(0, 100, 0, 0, 0), sample(60, 120, 600, 30, 4), sample(120, 110, 1200, 60, 0), sample(180, 999, 5000, 99, 9)];
    const w = summariseWindow(samples, { name: 'steady', fromMs: 0, toMs: 120_000 }, ['operator'], 100);
    assert.equal(w.samples, 3);
    assert.equal(w.rssMb.max, 120);
    assert.equal(w.cores.mean, 0.1); // 1200 ticks = 12 s of CPU over 120 s
    assert.equal(w.apiPerMinute.read, 0);
    assert.equal(w.apiPerMinute.write, 30);
    assert.deepEqual(w.writesPerMinuteByKind, { status: 30 });
    assert.equal(w.promQueriesPerMinute.own, 120);
    assert.equal(w.queueDepth.max, 4);
    assert.equal(w.perProcess['kube-apiserver']!.coresMean, 1);
  });
});

describe('bench-operator: set-up', () => {
  it('spreads the changed policies over the fleet', () => {
    assert.deepEqual(changedIndices(500, 5), [0, 100, 200, 300, 400]);
    assert.deepEqual(changedIndices(3, 5), [0, 1, 2]);
    assert.deepEqual(changedIndices(10, 0), []);
  });

  it('its policies are valid ScalingPolicies, and the steady and changed loads ask for 2 and 5 replicas', () => {
    for (const health of [undefined, 'http://127.0.0.1:1/health/p-000']) {
      const doc = { apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', metadata: { name: 'p-000' }, spec: policySpec('app-000', 'http://127.0.0.1:2', 'p-000', health) };
      assert.doesNotThrow(() => parseScalingPolicy(doc));
    }
    assert.deepEqual([replicasFor(20), replicasFor(50), replicasFor(500)], [2, 5, 10]);
  });

  it('parses the command line with its bounds', () => {
    const o = parseOptions(['--policies', '50', '--steady-minutes', '2', '--keda']);
    assert.deepEqual([o.policies, o.steadyMinutes, o.changing, o.keda, o.runtime], [50, 2, 50, true, 'compiled']);
    assert.throws(() => parseOptions(['--policies', '10', '--changing', '20']), /changing/);
    assert.throws(() => parseOptions(['--bogus']), /bogus/);
  });
});
