/**
 * The model finds a policy's Prometheus signal by its name (request-rate → the request rate), not
 * by its query. A policy whose query reads something else would simulate as if it were right; so
 * each such signal's query must at least name the Prometheus metric the model stands for, or the
 * user hears about it.
 */
import type { ScalingPolicySpec } from '../api/scaling-policy.js';
import { matcherMetrics } from '../contract/metrics.js';
import { resolveSignal } from './controllers/plimsoll.js';
import type { Scenario } from './scenario.js';

/** The Prometheus metric each model family stands for (the matcher's names, from the contract). */
const PROMETHEUS_METRIC: Record<string, string> = {
  requestRate: matcherMetrics.httpRequests,
  cpuUtilization: 'process_cpu_seconds_total',
  queueWaiting: matcherMetrics.queueJobs,
  healthyProviders: matcherMetrics.circuitBreakerState,
  httpP95Seconds: matcherMetrics.httpRequestDuration,
  heapUsedBytes: 'nodejs_heap_size_used_bytes',
  providerLatencySeconds: matcherMetrics.providerRequestDuration,
  providerThrottledPerSecond: matcherMetrics.providerErrors,
  providerErrorRatio: matcherMetrics.providerRequestDuration,
};

/** One line per Prometheus signal whose query does not read what the model assumes it reads. */
export function suspectQueries(spec: ScalingPolicySpec, scenario: Scenario): string[] {
  const out: string[] = [];
  for (const signal of spec.signals) {
    if (!signal.prometheus || scenario.signals[signal.name]) continue; // a scenario's explicit mapping is the user's word
    const metric = resolveSignal(signal, scenario.signals, scenario.model);
    if (typeof metric !== 'string') continue;
    const [family, provider] = metric.split(':');
    const name = PROMETHEUS_METRIC[family!];
    if (!name) continue;
    const query = signal.prometheus.query;
    if (!query.includes(name)) out.push(`signal "${signal.name}" stands for the model's ${family} (${name}), but its query does not read ${name}`);
    else if (provider && !query.includes(provider)) out.push(`signal "${signal.name}" stands for provider ${provider}'s ${family}, but its query does not name ${provider}`);
  }
  return out;
}
