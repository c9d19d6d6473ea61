import { scalingPolicySpecSchema, type ScalingPolicySpec } from '../../api/scaling-policy.js';
import type { Knobs, MatcherModel, Tick } from '../model.js';
import { observe, rateWindowSeconds } from '../observed.js';
import type { Scenario } from '../scenario.js';
import type { Controller } from './controller.js';
import { hpaScaler } from './hpa-scaler.js';
import { degradePerReplica, type DegradationThresholds } from './per-replica-degradation.js';
import { resolveSignal } from './plimsoll.js';

/**
 * The per-replica thresholds the KEDA baseline degrades on: the best set the sweep in
 * loadtests/bench-simulate.ts found across the shipped scenarios (docs/simulator.md has the
 * sweep and why this set won). The matcher's own per-replica degradation can take the same.
 */
export const KEDA_PEER_DEGRADATION: DegradationThresholds = {
  queueReduced: Infinity,
  queueBasic: 125,
  minHealthyProviders: 2,
  heapReducedMb: 350,
  heapMaintenanceMb: 450,
};

/**
 * What a capable team runs today: KEDA with one Prometheus trigger per objective of the policy
 * (a health objective's on the same gauge in Prometheus; the policy's own targets, replica bounds
 * and behavior; the HPA takes the max over them),
 * evaluated every HPA sync period on Prometheus data a scrape late. When Prometheus is down the
 * metrics adapter errs and the HPA holds its replicas. Each replica keeps the seeds' fixed pool
 * and worker concurrency and degrades on its own, on the best thresholds found.
 */
export function kedaController(policy: ScalingPolicySpec, scenario: Scenario, thresholds: DegradationThresholds = KEDA_PEER_DEGRADATION): Controller {
  const params = scenario.model;
  const { hpa: fixed } = scenario.baselines;
  // A Backlog objective is left out: an HPA cannot tell that the replicas it ordered are still
  // starting, so a backlog trigger orders the same shortfall again at every sync (it overshot by
  // up to 75 % more replica-seconds in the shipped scenarios); a capable team drops it.
  const triggers = policy.objectives.filter((objective) => objective.measures !== 'Backlog').flatMap((objective) => {
    const signal = policy.signals.find((s) => s.name === objective.signal);
    // A health objective becomes a trigger on the same gauge in Prometheus (the matcher exports
    // what its health document reports): KEDA cannot sum the replicas' health documents itself.
    const metric = signal?.prometheus || signal?.health ? resolveSignal(signal, scenario.signals, params) : undefined;
    return signal && typeof metric === 'string' ? [{ objective, signal, metric }] : [];
  });
  const spec = scalingPolicySpecSchema.parse({
    targetRef: policy.targetRef,
    replicas: policy.replicas,
    signals: triggers.map((t) => t.signal),
    objectives: triggers.map((t) => t.objective),
    fallback: { behavior: 'HoldLast' },
  });
  const prometheusDown = (t: number) => scenario.events.some((e) => e.type === 'signalOutage' && e.source === 'prometheus' && t >= e.at && t < e.at + e.durationSeconds);
  const scaler = hpaScaler(spec);
  return {
    name: 'keda',
    initialReplicas: scaler.replicas,
    control(t: number, history: Tick[], model: MatcherModel): Knobs {
      const replicas = scaler.step(t, () => {
        const values = new Map<string, number>();
        if (prometheusDown(t)) return values;
        for (const { signal, metric } of triggers) {
          const window = signal.prometheus ? rateWindowSeconds(signal.prometheus.query, params.rateWindowSeconds) : params.rateWindowSeconds;
          const value = observe(history, metric, t, params.scrapeLagSeconds, window) ?? (signal.prometheus?.emptyResult === 'Zero' ? 0 : undefined);
          if (value !== undefined) values.set(signal.name, value);
        }
        return values;
      });
      degradePerReplica(model, history, t, fixed.degradationIntervalSeconds, thresholds);
      return { replicas, poolMax: fixed.poolPerReplica, concurrency: fixed.concurrency, clusterLevel: 'Full', globalRateLimit: false };
    },
  };
}
