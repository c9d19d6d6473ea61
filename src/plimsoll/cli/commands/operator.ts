import * as k8s from '@kubernetes/client-node';
import type { CliCommand } from '../../shared/command-line.js';
import { parseOptions } from '../../shared/command-line.js';
import { PlimsollError } from '../../errors.js';
import { loadOperatorConfig } from '../../config/operator.js';
import { createLogger } from '../../observability/logger.js';
import { createMetricsRegistry } from '../../observability/metrics.js';
import { Operator } from '../../operator/operator.js';

const usage = `Usage: plimsoll operator [options]

Runs the Plimsoll operator: reconciles every ScalingPolicy into replicas (scale subresource),
the runtime document ConfigMap (pool size, concurrency, service level), status and Events.
Kubernetes access: KUBECONFIG, else ~/.kube/config, else the in-cluster ServiceAccount.
Configuration from the environment (see docs/operator.md): OPERATOR_METRICS_PORT (18081),
OPERATOR_NAMESPACE (comma-separated; empty: all), LEADER_ELECTION (on|off), LEADER_ELECTION_LEASE_NAME,
LEADER_ELECTION_NAMESPACE, OPERATOR_LOG_LEVEL, OPERATOR_SIGNAL_HOST_CONCURRENCY (4),
OPERATOR_PGBOUNCER_TIMEOUT_MS (5000), OPERATOR_SIGNAL_SOURCES_FILE (the registered
Prometheus servers and PgBouncer endpoints policies may read; empty: none).

Options:
  --namespace NS,..   watch only these namespaces (overrides OPERATOR_NAMESPACE)
  --metrics-port N    /healthz, /readyz, /metrics port (overrides OPERATOR_METRICS_PORT)
  -h, --help          this text

SIGTERM or SIGINT: stop the workers, release the leader Lease, exit 0 within 30 s.
`;

export const operatorCommand: CliCommand = {
  name: 'operator',
  summary: 'run the operator (reconcile ScalingPolicies)',
  usage,
  async run(argv, io) {
    const values = parseOptions('plimsoll operator', argv, { namespace: { type: 'string' }, 'metrics-port': { type: 'string' } });
    const overrides: Record<string, string> = {};
    if (values.namespace !== undefined) overrides.OPERATOR_NAMESPACE = values.namespace;
    if (values['metrics-port'] !== undefined) overrides.OPERATOR_METRICS_PORT = values['metrics-port'];
    const config = loadOperatorConfig(undefined, overrides);
    const logger = createLogger({ name: 'operator', level: config.logLevel });
    const registry = createMetricsRegistry({ labels: { service: 'plimsoll-operator' } });
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromDefault();
    const operator = new Operator({
      kubeConfig, logger, registry,
      workers: config.workers,
      leaderElection: config.leaderElection,
      http: config.metrics,
      signals: { ...config.signals, sources: config.signalSources },
      namespaces: config.namespaces,
      ...(config.identity ? { identity: config.identity } : {}),
    });
    await operator.start();
    io.stderr.write(`plimsoll operator ${operator.identity}: /metrics on ${config.metrics.host}:${operator.port}\n`);
    const reason = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
      void operator.lostLease.then(() => resolve('lost lease'));
    });
    logger.info({ reason }, 'shutting down');
    // Past the grace period exit anyway: a stuck request must not hold the Lease hostage.
    const deadline = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    deadline.unref();
    await operator.stop();
    logger.info('stopped');
    logger.flush();
    // Exit 1 with the catalogue's code: the supervisor restarts a fresh process, as client-go's does.
    if (reason === 'lost lease') throw new PlimsollError('LEADER_ELECTION_LOST', `${operator.identity} could not renew Lease ${config.leaderElection.leaseNamespace}/${config.leaderElection.leaseName} within its deadline`);
    return 0;
  },
};
