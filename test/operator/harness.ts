// Shared set-up for the operator tests: a namespace, the operator's ServiceAccount bound to the
// shipped ClusterRole (so the operator runs with exactly its RBAC, not admin), an in-process
// operator watching that namespace, and helpers to create Deployments and policies.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../src/plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../src/plimsoll/observability/metrics.js';
import { Operator, type OperatorOptions } from '../../src/plimsoll/operator/operator.js';
import type { ScalingPolicySpecInput, ScalingPolicyStatus, Condition } from '../../src/plimsoll/api/scaling-policy.js';
import { REPO_ROOT, installCrds, waitFor, type Cluster } from '../support/cluster.js';
import type { SignalSources } from '../../src/plimsoll/config/signal-sources.js';
import { defaultSignalOptions } from '../../src/plimsoll/operator/signals/index.js';
import { registerNamed, stackSignalSources } from '../support/signal-sources.js';

export const PROMETHEUS = 'http://127.0.0.1:19090';

let roleApplied: Promise<unknown> | undefined;

/** A kubeconfig (object and file) for a ServiceAccount bound to the operator's ClusterRole in namespace. */
export async function operatorCredentials(cluster: Cluster, namespace: string): Promise<{ kubeConfig: k8s.KubeConfig; path: string }> {
  const admin = cluster.kubeConfig();
  roleApplied ??= (async () => {
    const role = parseAllDocuments(readFileSync(join(REPO_ROOT, 'manifests', 'rbac', 'operator-clusterrole.yaml'), 'utf8'))
      .map((d) => d.toJS() as { kind: string }).find((d) => d.kind === 'ClusterRole');
    await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=plimsoll-tests', '-f', '-'], { input: stringify(role) });
  })();
  await roleApplied;
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'plimsoll-operator' } } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'plimsoll-operator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'plimsoll-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'plimsoll-operator', namespace }],
    },
  });
  // The Lease's Role as shipped (limited to the Lease plimsoll-operator), here in the test's
  // namespace, where the operator's leader election keeps it.
  for (const doc of parseAllDocuments(readFileSync(join(REPO_ROOT, 'manifests', 'rbac', 'operator-lease.yaml'), 'utf8'))) {
    const object = doc.toJS() as { kind: string; metadata: { namespace?: string }; subjects?: { namespace?: string }[] };
    object.metadata.namespace = namespace;
    for (const subject of object.subjects ?? []) subject.namespace = namespace;
    await cluster.kubectl(['apply', '--server-side', '--field-manager=plimsoll-tests', '-f', '-'], { input: stringify(object) });
  }
  const token = (await core.createNamespacedServiceAccountToken({
    name: 'plimsoll-operator', namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } },
  })).status?.token;
  if (!token) throw new Error('no token');
  const current = admin.getCurrentCluster()!;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...current, name: 'c' }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'c', user: 'sa', namespace }],
    currentContext: 'sa',
  });
  const path = join(mkdtempSync(join(tmpdir(), 'plimsoll-op-')), 'kubeconfig');
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  // RBAC caches settle within a moment; wait until the SA can list policies.
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  await waitFor('the operator role binding', async () => (await authz.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { namespace, verb: 'list', group: 'plimsoll.dev', resource: 'scalingpolicies' } } },
  })).status?.allowed);
  return { kubeConfig: kc, path };
}

export interface Env {
  namespace: string;
  cluster: Cluster;
  admin: k8s.KubeConfig;
  apps: k8s.AppsV1Api;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  operatorKubeConfig: k8s.KubeConfig;
  operatorKubeconfigPath: string;
  /**
   * The signal sources the test's operators are registered with: the stack's Prometheus and
   * PgBouncer, plus every private server a policy applied through applyPolicy names (the
   * administrator's list; the hostile-tenant test applies policies around it).
   */
  sources: SignalSources;
}

export async function setUp(cluster: Cluster, namespace: string): Promise<Env> {
  await installCrds(cluster);
  const admin = cluster.kubeConfig();
  const creds = await operatorCredentials(cluster, namespace);
  return {
    namespace, cluster, admin,
    apps: admin.makeApiClient(k8s.AppsV1Api),
    core: admin.makeApiClient(k8s.CoreV1Api),
    custom: admin.makeApiClient(k8s.CustomObjectsApi),
    operatorKubeConfig: creds.kubeConfig,
    operatorKubeconfigPath: creds.path,
    sources: stackSignalSources(),
  };
}

