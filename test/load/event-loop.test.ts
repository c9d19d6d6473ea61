/**
 * The event-loop lag of the load report (loadtests/load/event-loop.ts): the worst scrape window's
 * p99 per replica and per service level, from the timeline's series.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventLoopLag, eventLoopLagText } from '../../loadtests/load/event-loop.js';
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
