/**
 * KEDA ScaledObjects, for the conflicting-autoscaler check: an informer, run only while the
 * keda.sh API group is served (checked through discovery at start and then once a minute, off
 * the reconcile path), instead of a LIST per reconcile. KEDA installed later is seen within a
 * minute; its ScaledObjects then enqueue the policies on their targets like any other event.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { backoffDelay } from '../shared/backoff.js';
import { jittered, sleep } from './clock.js';
import { collectionPath, Informer } from './watcher.js';

const GROUP = 'keda.sh';
const VERSION = 'v1alpha1';
const RECHECK_MS = 60_000;
/** Discovery retried at start as a watch is (the conflict check must not start blind). */
const START_BACKOFF = { baseMs: 800, maxMs: 30_000 };

interface ScaledObject extends k8s.KubernetesObject {
  spec?: { scaleTargetRef?: { name?: string; kind?: string } };
}

/** What the cache keeps: the name and the target. */
function project(so: ScaledObject): ScaledObject {
  const { name, namespace, resourceVersion } = so.metadata ?? {};
  const target = so.spec?.scaleTargetRef;
  return { metadata: { name, namespace, resourceVersion }, spec: { scaleTargetRef: { ...(target?.name ? { name: target.name } : {}), ...(target?.kind ? { kind: target.kind } : {}) } } };
}

/** The Deployment a ScaledObject scales, if it scales one (kind defaults to Deployment). */
function deploymentOf(so: ScaledObject): string | undefined {
  const target = so.spec?.scaleTargetRef;
  return target?.name && (target.kind ?? 'Deployment') === 'Deployment' ? target.name : undefined;
}

export interface ScaledObjectsOptions {
  kubeConfig: k8s.KubeConfig;
  /** Watch these namespaces (namespaced lists and watches only); every namespace when empty. */
  namespaces: readonly string[];
  logger: Logger;
  silenceMs?: number;
  onRestart: (reason: string) => void;
  /** A ScaledObject on this Deployment appeared, changed or went. */
  onTarget: (namespace: string, deployment: string) => void;
}

export class ScaledObjects {
  private watcher: Informer<ScaledObject> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> = Promise.resolve();
  private readonly stopped = new AbortController();

  constructor(private readonly options: ScaledObjectsOptions) {}

  /** Resolves once discovery has answered and, when KEDA is served, its cache is filled. */
  async start(): Promise<void> {
    for (let failures = 0; !this.stopped.signal.aborted; failures++) {
      try {
        await this.check();
        break;
      } catch (err) {
        const delayMs = jittered(backoffDelay(failures, START_BACKOFF));
        this.options.logger.warn({ err: String(err), delayMs }, 'keda.sh discovery failed; retrying');
        this.options.onRestart('error');
        await sleep(delayMs, this.stopped.signal);
      }
    }
    this.timer = setInterval(() => { this.checking = this.check().catch((err: unknown) => this.options.logger.warn({ err: String(err) }, 'keda.sh discovery failed')); }, RECHECK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    clearInterval(this.timer);
    await this.checking;
    await this.watcher?.stop();
    this.watcher = undefined;
  }

  /** Names of the ScaledObjects on the Deployment ([] while keda.sh is not served). */
  namesFor(namespace: string, deployment: string): string[] {
    if (!this.watcher) return [];
    return this.watcher.values()
      .filter((so) => so.metadata?.namespace === namespace && deploymentOf(so) === deployment)
      .map((so) => so.metadata?.name ?? '');
  }

  private async check(): Promise<void> {
    const served = await this.served();
    if (served && !this.watcher) {
      this.options.logger.info({ group: GROUP }, 'keda.sh is served: watching ScaledObjects');
      this.watcher = this.makeWatcher();
      await this.watcher.start();
    } else if (!served && this.watcher) {
      this.options.logger.info({ group: GROUP }, 'keda.sh is no longer served');
      const watcher = this.watcher;
      this.watcher = undefined;
      await watcher.stop();
    }
  }

  private async served(): Promise<boolean> {
    // Discovery is open to every authenticated user (system:discovery): no extra permission.
    const groups = await this.options.kubeConfig.makeApiClient(k8s.ApisApi).getAPIVersions();
    return groups.groups.some((g) => g.name === GROUP && g.versions.some((v) => v.version === VERSION));
  }

  private makeWatcher(): Informer<ScaledObject> {
    const { kubeConfig, namespaces, logger, silenceMs, onRestart, onTarget } = this.options;
    const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    const group = { group: GROUP, version: VERSION, plural: 'scaledobjects' };
    return new Informer<ScaledObject>(namespaces, (namespace) => ({
      name: 'scaledobjects', kubeConfig, logger, silenceMs, onRestart,
      path: collectionPath(`/apis/${GROUP}/${VERSION}`, 'scaledobjects', namespace),
      list: async () => (namespace
        ? custom.listNamespacedCustomObject({ ...group, namespace })
        : custom.listClusterCustomObject(group)) as Promise<k8s.KubernetesListObject<ScaledObject>>,
      transform: project,
      onEvent: (_type, so) => {
        const target = deploymentOf(so);
        if (target && so.metadata?.namespace) onTarget(so.metadata.namespace, target);
      },
    }));
  }
}
