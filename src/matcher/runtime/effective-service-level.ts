import type { IntervalHistogram } from 'node:perf_hooks';
import { SERVICE_LEVELS, type ServiceLevel, type ServiceLevelSource } from '../service-level.js';

export interface EmergencyThresholds { reducedHeapMb: number; basicHeapMb: number; reducedLagMs: number; basicLagMs: number }

/** The replica's own view of its pressure, sampled (not computed per request). */
export interface PressureSample { heapMb: number; lagMs: number }

/** The higher (more degraded) of two levels. */
export function higherLevel(a: ServiceLevel, b: ServiceLevel): ServiceLevel {
  return SERVICE_LEVELS.indexOf(a) >= SERVICE_LEVELS.indexOf(b) ? a : b;
}

/** Pure: the emergency level a replica puts itself in from its heap and event-loop lag. */
export function emergencyLevel(p: PressureSample, t: EmergencyThresholds): ServiceLevel {
  if (p.heapMb >= t.basicHeapMb || p.lagMs >= t.basicLagMs) return 'Basic';
  if (p.heapMb >= t.reducedHeapMb || p.lagMs >= t.reducedLagMs) return 'Reduced';
  return 'Full';
}

/**
 * The effective level: max(cluster level from the runtime document, the replica's emergency
 * level). Pressure is sampled every `sampleMs` from heapUsed and the event-loop delay p99 over
 * the last window, so current() is a field read on the hot path.
 */
export class EffectiveServiceLevel implements ServiceLevelSource {
  private cluster: ServiceLevel = 'Full';
  private emergency: ServiceLevel = 'Full';
  private pressure: PressureSample = { heapMb: 0, lagMs: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly thresholds: EmergencyThresholds, private readonly loop?: IntervalHistogram, private readonly sampleMs = 500) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  current(): ServiceLevel {
    return higherLevel(this.cluster, this.emergency);
  }

  setCluster(level: ServiceLevel): void {
    this.cluster = level;
  }

  /** For tests and the operator's view. */
  describe(): { effective: ServiceLevel; cluster: ServiceLevel; emergency: ServiceLevel; pressure: PressureSample } {
    return { effective: this.current(), cluster: this.cluster, emergency: this.emergency, pressure: this.pressure };
  }

  sample(): PressureSample {
    const heapMb = process.memoryUsage().heapUsed / 1048576;
    let lagMs = 0;
    if (this.loop) {
      lagMs = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
      this.loop.reset();
    }
    this.pressure = { heapMb: Math.round(heapMb * 10) / 10, lagMs: Math.round(lagMs * 10) / 10 };
    this.emergency = emergencyLevel(this.pressure, this.thresholds);
    return this.pressure;
  }

  get lastPressure(): PressureSample {
    return this.pressure;
  }
}
