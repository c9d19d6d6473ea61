// RBAC is really enforced, and manifests/rbac (operator-clusterrole.yaml, operator-lease.yaml)
// grants the operator what it needs and nothing more: a ServiceAccount without a role is denied,
// with the roles allowed; the Lease only by its name. The chart with operator.watchNamespaces
// grants the same in each of those namespaces and nothing anywhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { REPO_ROOT, createTestNamespace, statusOf, waitFor, withNamespace, type Cluster } from '../support/cluster.js';
import { renderChart, toYamlStream } from '../packaging/support.js';

const MANIFEST = join(REPO_ROOT, 'manifests', 'rbac', 'operator-clusterrole.yaml');
const LEASE_MANIFEST = join(REPO_ROOT, 'manifests', 'rbac', 'operator-lease.yaml');
const LEASE = 'plimsoll-operator';

interface Access { verb: string; group: string; resource: string; subresource?: string; name?: string }
const key = (a: Access) => `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}.${a.group || 'core'}${a.name ? ` ${a.name}` : ''}`;

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
  ...['get', 'update'].map((verb) => ({ verb, group: 'coordination.k8s.io', resource: 'leases', name: LEASE })),
  { verb: 'create', group: 'coordination.k8s.io', resource: 'leases' },
  ...['list', 'watch'].map((verb) => ({ verb, group: 'discovery.k8s.io', resource: 'endpointslices' })),
  { verb: 'list', group: '', resource: 'pods' },
  { verb: 'get', group: '', resource: 'secrets' },
  ...['list', 'watch'].map((verb) => ({ verb, group: 'autoscaling', resource: 'horizontalpodautoscalers' })),
  ...['list', 'watch'].map((verb) => ({ verb, group: 'keda.sh', resource: 'scaledobjects' })),
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
  // Another component's Lease: neither read nor taken over.
  ...['get', 'update'].map((verb) => ({ verb, group: 'coordination.k8s.io', resource: 'leases', name: 'kube-scheduler' })),
  ...['list', 'watch'].map((verb) => ({ verb, group: 'coordination.k8s.io', resource: 'leases' })),
  { verb: 'create', group: '', resource: 'pods' },
  { verb: 'update', group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  { verb: 'update', group: 'apps', resource: 'statefulsets', subresource: 'scale' },
];

interface RbacDoc { kind: string; metadata: { name: string; namespace?: string }; rules?: unknown; roleRef?: { name: string }; subjects?: { name: string; namespace?: string }[] }
function manifestDocs(file = MANIFEST): RbacDoc[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as RbacDoc);
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
    body: { spec: { resourceAttributes: { namespace, verb: a.verb, group: a.group, resource: a.resource, ...(a.subresource ? { subresource: a.subresource } : {}), ...(a.name ? { name: a.name } : {}) } } },
  });
  return review.status?.allowed === true;
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
  for (const file of [MANIFEST, LEASE_MANIFEST]) {
    const text = readFileSync(file, 'utf8');
    const rules = text.split('\n').filter((l) => /^\s+- apiGroups:/.test(l)).length;
    const commentedRules = text.split('\n').filter((l, i, all) => /^\s+- apiGroups:/.test(l) && /^\s*#/.test(all[i - 1] ?? '')).length;
    assert.equal(commentedRules, rules, `${file}: each rule has a comment line above it`);
  }
});

