/**
 * The operator writes only runtime ConfigMaps it made for the policy at hand. A policy's
 * runtime.configMapName could name any ConfigMap of its namespace (someone's settings, another
 * policy's document); forcing our apply onto it, with a controller owner reference, would
 * overwrite it and then delete it with the policy. So a ConfigMap is the policy's own only when
 * it carries what the operator puts on the ConfigMaps it creates: the managed-by and policy
 * labels and a controller owner reference to a ScalingPolicy of that name (the name, not the uid:
 * a policy deleted and created again takes its predecessor's document over, see lineage).
 * A ConfigMap that does not exist yet is created (never applied), so one made meanwhile by
 * someone else makes the create fail instead of being taken over.
 */
import type * as k8s from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_LABEL } from '../contract/index.js';

export function ownedByPolicy(cm: Pick<k8s.V1ConfigMap, 'metadata'>, policyName: string): boolean {
  const labels = cm.metadata?.labels ?? {};
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE || labels[POLICY_LABEL] !== policyName) return false;
  return (cm.metadata?.ownerReferences ?? []).some((o) =>
    o.controller === true && o.kind === 'ScalingPolicy' && o.apiVersion.startsWith('plimsoll.dev/') && o.name === policyName);
}

/** The cached ConfigMap if it is the policy's own; a foreign one counts as absent (never written). */
export function ownRuntimeConfigMap(cm: k8s.V1ConfigMap | undefined, policyName: string): k8s.V1ConfigMap | undefined {
  return cm && ownedByPolicy(cm, policyName) ? cm : undefined;
}

/** Why the policy may not use this existing ConfigMap (undefined: it may, or none exists). */
export function configMapRefusal(cm: Pick<k8s.V1ConfigMap, 'metadata'> | undefined, policyName: string): string | undefined {
  if (!cm || ownedByPolicy(cm, policyName)) return undefined;
  const name = cm.metadata?.name ?? '';
  return `spec.runtime.configMapName: ConfigMap ${name} exists and was not created by Plimsoll for this policy `
    + `(it lacks the labels ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}, ${POLICY_LABEL}=${policyName} or the policy's owner reference): `
    + 'it is neither written nor deleted; name a ConfigMap that does not exist and the operator creates it';
}
