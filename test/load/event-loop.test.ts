/**
 * The event-loop lag of the load report (loadtests/load/event-loop.ts): the worst scrape window's
 * p99 per replica and per service level, from the timeline's series.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketQuantile, eventLoopLag, eventLoopLagText, runDelay, runDelayText, type Buckets } from '../../loadtests/load/event-loop.js';
import type { Series } from '../../loadtests/load/prometheus.js';

const series = (id: string, chart: Series['chart'], points: Array<[number, number]>): Series => ({ id, label: id, chart, source: 'prometheus', points });

test('the worst window per replica and per level (the most degraded replica\'s level at that step)', () => {
  const lag = eventLoopLag([
    series('loop-lag-p99:a:1', 'lag', [[0, 3.04], [5, 180], [10, 4]]),
    series('loop-lag-p99:b:1', 'lag', [[0, 2], [5, 9], [10, 60], [15, 7]]),
    series('loop-lag-p99:c:1', 'lag', []),
    series('level', 'level', [[0, 0], [5, 2], [10, 1]]),
    series('p95', 'latency', [[0, 900]]),
  ]);
  assert.deepEqual(lag, { worstP99Ms: 180, byReplica: { 'a:1': 180, 'b:1': 60 }, byLevel: { Full: 3, Basic: 180, Reduced: 60 }, samples: 7 });
  assert.equal(eventLoopLagText(lag!), 'worst 180 ms over 7 replica windows; by replica a:1 180 ms, b:1 60 ms; by level Full 3 ms, Reduced 60 ms, Basic 180 ms');
});

test('no lag series (Prometheus scraped no replica): no summary, and the text says why', () => {
  assert.equal(eventLoopLag([series('loop-lag-p99', 'lag', [])]), null);
  assert.equal(eventLoopLagText(undefined), 'no nodejs_eventloop_lag_p99_seconds series over the run');
});

test('bucket quantiles as histogram_quantile computes them: linear within a bucket, the highest finite bound in +Inf', () => {
  const b: Buckets = [[0.01, 50], [0.05, 90], [0.1, 98], [0.25, 100], [Infinity, 100]];
  assert.equal(bucketQuantile(0.5, b), 0.01);
  assert.ok(Math.abs(bucketQuantile(0.7, b)! - 0.03) < 1e-12, 'rank 70: halfway through (0.01, 0.05]');
  assert.ok(Math.abs(bucketQuantile(0.99, b)! - 0.175) < 1e-12, 'rank 99: halfway through (0.1, 0.25]');
  assert.equal(bucketQuantile(0.99, [[0.1, 10], [Infinity, 20]]), 0.1);
  assert.equal(bucketQuantile(0.99, [[0.1, 0], [Infinity, 0]]), undefined);
});

test('the run\'s delay: p99 over every firing and over each level\'s, and the share later than 100 ms', () => {
  const d = runDelay({
    Full: [[0.01, 900], [0.1, 990], [0.25, 1000], [Infinity, 1000]],
    Basic: [[0.01, 0], [0.1, 50], [0.25, 100], [Infinity, 100]],
  });
  assert.deepEqual(d, { p99Ms: 222.5, p99ByLevelMs: { Full: 100, Basic: 247 }, over100msShare: 60 / 1100, samples: 1100 });
  assert.equal(runDelayText(d!), 'p99 222.5 ms over 1100 timer firings (Full 100 ms, Basic 247 ms); 5.45 % later than 100 ms');
  assert.equal(runDelay({}), null);
  assert.equal(runDelayText(undefined), 'no matcher_event_loop_delay_seconds series over the run');
});
