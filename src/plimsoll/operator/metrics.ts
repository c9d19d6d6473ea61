/** The operator's Prometheus metrics (prefix plimsoll_), registered on an injected registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface OperatorMetrics {
  reconcileTotal: Counter<'result'>;
  reconcileErrors: Counter<'code'>;
  reconcileDuration: Histogram;
  signalFetchDuration: Histogram<'source'>;
  signalFailures: Counter<'namespace' | 'policy' | 'signal' | 'source'>;
  signalLastSuccess: Gauge<'namespace' | 'policy' | 'signal'>;
  desiredReplicas: Gauge<'namespace' | 'policy'>;
  desiredPoolMax: Gauge<'namespace' | 'policy'>;
  desiredConcurrency: Gauge<'namespace' | 'policy' | 'provider'>;
  serviceLevel: Gauge<'namespace' | 'policy'>;
  policyCondition: Gauge<'namespace' | 'policy' | 'condition' | 'status'>;
  queueDepth: Gauge;
  queueRetries: Gauge;
  informerRestarts: Counter<'informer' | 'reason'>;
  apiWrites: Counter<'kind'>;
  isLeader: Gauge;
  fencedRequests: Counter;
  kubeApiRequests: Counter<'kind'>;
}

export function createOperatorMetrics(registry: Registry): OperatorMetrics {
  const registers = [registry];
  const policy = ['namespace', 'policy'] as const;
  return {
    reconcileTotal: new Counter({ name: 'plimsoll_reconcile_total', help: 'Reconciles by result (success, error, requeue).', labelNames: ['result'], registers }),
    reconcileErrors: new Counter({ name: 'plimsoll_reconcile_errors_total', help: 'Failed reconciles by error code.', labelNames: ['code'], registers }),
    reconcileDuration: new Histogram({
      name: 'plimsoll_reconcile_duration_seconds', help: 'Time spent in one reconcile.', registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    signalFetchDuration: new Histogram({
      name: 'plimsoll_signal_fetch_duration_seconds', help: 'Time to read one signal, by source.', labelNames: ['source'], registers,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    signalFailures: new Counter({ name: 'plimsoll_signal_failures_total', help: 'Failed signal reads.', labelNames: ['namespace', 'policy', 'signal', 'source'], registers }),
    // Freshness lives here, not in status: status.signals[].lastSuccessTime moves only with a write made anyway.
    signalLastSuccess: new Gauge({ name: 'plimsoll_signal_last_success_timestamp_seconds', help: 'When each signal was last read successfully (Unix seconds).', labelNames: ['namespace', 'policy', 'signal'], registers }),
    desiredReplicas: new Gauge({ name: 'plimsoll_desired_replicas', help: 'Replicas the engine decided.', labelNames: policy, registers }),
    desiredPoolMax: new Gauge({ name: 'plimsoll_desired_pool_max', help: 'Database pool per replica the engine decided.', labelNames: policy, registers }),
    desiredConcurrency: new Gauge({ name: 'plimsoll_desired_concurrency', help: 'Worker concurrency per replica and provider.', labelNames: ['namespace', 'policy', 'provider'], registers }),
    serviceLevel: new Gauge({ name: 'plimsoll_service_level', help: 'Decided service level: 0 Full, 1 Reduced, 2 Basic, 3 Maintenance.', labelNames: policy, registers }),
    // kube-state-metrics style (…_status_condition): 1 on the series of the current status, 0 on
    // the other two, so alerts can say `{condition="BudgetConstrained",status="True"} == 1`.
    policyCondition: new Gauge({
      name: 'plimsoll_policy_condition', help: 'ScalingPolicy status conditions: 1 for the current status (True, False, Unknown) of each condition.',
      labelNames: ['namespace', 'policy', 'condition', 'status'], registers,
    }),
    queueDepth: new Gauge({ name: 'plimsoll_workqueue_depth', help: 'Keys waiting in the work queue.', registers }),
    queueRetries: new Gauge({ name: 'plimsoll_workqueue_retries', help: 'Failures of keys still backing off.', registers }),
    informerRestarts: new Counter({ name: 'plimsoll_informer_restarts_total', help: 'Watch restarts by informer and reason (error, gone, silent).', labelNames: ['informer', 'reason'], registers }),
    apiWrites: new Counter({ name: 'plimsoll_api_writes_total', help: 'Writes to the API server by kind (scale, runtime, status, event, lease).', labelNames: ['kind'], registers }),
    isLeader: new Gauge({ name: 'plimsoll_leader', help: '1 while this replica holds the leader Lease.', registers }),
    kubeApiRequests: new Counter({ name: 'plimsoll_kube_api_requests_total', help: 'Requests to the API server by kind: read (GET, lists included), write, watch (each watch started).', labelNames: ['kind'], registers }),
    fencedRequests: new Counter({ name: 'plimsoll_fenced_requests_total', help: 'API requests refused because the leader Lease was not renewed within the renew deadline.', registers }),
  };
}
