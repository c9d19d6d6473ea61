/**
 * The event loop's delay as a histogram (matcher_event_loop_delay_seconds{level}): a timer due
 * every intervalMs observes how late it fired, under the service level in force. A turn that
 * runs long, a GC pause or a CFS throttle delays the timer by its length.
 *
 * Why beside prom-client's nodejs_eventloop_lag_p99_seconds: that gauge is the p99 of the window
 * since the previous scrape, and p99s of windows do not add up. Histogram buckets do, so the p99
 * over a whole load run (or over every second a replica spent at one level) is one PromQL
 * quantile of summed increases, where the gauge only offers the worst of many windows' p99s.
 * A timer, not perf_hooks' monitorEventLoopDelay: that one is a per-process HDR histogram with
 * no buckets to export and no way to say which level a delay happened under.
 */
import { Histogram, type Registry } from 'prom-client';
import type { ServiceLevel } from '../../plimsoll/contract/service-levels.js';
import { matcherMetrics } from '../../plimsoll/contract/metrics.js';

/** Bucket bounds in seconds: fine below the 100 ms target, coarse past it. */
export const EVENT_LOOP_DELAY_BUCKETS = [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5];

export class EventLoopDelayHistogram {
  readonly histogram: Histogram<'level'>;
  private timer: NodeJS.Timeout | undefined;

  /** intervalMs: the timer's period; 50 observations a second cost well under a millisecond of CPU. */
  constructor(registry: Registry, private readonly level: () => ServiceLevel, private readonly intervalMs = 20) {
    this.histogram = new Histogram({
      name: matcherMetrics.eventLoopDelay,
      help: `How late a timer due every ${intervalMs} ms fired (the event loop's delay), by the effective service level then. Sums over any range, unlike nodejs_eventloop_lag_p99_seconds.`,
      labelNames: ['level'], buckets: EVENT_LOOP_DELAY_BUCKETS, registers: [registry],
    });
  }

  /** Pure: one timer firing `firedAtMs` that was due at `dueAtMs`. */
  record(dueAtMs: number, firedAtMs: number): void {
    this.histogram.observe({ level: this.level() }, Math.max(0, firedAtMs - dueAtMs) / 1000);
  }

  start(): void {
    let due = performance.now() + this.intervalMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.record(due, now);
      // Node re-arms an interval from when its callback runs, so the next one is due from now.
      due = now + this.intervalMs;
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
