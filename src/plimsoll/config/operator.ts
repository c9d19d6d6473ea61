import { z } from 'zod';
import { envReader, int, parseConfig, processFields, type Env } from './env.js';
import { readSignalSourcesFile, signalSourcesSchema } from './signal-sources.js';

/**
 * The operator's configuration: parsed ONCE at start-up from the environment and frozen.
 * KUBECONFIG is read by @kubernetes/client-node's loadFromDefault (in-cluster config when
 * unset); nothing else in the operator reads process.env.
 */

/** Every variable the process reads, with its default (the local stack's); unset or empty means the default. */
export const operatorEnvDefaults = {
  OPERATOR_METRICS_HOST: '0.0.0.0',
  OPERATOR_METRICS_PORT: '18081',
  /** The namespaces to watch, comma-separated (empty: every namespace). */
  OPERATOR_NAMESPACE: '',
  /** Concurrent reconciles (never two of one policy); reconciles wait on I/O, see controller.ts. */
  OPERATOR_WORKERS: '16',
  LEADER_ELECTION: 'on',
  LEADER_ELECTION_LEASE_NAME: 'plimsoll-operator',
  LEADER_ELECTION_NAMESPACE: '',
  LEADER_ELECTION_LEASE_DURATION_MS: '15000',
  LEADER_ELECTION_RENEW_DEADLINE_MS: '10000',
  LEADER_ELECTION_RETRY_PERIOD_MS: '2000',
  OPERATOR_LOG_LEVEL: 'info',
  OPERATOR_SHUTDOWN_GRACE_MS: '30000',
  OPERATOR_IDENTITY: '',
  /** Signal requests in flight at once per server (host:port); the rest wait within their timeout. */
  OPERATOR_SIGNAL_HOST_CONCURRENCY: '4',
  /** PgBouncer admin console reads: connect and query within this many ms. */
  OPERATOR_PGBOUNCER_TIMEOUT_MS: '5000',
  /** YAML/JSON file of the Prometheus servers and PgBouncer endpoints policies may read (empty: none). */
  OPERATOR_SIGNAL_SOURCES_FILE: '',
  /** The namespace the operator's pod runs in (downward API), home of the Lease by default. */
  POD_NAMESPACE: 'plimsoll-system',
} as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NOT_A_LABEL = 'each namespace of OPERATOR_NAMESPACE must be a DNS label (at most 63 lower-case letters, digits and "-")';
const onOff = z.enum(['on', 'off', 'true', 'false', '1', '0']).transform((v) => v === 'on' || v === 'true' || v === '1');

export const operatorConfigSchema = z.object({
  metrics: z.object({ host: z.string().min(1), port: int(0, 65535) }),
  /**
   * The namespaces watched, each with namespaced LIST/WATCH only (so RoleBindings there are all
   * the operator needs); empty: every namespace (a ClusterRole).
   */
  namespaces: z.array(z.string().max(63, NOT_A_LABEL).regex(DNS_LABEL, NOT_A_LABEL))
    .superRefine((names, ctx) => {
      const twice = names.filter((n, i) => names.indexOf(n) !== i);
      if (twice.length > 0) ctx.addIssue({ code: 'custom', message: `OPERATOR_NAMESPACE lists ${[...new Set(twice)].join(', ')} more than once` });
    }),
  workers: int(1, 64),
  leaderElection: z.object({
    enabled: onOff,
    leaseName: z.string().min(1).max(253),
    leaseNamespace: z.string().min(1).max(63),
    leaseDurationMs: int(1000, 600_000),
    renewDeadlineMs: int(500, 600_000),
    retryPeriodMs: int(100, 60_000),
  }).refine((l) => l.renewDeadlineMs < l.leaseDurationMs && l.retryPeriodMs < l.renewDeadlineMs, {
    message: 'need retryPeriod < renewDeadline < leaseDuration',
  }),
  signals: z.object({ hostConcurrency: int(1, 64), pgbouncerTimeoutMs: int(100, 60_000) }),
  /** The administrator's registered signal sources (see signal-sources.ts). */
  signalSources: signalSourcesSchema,
  ...processFields,
  identity: z.string().max(128).optional(),
});

export type OperatorConfig = z.infer<typeof operatorConfigSchema>;

export function loadOperatorConfig(environment: Env = process.env, overrides: Env = {}): Readonly<OperatorConfig> {
  const get = envReader(operatorEnvDefaults, environment, overrides);
  const listed = get('OPERATOR_NAMESPACE');
  const namespaces = listed ? listed.split(',').map((n) => n.trim()) : [];
  const raw = {
    metrics: { host: get('OPERATOR_METRICS_HOST'), port: get('OPERATOR_METRICS_PORT') },
    namespaces,
    workers: get('OPERATOR_WORKERS'),
    leaderElection: {
      enabled: get('LEADER_ELECTION').toLowerCase(),
      leaseName: get('LEADER_ELECTION_LEASE_NAME'),
      // Default: beside the (first) watched namespace's policies, where a namespaced install's
      // Roles are; watching every namespace, the pod's own namespace.
      leaseNamespace: get('LEADER_ELECTION_NAMESPACE') || namespaces[0] || get('POD_NAMESPACE'),
      leaseDurationMs: get('LEADER_ELECTION_LEASE_DURATION_MS'),
      renewDeadlineMs: get('LEADER_ELECTION_RENEW_DEADLINE_MS'),
      retryPeriodMs: get('LEADER_ELECTION_RETRY_PERIOD_MS'),
    },
    signals: { hostConcurrency: get('OPERATOR_SIGNAL_HOST_CONCURRENCY'), pgbouncerTimeoutMs: get('OPERATOR_PGBOUNCER_TIMEOUT_MS') },
    signalSources: readSignalSourcesFile(get('OPERATOR_SIGNAL_SOURCES_FILE')),
    logLevel: get('OPERATOR_LOG_LEVEL'),
    shutdownGraceMs: get('OPERATOR_SHUTDOWN_GRACE_MS'),
    identity: get('OPERATOR_IDENTITY') || undefined,
  };
  return parseConfig(operatorConfigSchema, raw, 'operator');
}
