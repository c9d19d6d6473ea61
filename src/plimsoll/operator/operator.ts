/**
 * The operator process: informers and the probe server on every replica; the workers only on
 * the leader. Losing the lease stops the workers and forgets per-policy memory (the next
 * leader rebuilds it from status), as controller-runtime's manager does.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { Controller } from './controller.js';
import { startProbeServer, type ProbeServer } from './http-server.js';
import { guardedKubeConfig, type RequestGuard } from './guarded-kube-config.js';
import { KubeApi } from './kube-api.js';
import { DEFAULT_RENEW_DEADLINE_MS, LeaderElector } from './leader-election.js';
import { LeaseFence } from './lease-fence.js';
import { createOperatorMetrics, type OperatorMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';
import { createSignalRegistry, defaultSignalOptions, type SignalOptions, type SignalRegistry } from './signals/index.js';

export interface OperatorOptions {
  kubeConfig: k8s.KubeConfig;
  logger: Logger;
  registry: Registry;
  /** Watch these namespaces (RoleBindings there suffice); every namespace when empty or absent. */
  namespaces?: readonly string[];
  workers?: number;
  leaderElection?: { enabled: boolean; leaseName: string; leaseNamespace: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Probe/metrics server; omit to run without one (tests). */
  http?: { port: number; host: string };
  identity?: string;
  watchSilenceMs?: number;
  /** Signal clients' bounds and the registered sources (none registered by default: every prometheus and pgbouncer signal is refused). */
  signals?: SignalOptions;
}

export class Operator {
  readonly identity: string;
  readonly metrics: OperatorMetrics;
  readonly controller: Controller;
  private readonly signals: SignalRegistry;
  private readonly reconciler: Reconciler;
  private elector: LeaderElector | undefined;
  /** With leader election, every request of the reconciler's writer passes this fence. */
  private readonly fence: LeaseFence | undefined;
  private server: ProbeServer | undefined;
  private synced = false;
  private leading = false;

  constructor(private readonly options: OperatorOptions) {
    this.identity = options.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
    this.metrics = createOperatorMetrics(options.registry);
    // Every request is counted: informers (lists, watches) and the reconciler's reads and writes.
    const counted: RequestGuard = { before: (kind) => this.metrics.kubeApiRequests.inc({ kind }) };
    this.controller = new Controller({
      kubeConfig: guardedKubeConfig(options.kubeConfig, counted), logger: options.logger, metrics: this.metrics,
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
      ...(options.workers ? { workers: options.workers } : {}),
      ...(options.watchSilenceMs ? { watchSilenceMs: options.watchSilenceMs } : {}),
    });
    this.signals = createSignalRegistry(options.signals);
    const { leaderElection } = options;
    if (leaderElection?.enabled) {
      this.fence = new LeaseFence(leaderElection.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS, () => this.metrics.fencedRequests.inc());
    }
    const writer = guardedKubeConfig(options.kubeConfig, counted, ...(this.fence ? [this.fence.guard] : []));
    const api = new KubeApi(writer, this.metrics, this.identity, this.controller.endpoints);
    this.reconciler = new Reconciler({
      caches: this.controller.caches, api, signals: this.signals, sources: (options.signals ?? defaultSignalOptions).sources, metrics: this.metrics, logger: options.logger,
    });
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    const { http, logger, leaderElection } = this.options;
    if (http) this.server = await startProbeServer(http.port, http.host, this.options.registry, () => this.synced);
    await this.controller.startInformers();
    this.synced = true;
    logger.info({ namespaces: this.options.namespaces?.length ? this.options.namespaces : '(all)', identity: this.identity }, 'informers synced');
    if (leaderElection?.enabled && this.fence) {
      this.elector = new LeaderElector({
        fence: this.fence,
        kubeConfig: this.options.kubeConfig, logger, metrics: this.metrics, identity: this.identity,
        name: leaderElection.leaseName, namespace: leaderElection.leaseNamespace,
        ...(leaderElection.leaseDurationMs ? { leaseDurationMs: leaderElection.leaseDurationMs } : {}),
        ...(leaderElection.renewDeadlineMs ? { renewDeadlineMs: leaderElection.renewDeadlineMs } : {}),
        ...(leaderElection.retryPeriodMs ? { retryPeriodMs: leaderElection.retryPeriodMs } : {}),
        onStartedLeading: () => this.lead(),
        onStoppedLeading: () => this.onLostLease(),
      });
      this.elector.start();
    } else {
      this.lead();
    }
  }

  /** Stop: workers drain, the lease is released, connections close. */
  async stop(): Promise<void> {
    await this.controller.stop();
    await this.elector?.stop();
    await Promise.allSettled(Object.values(this.signals).map((s) => s.close?.()));
    await this.server?.close();
  }

  private readonly lost: { resolve: () => void } = { resolve: () => undefined };
  /** Resolves when the process should exit after losing the lease (controller-runtime exits). */
  readonly lostLease: Promise<void> = new Promise((resolve) => { this.lost.resolve = resolve; });

  private lead(): void {
    this.leading = true;
    this.controller.startWorkers(this.reconciler);
  }

  private onLostLease(): void {
    if (!this.leading) return;
    this.leading = false;
    this.reconciler.reset();
    this.lost.resolve();
  }
}
