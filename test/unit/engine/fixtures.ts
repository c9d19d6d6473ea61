import { scalingPolicySpecSchema, type ScalingPolicySpec, type ScalingPolicySpecInput } from '../../../src/plimsoll/api/scaling-policy.js';
import type { SignalObservation } from '../../../src/plimsoll/engine/types.js';

/** A spec with defaults applied, as the engine receives it. */
export function spec(input: Partial<ScalingPolicySpecInput> = {}): ScalingPolicySpec {
  return scalingPolicySpecSchema.parse({
    targetRef: { name: 'matcher' },
    replicas: { min: 1, max: 20 },
    signals: [
      { name: 'rate', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
      { name: 'cpu', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
      { name: 'waiting', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
      { name: 'providers', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
      { name: 'budget', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
      { name: 'cl-waiting', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
      { name: 'latency', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
      { name: 'throttled', prometheus: { serverAddress: 'http://p:9090', query: 'q' } },
    ],
    objectives: [{ signal: 'rate', target: { type: 'AverageValue', averageValue: 10 } }],
    ...input,
  });
}

export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Fresh observations read at `now` for the given values. */
export function fresh(values: Record<string, number>, now: number): Record<string, SignalObservation> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, readAt: now, consecutiveFailures: 0 }]));
}
