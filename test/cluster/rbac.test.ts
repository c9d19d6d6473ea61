// RBAC is really enforced, and manifests/rbac/operator-clusterrole.yaml grants the operator what
// it needs and nothing more: a ServiceAccount without a role is denied, with the role allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { REPO_ROOT, waitFor, withNamespace, type Cluster } from '../support/cluster.js';

const MANIFEST = join(REPO_ROOT, 'manifests', 'rbac', 'operator-clusterrole.yaml');

interface Access { verb: string; group: string; resource: string; subresource?: string }
const key = (a: Access) => `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}.${a.group || 'core'}`;

// The operator's contract: exactly the verbs src/plimsoll/operator/ uses (kube-api.ts, controller.ts,
// leader-election.ts). Every one of these must be allowed...
const ALLOWED: Access[] = [
  ...['list', 'watch'].map((verb) => ({ verb, group: 'plimsoll.dev', resource: 'scalingpolicies' })),
  { verb: 'patch', group: 'plimsoll.dev', resource: 'scalingpolicies', subresource: 'status' },
  { verb: 'patch', group: 'plimsoll.dev', resource: 'scalingpolicies' },
  ...['list', 'watch'].map((verb) => ({ verb, group: 'apps', resource: 'deployments' })),
  { verb: 'update', group: 'apps', resource: 'deployments', subresource: 'scale' },
  ...['list', 'watch', 'create', 'patch'].map((verb) => ({ verb, group: '', resource: 'configmaps' })),
  { verb: 'create', group: 'events.k8s.io', resource: 'events' },
  ...['get', 'create', 'update'].map((verb) => ({ verb, group: 'coordination.k8s.io', resource: 'leases' })),
  { verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' },
  { verb: 'list', group: '', resource: 'pods' },
  { verb: 'get', group: '', resource: 'secrets' },
  ...['list', 'watch'].map((verb) => ({ verb, group: 'autoscaling', resource: 'horizontalpodautoscalers' })),
  { verb: 'list', group: 'keda.sh', resource: 'scaledobjects' },
];
// ...and these, among everything else, denied.
const DENIED: Access[] = [
  { verb: 'update', group: 'plimsoll.dev', resource: 'scalingpolicies' },
  { verb: 'delete', group: 'plimsoll.dev', resource: 'scalingpolicies' },
  { verb: 'update', group: 'apps', resource: 'deployments' },
  { verb: 'patch', group: 'apps', resource: 'deployments' },
  { verb: 'delete', group: 'apps', resource: 'deployments' },
  { verb: 'list', group: '', resource: 'secrets' },
  { verb: 'watch', group: '', resource: 'secrets' },
  { verb: 'update', group: '', resource: 'configmaps' },
  { verb: 'delete', group: '', resource: 'configmaps' },
  { verb: 'update', group: 'plimsoll.dev', resource: 'scalingpolicies', subresource: 'status' },
  { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' },
  { verb: 'delete', group: 'coordination.k8s.io', resource: 'leases' },
  { verb: 'create', group: '', resource: 'pods' },
  { verb: 'update', group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  { verb: 'update', group: 'apps', resource: 'statefulsets', subresource: 'scale' },
];

interface RbacDoc { kind: string; metadata: { name: string; namespace?: string }; rules?: unknown; roleRef?: { name: string }; subjects?: { name: string; namespace?: string }[] }
function manifestDocs(): RbacDoc[] {
  return parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map((d) => d.toJS() as RbacDoc);
}

/** A KubeConfig that authenticates as the ServiceAccount through a TokenRequest token. */
async function serviceAccountConfig(cluster: Cluster, namespace: string, name: string): Promise<k8s.KubeConfig> {
  const admin = cluster.kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tokenRequest.status?.token;
  assert.ok(token, 'TokenRequest returned a token');
  const current = admin.getCurrentCluster();
  assert.ok(current);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...current, name: 'c' }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'c', user: 'sa' }],
    currentContext: 'sa',
  });
  return kc;
}

