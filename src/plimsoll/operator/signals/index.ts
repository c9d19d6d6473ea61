/** The signal sources, registered by name (KEDA's scaler registry), sharing bounded clients. */
import { NO_SIGNAL_SOURCES, type SignalSources } from '../../config/signal-sources.js';
import { createHealthSource } from './health.js';
import { DEFAULT_HOST_CONCURRENCY, SignalHttp } from './http-client.js';
import { createPgBouncerSource, DEFAULT_PGBOUNCER_TIMEOUT_MS, PgBouncerConnections } from './pgbouncer.js';
import { createPrometheusSource } from './prometheus.js';
import type { SignalSource, SourceType } from './source.js';

export type SignalRegistry = Record<SourceType, SignalSource>;

export interface SignalOptions {
  /** Requests in flight at once to one server (host:port); more wait, within their own timeout. */
  hostConcurrency: number;
  /** PgBouncer admin console: connect and query within this many ms (its spec has no timeout). */
  pgbouncerTimeoutMs: number;
  /** The Prometheus servers and PgBouncer endpoints the administrator registered: the only ones read. */
  sources: SignalSources;
}

/** The operator configuration's defaults (OPERATOR_SIGNAL_HOST_CONCURRENCY, OPERATOR_PGBOUNCER_TIMEOUT_MS). */
export const defaultSignalOptions: SignalOptions = { hostConcurrency: DEFAULT_HOST_CONCURRENCY, pgbouncerTimeoutMs: DEFAULT_PGBOUNCER_TIMEOUT_MS, sources: NO_SIGNAL_SOURCES };

export function createSignalRegistry(options: SignalOptions = defaultSignalOptions): SignalRegistry {
  // One HTTP client for Prometheus and health: the per-host bound holds across both.
  const http = new SignalHttp(options.hostConcurrency);
  return {
    prometheus: createPrometheusSource(http, options.sources) as SignalSource,
    pgbouncer: createPgBouncerSource(new PgBouncerConnections(options.pgbouncerTimeoutMs), options.sources) as SignalSource,
    health: createHealthSource(http) as SignalSource,
  };
}

export { sourceOf, type PollWindow, type SignalContext, type SignalSource } from './source.js';
