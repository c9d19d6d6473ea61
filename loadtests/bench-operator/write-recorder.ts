/**
 * Every write a contender makes in its namespace, seen on watches and explained: each MODIFIED
 * object's written part (a policy's status, a ConfigMap's data, a Deployment's replicas…) is
 * diffed against its previous version (resourceVersion and managedFields are not part of it), and
 * each created Event named by its reason. The report groups them by cause (write-diff.ts), so
 * "0 writes per minute when nothing changes" is either met or every write says what changed.
 *
 * A write the API server found to change nothing (a no-op apply) bumps no resourceVersion and so
 * is never seen here: the report counts those as the contender's writes minus the ones seen.
 * Deletions are not recorded.
 */
import * as k8s from '@kubernetes/client-node';
import { diffLeaves, type WriteRecord } from './write-diff.js';

type Obj = k8s.KubernetesObject & Record<string, unknown>;

export interface WatchedKind {
  /** What the records call it; a function to name it per object (an Event by its reason). */
  kind: string | ((obj: Obj) => string);
  /** The collection to watch, e.g. /apis/plimsoll.dev/v1alpha1/namespaces/<ns>/scalingpolicies. */
  path: string;
  list(): Promise<k8s.KubernetesListObject<Obj>>;
  /** The part of the object the contender writes, or undefined when the object is not the contender's. */
  written(obj: Obj): unknown;
  /** What a created object says (an Event's note). */
  detail?(obj: Obj): string;
  /** True for an object's writes by someone other than the contender (the HPA controller, for KEDA): seen, listed, not the contender's. */
  byOthers?(obj: Obj): boolean;
  /** False when another writer creates these objects (an HPA's status is written, not created, by the HPA controller). */
  creates?: boolean;
}

const meta = (o: Obj) => o.metadata ?? {};
const writtenMetadata = (o: Obj) => ({ labels: meta(o).labels, annotations: meta(o).annotations, finalizers: meta(o).finalizers, ownerReferences: meta(o).ownerReferences });
const managedBy = (o: Obj, manager: string) => (meta(o).managedFields ?? []).some((f) => f.manager === manager);
const asList = (p: Promise<unknown>) => p as Promise<k8s.KubernetesListObject<Obj>>;

