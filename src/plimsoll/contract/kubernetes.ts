/**
 * Where the runtime document lives in Kubernetes: the ConfigMap's name, key, labels, and the
 * policy annotation the operator honours. A governed service reads the ConfigMap by name; the
 * operator finds its own ConfigMaps by the managed-by label.
 */

/** The ConfigMap key holding the runtime document (JSON). */
export const RUNTIME_KEY = 'runtime.json';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'plimsoll';
/** The ScalingPolicy a runtime ConfigMap belongs to. */
export const POLICY_LABEL = 'plimsoll.dev/policy';
/** `"true"` on a ScalingPolicy: no decisions are made or applied until it is removed. */
export const PAUSED_ANNOTATION = 'plimsoll.dev/paused';

/** The runtime ConfigMap of a policy: `spec.runtime.configMapName`, else `<policy>-runtime`. */
export function runtimeConfigMapName(policyName: string, configured?: string): string {
  return configured ?? `${policyName}-runtime`;
}