/** Start an in-process operator for the namespace, stopped after the test. */
export async function startOperator(t: TestContext, env: Env, extra: Partial<OperatorOptions> = {}): Promise<Operator> {
  const operator = new Operator({
    kubeConfig: env.operatorKubeConfig,
    namespaces: [env.namespace],
    logger: createLogger({ name: 'operator', level: process.env.OPERATOR_TEST_LOG ?? 'silent' }),
    registry: createMetricsRegistry({ defaultMetrics: false }),
    signals: { ...defaultSignalOptions, sources: env.sources },
    ...extra,
  });
  t.after(async () => {
    await operator.stop();
    // Without the operator nobody removes its finalizer: let the test namespace go.
    const list = (await env.custom.listNamespacedCustomObject({ group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace: env.namespace })) as { items: PolicyObject[] };
    for (const p of list.items) {
      await env.custom.patchNamespacedCustomObject(
        { group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace: env.namespace, name: p.metadata.name, body: { metadata: { finalizers: null } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ).catch(() => undefined);
    }
  });
  await operator.start();
  return operator;
}

export async function createDeployment(env: Env, name: string, replicas: number): Promise<void> {
  await env.apps.createNamespacedDeployment({
    namespace: env.namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'matcher:test' }] } },
      },
    },
  });
}

export async function replicasOf(env: Env, name: string): Promise<number | undefined> {
  return (await env.apps.readNamespacedDeployment({ name, namespace: env.namespace })).spec?.replicas;
}

export interface PolicyObject {
  metadata: { name: string; namespace: string; generation?: number; uid?: string; annotations?: Record<string, string> };
  spec: ScalingPolicySpecInput;
  status?: ScalingPolicyStatus;
}

export async function applyPolicy(env: Env, name: string, spec: ScalingPolicySpecInput, annotations?: Record<string, string>): Promise<void> {
  registerNamed(env.sources, spec);
  const body = {
    apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy',
    metadata: { name, namespace: env.namespace, ...(annotations ? { annotations } : {}) },
    spec,
  };
  await env.cluster.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=plimsoll-tests', '-f', '-'], { input: JSON.stringify(body) });
}

export async function getPolicy(env: Env, name: string): Promise<PolicyObject> {
  return (await env.custom.getNamespacedCustomObject({
    group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace: env.namespace, name,
  })) as PolicyObject;
}

export function condition(p: PolicyObject, type: string): Condition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

export async function runtimeDocument(env: Env, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    const cm = await env.core.readNamespacedConfigMap({ name, namespace: env.namespace });
    const raw = cm.data?.['runtime.json'];
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function eventsFor(env: Env, policy: string): Promise<Array<{ reason?: string; note?: string; type?: string }>> {
  const events = env.admin.makeApiClient(k8s.EventsV1Api);
  const list = await events.listNamespacedEvent({ namespace: env.namespace });
  return list.items.filter((e) => e.regarding?.name === policy && e.regarding.kind === 'ScalingPolicy');
}

/** A policy on Deployment `target` driven by a constant Prometheus query (vector(N)). */
export function constantPolicy(target: string, value: number, extra: Partial<ScalingPolicySpecInput> = {}): ScalingPolicySpecInput {
  return {
    targetRef: { name: target },
    pollingIntervalSeconds: 1,
    replicas: {
      min: 1, max: 10,
      // Fast behaviour so tests need not wait out the HPA's 15 s rate windows.
      behavior: {
        scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 1 }] },
        scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 100, periodSeconds: 1 }] },
      },
    },
    signals: [{ name: 'load', prometheus: { serverAddress: PROMETHEUS, query: `vector(${value})`, timeoutSeconds: 2 } }],
    objectives: [{ signal: 'load', target: { type: 'AverageValue', averageValue: 10 } }],
    connectionBudget: { maxConnections: 100, reserved: 15, pool: { min: 2, max: 50 } },
    queues: { providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 }, concurrency: { min: 1, max: 4 } }] },
    ...extra,
  };
}

export { waitFor };