async function allowed(kc: k8s.KubeConfig, namespace: string, a: Access): Promise<boolean> {
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  const review = await authz.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { namespace, verb: a.verb, group: a.group, resource: a.resource, ...(a.subresource ? { subresource: a.subresource } : {}) } } },
  });
  return review.status?.allowed === true;
}

async function statusOf(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 200;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err.code;
    throw err;
  }
}

test('the RBAC manifest binds the plimsoll-operator ClusterRole to the operator ServiceAccount', () => {
  const docs = manifestDocs();
  const role = docs.find((d) => d.kind === 'ClusterRole');
  const sa = docs.find((d) => d.kind === 'ServiceAccount');
  const binding = docs.find((d) => d.kind === 'ClusterRoleBinding');
  assert.equal(role?.metadata.name, 'plimsoll-operator');
  assert.equal(binding?.roleRef?.name, 'plimsoll-operator');
  assert.deepEqual(binding?.subjects?.map((s) => [s.name, s.namespace]), [[sa?.metadata.name, sa?.metadata.namespace]]);
  // Every rule is commented with its reason.
  const text = readFileSync(MANIFEST, 'utf8');
  const rules = text.split('\n').filter((l) => /^\s+- apiGroups:/.test(l)).length;
  const commentedRules = text.split('\n').filter((l, i, all) => /^\s+- apiGroups:/.test(l) && /^\s*#/.test(all[i - 1] ?? '')).length;
  assert.equal(commentedRules, rules, 'each rule has a comment line above it');
});

test('a ServiceAccount without a role is denied; with the operator role it gets exactly its grants', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const admin = cluster.kubeConfig();
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'operator' } } });
    const sa = await serviceAccountConfig(cluster, namespace, 'operator');
    const saApps = sa.makeApiClient(k8s.AppsV1Api);
    const saCore = sa.makeApiClient(k8s.CoreV1Api);

    // No role: every operator request is forbidden.
    assert.equal(await statusOf(saApps.listNamespacedDeployment({ namespace })), 403);
    assert.equal(await statusOf(saCore.listNamespacedConfigMap({ namespace })), 403);
    for (const a of ALLOWED) assert.equal(await allowed(sa, namespace, a), false, `before the binding: ${key(a)}`);

    // The operator's ClusterRole, as shipped, bound in this namespace only.
    const role = manifestDocs().find((d) => d.kind === 'ClusterRole');
    await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=plimsoll-tests', '-f', '-'], { input: stringify(role) });
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'plimsoll-operator' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'plimsoll-operator' },
        subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace }],
      },
    });
    await waitFor('the binding to take effect', () => allowed(sa, namespace, ALLOWED[0]!), { timeoutMs: 15_000 });

    for (const a of ALLOWED) assert.equal(await allowed(sa, namespace, a), true, `allowed: ${key(a)}`);
    for (const a of DENIED) assert.equal(await allowed(sa, namespace, a), false, `denied: ${key(a)}`);

    // Real requests, as the operator will make them.
    assert.equal(await statusOf(saApps.listNamespacedDeployment({ namespace })), 200);
    assert.equal(await statusOf(saCore.readNamespacedSecret({ name: 'pgbouncer-admin', namespace })), 404, 'get secret: allowed (absent)');
    assert.equal(await statusOf(saCore.listNamespacedSecret({ namespace })), 403, 'list secrets: denied');
    assert.equal(await statusOf(saCore.createNamespacedPod({
      namespace, body: { metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'x' }] } },
    })), 403);
    // Server-side apply of the runtime document, the operator's one write to ConfigMaps.
    const objects = k8s.KubernetesObjectApi.makeApiClient(sa);
    await objects.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo-runtime', namespace }, data: { 'runtime.json': '{"generation":1}' } },
      undefined, undefined, 'plimsoll-operator', true, k8s.PatchStrategy.ServerSideApply,
    );
    const cm = await core.readNamespacedConfigMap({ name: 'demo-runtime', namespace });
    assert.equal(cm.data?.['runtime.json'], '{"generation":1}');
  });
});
