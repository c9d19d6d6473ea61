/**
 * How much of its CPU quota the process used lately (500 ms): the leading sign that its
 * event loop is about to lag. Under a CFS quota every thread of the process stops once the
 * period's CPU time is spent, the event loop's included, and waits for the next period (100 ms);
 * a replica whose demand nears its quota spends most periods throttled, and the lag grows by
 * whole periods long before the lag-based admission (MATCHER_ADMISSION_LAG_MS) would refuse.
 * The CPU time is the whole process's (process.cpuUsage: event loop, analysis threads, GC and
 * libuv), as the quota counts it.
 */
export class CpuQuotaUse {
  private readonly samples: { atMs: number; cpuUs: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  /**
   * cores: the quota (0.1 for 100m); windowMs: how far back share() looks. Five CFS periods: a
   * burst onto an idle replica is refused within half a second, and one busy period alone is not.
   */
  constructor(private readonly cores: number, private readonly windowMs = 500) {}

  /** Pure: one reading of the process's CPU time (µs, cumulative) at a wall time (ms). */
  record(atMs: number, cpuUs: number): void {
    this.samples.push({ atMs, cpuUs });
    // Keep the newest sample at least windowMs old as the window's start.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= atMs - this.windowMs) this.samples.shift();
  }

  /** The share of the quota used over the window (1: all of it); 0 until two readings exist. */
  share(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.atMs <= first.atMs) return 0;
    return (last.cpuUs - first.cpuUs) / 1000 / ((last.atMs - first.atMs) * this.cores);
  }

  /** Reads the process's CPU time every sampleMs (a CFS period by default). */
  start(sampleMs = 100): void {
    const read = () => {
      const { user, system } = process.cpuUsage();
      this.record(performance.now(), user + system);
    };
    read();
    this.timer = setInterval(read, sampleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
