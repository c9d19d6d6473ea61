import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CONNECTION_ERROR_REASONS, type ConnectionErrorReason } from './db/connection-errors.js';
import type { QueryObserver } from './db/database.js';
import { levelRank, SERVICE_LEVELS } from '../plimsoll/contract/service-levels.js';
import { ANSWER_SOURCES, type AnswerObserver, type AnswerSource } from './analysis/answered-by.js';
import type { ResizablePool, ServiceLevelSource } from '../plimsoll/runtime-client/index.js';
import { matcherMetrics } from '../plimsoll/contract/metrics.js';

/** The matcher's HTTP, database and level metrics, under the contract's names (policies and dashboards read them). */
export class MatcherMetrics implements QueryObserver, AnswerObserver {
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly dbQueryDuration: Histogram<'operation' | 'outcome'>;
  readonly dbConnectionErrors: Counter<'reason'>;
  readonly analyses: Counter<'source' | 'level'>;
  /** Requests received and not yet answered (requestContext counts them): the health document and the gauge read it. */
  httpInFlight = 0;

  constructor(registry: Registry, pool: ResizablePool, serviceLevel: ServiceLevelSource) {
    this.httpDuration = new Histogram({
      name: matcherMetrics.httpRequestDuration, help: 'HTTP request latency by route template.',
      labelNames: ['method', 'route', 'status_code'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.httpRequests = new Counter({
      name: matcherMetrics.httpRequests, help: 'HTTP requests by route template and status.',
      labelNames: ['method', 'route', 'status_code'], registers: [registry],
    });
    this.dbQueryDuration = new Histogram({
      name: matcherMetrics.dbQueryDuration, help: 'Database operation (one transaction) latency, including the wait for a connection.',
      labelNames: ['operation', 'outcome'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.dbConnectionErrors = new Counter({
      name: matcherMetrics.dbConnectionErrors, help: 'Failed attempts to open a database connection, by reason (client_limit: PgBouncer or PostgreSQL refused a client past its limit).',
      labelNames: ['reason'], registers: [registry],
    });
    // Every reason from zero, so increase() over a run counts the first error too.
    for (const reason of CONNECTION_ERROR_REASONS) this.dbConnectionErrors.inc({ reason }, 0);
    this.analyses = new Counter({
      name: matcherMetrics.analyses,
      help: 'Analyses answered: by a provider, by the local matcher (a degraded answer), or from the cache or database (cache_provider / cache_local: whose answer was stored), by effective service level.',
      labelNames: ['source', 'level'], registers: [registry],
    });
    for (const source of ANSWER_SOURCES) for (const level of SERVICE_LEVELS) this.analyses.inc({ source, level }, 0);
    new Gauge({
      name: matcherMetrics.dbPoolConnections, help: 'Database pool connections by state (active, idle, waiting callers).',
      labelNames: ['state'], registers: [registry],
      collect() {
        const s = pool.stats();
        this.set({ state: 'active' }, s.active);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
        this.set({ state: 'total' }, s.total);
      },
    });
    const inFlight = () => this.httpInFlight;
    new Gauge({
      name: matcherMetrics.httpRequestsInFlight, help: 'HTTP requests received and not yet answered (probes and scrapes aside): grows at once in a surge, where a rate over a window lags.',
      registers: [registry], collect() { this.set(inFlight()); },
    });
    new Gauge({
      name: matcherMetrics.dbPoolMax, help: 'The live database pool limit (changed at runtime by resize()).',
      registers: [registry], collect() { this.set(pool.max); },
    });
    new Gauge({
      name: matcherMetrics.serviceLevel, help: 'Effective service level: 0 Full, 1 Reduced, 2 Basic, 3 Maintenance.',
      registers: [registry], collect() { this.set(levelRank[serviceLevel.current()]); },
    });
  }

  observe(operation: string, seconds: number, ok: boolean): void {
    this.dbQueryDuration.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds);
  }

  answered(source: AnswerSource, level: string): void {
    this.analyses.inc({ source, level });
  }

  connectionFailed(reason: ConnectionErrorReason): void {
    this.dbConnectionErrors.inc({ reason });
  }
}
