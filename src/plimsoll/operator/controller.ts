/**
 * The controller: informers feed keys into the work queue; workers take a key, reconcile it
 * and requeue it (after requeueAfter on success, with backoff on error). Events on a
 * Deployment, an owned ConfigMap, an HPA, a KEDA ScaledObject or the ready endpoints of a
 * target map to the policies they concern. A reconcile reads these caches only: nothing is
 * listed in the steady reconcile path (the pods of a target are, rarely: see kube-api.ts).
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { isPlimsollError } from '../errors.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_LABEL } from '../contract/kubernetes.js';
import { projectDeployment, withoutManagedFields } from './cache-projections.js';
import { EndpointIndex, projectEndpointSlice } from './endpoint-index.js';
import type { OperatorMetrics } from './metrics.js';
import type { Reconciler, ScalingPolicyObject, Caches } from './reconciler.js';
import { ScaledObjects } from './scaled-objects.js';
import { collectionPath, Informer, objectKey } from './watcher.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  kubeConfig: k8s.KubeConfig;
  /**
   * Watch these namespaces, each with namespaced lists and watches only (RoleBindings there
   * suffice); every namespace when empty or absent.
   */
  namespaces?: readonly string[];
  workers?: number;
  /** A reconcile running this long lets its worker take the next key (default 2 s; see work()). */
  slowReconcileMs?: number;
  logger: Logger;
  metrics: OperatorMetrics;
  watchSilenceMs?: number;
}

/**
 * Reconciles are I/O-bound (signal reads, health reads, API writes: ~0.2 s each, little CPU):
 * 500 policies at a 15 s interval keep about 7 workers busy, and 2 could not keep up (issue 17's
 * benchmark: the queue never drained). 16 leave room for twice that; the per-server bound on
 * signal requests (OPERATOR_SIGNAL_HOST_CONCURRENCY) keeps them from piling onto one server.
 */
export const DEFAULT_WORKERS = 16;
const SLOW_RECONCILE_MS = 2_000;
/** Reconciles let go by their workers (see work()), at most, per worker. */
const LET_GO_PER_WORKER = 4;

/** Whether the promise settles within ms (it is never rejected: see reconcileOne). */
function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  return Promise.race([promise.then(() => true), late]).finally(() => clearTimeout(timer));
}

const targetOf = (p: ScalingPolicyObject) => (p.spec as { targetRef?: { name?: string } } | undefined)?.targetRef?.name;

export class Controller {
  readonly queue: WorkQueue;
  readonly policies: Informer<ScalingPolicyObject>;
  readonly deployments: Informer<k8s.V1Deployment>;
  readonly configMaps: Informer<k8s.V1ConfigMap>;
  readonly hpas: Informer<k8s.V2HorizontalPodAutoscaler>;
  readonly endpointSlices: Informer<k8s.V1EndpointSlice>;
  /** The targets' ready endpoints (the acknowledgement and the health signal read them). */
  readonly endpoints = new EndpointIndex();
  readonly scaledObjects: ScaledObjects;
  private reconciler: Reconciler | undefined;
  private workers: Promise<void>[] = [];
  /** Every reconcile in flight, with its worker or let go (stop() waits for them all). */
  private readonly inFlight = new Set<Promise<void>>();
  private letGo = 0;

