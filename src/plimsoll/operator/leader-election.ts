/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection: try to
 * acquire or renew every retryPeriod; a candidate takes a Lease whose holder has not renewed
 * within leaseDuration (measured on our own clock from when we last saw the record change, so
 * clocks need not agree); a leader that cannot renew within renewDeadline stops leading.
 * Updates carry the resourceVersion read, so two candidates can never both win one round.
 * release() empties the holder so a successor need not wait out the lease.
 *
 * Fencing: the elector keeps the LeaseFence (lease-fence.ts) that guards every request the
 * leader's writer makes; each successful renew extends it by renewDeadline from the moment the
 * request was sent, and stepping down revokes it. Its own Lease requests carry a deadline (what
 * is left of the renew deadline, at least one retry period), so a hung API server cannot hold
 * a renew, and with it the step-down, past the deadline.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { sleep } from './clock.js';
import { guardedKubeConfig } from './guarded-kube-config.js';
import type { LeaseFence } from './lease-fence.js';
import type { OperatorMetrics } from './metrics.js';

/** client-go's defaults: lease 15 s, renew deadline 10 s, retry 2 s. */
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;

export interface LeaderElectionOptions {
  kubeConfig: k8s.KubeConfig;
  name: string;
  namespace: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Guards the leader's writes; extended by each renew, revoked on stepping down. */
  fence: LeaseFence;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private attemptSignal: AbortSignal = AbortSignal.timeout(0);
  /** Warned once per run of refusals (not every retry period). */
  private refusalReported = false;
  private readonly stopSignal = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.api = guardedKubeConfig(options.kubeConfig, { signal: () => this.attemptSignal }).makeApiClient(k8s.CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop campaigning; if leading, hand the Lease back at once. */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    await this.loop;
    if (this.leading) {
      this.attemptSignal = AbortSignal.timeout(this.retryPeriodMs);
      await this.release().catch((err: unknown) => this.options.logger.warn({ err: String(err) }, 'lease release failed'));
      this.setLeading(false);
    }
  }

  private async run(): Promise<void> {
    const { fence } = this.options;
    while (!this.stopSignal.signal.aborted) {
      let ok = false;
      const sentAt = fence.stamp();
      this.attemptSignal = AbortSignal.timeout(this.attemptDeadlineMs());
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        // A conflict or a timeout is the election working; a refusal is a misconfiguration that
        // would otherwise leave every replica a silent follower.
        const code = (err as { code?: unknown }).code;
        const refused = code === 401 || code === 403;
        if (refused && !this.refusalReported) this.options.logger.warn({ err: String(err), lease: `${this.options.namespace}/${this.options.name}` }, 'the API server refuses this operator the Lease: check the leader-election Role (manifests/rbac/operator-lease.yaml)');
        else this.options.logger.debug({ err: String(err) }, 'lease acquire/renew failed');
        this.refusalReported = refused;
      }
      if (this.stopSignal.signal.aborted) break;
      if (ok) {
        this.refusalReported = false;
        fence.renewed(sentAt);
        if (!this.leading) this.setLeading(true);
      } else if (this.leading && !fence.held) {
        this.options.logger.error({ lease: this.options.name }, 'could not renew the lease within the renew deadline: stepping down');
        this.setLeading(false);
      }
      await sleep(this.retryPeriodMs, this.stopSignal.signal);
    }
  }

  /** A leader's attempt may use what is left of its renew deadline; a candidate's, one lease. */
  private attemptDeadlineMs(): number {
    return Math.ceil(this.leading ? Math.max(this.retryPeriodMs, this.options.fence.remainingMs) : this.leaseDurationMs);
  }

  private setLeading(value: boolean): void {
    if (!value) this.options.fence.revoke('stopped leading');
    this.leading = value;
    this.options.metrics.isLeader.set(value ? 1 : 0);
    this.options.logger.info({ lease: this.options.name, identity: this.options.identity }, value ? 'became leader' : 'stopped leading');
    if (value) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity } = this.options;
    const now = new k8s.V1MicroTime();
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof k8s.ApiException && err.code === 404)) throw err;
      await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000), acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      });
      this.options.metrics.apiWrites.inc({ kind: 'lease' });
      return true;
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${spec.renewTime ? new Date(spec.renewTime).getTime() : ''}|${lease.metadata?.resourceVersion}`;
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const expired = this.observed.at + (spec.leaseDurationSeconds ?? 15) * 1000 < Date.now();
    if (holder !== '' && holder !== identity && !expired) return false;
    const acquiring = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      renewTime: now,
      ...(acquiring ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    await this.api.replaceNamespacedLease({ name, namespace, body: lease }); // 409 if someone else wrote first
    this.options.metrics.apiWrites.inc({ kind: 'lease' });
    return true;
  }

  private async release(): Promise<void> {
    const { name, namespace, identity } = this.options;
    const lease = await this.api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return;
    const now = new k8s.V1MicroTime();
    lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
    await this.api.replaceNamespacedLease({ name, namespace, body: lease });
  }
}