test('the Lease is not in the ClusterRole: a Role in plimsoll-system limits get and update to its name', () => {
  const clusterRules = (manifestDocs().find((d) => d.kind === 'ClusterRole')?.rules ?? []) as { apiGroups: string[] }[];
  assert.ok(clusterRules.length >= 10, 'the ClusterRole lost its rules');
  assert.ok(!clusterRules.some((r) => r.apiGroups.includes('coordination.k8s.io')), 'no cluster-wide Lease verbs');
  const docs = manifestDocs(LEASE_MANIFEST);
  const role = docs.find((d) => d.kind === 'Role');
  const binding = docs.find((d) => d.kind === 'RoleBinding');
  assert.equal(role?.metadata.namespace, 'plimsoll-system');
  assert.deepEqual(role?.rules, [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEASE], verbs: ['get', 'update'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  ]);
  assert.equal(binding?.roleRef?.name, role?.metadata.name);
  assert.deepEqual(binding?.subjects?.map((s) => [s.name, s.namespace]), [['plimsoll-operator', 'plimsoll-system']]);
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
    // The Lease's Role as shipped, moved into this namespace (where this test's operator would keep it).
    for (const doc of manifestDocs(LEASE_MANIFEST)) {
      const moved = { ...doc, metadata: { ...doc.metadata, namespace }, ...(doc.subjects ? { subjects: doc.subjects.map(() => ({ kind: 'ServiceAccount', name: 'operator', namespace })) } : {}) };
      await cluster.kubectl(['apply', '--server-side', '--field-manager=plimsoll-tests', '-f', '-'], { input: stringify(moved) });
    }
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

test('the chart with operator.watchNamespaces grants the operator its verbs in each of those namespaces and nothing cluster-wide', async (t) => {
  // The operator's home (release namespace) and the two namespaces it watches, as a real install.
  await withNamespace(t, async (watched, cluster) => {
    const home = await createTestNamespace('rbac-home');
    const second = await createTestNamespace('rbac-second');
    t.after(() => Promise.all([home.delete(), second.delete()]));
    const objects = await renderChart({ release: 'rbac', namespace: home.name, set: { 'operator.watchNamespaces': `{${watched},${second.name}}` } });
    const kinds = objects.map((o) => o.kind);
    assert.ok(!kinds.includes('ClusterRoleBinding') && !kinds.includes('ClusterRole'), `no cluster-wide grant: ${kinds.join(', ')}`);
    const rbacObjects = objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind));
    assert.deepEqual(rbacObjects.filter((o) => o.kind !== 'ServiceAccount').map((o) => `${o.kind} ${o.metadata.namespace}`).sort(),
      [`Role ${second.name}`, `Role ${watched}`, `Role ${watched}`, `RoleBinding ${second.name}`, `RoleBinding ${watched}`, `RoleBinding ${watched}`].sort(),
      'the operator\'s Role in each watched namespace and the Lease\'s Role (the Lease lives beside the first watched namespace\'s policies), bound there');
    await cluster.kubectl(['apply', '-f', '-'], { input: toYamlStream(rbacObjects) });
    const sa = await serviceAccountConfig(cluster, home.name, 'rbac-plimsoll-operator');
    const lease = (a: Access): Access => (a.resource === 'leases' && a.name ? { ...a, name: 'rbac-plimsoll-operator' } : a);
    const withoutLease = ALLOWED.filter((a) => a.resource !== 'leases');
    await waitFor('the bindings to take effect', async () => (await allowed(sa, watched, ALLOWED[0]!)) && allowed(sa, second.name, ALLOWED[0]!), { timeoutMs: 15_000 });

    for (const a of ALLOWED.map(lease)) assert.equal(await allowed(sa, watched, a), true, `allowed in the first watched namespace: ${key(a)}`);
    for (const a of withoutLease) assert.equal(await allowed(sa, second.name, a), true, `allowed in the second watched namespace: ${key(a)}`);
    for (const ns of [watched, second.name]) {
      for (const a of DENIED) assert.equal(await allowed(sa, ns, a), false, `denied in a watched namespace (${ns}): ${key(a)}`);
    }
    // Anywhere else, its own namespace included, and across all namespaces: nothing, Secrets first.
    for (const ns of [home.name, '']) {
      for (const a of ALLOWED.map(lease)) assert.equal(await allowed(sa, ns, a), false, `denied in ${ns || 'all namespaces'}: ${key(a)}`);
    }
    const saCore = sa.makeApiClient(k8s.CoreV1Api);
    assert.equal(await statusOf(saCore.readNamespacedSecret({ name: 'pgbouncer-admin', namespace: home.name })), 403, 'get secret outside the watched namespaces: denied');
    for (const ns of [watched, second.name]) {
      assert.equal(await statusOf(saCore.readNamespacedSecret({ name: 'pgbouncer-admin', namespace: ns })), 404, `get secret in ${ns}: allowed (absent)`);
    }
  });
});
