/**
 * What the informers' caches keep of each object (Watcher's `transform`). Deployments are
 * watched cluster-wide without a filter (any of them may become a target, and a policy created
 * later must find its target in the cache), so each one is kept as the few fields the reconciler
 * reads: replicas, selector, strategy, readiness. Their pod templates, managedFields and
 * last-applied annotations are most of a Deployment's size and are never read. The other kinds
 * lose their managedFields (server-side apply's bookkeeping, often larger than the object).
 */
import type * as k8s from '@kubernetes/client-node';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function lean(metadata: k8s.V1ObjectMeta | undefined): k8s.V1ObjectMeta {
  const { managedFields: _m, annotations, ...rest } = metadata ?? {};
  if (!annotations) return rest;
  const { [LAST_APPLIED]: _l, ...kept } = annotations;
  return Object.keys(kept).length > 0 ? { ...rest, annotations: kept } : rest;
}

export function projectDeployment(d: k8s.V1Deployment): k8s.V1Deployment {
  const { name, namespace, uid, resourceVersion, generation, labels, deletionTimestamp } = d.metadata ?? {};
  const spec = d.spec;
  const status = d.status;
  return {
    metadata: { name, namespace, uid, resourceVersion, generation, labels, deletionTimestamp },
    // selector and template are required by the type; the template is never read.
    spec: { replicas: spec?.replicas, selector: spec?.selector ?? {}, strategy: spec?.strategy, template: {} },
    status: {
      replicas: status?.replicas, readyReplicas: status?.readyReplicas, updatedReplicas: status?.updatedReplicas,
      availableReplicas: status?.availableReplicas, observedGeneration: status?.observedGeneration,
    },
  };
}

/** Policies, runtime ConfigMaps, HPAs: everything but managedFields and last-applied. */
export function withoutManagedFields<T extends k8s.KubernetesObject>(object: T): T {
  return { ...object, metadata: lean(object.metadata) };
}
