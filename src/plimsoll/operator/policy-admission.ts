/**
 * Before a policy is acted on: may it reach what it names? A tenant who may create a
 * ScalingPolicy must not gain the operator's reach (issue 16), so a policy is refused, with a
 * condition that names the field and the rule, when
 *
 * - a signal names a Prometheus server, PgBouncer endpoint or health URL the administrator did
 *   not register (then nothing is fetched for it), or
 * - its runtime ConfigMap exists and was not made by the operator for it (then nothing is written).
 *
 * A refused policy gets no finalizer, no Event, no read and no write but its status.
 */
import type * as k8s from '@kubernetes/client-node';
import type { ScalingPolicySpec } from '../api/scaling-policy.js';
import type { SignalSources } from '../config/signal-sources.js';
import { runtimeConfigMapName } from '../contract/index.js';
import { configMapRefusal } from './configmap-ownership.js';
import { unregisteredSources } from './sources/resolve.js';

export interface Refusal {
  reason: 'SignalSourceNotRegistered' | 'ConfigMapNotOwned';
  message: string;
  /** Look again after the polling interval (a foreign ConfigMap may go; nothing else tells us). */
  recheck: boolean;
}

export interface AdmissionDeps {
  sources: SignalSources;
  /** The informer's copy (ConfigMaps labelled managed-by plimsoll only). */
  cachedConfigMap(key: string): k8s.V1ConfigMap | undefined;
  /** An uncached look for the name (the cache does not see unlabelled ConfigMaps). */
  findConfigMap(namespace: string, name: string): Promise<k8s.V1ObjectMeta | undefined>;
}

export async function admissionRefusal(spec: ScalingPolicySpec, ref: { namespace: string; name: string }, deps: AdmissionDeps): Promise<Refusal | undefined> {
  const problems = unregisteredSources(spec, deps.sources);
  if (problems.length > 0) {
    return {
      reason: 'SignalSourceNotRegistered',
      message: `SIGNAL_SOURCE_NOT_REGISTERED: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}; nothing is fetched`,
      recheck: false,
    };
  }
  const name = runtimeConfigMapName(ref.name, spec.runtime.configMapName);
  const cached = deps.cachedConfigMap(`${ref.namespace}/${name}`);
  const metadata = cached ? cached.metadata : await deps.findConfigMap(ref.namespace, name);
  const foreign = configMapRefusal(metadata && { metadata }, ref.name);
  return foreign ? { reason: 'ConfigMapNotOwned', message: `CONFIGMAP_NOT_OWNED: ${foreign}`, recheck: true } : undefined;
}
