/**
 * The one way the runtime ConfigMap is written while a policy lives: created when the operator
 * has none (no version to follow), applied — conditionally on the version the new generation
 * follows — when it is the policy's own (the reconciler's admission refuses a foreign one).
 * A create never takes over: a ConfigMap of that name made by someone else meanwhile answers
 * 409 AlreadyExists, which the reconciler handles as any conflict (decide again on what is
 * there; its admission then refuses the foreign ConfigMap with a condition).
 */
import type * as k8s from '@kubernetes/client-node';
import type { KubeApi } from './kube-api.js';

export function writeRuntimeConfigMap(
  api: Pick<KubeApi, 'applyConfigMap' | 'createConfigMap'>, body: k8s.V1ConfigMap, precondition: string | undefined,
): Promise<string | undefined> {
  return precondition === undefined ? api.createConfigMap(body) : api.applyConfigMap(body, precondition);
}
