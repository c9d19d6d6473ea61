/**
 * Every write (and the few uncached reads) the operator makes to the API server, one method
 * each, so the verbs here are exactly those in manifests/rbac/operator-clusterrole.yaml:
 *
 * - deployments/scale: update (replicas only, through the scale subresource, as the HPA does)
 * - configmaps: patch (server-side apply, field manager plimsoll; creates on first apply)
 * - scalingpolicies/status: patch (server-side apply)
 * - events (events.k8s.io/v1): create
 * - secrets: get (a pgbouncer signal's deprecated secretRef, only a Secret labelled plimsoll.dev/consumer=<policy>; cached 30 s)
 * - configmaps: create (the runtime ConfigMap's first write) and list by name (is that name taken?)
 * - endpointslices: list, watch (an informer: the targets' ready endpoints; see endpoint-index.ts)
 * - pods: list (the connection budget counts every pod of the target, terminating ones too: a
 *   fresh LIST, not a cache, because a pod that an informer has not seen yet would be a pod whose
 *   connections the budget misses; it happens only before a larger pool or a scale-out is
 *   written, which is rare, and a cache of every pod of the cluster would cost more memory than
 *   everything else the operator keeps)
 * - scalingpolicies: patch (the finalizer that restores Full service when a policy is deleted)
 * - keda.sh scaledobjects: list, watch (an informer, only while the API group is served: scaled-objects.ts)
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { PlimsollError } from '../errors.js';
import type { ScalingPolicyStatus } from '../api/scaling-policy.js';
import type { EndpointIndex, ReadyEndpoint } from './endpoint-index.js';
import type { OperatorMetrics } from './metrics.js';

export const FIELD_MANAGER = 'plimsoll';
export const REPORTING_CONTROLLER = 'plimsoll.dev/operator';
/** The label by which a Secret consents to be read for the ScalingPolicy it names. */
export const CONSUMER_LABEL = 'plimsoll.dev/consumer';
/** The API server's metadata-only answer: the object without its data. */
const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

const applyOptions = () => k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

export interface PolicyRef {
  name: string;
  namespace: string;
  uid: string;
}

export class KubeApi {
  private readonly apps: k8s.AppsV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly events: k8s.EventsV1Api;
  private readonly discovery: k8s.DiscoveryV1Api;
  private readonly secrets = new Map<string, { value: string; at: number }>();

  /**
   * `endpoints`: the controller's EndpointSlice informer. Without it (a one-off client) the
   * namespace's EndpointSlices are listed when read.
   */
  constructor(
    kc: k8s.KubeConfig, private readonly metrics: OperatorMetrics, private readonly identity: string,
    private readonly endpoints?: Pick<EndpointIndex, 'readyEndpointPods'>,
  ) {
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.events = kc.makeApiClient(k8s.EventsV1Api);
    this.discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  }

