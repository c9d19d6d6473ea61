/**
 * What a controller can see of the model: metrics as Prometheus would serve them, a scrape
 * interval late, with rates averaged over their query's window, and signal sources that can be down.
 */
import type { ModelMetrics, Tick } from './model.js';

type Gauge = Exclude<keyof ModelMetrics, 'providerLatencySeconds' | 'providerThrottledPerSecond' | 'providerErrorRatio' | 'providerInFlight'>;
const AVERAGED: ReadonlySet<string> = new Set(['requestRate', 'cpuUtilization', 'providerThrottledPerSecond', 'providerErrorRatio', 'providerLatencySeconds', 'httpP95Seconds']);

/** The model metric a policy signal reads: a gauge name, or `family:provider`. */
export type MetricKey = Gauge | 'httpP95Seconds' | `providerLatencySeconds:${string}` | `providerThrottledPerSecond:${string}` | `providerErrorRatio:${string}` | `providerInFlight:${string}`;

/** Default signal-name → metric mapping, matching the names in examples/matcher.yaml. */
export function defaultMetricFor(signal: string): MetricKey | undefined {
  const fixed: Record<string, MetricKey> = {
    'request-rate': 'requestRate',
    'cpu-utilization': 'cpuUtilization',
    'queue-waiting': 'queueWaiting',
    'healthy-providers': 'healthyProviders',
    'heap-used-bytes': 'heapUsedBytes',
    'database-healthy': 'databaseHealthy',
    'pgbouncer-waiting': 'pgbouncerWaiting',
    'pgbouncer-max-wait': 'pgbouncerMaxWaitSeconds',
    'p95-latency': 'httpP95Seconds',
    'http-in-flight': 'httpInFlight',
  };
  if (fixed[signal]) return fixed[signal];
  const provider = /^([a-z0-9-]+?)-(latency|throttled|errors|in-flight)$/.exec(signal);
  if (!provider) return undefined;
  const family = { latency: 'providerLatencySeconds', throttled: 'providerThrottledPerSecond', errors: 'providerErrorRatio', 'in-flight': 'providerInFlight' }[provider[2] as 'latency' | 'throttled' | 'errors' | 'in-flight'];
  return `${family}:${provider[1]}` as MetricKey;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** A PromQL duration (`90s`, `1m30s`, `500ms`) in seconds, or undefined if it is not one. */
function durationSeconds(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((m) => m[0]).join('') !== text) return undefined;
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_SECONDS[unit!]!, 0);
}

/**
 * The averaging window of a PromQL query: its longest range selector (`[1m]`, `[15s]`, the range of
 * a subquery `[1m:5s]`), whole seconds, at least 1; `fallback` when it has none (a gauge read as it is).
 */
export function rateWindowSeconds(query: string, fallback: number): number {
  let longest: number | undefined;
  for (const [, range] of query.matchAll(/\[([0-9a-z]+)(?::[0-9a-z]*)?\]/g)) {
    const seconds = durationSeconds(range!);
    if (seconds !== undefined) longest = Math.max(longest ?? 0, seconds);
  }
  return longest === undefined ? fallback : Math.max(1, Math.round(longest));
}

/** Weighted percentile of (value, weight) pairs. */
export function percentile(samples: Array<[number, number]>, q: number): number | undefined {
  const total = samples.reduce((s, [, w]) => s + w, 0);
  if (total <= 0) return undefined;
  const sorted = [...samples].sort((a, b) => a[0] - b[0]);
  let seen = 0;
  for (const [value, weight] of sorted) {
    seen += weight;
    if (seen >= q * total) return value;
  }
  return sorted[sorted.length - 1]![0];
}

function pointValue(tick: Tick, key: MetricKey): number | undefined {
  if (key === 'httpP95Seconds') return percentile(tick.latencies, 0.95);
  const [family, provider] = key.split(':') as [string, string | undefined];
  const m = tick.metrics as unknown as Record<string, unknown>;
  if (provider !== undefined) return (m[family] as Record<string, number | undefined> | undefined)?.[provider];
  return m[family] as number | undefined;
}

/** The value Prometheus would return at `t` for a metric, or undefined (an empty result). */
export function observe(history: Tick[], key: MetricKey, t: number, lagSeconds: number, windowSeconds: number): number | undefined {
  const at = Math.min(history.length - 1, t - lagSeconds);
  if (at < 0) return undefined;
  const family = key.split(':')[0]!;
  if (!AVERAGED.has(family)) return pointValue(history[at]!, key);
  let total = 0;
  let n = 0;
  for (let i = Math.max(0, at - windowSeconds + 1); i <= at; i++) {
    const v = pointValue(history[i]!, key);
    if (v !== undefined) {
      total += v;
      n++;
    }
  }
  return n === 0 ? undefined : total / n;
}
