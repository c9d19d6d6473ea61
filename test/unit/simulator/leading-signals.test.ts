/**
 * The simulator's leading signal (issue 13 §4): requests in flight as a point gauge that a health
 * signal reads without lag, and each Prometheus signal averaged over its own query's window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matcherModelSchema } from '../../../src/plimsoll/simulator/model-params.js';
import { MatcherModel } from '../../../src/plimsoll/simulator/model.js';
import { observe, rateWindowSeconds } from '../../../src/plimsoll/simulator/observed.js';
import { resolveSignal } from '../../../src/plimsoll/simulator/controllers/plimsoll.js';
import { scalingPolicySpecSchema } from '../../../src/plimsoll/api/scaling-policy.js';
import type { Tick } from '../../../src/plimsoll/simulator/model.js';

test('a query\'s window is its longest range selector, in seconds; none falls back', () => {
  assert.equal(rateWindowSeconds('sum(rate(a[15s]))', 60), 15);
  assert.equal(rateWindowSeconds('sum(rate(a[1m])) - sum(rate(b[30s]))', 60), 60);
  assert.equal(rateWindowSeconds('max_over_time(a[1m30s:5s])', 60), 90);
  assert.equal(rateWindowSeconds('rate(a[500ms])', 60), 1);
  assert.equal(rateWindowSeconds('sum(matcher_http_requests_in_flight)', 42), 42);
});

function run(arrivals: number[]): Tick[] {
  // Pods of the local stack's size (100m): at the calibrated costs two serve about 50 requests a
  // second of this mix, so 20 is calm and 150 overruns them (two one-core replicas would serve 150).
  const params = matcherModelSchema.parse({ cpuCoresPerReplica: 0.1 });
  const model = new MatcherModel(params, [], { analysisShare: 0.15, cacheHitRatio: 0.55 }, 2);
  const knobs = { replicas: 2, poolMax: 10, concurrency: { groq: 1, openai: 1, anthropic: 1 }, clusterLevel: 'Full' as const, globalRateLimit: true };
  return arrivals.map((a, t) => model.step(t, a, knobs));
}

test('requests in flight pile up the moment arrivals outrun the replicas, and read as a point, not an average', () => {
  const ticks = run([...Array<number>(30).fill(20), ...Array<number>(10).fill(150)]);
  const calm = ticks[29]!.metrics.httpInFlight;
  const overrun = ticks[39]!.metrics.httpInFlight;
  assert.ok(calm > 0 && calm < 5, `calm: ${calm}`);
  assert.ok(overrun > 50 * calm, `overrun: ${overrun} vs calm ${calm}`);
  // Lag 0, window 60: the point now, where the request rate's minute still averages the calm.
  assert.equal(observe(ticks, 'httpInFlight', 39, 0, 60), overrun);
  const rate = observe(ticks, 'requestRate', 39, 0, 60)!;
  assert.ok(rate < 60, `rate: ${rate}`);
  assert.ok(observe(ticks, 'requestRate', 39, 0, 10)! > 140);
});

test('a health signal on http.inFlight and a signal named http-in-flight read the model\'s in-flight gauge', () => {
  const s = scalingPolicySpecSchema.parse({
    targetRef: { name: 'matcher' },
    replicas: { min: 1, max: 4 },
    signals: [
      { name: 'in-flight', health: { field: 'http.inFlight', aggregate: 'Sum' } },
      { name: 'http-in-flight', prometheus: { serverAddress: 'http://p:9090', query: 'sum(matcher_http_requests_in_flight)' } },
    ],
  });
  const params = matcherModelSchema.parse({});
  assert.deepEqual(s.signals.map((sig) => resolveSignal(sig, {}, params)), ['httpInFlight', 'httpInFlight']);
});
