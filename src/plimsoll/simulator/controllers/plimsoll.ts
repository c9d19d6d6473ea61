import type { ScalingPolicySpec, Signal } from '../../api/scaling-policy.js';
import { decide, recordScale } from '../../engine/decide.js';
import { executePlan, type Actuator } from '../../engine/execute-plan.js';
import { emptyMemory, type EngineMemory, type SignalObservation } from '../../engine/types.js';
import type { Knobs, Tick } from '../model.js';
import type { MatcherModelParams } from '../model-params.js';
import { defaultMetricFor, observe, rateWindowSeconds, type MetricKey } from '../observed.js';
import type { Scenario } from '../scenario.js';
import type { Controller } from './controller.js';

type SourceKind = 'prometheus' | 'pgbouncer' | 'health';

function sourceOf(signal: Signal): SourceKind {
  return signal.prometheus ? 'prometheus' : signal.pgbouncer ? 'pgbouncer' : 'health';
}

/** Where each policy signal reads from in the model, or a constant the model stands for. */
export function resolveSignal(signal: Signal, overrides: Record<string, string>, params: MatcherModelParams): MetricKey | number | undefined {
  if (overrides[signal.name]) return overrides[signal.name] as MetricKey;
  if (signal.pgbouncer) {
    switch (signal.pgbouncer.metric) {
      case 'ClientsWaiting': return 'pgbouncerWaiting';
      case 'MaxWaitSeconds': return 'pgbouncerMaxWaitSeconds';
      // The limits a DBA can change mid-run (scenario events) are read as they stand.
      case 'MaxClientConnections': return 'maxClientConnections';
      case 'MaxDatabaseConnections': return 'maxDbConnections';
      case 'DefaultPoolSize': return params.database.serverPoolSize;
      default: return undefined;
    }
  }
  if (signal.health) {
    const byField: Record<string, MetricKey> = { 'memory.heapUsedBytes': 'heapUsedBytes', 'database.healthy': 'databaseHealthy', 'http.inFlight': 'httpInFlight' };
    return byField[signal.health.field];
  }
  return defaultMetricFor(signal.name);
}

/** The policy signals the model cannot answer: reported to the user, then treated as missing. */
export function unmappedSignals(spec: ScalingPolicySpec, scenario: Scenario): string[] {
  return spec.signals.filter((s) => resolveSignal(s, scenario.signals, scenario.model) === undefined).map((s) => s.name);
}

interface Pending {
  at: number;
  knobs: Partial<Knobs>;
}

/** The Plimsoll engine, polled at the policy's interval; its plan is executed (executePlan) against the model. */
export function plimsollController(spec: ScalingPolicySpec, scenario: Scenario): Controller {
  const params = scenario.model;
  const sources = spec.signals.map((s) => ({ signal: s, kind: sourceOf(s), metric: resolveSignal(s, scenario.signals, params) }));
  const observed: Record<string, SignalObservation> = {};
  let memory: EngineMemory = emptyMemory(0);
  const initial = spec.replicas.min;
  const knobs: Knobs = {
    replicas: initial,
    poolMax: spec.connectionBudget?.pool.min ?? 10,
    concurrency: Object.fromEntries((spec.queues?.providers ?? []).map((p) => [p.name, p.concurrency.min])),
    clusterLevel: 'Full',
    globalRateLimit: true,
    // The limiter runs at the policy's figures, whatever the provider enforces now.
    rateLimits: Object.fromEntries((spec.queues?.providers ?? []).map((p) => [p.name, p.rateLimit.requests / p.rateLimit.periodSeconds])),
  };
  let pending: Pending[] = [];

  const read = (t: number, history: Tick[]) => {
    for (const { signal, kind, metric } of sources) {
      const previous = observed[signal.name] ?? { consecutiveFailures: 0 };
      const down = scenario.events.some((e) => e.type === 'signalOutage' && e.source === kind && t >= e.at && t < e.at + e.durationSeconds);
      if (down || metric === undefined) {
        observed[signal.name] = { ...previous, consecutiveFailures: previous.consecutiveFailures + 1, lastError: down ? `${kind} unreachable` : 'not modelled' };
        continue;
      }
      const lag = kind === 'prometheus' ? params.scrapeLagSeconds : 0;
      const window = signal.prometheus ? rateWindowSeconds(signal.prometheus.query, params.rateWindowSeconds) : params.rateWindowSeconds;
      let value = typeof metric === 'number' ? metric : observe(history, metric, t, lag, window);
      if (value === undefined && signal.prometheus?.emptyResult === 'Zero') value = 0;
      observed[signal.name] = value === undefined ? { consecutiveFailures: 0 } : { value, readAt: t * 1000, consecutiveFailures: 0 };
    }
  };

  return {
    name: 'plimsoll',
    initialReplicas: initial,
    control(t: number, history: Tick[]): Knobs {
      if (t % spec.pollingIntervalSeconds === 0 && t > 0) {
        read(t, history);
        // The ready count is the Deployment's status.readyReplicas, as the operator reads it.
        const readyReplicas = history.at(-1)?.readyReplicas;
        const observations = { currentReplicas: knobs.replicas, signals: observed, currentPoolMax: knobs.poolMax, ...(readyReplicas === undefined ? {} : { readyReplicas }) };
        const d = decide({ spec, observations, memory, now: t * 1000 });
        memory = d.memory;
        const later = t + params.propagationSeconds;
        const runtime: Partial<Knobs> = {
          poolMax: d.poolMax?.value ?? knobs.poolMax,
          concurrency: Object.fromEntries(d.concurrency.map((c) => [c.provider, c.value])),
          maxWaiting: Object.fromEntries(d.concurrency.map((c) => [c.provider, c.maxWaiting])),
          clusterLevel: d.serviceLevel.value,
        };
        /** When the model's replicas will have applied what was published, once the plan waits for it. */
        let acknowledgedAt: number | undefined;
        const actuator: Actuator<false> = {
          // The model's replicas apply a document after the propagation delay.
          publish: () => { pending.push({ at: later, knobs: runtime }); },
          // Every model replica applies it then (none lags or fails): the acknowledgement comes
          // at that moment, and what the plan does after it waits until then.
          awaitAcknowledgement: () => {
            acknowledgedAt = later;
            return true;
          },
          scale: (replicas) => {
            const at = acknowledgedAt ?? t;
            memory = recordScale(memory, replicas - knobs.replicas, at * 1000);
            if (at > t) pending.push({ at, knobs: { replicas } });
            else knobs.replicas = replicas;
          },
        };
        executePlan(d.plan, actuator);
      }
      const due = pending.filter((p) => p.at <= t);
      pending = pending.filter((p) => p.at > t);
      for (const p of due) Object.assign(knobs, p.knobs);
      return { ...knobs };
    },
  };
}
