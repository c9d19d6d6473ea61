/**
 * The runtime document every matcher replica applies live: ConfigMap <policy>-runtime, key
 * runtime.json. Its generation grows by one each time the content (everything but generation
 * and issuedAt) changes, never otherwise, so a replica's applied generation says exactly which
 * content it runs.
 */
import type * as k8s from '@kubernetes/client-node';
import type { ServiceLevel } from '../api/scaling-policy.js';
import type { Decision } from '../engine/index.js';

export const RUNTIME_KEY = 'runtime.json';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const POLICY_LABEL = 'plimsoll.dev/policy';

export interface RuntimeDocument {
  policy: string;
  generation: number;
  issuedAt: string;
  serviceLevel: ServiceLevel;
  replicas: number;
  /** Absent when the policy sets no connection budget and no pool was ever published. */
  db?: { poolMax: number };
  queues: Record<string, { concurrency: number; rateLimit: { max: number; durationMs: number } }>;
}

export type RuntimeContent = Omit<RuntimeDocument, 'generation' | 'issuedAt'>;

export function runtimeContent(policy: string, decision: Decision, poolMax: number): RuntimeContent {
  const queues: RuntimeContent['queues'] = {};
  for (const c of decision.concurrency) queues[c.provider] = { concurrency: c.value, rateLimit: { ...c.rateLimit } };
  // Without a connection budget the engine has no pool opinion (poolMax 0): say nothing rather
  // than publish a pool of 0, which a replica must refuse.
  return { policy, serviceLevel: decision.serviceLevel.value, replicas: decision.replicas.value, ...(poolMax > 0 ? { db: { poolMax } } : {}), queues };
}

/** Same content, whatever the generation and issue time. */
export function sameContent(doc: RuntimeDocument | undefined, content: RuntimeContent): boolean {
  if (!doc) return false;
  const { generation: _g, issuedAt: _i, ...rest } = doc;
  return canonicalJson(rest) === canonicalJson(content);
}

export function parseRuntimeDocument(cm: k8s.V1ConfigMap | undefined): RuntimeDocument | undefined {
  const raw = cm?.data?.[RUNTIME_KEY];
  if (!raw) return undefined;
  try {
    const doc = JSON.parse(raw) as RuntimeDocument;
    return typeof doc.generation === 'number' ? doc : undefined;
  } catch {
    return undefined;
  }
}

export function configMapNameFor(policyName: string, configured: string | undefined): string {
  return configured ?? `${policyName}-runtime`;
}

/** The apply body: owned by the policy (controller owner), so deleting the policy deletes it. */
export function runtimeConfigMap(
  policy: { name: string; namespace: string; uid: string },
  configMapName: string,
  doc: RuntimeDocument,
): k8s.V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName,
      namespace: policy.namespace,
      labels: { [MANAGED_BY_LABEL]: 'plimsoll', [POLICY_LABEL]: policy.name },
      ownerReferences: [{ apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', name: policy.name, uid: policy.uid, controller: true }],
    },
    data: { [RUNTIME_KEY]: JSON.stringify(doc, null, 2) },
  };
}

/** JSON with sorted keys and no undefined: equality of API objects regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