  /**
   * Sets replicas through the scale subresource. With `resourceVersion` (the Deployment's, as the
   * decision read it) the write is conditional, as the HPA's is: 409 Conflict if the Deployment
   * changed since, so a decision made on stale state is never applied. Returns the new version.
   */
  async scale(namespace: string, name: string, replicas: number, resourceVersion?: string): Promise<string | undefined> {
    this.metrics.apiWrites.inc({ kind: 'scale' });
    const scale = await this.apps.replaceNamespacedDeploymentScale({
      namespace, name, fieldManager: FIELD_MANAGER,
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) }, spec: { replicas } },
    });
    return scale.metadata?.resourceVersion;
  }

  /**
   * Server-side applies the runtime ConfigMap. With `resourceVersion` (the one whose document the
   * new generation follows) the apply is conditional: 409 Conflict if another writer replaced the
   * document meanwhile, so a generation is never published over one it did not see. Returns the
   * new version.
   */
  async applyConfigMap(body: k8s.V1ConfigMap, resourceVersion?: string): Promise<string | undefined> {
    this.metrics.apiWrites.inc({ kind: 'runtime' });
    const conditional = resourceVersion ? { ...body, metadata: { ...body.metadata, resourceVersion } } : body;
    const applied = await this.core.patchNamespacedConfigMap(
      { name: body.metadata!.name!, namespace: body.metadata!.namespace!, body: conditional, fieldManager: FIELD_MANAGER, force: true },
      applyOptions(),
    );
    return applied.metadata?.resourceVersion;
  }

  /**
   * Creates the runtime ConfigMap (never an apply: a ConfigMap of that name made by someone else
   * meanwhile fails the create with 409 AlreadyExists instead of being taken over). Returns the
   * new version.
   */
  async createConfigMap(body: k8s.V1ConfigMap): Promise<string | undefined> {
    this.metrics.apiWrites.inc({ kind: 'runtime' });
    const created = await this.core.createNamespacedConfigMap({ namespace: body.metadata!.namespace!, body, fieldManager: FIELD_MANAGER });
    return created.metadata?.resourceVersion;
  }

  /** A ConfigMap by name, uncached (the informer sees only the operator's own): its metadata, or undefined. */
  async findConfigMap(namespace: string, name: string): Promise<k8s.V1ObjectMeta | undefined> {
    const list = await this.core.listNamespacedConfigMap({ namespace, fieldSelector: `metadata.name=${name}` });
    return list.items[0]?.metadata;
  }

  async applyStatus(policy: PolicyRef, status: ScalingPolicyStatus): Promise<void> {
    this.metrics.apiWrites.inc({ kind: 'status' });
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace: policy.namespace, name: policy.name,
        body: { apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', metadata: { name: policy.name, namespace: policy.namespace }, status },
        fieldManager: FIELD_MANAGER, force: true,
      },
      applyOptions(),
    );
  }

  /** An events.k8s.io/v1 Event regarding the policy (what `kubectl describe sp` lists). */
  async event(policy: PolicyRef, type: 'Normal' | 'Warning', reason: string, action: string, note: string): Promise<void> {
    this.metrics.apiWrites.inc({ kind: 'event' });
    await this.events.createNamespacedEvent({
      namespace: policy.namespace,
      body: {
        metadata: { name: `${policy.name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`, namespace: policy.namespace },
        eventTime: new k8s.V1MicroTime(),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: this.identity.slice(0, 128),
        action,
        reason,
        type,
        note: note.slice(0, 1024),
        regarding: { apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', name: policy.name, namespace: policy.namespace, uid: policy.uid },
      },
    });
  }

  /**
   * A key of a Secret that consents to `consumer` (label plimsoll.dev/consumer=<policy name>).
   * Its metadata is read first (as PartialObjectMetadata), so the data of a Secret that does
   * not consent never reaches the operator.
   */
  async secretValue(namespace: string, name: string, key: string, consumer: string): Promise<string> {
    const cacheKey = `${namespace}/${name}/${key}/${consumer}`;
    const cached = this.secrets.get(cacheKey);
    if (cached && Date.now() - cached.at < 30_000) return cached.value;
    const refuse = (): never => {
      throw new PlimsollError('SECRET_NOT_CONSENTED',
        `secret ${namespace}/${name} does not carry the label ${CONSUMER_LABEL}=${consumer}: a policy's Secret is read only with its consent (or use a registered PgBouncer source)`);
    };
    const meta = await this.core.readNamespacedSecret({ namespace, name }, k8s.setHeaderOptions('Accept', PARTIAL_METADATA));
    if (meta.metadata?.labels?.[CONSUMER_LABEL] !== consumer) refuse();
    const secret = await this.core.readNamespacedSecret({ namespace, name });
    // Checked again: the label may have gone between the two reads.
    if (secret.metadata?.labels?.[CONSUMER_LABEL] !== consumer) refuse();
    const encoded = secret.data?.[key];
    if (encoded === undefined) throw new PlimsollError('SIGNAL_FETCH_FAILED', `secret ${namespace}/${name} has no key ${key}`);
    const value = Buffer.from(encoded, 'base64').toString('utf8');
    this.secrets.set(cacheKey, { value, at: Date.now() });
    return value;
  }

  /** Ready endpoint addresses of a Deployment's pods (see readyEndpointPods). */
  async readyEndpoints(namespace: string, deployment: string): Promise<string[]> {
    return (await this.readyEndpointPods(namespace, deployment)).map((e) => e.address);
  }

  /**
   * Ready endpoints of a Deployment's pods, with the pod each one is. EndpointSlices name their
   * pods in targetRef; a Deployment's pods are named <deployment>-<template hash>-<suffix>.
   */
  async readyEndpointPods(namespace: string, deployment: string): Promise<ReadyEndpoint[]> {
    if (this.endpoints) return this.endpoints.readyEndpointPods(namespace, deployment);
    const slices = await this.discovery.listNamespacedEndpointSlice({ namespace });
    const pod = new RegExp(`^${deployment.replace(/[.]/g, '\\.')}-[a-z0-9]+-[a-z0-9]+$`);
    const found = new Map<string, string>();
    for (const slice of slices.items) {
      // A slice of a Service with no pods (a Deployment at 0) has no endpoints field at all,
      // whatever the client's types say: none ready, not an error that blocks scaling out.
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.ready === false) continue;
        if (endpoint.targetRef?.kind !== 'Pod' || !pod.test(endpoint.targetRef.name ?? '')) continue;
        const address = endpoint.addresses[0];
        if (address) found.set(address, endpoint.targetRef.name!);
      }
    }
    return [...found].map(([address, name]) => ({ address, pod: name }));
  }

  /**
   * Every pod the Deployment's selector matches, terminating ones included: uncached, read only
   * when the budget must be checked against the pods that exist (a larger pool, a scale-out).
   */
  async podsOf(namespace: string, selector: k8s.V1LabelSelector): Promise<k8s.V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace, labelSelector: labelSelector(selector) });
    return list.items;
  }

  /** Sets the policy's finalizers (JSON patch guarded by resourceVersion: a concurrent change fails, and the reconcile retries). */
  async setFinalizers(policy: PolicyRef, resourceVersion: string, finalizers: string[]): Promise<void> {
    this.metrics.apiWrites.inc({ kind: 'finalizer' });
    await this.custom.patchNamespacedCustomObject(
      {
        group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace: policy.namespace, name: policy.name,
        body: [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, { op: 'add', path: '/metadata/finalizers', value: finalizers }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
  }
}

/** A LabelSelector as the list API's labelSelector string. */
export function labelSelector(selector: k8s.V1LabelSelector): string {
  const terms = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') terms.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`);
  }
  return terms.join(',');
}