  constructor(private readonly options: ControllerOptions) {
    const { kubeConfig: kc, logger, metrics } = options;
    const namespaces = options.namespaces ?? [];
    this.queue = new WorkQueue({
      onChange: (depth) => {
        metrics.queueDepth.set(depth);
        metrics.queueRetries.set(this.queue?.retries() ?? 0);
      },
    });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
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
    this.policies = new Informer<ScalingPolicyObject>(namespaces, (namespace) => ({
      ...common('scalingpolicies'),
      path: collectionPath('/apis/plimsoll.dev/v1alpha1', 'scalingpolicies', namespace),
      list: async () => (namespace
        ? custom.listNamespacedCustomObject({ ...group, namespace })
        : custom.listClusterCustomObject(group)) as Promise<k8s.KubernetesListObject<ScalingPolicyObject>>,
      transform: withoutManagedFields,
      onEvent: (type, p) => {
        if (specChanged(type, p)) this.queue.add(objectKey(p));
      },
    }));
    this.deployments = new Informer<k8s.V1Deployment>(namespaces, (namespace) => ({
      ...common('deployments'),
      path: collectionPath('/apis/apps/v1', 'deployments', namespace),
      list: () => (namespace ? apps.listNamespacedDeployment({ namespace }) : apps.listDeploymentForAllNamespaces()),
      transform: projectDeployment,
      onEvent: (_type, d) => this.enqueueFor(d.metadata?.namespace, d.metadata?.name),
    }));
    const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
    this.configMaps = new Informer<k8s.V1ConfigMap>(namespaces, (namespace) => ({
      ...common('configmaps'),
      path: collectionPath('/api/v1', 'configmaps', namespace),
      labelSelector,
      list: () => (namespace ? core.listNamespacedConfigMap({ namespace, labelSelector }) : core.listConfigMapForAllNamespaces({ labelSelector })),
      transform: withoutManagedFields,
      // Someone edited or deleted the runtime document: the owner puts it back.
      onEvent: (_type, cm) => {
        const policy = cm.metadata?.labels?.[POLICY_LABEL];
        if (policy) this.queue.add(`${cm.metadata?.namespace}/${policy}`);
      },
    }));
    this.hpas = new Informer<k8s.V2HorizontalPodAutoscaler>(namespaces, (namespace) => ({
      ...common('horizontalpodautoscalers'),
      path: collectionPath('/apis/autoscaling/v2', 'horizontalpodautoscalers', namespace),
      list: () => (namespace
        ? autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })
        : autoscaling.listHorizontalPodAutoscalerForAllNamespaces()),
      transform: withoutManagedFields,
      onEvent: (_type, h) => this.enqueueFor(h.metadata?.namespace, h.spec?.scaleTargetRef.name),
    }));
    // Level-triggered acknowledgement: a replica becoming ready (or going) looks at its policy again.
    this.endpointSlices = new Informer<k8s.V1EndpointSlice>(namespaces, (namespace) => ({
      ...common('endpointslices'),
      path: collectionPath('/apis/discovery.k8s.io/v1', 'endpointslices', namespace),
      list: () => (namespace ? discovery.listNamespacedEndpointSlice({ namespace }) : discovery.listEndpointSliceForAllNamespaces()),
      transform: projectEndpointSlice,
      onEvent: (type, slice) => {
        for (const target of this.endpoints.update(type, slice)) {
          const [targetNamespace, deployment] = target.split('/');
          this.enqueueFor(targetNamespace, deployment);
        }
      },
    }));
    this.scaledObjects = new ScaledObjects({
      ...common('scaledobjects'),
      namespaces,
      onTarget: (targetNamespace, deployment) => this.enqueueFor(targetNamespace, deployment),
    });
  }

  get caches(): Caches {
    return {
      policy: (key) => this.policies.get(key),
      policies: () => this.policies.values(),
      deployment: (key) => this.deployments.get(key),
      configMap: (key) => this.configMaps.get(key),
      hpas: () => this.hpas.values(),
      scaledObjectsFor: (namespace, deployment) => this.scaledObjects.namesFor(namespace, deployment),
    };
  }

  /** Start the informers; resolves when every cache is filled. */
  async startInformers(): Promise<void> {
    await Promise.all([
      this.policies.start(), this.deployments.start(), this.configMaps.start(), this.hpas.start(), this.endpointSlices.start(), this.scaledObjects.start(),
    ]);
  }

  /** Start the workers (only the leader does). */
  startWorkers(reconciler: Reconciler): void {
    this.reconciler = reconciler;
    const count = this.options.workers ?? DEFAULT_WORKERS;
    for (let i = 0; i < count; i++) this.workers.push(this.work());
    for (const p of this.policies.values()) this.queue.add(objectKey(p));
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
    await Promise.all(this.inFlight);
    await Promise.all([
      this.policies.stop(), this.deployments.stop(), this.configMaps.stop(), this.hpas.stop(), this.endpointSlices.stop(), this.scaledObjects.stop(),
    ]);
  }

  private enqueueFor(namespace: string | undefined, target: string | undefined): void {
    if (!namespace || !target) return;
    for (const p of this.policies.values()) {
      if (p.metadata?.namespace === namespace && targetOf(p) === target) this.queue.add(objectKey(p));
    }
  }

  /**
   * One worker. Fairness: a reconcile still running after slowReconcileMs (it waits out a hung
   * signal source's timeout, up to a minute) lets its worker take the next key, so a few slow
   * policies cannot hold every worker while the others wait their turn. Its key stays its own
   * (the queue never hands a key to a second worker before done()), and the reconciles let go
   * are bounded (LET_GO_PER_WORKER per worker; past that a worker waits for its own).
   */
  private async work(): Promise<void> {
    const limit = (this.options.workers ?? DEFAULT_WORKERS) * LET_GO_PER_WORKER;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const run = this.reconcileOne(key);
      this.inFlight.add(run);
      void run.then(() => this.inFlight.delete(run));
      if (await settlesWithin(run, this.options.slowReconcileMs ?? SLOW_RECONCILE_MS)) continue;
      if (this.letGo >= limit) {
        await run;
        continue;
      }
      this.letGo += 1;
      void run.then(() => { this.letGo -= 1; });
    }
  }

  /** Reconcile one key: requeue after its interval, or back off on error. Never rejects. */
  private async reconcileOne(key: string): Promise<void> {
    const { logger, metrics } = this.options;
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
