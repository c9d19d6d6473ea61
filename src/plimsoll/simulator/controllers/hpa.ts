import { scalingPolicySpecSchema, type ScalingPolicySpec } from '../../api/scaling-policy.js';
import { recordScale } from '../../engine/decide.js';
import { decideReplicas } from '../../engine/replicas.js';
import { emptyMemory, type EngineMemory } from '../../engine/types.js';
import type { Knobs, MatcherModel, Tick } from '../model.js';
import { observe } from '../observed.js';
import type { MatcherModelParams } from '../model-params.js';
import type { Controller } from './controller.js';
import { degradePerReplica } from './per-replica-degradation.js';

/**
 * An HPA on CPU utilization with the HPA's default behavior, a fixed pool per replica, the
 * seeds' fixed concurrency and per-replica degradation every 30 s. The replica arithmetic is
 * the engine's HPA module, so the comparison isolates what Plimsoll adds.
 */
export function hpaController(
  policy: ScalingPolicySpec,
  options: { targetCpuUtilization?: number; poolPerReplica: number; concurrency: Record<string, number>; degradationIntervalSeconds: number },
  params: MatcherModelParams,
): Controller {
  const policyCpuTarget = policy.objectives.find((o) => o.signal === 'cpu-utilization' && o.target.type === 'Value')?.target.value;
  const spec = scalingPolicySpecSchema.parse({
    targetRef: policy.targetRef,
    replicas: { min: policy.replicas.min, max: policy.replicas.max },
    signals: [{ name: 'cpu', prometheus: { serverAddress: 'http://model', query: 'cpu' } }],
    objectives: [{ signal: 'cpu', target: { type: 'Value', value: options.targetCpuUtilization ?? policyCpuTarget ?? 0.7 } }],
  });
  let memory: EngineMemory = emptyMemory(0);
  let replicas = policy.replicas.min;
  return {
    name: 'hpa',
    initialReplicas: replicas,
    control(t: number, history: Tick[], model: MatcherModel): Knobs & { levelChanges: number } {
      if (t % 15 === 0) {
        const cpu = observe(history, 'cpuUtilization', t, params.scrapeLagSeconds, params.rateWindowSeconds);
        const values = new Map(cpu === undefined ? [] : [['cpu', cpu] as const]);
        const decided = decideReplicas(spec, values, replicas, memory, t * 1000);
        const change = decided.decided.value - replicas;
        // The HPA's default policies look back at most 15 s; a minute of events is plenty.
        const recent = memory.scaleEvents.filter((e) => e.at > t * 1000 - 60_000);
        memory = recordScale({ ...memory, recommendations: decided.recommendations, scaleEvents: recent }, change, t * 1000);
        replicas = decided.decided.value;
      }
      const levelChanges = degradePerReplica(model, history, t, options.degradationIntervalSeconds);
      return { replicas, poolMax: options.poolPerReplica, concurrency: options.concurrency, clusterLevel: 'Full', globalRateLimit: false, levelChanges };
    },
  };
}
