/**
 * The controller: informers feed keys into the work queue; workers take a key, reconcile it
 * and requeue it (after requeueAfter on success, with backoff on error). Events on a
 * Deployment, an owned ConfigMap or an HPA map to the policies they concern.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { isPlimsollError } from '../errors.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_LABEL } from '../contract/kubernetes.js';
import type { OperatorMetrics } from './metrics.js';
import type { Reconciler, ScalingPolicyObject, Caches } from './reconciler.js';
import { objectKey, Watcher } from './watcher.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  kubeConfig: k8s.KubeConfig;
  /** Watch one namespace, or all when undefined. */
  namespace?: string;
  workers?: number;
  logger: Logger;
  metrics: OperatorMetrics;
  watchSilenceMs?: number;
}

const targetOf = (p: ScalingPolicyObject) => (p.spec as { targetRef?: { name?: string } } | undefined)?.targetRef?.name;

export class Controller {
  readonly queue: WorkQueue;
  readonly policies: Watcher<ScalingPolicyObject>;
  readonly deployments: Watcher<k8s.V1Deployment>;
  readonly configMaps: Watcher<k8s.V1ConfigMap>;
  readonly hpas: Watcher<k8s.V2HorizontalPodAutoscaler>;
  private reconciler: Reconciler | undefined;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: ControllerOptions) {
    const { kubeConfig: kc, namespace, logger, metrics } = options;
    this.queue = new WorkQueue({
      onChange: (depth) => {
        metrics.queueDepth.set(depth);
        metrics.queueRetries.set(this.queue?.retries() ?? 0);
      },
    });
    const ns = namespace ? `/namespaces/${namespace}` : '';
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
    const common = (name: string) => ({
      name, kubeConfig: kc, logger, silenceMs: options.watchSilenceMs,
      onRestart: (reason: string) => metrics.informerRestarts.inc({ informer: name, reason }),
    });
    const group = { group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies' };
    // controller-runtime's GenerationChangedPredicate (plus labels, annotations — the pause
    // annotation — and deletion): the operator's own status writes must not requeue the policy.
    // Status carries signal values that change on every read (heap, latency), so requeueing on
    // them would turn the polling interval into a loop at the queue's rate limit.
    const triggers = new Map<string, string>();
    const specChanged = (type: string, p: ScalingPolicyObject): boolean => {
      const key = objectKey(p);
      if (type === 'DELETED') {
        triggers.delete(key);
        return true;
      }
      const trigger = JSON.stringify([p.metadata?.generation, p.metadata?.labels ?? {}, p.metadata?.annotations ?? {}, p.metadata?.deletionTimestamp ?? null]);
      if (type === 'MODIFIED' && triggers.get(key) === trigger) return false;
      triggers.set(key, trigger);
      return true;
    };
    this.policies = new Watcher<ScalingPolicyObject>({
      ...common('scalingpolicies'),
      path: `/apis/plimsoll.dev/v1alpha1${ns}/scalingpolicies`,
      list: async () => (namespace
        ? custom.listNamespacedCustomObject({ ...group, namespace })
        : custom.listClusterCustomObject(group)) as Promise<k8s.KubernetesListObject<ScalingPolicyObject>>,
      onEvent: (type, p) => {
        if (specChanged(type, p)) this.queue.add(objectKey(p));
      },
    });
    this.deployments = new Watcher<k8s.V1Deployment>({
      ...common('deployments'),
      path: `/apis/apps/v1${ns}/deployments`,
      list: () => (namespace ? apps.listNamespacedDeployment({ namespace }) : apps.listDeploymentForAllNamespaces()),
      onEvent: (_type, d) => this.enqueueFor(d.metadata?.namespace, d.metadata?.name),
    });
    const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
    this.configMaps = new Watcher<k8s.V1ConfigMap>({
      ...common('configmaps'),
      path: `/api/v1${ns}/configmaps`,
      labelSelector,
      list: () => (namespace ? core.listNamespacedConfigMap({ namespace, labelSelector }) : core.listConfigMapForAllNamespaces({ labelSelector })),
      // Someone edited or deleted the runtime document: the owner puts it back.
      onEvent: (_type, cm) => {
        const policy = cm.metadata?.labels?.[POLICY_LABEL];
        if (policy) this.queue.add(`${cm.metadata?.namespace}/${policy}`);
      },
    });
    this.hpas = new Watcher<k8s.V2HorizontalPodAutoscaler>({
      ...common('horizontalpodautoscalers'),
      path: `/apis/autoscaling/v2${ns}/horizontalpodautoscalers`,
      list: () => (namespace
        ? autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })
        : autoscaling.listHorizontalPodAutoscalerForAllNamespaces()),
      onEvent: (_type, h) => this.enqueueFor(h.metadata?.namespace, h.spec?.scaleTargetRef.name),
    });
  }

  get caches(): Caches {
    return {
      policy: (key) => this.policies.get(key),
      policies: () => this.policies.values(),
      deployment: (key) => this.deployments.get(key),
      configMap: (key) => this.configMaps.get(key),
      hpas: () => this.hpas.values(),
    };
  }

  /** Start the informers; resolves when every cache is filled. */
  async startInformers(): Promise<void> {
    await Promise.all([this.policies.start(), this.deployments.start(), this.configMaps.start(), this.hpas.start()]);
  }

  /** Start the workers (only the leader does). */
  startWorkers(reconciler: Reconciler): void {
    this.reconciler = reconciler;
    const count = this.options.workers ?? 2;
    for (let i = 0; i < count; i++) this.workers.push(this.work());
    for (const p of this.policies.values()) this.queue.add(objectKey(p));
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
    await Promise.all([this.policies.stop(), this.deployments.stop(), this.configMaps.stop(), this.hpas.stop()]);
  }

  private enqueueFor(namespace: string | undefined, target: string | undefined): void {
    if (!namespace || !target) return;
    for (const p of this.policies.values()) {
      if (p.metadata?.namespace === namespace && targetOf(p) === target) this.queue.add(objectKey(p));
    }
  }

  private async work(): Promise<void> {
    const { logger, metrics } = this.options;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const end = metrics.reconcileDuration.startTimer();
      try {
        const result = await this.reconciler!.reconcile(key);
        this.queue.forget(key);
        metrics.reconcileTotal.inc({ result: 'success' });
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        const status = err instanceof k8s.ApiException ? err.code : undefined;
        const code = isPlimsollError(err) ? err.code : status !== undefined ? `HTTP_${status}` : 'INTERNAL';
        metrics.reconcileTotal.inc({ result: 'error' });
        metrics.reconcileErrors.inc({ code: String(code) });
        logger.warn({ key, err: err instanceof Error ? err.message : String(err), retries: this.queue.numRequeues(key) }, 'reconcile failed; backing off');
        this.queue.addRateLimited(key);
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }
}
