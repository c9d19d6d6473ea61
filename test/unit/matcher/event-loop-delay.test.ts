// The matcher's event-loop delay histogram (src/matcher/runtime/event-loop-delay.ts): each timer
// firing observed under the level in force, and a real stall of the loop seen as one late firing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { ServiceLevel } from '../../../src/plimsoll/contract/service-levels.js';
import { EventLoopDelayHistogram } from '../../../src/matcher/runtime/event-loop-delay.js';

/** Cumulative bucket counts by level, from the registry as Prometheus would scrape them. */
async function buckets(registry: Registry): Promise<Map<string, Map<string, number>>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'matcher_event_loop_delay_seconds')!;
  const out = new Map<string, Map<string, number>>();
  for (const v of metric.values as Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>) {
    if (!v.metricName?.endsWith('_bucket')) continue;
    const level = String(v.labels.level);
    if (!out.has(level)) out.set(level, new Map());
    out.get(level)!.set(String(v.labels.le), v.value);
  }
  return out;
}

test('a firing is observed as its lateness, under the level in force at the time', async () => {
  const registry = new Registry();
  let level: ServiceLevel = 'Full';
  const h = new EventLoopDelayHistogram(registry, () => level);
  h.record(1000, 1003); // 3 ms late
  h.record(2000, 2000 - 5); // early (a clock's rounding) counts as on time
  level = 'Basic';
  h.record(3000, 3120); // 120 ms late
  const b = await buckets(registry);
  assert.equal(b.get('Full')!.get('0.005'), 2);
  assert.equal(b.get('Full')!.get('+Inf'), 2);
  assert.equal(b.get('Basic')!.get('0.1'), 0);
  assert.equal(b.get('Basic')!.get('0.15'), 1);
});

test('a real stall of the event loop is one late firing of about its length', async () => {
  const registry = new Registry();
  const h = new EventLoopDelayHistogram(registry, () => 'Reduced', 10);
  h.start();
  try {
    await new Promise((r) => setTimeout(r, 60));
    const until = performance.now() + 180;
    while (performance.now() < until) { /* a 180 ms turn the loop cannot leave */ }
    await new Promise((r) => setTimeout(r, 60));
  } finally {
    h.stop();
  }
  const reduced = (await buckets(registry)).get('Reduced')!;
  const total = reduced.get('+Inf')!;
  assert.ok(total >= 3, `firings observed: ${total}`);
  const late = total - reduced.get('0.15')!;
  // Once, not once per missed 10 ms period (a busy machine may add a second late firing, not 17).
  assert.ok(late >= 1 && late <= 2, `the 180 ms stall is one firing later than 150 ms (${late})`);
});
