import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueryObserver } from './db/database.js';
import type { ResizablePool } from './db/resizable-pool.js';
import { serviceLevelValue, type ServiceLevelSource } from './service-level.js';

/** The matcher's metrics, with the names fixed by the brief (the operator and dashboards use them). */
export class MatcherMetrics implements QueryObserver {
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly dbQueryDuration: Histogram<'operation' | 'outcome'>;

  constructor(registry: Registry, pool: ResizablePool, serviceLevel: ServiceLevelSource) {
    this.httpDuration = new Histogram({
      name: 'matcher_http_request_duration_seconds', help: 'HTTP request latency by route template.',
      labelNames: ['method', 'route', 'status_code'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.httpRequests = new Counter({
      name: 'matcher_http_requests_total', help: 'HTTP requests by route template and status.',
      labelNames: ['method', 'route', 'status_code'], registers: [registry],
    });
    this.dbQueryDuration = new Histogram({
      name: 'matcher_db_query_duration_seconds', help: 'Database operation (one transaction) latency, including the wait for a connection.',
      labelNames: ['operation', 'outcome'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    new Gauge({
      name: 'matcher_db_pool_connections', help: 'Database pool connections by state (active, idle, waiting callers).',
      labelNames: ['state'], registers: [registry],
      collect() {
        const s = pool.stats();
        this.set({ state: 'active' }, s.active);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
        this.set({ state: 'total' }, s.total);
      },
    });
    new Gauge({
      name: 'matcher_db_pool_max', help: 'The live database pool limit (changed at runtime by resize()).',
      registers: [registry], collect() { this.set(pool.max); },
    });
    new Gauge({
      name: 'matcher_service_level', help: 'Effective service level: 0 Full, 1 Reduced, 2 Basic, 3 Maintenance.',
      registers: [registry], collect() { this.set(serviceLevelValue(serviceLevel.current())); },
    });
  }

  observe(operation: string, seconds: number, ok: boolean): void {
    this.dbQueryDuration.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds);
  }
}
