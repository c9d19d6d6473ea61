/** The signal sources, registered by name (KEDA's scaler registry). */
import { healthSource } from './health.js';
import { createPgBouncerSource } from './pgbouncer.js';
import { prometheusSource } from './prometheus.js';
import type { SignalSource, SourceType } from './source.js';

export type SignalRegistry = Record<SourceType, SignalSource>;

export function createSignalRegistry(): SignalRegistry {
  return {
    prometheus: prometheusSource as SignalSource,
    pgbouncer: createPgBouncerSource() as SignalSource,
    health: healthSource as SignalSource,
  };
}

export { sourceOf, type SignalContext, type SignalSource } from './source.js';
