import type { IntervalHistogram } from 'node:perf_hooks';
import { moreDegraded, type ServiceLevel } from '../../plimsoll/contract/service-levels.js';
import type { ServiceLevelSource } from '../../plimsoll/runtime-client/index.js';

export interface EmergencyThresholds {
  reducedHeapMb: number; basicHeapMb: number; reducedLagMs: number; basicLagMs: number;
  /** Jobs waiting for the providers; 0 (or absent) turns the rule off. */
  reducedQueueWaiting?: number; basicQueueWaiting?: number;
}

/** The replica's own view of its pressure, sampled (not computed per request). */
export interface PressureSample {
  heapMb: number; lagMs: number; queueWaiting?: number;
  /** The share of the process's CPU quota used over the last 500 ms (runtime/cpu-quota-use.ts); absent without a quota. */
  cpuQuotaShare?: number;
}

const over = (value: number | undefined, threshold: number | undefined) => threshold !== undefined && threshold > 0 && (value ?? 0) >= threshold;

/**
 * Pure: the emergency level a replica puts itself in from its heap, event-loop lag and, when
 * configured, the provider queues' waiting jobs. The queue rule is the per-replica degradation a
 * team runs without Plimsoll (the KEDA peer); under Plimsoll the cluster level covers queues.
 */
export function emergencyLevel(p: PressureSample, t: EmergencyThresholds): ServiceLevel {
  if (p.heapMb >= t.basicHeapMb || p.lagMs >= t.basicLagMs || over(p.queueWaiting, t.basicQueueWaiting)) return 'Basic';
  if (p.heapMb >= t.reducedHeapMb || p.lagMs >= t.reducedLagMs || over(p.queueWaiting, t.reducedQueueWaiting)) return 'Reduced';
  return 'Full';
}

/**
 * The effective level: the more degraded of the cluster's level (the runtime document's, as the
 * runtime client applied it) and the replica's own emergency level. Pressure is sampled every `sampleMs` from heapUsed and the event-loop delay p99 over
 * the last window, so current() is a field read on the hot path.
 */
export class EffectiveServiceLevel implements ServiceLevelSource {
  private emergency: ServiceLevel = 'Full';
  private pressure: PressureSample = { heapMb: 0, lagMs: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: ServiceLevelSource, private readonly thresholds: EmergencyThresholds,
    private readonly loop?: IntervalHistogram, private readonly sampleMs = 500,
  ) {}

  /** The provider queues' waiting jobs (a cached count, read synchronously), for the queue rule. */
  private queueWaiting: (() => number) | undefined;

  /** Samples the queues from now on; they are built after the level (their worker reads it). */
  watchQueue(waiting: () => number): void {
    this.queueWaiting = waiting;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  current(): ServiceLevel {
    return moreDegraded(this.cluster.current(), this.emergency);
  }

  /** For tests and the operator's view. */
  describe(): { effective: ServiceLevel; cluster: ServiceLevel; emergency: ServiceLevel; pressure: PressureSample } {
    return { effective: this.current(), cluster: this.cluster.current(), emergency: this.emergency, pressure: this.pressure };
  }

  sample(): PressureSample {
    const heapMb = process.memoryUsage().heapUsed / 1048576;
    let lagMs = 0;
    if (this.loop) {
      lagMs = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
      this.loop.reset();
    }
    this.pressure = {
      heapMb: Math.round(heapMb * 10) / 10, lagMs: Math.round(lagMs * 10) / 10,
      ...(this.queueWaiting ? { queueWaiting: this.queueWaiting() } : {}),
    };
    this.emergency = emergencyLevel(this.pressure, this.thresholds);
    return this.pressure;
  }

  get lastPressure(): PressureSample {
    return this.pressure;
  }
}
