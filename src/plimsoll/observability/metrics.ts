import { Registry, collectDefaultMetrics } from 'prom-client';

export interface RegistryOptions {
  /** Default Node metrics (process_*, nodejs_*) — on unless a test turns them off. */
  defaultMetrics?: boolean;
  /** Labels on every series, e.g. {service: 'matcher'}. */
  labels?: Record<string, string>;
}

/** A fresh prom-client registry (never the global one), created in the entry point and injected. */
export function createMetricsRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
