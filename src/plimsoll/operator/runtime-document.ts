/**
 * The operator's side of the runtime document (the contract is src/plimsoll/contract/): building it from
 * a decision, reading it back from the ConfigMap (validated with the contract's schema, as a
 * replica does), and the ConfigMap the operator applies.
 */
import type * as k8s from '@kubernetes/client-node';
import {
  MANAGED_BY_LABEL, MANAGED_BY_VALUE, parseRuntimeDocument, POLICY_LABEL, RUNTIME_KEY,
  type CompleteContent, type RuntimeContent, type RuntimeDocument,
} from '../contract/index.js';
import type { Decision } from '../engine/index.js';

export function runtimeContent(policy: string, decision: Decision): RuntimeContent {
  const queues: RuntimeContent['queues'] = {};
  for (const c of decision.concurrency) queues[c.provider] = { concurrency: c.value, rateLimit: { ...c.rateLimit }, maxWaiting: c.maxWaiting };
  // Every field of the contract, so a knob added there and not decided here fails to compile.
  const content = {
    policy,
    serviceLevel: decision.serviceLevel.value,
    replicas: decision.replicas.value,
    // No pool opinion (no budget, nothing published before): say nothing, the replicas keep theirs.
    db: decision.poolMax ? { poolMax: decision.poolMax.value } : undefined,
    queues,
  } satisfies CompleteContent;
  const { db, ...rest } = content;
  return db ? { ...rest, db } : rest;
}

/** Same content, whatever the lineage, generation and issue time. */
export function sameContent(doc: RuntimeDocument | undefined, content: RuntimeContent): boolean {
  if (!doc) return false;
  const { lineage: _l, generation: _g, issuedAt: _i, ...rest } = doc;
  return canonicalJson(rest) === canonicalJson(content);
}

/**
 * The published document, validated as a replica validates it. Missing, or unreadable (someone
 * edited it by hand): undefined, and the next publish replaces it; status keeps the generation
 * monotonic. `onInvalid` hears why.
 */
export function readRuntimeDocument(cm: k8s.V1ConfigMap | undefined, onInvalid: (error: Error) => void = () => undefined): RuntimeDocument | undefined {
  const raw = cm?.data?.[RUNTIME_KEY];
  if (!raw) return undefined;
  try {
    return parseRuntimeDocument(raw);
  } catch (error) {
    onInvalid(error as Error);
    return undefined;
  }
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
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [POLICY_LABEL]: policy.name },
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
