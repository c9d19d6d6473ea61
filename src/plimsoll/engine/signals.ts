import type { ScalingPolicySpec } from '../api/scaling-policy.js';
import type { SignalObservation, SignalReading } from './types.js';

/**
 * Fresh: the last read succeeded and is recent. Stale: the last read failed, but fewer than
 * failureThreshold times and within maxStalenessSeconds, so the last value is still trusted.
 * Missing: never read, too old, or failing for too long.
 */
export function readSignals(spec: ScalingPolicySpec, observed: Record<string, SignalObservation>, now: number): SignalReading[] {
  const { failureThreshold, maxStalenessSeconds } = spec.fallback;
  return spec.signals.map(({ name }) => {
    const o = observed[name];
    if (!o || o.value === undefined || o.readAt === undefined) return { name, state: 'Missing' };
    const ageSeconds = Math.max(0, (now - o.readAt) / 1000);
    if (ageSeconds > maxStalenessSeconds || o.consecutiveFailures >= failureThreshold) return { name, state: 'Missing', ageSeconds };
    return { name, state: o.consecutiveFailures > 0 ? 'Stale' : 'Fresh', value: o.value, ageSeconds };
  });
}

/** Usable values by signal name; Missing signals are absent. */
export function usableValues(readings: SignalReading[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const r of readings) if (r.state !== 'Missing' && r.value !== undefined && Number.isFinite(r.value)) values.set(r.name, r.value);
  return values;
}
