/**
 * What the benchmark creates, as plain objects: the Deployments, the ScalingPolicies (shaped like
 * a real one: 15 s polling, an AverageValue objective, 1..10 replicas, a constant connection
 * budget, one provider) and KEDA's equivalent ScaledObjects. Pure, so the shapes are tested.
 */
import type { ScalingPolicySpecInput } from '../../src/plimsoll/api/scaling-policy.js';
import { benchPlacement } from './bench-nodes.js';
import { SIGNAL_METRIC, type SignalName } from './exporter.js';

/** Steady state: load 20 at 10 per replica is 2 replicas; a change to 50 asks for 5. */
export const STEADY = { load: 20, latency: 0.5 } as const;
export const CHANGED_LOAD = 50;
export const TARGET_PER_REPLICA = 10;
export const MAX_REPLICAS = 10;
export const replicasFor = (load: number) => Math.min(MAX_REPLICAS, Math.max(1, Math.ceil(load / TARGET_PER_REPLICA)));

export const itemName = (prefix: string, i: number) => `${prefix}-${String(i).padStart(3, '0')}`;

/** The PromQL of one signal: exactly one series, from the bench job. */
export const signalQuery = (series: string, signal: SignalName) => `${SIGNAL_METRIC}{job="bench",policy="${series}",signal="${signal}"}`;

export function deployment(name: string): object {
  return {
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'plimsoll-bench' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      // On the benchmark's own fake nodes (bench-nodes.ts), where every pod has room.
      template: { metadata: { labels: { app: name } }, spec: { ...benchPlacement, containers: [{ name: 'app', image: 'matcher:bench' }] } },
    },
  };
}

/**
 * One policy. `healthUrl`: the policy is one of the small fleet with a health signal (a
 * degradation trigger on database.healthy), read from that URL rather than from the target's
 * ready endpoints: kwok's pods are fake IPs with no process behind them.
 */
export function policySpec(target: string, prometheus: string, series: string, healthUrl?: string): ScalingPolicySpecInput {
  return {
    targetRef: { name: target },
    pollingIntervalSeconds: 15,
    replicas: { min: 1, max: MAX_REPLICAS },
    signals: [
      { name: 'load', prometheus: { serverAddress: prometheus, query: signalQuery(series, 'load'), timeoutSeconds: 5 } },
      { name: 'latency', prometheus: { serverAddress: prometheus, query: signalQuery(series, 'latency'), timeoutSeconds: 5 } },
      ...(healthUrl ? [{ name: 'health', health: { url: healthUrl, field: 'database.healthy', timeoutSeconds: 2 } }] : []),
    ],
    objectives: [{ signal: 'load', target: { type: 'AverageValue', averageValue: TARGET_PER_REPLICA } }],
    connectionBudget: { maxConnections: 200, reserved: 15, pool: { min: 2, max: 20 } },
    queues: {
      providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 }, concurrency: { min: 1, max: 4 }, latencySignal: 'latency' }],
    },
    degradation: {
      levels: [
        { level: 'Reduced', triggers: [{ signal: 'latency', operator: 'Above', enter: 5, exit: 3 }] },
        ...(healthUrl ? [{ level: 'Basic' as const, triggers: [{ signal: 'health', operator: 'Below' as const, enter: 1, exit: 1 }] }] : []),
      ],
    },
  };
}

/**
 * KEDA's equivalent: the same two queries as prometheus triggers (the HPA takes the larger
 * recommendation; latency's threshold is never reached), the same bounds and polling interval, and
 * the HPA's default behaviour, which is also the policy's default.
 */
export function scaledObject(name: string, target: string, prometheus: string, series: string): object {
  return {
    apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'plimsoll-bench' } },
    spec: {
      scaleTargetRef: { name: target },
      minReplicaCount: 1, maxReplicaCount: MAX_REPLICAS, pollingInterval: 15,
      triggers: [
        { type: 'prometheus', name: 'load', metricType: 'AverageValue', metadata: { serverAddress: prometheus, query: signalQuery(series, 'load'), threshold: String(TARGET_PER_REPLICA) } },
        { type: 'prometheus', name: 'latency', metricType: 'Value', metadata: { serverAddress: prometheus, query: signalQuery(series, 'latency'), threshold: '5' } },
      ],
    },
  };
}
