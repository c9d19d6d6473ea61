/**
 * The run's timeline as the system saw it, from Prometheus (query_range over the run at a ~5 s
 * step): replicas, pools, provider concurrency, service level, queue depth, request rate and
 * p95 — the matcher's metrics (src/matcher/metrics.ts and friends) and the operator's decisions
 * (src/plimsoll/operator/metrics.ts). A query with no data is kept, marked missing, with its text, so the
 * report shows what was asked and not a silent gap.
 */
import { matcherMetrics } from '../../src/plimsoll/contract/metrics.js';
import { isServiceLevel, type ServiceLevel } from '../../src/plimsoll/contract/service-levels.js';
import { LoadTestError } from './errors.js';
import type { Buckets } from './event-loop.js';

export type ChartId = 'users' | 'throughput' | 'latency' | 'sources' | 'analyses' | 'replicas' | 'pool' | 'connections' | 'concurrency' | 'level' | 'queue' | 'cache' | 'cpu' | 'memory' | 'lag';

export interface SeriesSpec {
  id: string;
  label: string;
  chart: ChartId;
  query: string;
  /** A label that splits the result into one series per value (e.g. provider). */
  by?: string;
}

export interface Series {
  id: string;
  label: string;
  chart: ChartId;
  /** pgbouncer: sampled from its admin console; limit: a constant drawn as a line (the budget). */
  source: 'measured' | 'prometheus' | 'simulator' | 'pgbouncer' | 'limit';
  query?: string;
  /** [seconds since the run started, value]. */
  points: Array<[number, number]>;
  /** Why there are no points (no series, query error). */
  missing?: string;
  dashed?: boolean;
}

export interface Selectors {
  /** Label matchers for the matcher's replicas, e.g. `job="matcher"`. */
  matcher: string;
  /** Label matchers for the operator, e.g. `job="plimsoll-operator"`. */
  operator: string;
}

const join = (...parts: Array<string | undefined>) => `{${parts.filter((p) => p && p.trim() !== '').join(',')}}`;

export function timelineQueries(s: Selectors): SeriesSpec[] {
  const m = (extra?: string) => join(s.matcher, extra);
  const o = (extra?: string) => join(s.operator, extra);
  // Requests refused before routing (auth, tenant rate, admission) carry route="unmatched".
  const api = 'route=~"/v1/.*|unmatched"';
  return [
    { id: 'replicas-up', label: 'replicas up (scraped)', chart: 'replicas', query: `count(up${m()} == 1)` },
    { id: 'replicas-desired', label: 'replicas decided (operator)', chart: 'replicas', query: `max(plimsoll_desired_replicas${o()})` },
    { id: 'pool-max', label: 'pool max per replica', chart: 'pool', query: `max(matcher_db_pool_max${m()})` },
    { id: 'pool-desired', label: 'pool decided (operator)', chart: 'pool', query: `max(plimsoll_desired_pool_max${o()})` },
    { id: 'pool-active', label: 'connections in use, all replicas', chart: 'pool', query: `sum(matcher_db_pool_connections${m('state="active"')})` },
    // The replicas' own count of open connections, next to what PgBouncer saw of them.
    { id: 'pool-open', label: 'connections open, all replicas (matcher)', chart: 'connections', query: `sum(matcher_db_pool_connections${m('state="total"')})` },
    { id: 'concurrency', label: 'worker concurrency', chart: 'concurrency', query: `max by (provider) (matcher_worker_concurrency${m()})`, by: 'provider' },
    { id: 'concurrency-desired', label: 'decided', chart: 'concurrency', query: `max by (provider) (plimsoll_desired_concurrency${o()})`, by: 'provider' },
    { id: 'level', label: 'replicas\' level (max)', chart: 'level', query: `max(matcher_service_level${m()})` },
    { id: 'level-decided', label: 'level decided (operator)', chart: 'level', query: `max(plimsoll_service_level${o()})` },
    // Every replica reports the shared BullMQ queue's counts: max per provider, then the sum.
    { id: 'queue-waiting', label: 'analyses waiting', chart: 'queue', query: `sum(max by (provider) (matcher_queue_jobs${m('state="waiting"')}))` },
    // Every answer the matcher gave, fallbacks for analyses the users had given up on included.
    { id: 'analyses-rate', label: 'answers/s', chart: 'analyses', query: `sum by (source) (rate(${matcherMetrics.analyses}${m()}[20s]))`, by: 'source' },
    { id: 'request-rate', label: 'requests/s (matcher)', chart: 'throughput', query: `sum(rate(matcher_http_requests_total${m(api)}[20s]))` },
    { id: 'db-connection-errors', label: 'DB connection errors/s (matcher)', chart: 'throughput', query: `sum(rate(${matcherMetrics.dbConnectionErrors}${m()}[20s]))` },
    { id: 'p95', label: 'p95 (matcher histogram)', chart: 'latency', query: `1000 * histogram_quantile(0.95, sum by (le) (rate(matcher_http_request_duration_seconds_bucket${m(api)}[20s])))` },
    { id: 'cache-hit-ratio', label: 'cache hit ratio', chart: 'cache', query: `sum(rate(matcher_cache_requests_total${m('result="hit"')}[1m])) / sum(rate(matcher_cache_requests_total${m()}[1m]))` },
    { id: 'breaker', label: 'breaker (0 closed, 2 open)', chart: 'cache', query: `max by (provider) (matcher_circuit_breaker_state${m()})`, by: 'provider' },
    { id: 'cpu', label: 'CPU per replica (mean), cores', chart: 'cpu', query: `avg(rate(process_cpu_seconds_total${m()}[20s]))` },
    { id: 'heap', label: 'heap used, MB (max replica)', chart: 'memory', query: `max(nodejs_heap_size_used_bytes${m()}) / 1048576` },
    // prom-client's p99 of the loop's delay since the previous scrape, per replica (event-loop.ts).
    { id: 'loop-lag-p99', label: 'event-loop lag p99, ms', chart: 'lag', query: `1000 * max by (instance) (nodejs_eventloop_lag_p99_seconds${m()})`, by: 'instance' },
  ];
}

