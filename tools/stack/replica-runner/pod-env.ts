/**
 * DEVELOPMENT HARNESS — not part of the product. The environment a kubelet would give one
 * container of a pod: `envFrom` (ConfigMaps and Secrets, with prefix), then `env` (literal
 * values with `$(VAR)` expansion, ConfigMap/Secret keys, downward-API fields, resource
 * fields), later entries overriding earlier ones — the order and rules of the kubelet's
 * `makeEnvironmentVariables`. Pure: the ConfigMaps and Secrets come in through `lookup`.
 */
import type * as k8s from '@kubernetes/client-node';
import { QuantityError, quantityNumber } from './quantity.js';

export interface EnvSources {
  /** A ConfigMap's data in the pod's namespace, or undefined when it does not exist. */
  configMap(name: string): Record<string, string> | undefined;
  /** A Secret's data (base64-decoded) in the pod's namespace, or undefined when it does not exist. */
  secret(name: string): Record<string, string> | undefined;
}

/** A variable name the kubelet accepts (C identifiers plus '.' and '-', not starting with a digit). */
const VALID_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export class PodEnvError extends Error {}

/**
 * `$(NAME)` is replaced by an earlier variable's value; `$$(NAME)` is the literal `$(NAME)`;
 * a reference to an unknown name stays as written (kubelet's expansion.Expand).
 */
export function expand(value: string, known: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([-._a-zA-Z0-9]+)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(known, name) ? known[name]! : match;
  });
}

function fieldValue(pod: k8s.V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    default: throw new PodEnvError(`downward API field ${fieldPath} is not supported by the replica runner`);
  }
}

/** A Kubernetes quantity ("500m", "256Mi", "1") as a number (the grammar: quantity.ts). */
export function quantity(text: string): number {
  try {
    return quantityNumber(text);
  } catch (err) {
    if (err instanceof QuantityError) throw new PodEnvError(err.message);
    throw err;
  }
}

function resourceValue(container: k8s.V1Container, ref: k8s.V1ResourceFieldSelector): string {
  const [kind, resource] = ref.resource.split('.') as ['limits' | 'requests', string];
  const raw = container.resources?.[kind]?.[resource];
  // Without a limit the kubelet reports the node's allocatable; this machine is the node.
  if (raw === undefined) return '0';
  const divisor = ref.divisor ? quantity(String(ref.divisor)) : 1;
  return String(Math.ceil(quantity(String(raw)) / divisor));
}

/** The container's environment as the kubelet builds it (no image ENV, no service links). */
export function containerEnv(pod: k8s.V1Pod, container: k8s.V1Container, sources: EnvSources): Record<string, string> {
  const env: Record<string, string> = {};
  const where = `pod ${pod.metadata?.namespace}/${pod.metadata?.name} container ${container.name}`;
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    if (!ref?.name) continue;
    const data = from.configMapRef ? sources.configMap(ref.name) : sources.secret(ref.name);
    if (data === undefined) {
      if (ref.optional) continue;
      throw new PodEnvError(`${where}: envFrom ${kind} ${ref.name} not found (CreateContainerConfigError)`);
    }
    for (const [key, value] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${key}`;
      if (VALID_NAME.test(name)) env[name] = value;
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom === undefined) {
      env[variable.name] = expand(variable.value ?? '', env);
      continue;
    }
    const { configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef } = variable.valueFrom;
    if (fieldRef) env[variable.name] = fieldValue(pod, fieldRef.fieldPath);
    else if (resourceFieldRef) env[variable.name] = resourceValue(container, resourceFieldRef);
    else if (configMapKeyRef || secretKeyRef) {
      const ref = (configMapKeyRef ?? secretKeyRef)!;
      const kind = configMapKeyRef ? 'ConfigMap' : 'Secret';
      const data = configMapKeyRef ? sources.configMap(ref.name!) : sources.secret(ref.name!);
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new PodEnvError(`${where}: env ${variable.name} refers to ${kind} ${ref.name} key ${ref.key}, which does not exist`);
      }
      env[variable.name] = value;
    }
  }
  return env;
}

/** Every ConfigMap and Secret name the container's environment refers to. */
export function referencedObjects(container: k8s.V1Container): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
    if (from.secretRef?.name) secrets.add(from.secretRef.name);
  }
  for (const v of container.env ?? []) {
    if (v.valueFrom?.configMapKeyRef?.name) configMaps.add(v.valueFrom.configMapKeyRef.name);
    if (v.valueFrom?.secretKeyRef?.name) secrets.add(v.valueFrom.secretKeyRef.name);
  }
  return { configMaps, secrets };
}

/** Does a label set satisfy a LabelSelector (matchLabels and matchExpressions)? */
export function matchesSelector(labels: Record<string, string> | undefined, selector: k8s.V1LabelSelector | undefined): boolean {
  // An empty selector selects nothing for a Deployment (the API server rejects it anyway).
  if (!selector || (!selector.matchLabels && !selector.matchExpressions?.length)) return false;
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (have[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, e.key);
    const value = have[e.key];
    switch (e.operator) {
      case 'In': if (!present || !(e.values ?? []).includes(value!)) return false; break;
      case 'NotIn': if (present && (e.values ?? []).includes(value!)) return false; break;
      case 'Exists': if (!present) return false; break;
      case 'DoesNotExist': if (present) return false; break;
      default: return false;
    }
  }
  return true;
}
