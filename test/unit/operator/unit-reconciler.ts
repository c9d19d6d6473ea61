// A Reconciler for unit tests: the test's API, signals, caches and clock, with one registered
// default Prometheus ("x", which the tests' signals never reach), a fresh metrics registry and a
// silent logger.
import { createLogger } from '../../../src/plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../../src/plimsoll/observability/metrics.js';
import { createOperatorMetrics } from '../../../src/plimsoll/operator/metrics.js';
import { Reconciler, type ReconcilerDeps } from '../../../src/plimsoll/operator/reconciler.js';

export function unitReconciler(deps: Pick<ReconcilerDeps, 'api' | 'signals' | 'caches' | 'now'>): Reconciler {
  return new Reconciler({
    ...deps,
    sources: { prometheus: [{ name: 'x', address: 'http://x', default: true }], pgbouncer: [], health: [] },
    metrics: createOperatorMetrics(createMetricsRegistry({ defaultMetrics: false })),
    logger: createLogger({ name: 't', level: 'silent' }),
  });
}