/** A custom resource's metadata and status: what its controller writes (the spec is the benchmark's). */
export function customResourceKind(kc: k8s.KubeConfig, kind: string, group: string, version: string, plural: string, namespace: string): WatchedKind {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  return {
    kind, path: `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
    list: () => asList(custom.listNamespacedCustomObject({ group, version, namespace, plural })),
    written: (o) => ({ metadata: writtenMetadata(o), status: o.status }),
  };
}

/** A ConfigMap's values, a JSON document parsed, so its diff names the fields that changed. */
function parsedData(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  return Object.fromEntries(Object.entries(data as Record<string, string>).map(([k, v]) => {
    try {
      return [k, JSON.parse(v) as unknown];
    } catch {
      return [k, v];
    }
  }));
}

/** ConfigMaps a field manager wrote (the operator's runtime documents; not kube-root-ca.crt). */
export function configMapKind(kc: k8s.KubeConfig, namespace: string, manager: string): WatchedKind {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    kind: 'ConfigMap', path: `/api/v1/namespaces/${namespace}/configmaps`,
    list: () => asList(core.listNamespacedConfigMap({ namespace })),
    written: (o) => (managedBy(o, manager) ? { metadata: writtenMetadata(o), data: parsedData(o.data) } : undefined),
  };
}

/** Deployments' replicas only: the rest moves with the controller-manager's and kwok's work. */
export function replicasKind(kc: k8s.KubeConfig, namespace: string, writer: string, contenders = true): WatchedKind {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  return {
    kind: `Deployment replicas (${writer})`, path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
    ...(contenders ? {} : { byOthers: () => true }),
    list: () => asList(apps.listNamespacedDeployment({ namespace })),
    written: (o) => ({ replicas: (o as k8s.V1Deployment).spec?.replicas }),
  };
}

/** KEDA's HPAs: their spec and metadata are KEDA's writes, their status the HPA controller's. */
export function hpaKinds(kc: k8s.KubeConfig, namespace: string): WatchedKind[] {
  const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
  const base = { path: `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`, list: () => asList(autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })) };
  return [
    { ...base, kind: 'HorizontalPodAutoscaler spec', written: (o) => ({ metadata: writtenMetadata(o), spec: o.spec }) },
    { ...base, kind: 'HorizontalPodAutoscaler status (HPA controller)', written: (o) => ({ status: o.status }), creates: false, byOthers: () => true },
  ];
}

/**
 * Events a controller reported (events.k8s.io reportingController, or the core API's source
 * component): the contender's, and `others'` (listed, not counted as the contender's).
 */
export function eventKind(kc: k8s.KubeConfig, namespace: string, controllers: string[], others: string[] = []): WatchedKind {
  const events = kc.makeApiClient(k8s.EventsV1Api);
  const event = (o: Obj) => o as unknown as Partial<k8s.EventsV1Event>;
  const reporter = (o: Obj) => event(o).reportingController || event(o).deprecatedSource?.component || '';
  return {
    kind: (o) => `Event ${event(o).reason ?? '?'} (${reporter(o)})`, path: `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
    detail: (o) => event(o).note ?? '',
    byOthers: (o) => others.includes(reporter(o)),
    list: () => asList(events.listNamespacedEvent({ namespace })),
    written: (o) => {
      if (!controllers.includes(reporter(o)) && !others.includes(reporter(o))) return undefined;
      const e = event(o);
      return { note: e.note, series: e.series?.count, count: e.deprecatedCount };
    },
  };
}

export class WriteRecorder {
  readonly records: WriteRecord[] = [];
  private readonly informers: Array<k8s.Informer<Obj>> = [];
  private stopped = false;
  /** Watch restarts (a broken watch is listed again; writes in between show as one change). */
  restarts = 0;

  constructor(private readonly kc: k8s.KubeConfig, private readonly kinds: WatchedKind[]) {}

  /** Lists every kind (what exists is the baseline, not a write), then records what changes. */
  async start(): Promise<void> {
    await Promise.all(this.kinds.map((kind) => this.watch(kind)));
  }

  private async watch(kind: WatchedKind): Promise<void> {
    const last = new Map<string, unknown>();
    let baseline = true;
    const name = (o: Obj) => meta(o).name ?? '?';
    const label = (o: Obj) => (typeof kind.kind === 'string' ? kind.kind : kind.kind(o));
    const record = (o: Obj) => {
      const key = name(o);
      const now = kind.written(o);
      const before = last.get(key);
      if (now !== undefined) last.set(key, now);
      if (baseline || now === undefined) return;
      const created = before === undefined;
      if (created && kind.creates === false) return;
      const changes = created ? [] : diffLeaves(before, now);
      // Another field moved (a Deployment's status, an HPA's spec on the status watch): not this writer's write.
      if (!created && changes.length === 0) return;
      const detail = kind.detail?.(o);
      const byOthers = kind.byOthers?.(o) ?? false;
      this.records.push({ atMs: Date.now(), kind: label(o), name: key, verb: created ? 'created' : 'modified', changes, ...(detail ? { detail } : {}), ...(byOthers ? { byOthers } : {}) });
    };
    const informer = k8s.makeInformer(this.kc, kind.path, () => kind.list());
    informer.on(k8s.ADD, record);
    informer.on(k8s.UPDATE, record);
    // Deletions are not recorded: nothing the contenders do in steady state deletes, and Events expire.
    informer.on(k8s.DELETE, (o) => last.delete(name(o)));
    informer.on(k8s.ERROR, () => {
      if (this.stopped) return;
      this.restarts++;
      setTimeout(() => { if (!this.stopped) void informer.start().catch(() => undefined); }, 2000);
    });
    this.informers.push(informer);
    await informer.start();
    baseline = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
  }
}