interface ApiResponse<R> {
  status: string;
  error?: string;
  data?: { result: R[] };
}
type RangeResponse = ApiResponse<{ metric: Record<string, string>; values: Array<[number, string]> }>;
type InstantResponse = ApiResponse<{ metric: Record<string, string>; value: [number, string] }>;

export class PrometheusClient {
  constructor(readonly url: string, private readonly http: typeof fetch = fetch) {}

  /** Fails with the make-up hint when Prometheus does not answer. */
  async checkReady(): Promise<void> {
    try {
      const res = await this.http(`${this.url}/-/ready`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
      throw new Error(`HTTP ${res.status}`);
    } catch (error) {
      throw new LoadTestError('PROMETHEUS_UNREACHABLE', `Prometheus at ${this.url} is not ready (${(error as Error).message}); run make up first (or pass --prometheus URL)`);
    }
  }

  private async get<T extends ApiResponse<unknown>>(path: string, params: URLSearchParams): Promise<T> {
    const res = await this.http(`${this.url}${path}?${params}`, { signal: AbortSignal.timeout(30_000) });
    const body = (await res.json().catch(() => ({ status: 'error', error: `HTTP ${res.status}, not JSON` }))) as T;
    if (!res.ok && body.status !== 'error') return { status: 'error', error: `HTTP ${res.status}` } as T;
    return body;
  }

  queryRange(query: string, startEpoch: number, endEpoch: number, stepSeconds: number): Promise<RangeResponse> {
    return this.get('/api/v1/query_range', new URLSearchParams({ query, start: startEpoch.toFixed(3), end: endEpoch.toFixed(3), step: `${stepSeconds}s` }));
  }

  query(query: string, timeEpoch: number): Promise<InstantResponse> {
    return this.get('/api/v1/query', new URLSearchParams({ query, time: timeEpoch.toFixed(3) }));
  }

  /**
   * matcher_db_connection_errors_total's increase over [start, end] by reason (rounded:
   * increase() extrapolates to the window's edges); null when no replica exports it.
   */
  async connectionErrors(matcherSelector: string, startEpoch: number, endEpoch: number): Promise<{ total: number; byReason: Record<string, number> } | null> {
    const range = Math.max(1, Math.ceil(endEpoch - startEpoch));
    const body = await this.query(`sum by (reason) (increase(${matcherMetrics.dbConnectionErrors}${join(matcherSelector)}[${range}s]))`, endEpoch);
    if (body.status !== 'success' || !body.data || body.data.result.length === 0) return null;
    const byReason: Record<string, number> = {};
    for (const r of body.data.result) {
      const v = Math.round(Number(r.value[1]));
      if (Number.isFinite(v)) byReason[r.metric.reason ?? '?'] = v;
    }
    return { total: Object.values(byReason).reduce((a, b) => a + b, 0), byReason };
  }

  /**
   * matcher_event_loop_delay_seconds' bucket increases over [start, end], the replicas summed, by
   * level; null when no replica exports it (an older matcher).
   */
  async eventLoopDelayBuckets(matcherSelector: string, startEpoch: number, endEpoch: number): Promise<Partial<Record<ServiceLevel, Buckets>> | null> {
    const range = Math.max(1, Math.ceil(endEpoch - startEpoch));
    const body = await this.query(`sum by (level, le) (increase(${matcherMetrics.eventLoopDelay}_bucket${join(matcherSelector)}[${range}s]))`, endEpoch);
    if (body.status !== 'success' || !body.data || body.data.result.length === 0) return null;
    const out: Partial<Record<ServiceLevel, Buckets>> = {};
    for (const r of body.data.result) {
      const level = r.metric.level;
      const le = r.metric.le === '+Inf' ? Infinity : Number(r.metric.le);
      const count = Number(r.value[1]);
      if (!isServiceLevel(level) || Number.isNaN(le) || !Number.isFinite(count)) continue;
      (out[level] ??= []).push([le, count]);
    }
    return Object.keys(out).length > 0 ? out : null;
  }

  /** Every timeline query over [start, end], as series on the run's clock (seconds since start). */
  async timeline(specs: SeriesSpec[], runStartEpoch: number, endEpoch: number, stepSeconds: number): Promise<Series[]> {
    const out: Series[] = [];
    for (const spec of specs) {
      const base = { id: spec.id, label: spec.label, chart: spec.chart, source: 'prometheus' as const, query: spec.query };
      let body: RangeResponse;
      try {
        body = await this.queryRange(spec.query, runStartEpoch, endEpoch, stepSeconds);
      } catch (error) {
        out.push({ ...base, points: [], missing: `query failed: ${(error as Error).message}` });
        continue;
      }
      if (body.status !== 'success' || !body.data) {
        out.push({ ...base, points: [], missing: `query failed: ${body.error ?? body.status}` });
        continue;
      }
      if (body.data.result.length === 0) {
        out.push({ ...base, points: [], missing: 'no data: the series does not exist over the run' });
        continue;
      }
      for (const r of body.data.result) {
        const split = spec.by ? r.metric[spec.by] ?? '?' : undefined;
        out.push({
          ...base,
          id: split ? `${spec.id}:${split}` : spec.id,
          label: split ? `${split} ${spec.label}` : spec.label,
          points: r.values.map(([ts, v]) => [Math.round((ts - runStartEpoch) * 1000) / 1000, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v)),
        });
      }
    }
    return out;
  }
}
