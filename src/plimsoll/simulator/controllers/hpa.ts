import { scalingPolicySpecSchema, type ScalingPolicySpec } from '../../api/scaling-policy.js';
import type { Knobs, MatcherModel, Tick } from '../model.js';
import { observe } from '../observed.js';
import type { MatcherModelParams } from '../model-params.js';
import type { Controller } from './controller.js';
import { hpaScaler } from './hpa-scaler.js';
import { degradePerReplica, SEED_DEGRADATION } from './per-replica-degradation.js';

/**
 * An HPA on CPU utilization (the metrics server's, which a Prometheus outage does not touch)
 * with the policy's replica bounds and behavior, the seeds' fixed pool per replica, fixed
 * concurrency and per-replica degradation on the seeds' thresholds every 30 s.
 */
export function hpaController(
  policy: ScalingPolicySpec,
  options: { targetCpuUtilization?: number; poolPerReplica: number; concurrency: Record<string, number>; degradationIntervalSeconds: number },
  params: MatcherModelParams,
): Controller {
  const policyCpuTarget = policy.objectives.find((o) => o.signal === 'cpu-utilization' && o.target.type === 'Value')?.target.value;
  const spec = scalingPolicySpecSchema.parse({
    targetRef: policy.targetRef,
    replicas: policy.replicas,
    signals: [{ name: 'cpu', prometheus: { serverAddress: 'http://model', query: 'cpu' } }],
    objectives: [{ signal: 'cpu', target: { type: 'Value', value: options.targetCpuUtilization ?? policyCpuTarget ?? 0.7 } }],
  });
  const scaler = hpaScaler(spec);
  return {
    name: 'hpa',
    initialReplicas: scaler.replicas,
    control(t: number, history: Tick[], model: MatcherModel): Knobs {
      const replicas = scaler.step(t, () => {
        const cpu = observe(history, 'cpuUtilization', t, params.scrapeLagSeconds, params.rateWindowSeconds);
        return new Map(cpu === undefined ? [] : [['cpu', cpu] as const]);
      });
      degradePerReplica(model, history, t, options.degradationIntervalSeconds, SEED_DEGRADATION);
      return { replicas, poolMax: options.poolPerReplica, concurrency: options.concurrency, clusterLevel: 'Full', globalRateLimit: false };
    },
  };
}
