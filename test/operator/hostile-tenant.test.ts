// Issue 16, as a hostile tenant would try it: someone whose RBAC allows ScalingPolicies in
// namespace A and nothing else (a ServiceAccount's token; no Secrets, no ConfigMaps) uses a
// policy to reach what they may not: an address of their choosing (a loopback listener this test
// owns, which must see zero connections), a Secret that did not consent, someone else's
// ConfigMap, and a Deployment in another namespace. Against the real API server and a running
// operator (its own RBAC, the stack's registered sources). Each is refused with a condition or a
// validation message that says why, and nothing is fetched, read or written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { createTestNamespace, statusOf, withNamespace, type Cluster } from '../support/cluster.js';
import { condition, constantPolicy, createDeployment, getPolicy, setUp, startOperator, waitFor } from './harness.js';
import type { ScalingPolicySpecInput } from '../../src/plimsoll/api/scaling-policy.js';

const GROUP = { group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies' };

/** A ServiceAccount in namespace whose only rights are ScalingPolicies there, as a kubeconfig. */
async function tenant(cluster: Cluster, namespace: string): Promise<k8s.KubeConfig> {
  const admin = cluster.kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'tenant' } } });
  await rbac.createNamespacedRole({
    namespace,
    body: { metadata: { name: 'policy-author' }, rules: [{ apiGroups: ['plimsoll.dev'], resources: ['scalingpolicies'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'policy-author' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'policy-author' },
      subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace }],
    },
  });
  const token = (await core.createNamespacedServiceAccountToken({ name: 'tenant', namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status?.token;
  assert.ok(token);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...admin.getCurrentCluster()!, name: 'c' }],
    users: [{ name: 'tenant', token }],
    contexts: [{ name: 'tenant', cluster: 'c', user: 'tenant', namespace }],
    currentContext: 'tenant',
  });
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  await waitFor('the tenant\'s role binding', async () => (await authz.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { namespace, verb: 'create', group: 'plimsoll.dev', resource: 'scalingpolicies' } } },
  })).status?.allowed);
  return kc;
}

/** A loopback listener that counts every connection made to it (HTTP or PostgreSQL alike). */
async function trap(t: { after: (fn: () => Promise<void>) => void }): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => { connections++; socket.destroy(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

test('a tenant who may only write ScalingPolicies in A cannot make the operator fetch, read or write anything else', { timeout: 120_000 }, async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    const elsewhere = await createTestNamespace('hostile-elsewhere');
    t.after(() => elsewhere.delete());
    const listener = await trap(t);
    const address = `http://127.0.0.1:${listener.port}`;

    // What the tenant must not reach, made by others: a Secret, a ConfigMap, a Deployment in B.
    const password = `s3cret-${listener.port}`;
    await env.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'db-admin' }, stringData: { uri: `postgres://admin:${password}@127.0.0.1:${listener.port}/pgbouncer` } } });
    const settings = await env.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { 'app.properties': 'owner=someone-else' } } });
    await env.apps.createNamespacedDeployment({
      namespace: elsewhere.name,
      body: { metadata: { name: 'victim' }, spec: { replicas: 1, selector: { matchLabels: { app: 'victim' } }, template: { metadata: { labels: { app: 'victim' } }, spec: { containers: [{ name: 'app', image: 'victim:test' }] } } } },
    });
    // One Deployment per policy: of several policies on one Deployment only the oldest would act.
    for (const name of ['ssrf', 'health-url', 'secret', 'takeover']) await createDeployment(env, name, 1);
    await startOperator(t, env);

    const kc = await tenant(cluster, namespace);
    const asTenant = kc.makeApiClient(k8s.CustomObjectsApi);
    const tenantCore = kc.makeApiClient(k8s.CoreV1Api);
    assert.equal(await statusOf(tenantCore.readNamespacedSecret({ namespace, name: 'db-admin' })), 403, 'the tenant may not read the Secret');
    assert.equal(await statusOf(tenantCore.readNamespacedConfigMap({ namespace, name: 'settings' })), 403, 'nor the ConfigMap');
    const create = (name: string, spec: ScalingPolicySpecInput | Record<string, unknown>, ns = namespace) => asTenant.createNamespacedCustomObject({
      ...GROUP, namespace: ns, fieldValidation: 'Strict',
      body: { apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', metadata: { name, namespace: ns }, spec },
    });

    // 1. Addresses of the tenant's choosing: Prometheus and a health URL.
    const ssrf = constantPolicy('ssrf', 20);
    ssrf.signals = [{ name: 'load', prometheus: { serverAddress: address, query: 'up' } }];
    await create('ssrf', ssrf);
    const health = constantPolicy('health-url', 20);
    health.signals = [...health.signals!, { name: 'heap', health: { url: `${address}/health/details`, field: 'heap' } }];
    await create('health-url', health);
    // 2. A Secret that did not consent.
    const secret = constantPolicy('secret', 20);
    secret.signals = [...secret.signals!, { name: 'waiting', pgbouncer: { secretRef: { name: 'db-admin' }, database: 'app', metric: 'ClientsWaiting' } }];
    await create('secret', secret);
    // 3. Someone else's ConfigMap as the runtime document.
    const takeover = constantPolicy('takeover', 20, { runtime: { configMapName: 'settings' } });
    await create('takeover', takeover);

    const refused = async (name: string, reason: string) => waitFor(`${name} refused`, async () => {
      const p = await getPolicy(env, name);
      const ready = condition(p, 'Ready');
      return ready?.status === 'False' && ready.reason === reason && p;
    }, { timeoutMs: 20_000 });
    const ssrfPolicy = await refused('ssrf', 'SignalSourceNotRegistered');
    assert.equal(condition(ssrfPolicy, 'Ready')!.message,
      'SIGNAL_SOURCE_NOT_REGISTERED: spec.signals[0].prometheus.serverAddress: not a registered Prometheus server; registered: stack (name one with server); nothing is fetched');
    const healthPolicy = await refused('health-url', 'SignalSourceNotRegistered');
    assert.match(condition(healthPolicy, 'Ready')!.message, /spec\.signals\[1\]\.health\.url: not a registered health URL: health signals read the target's own pods/);
    const takeoverPolicy = await refused('takeover', 'ConfigMapNotOwned');
    assert.match(condition(takeoverPolicy, 'Ready')!.message, /^CONFIGMAP_NOT_OWNED: spec\.runtime\.configMapName: ConfigMap settings exists and was not created by Plimsoll for this policy/);
    for (const p of [ssrfPolicy, healthPolicy, takeoverPolicy]) {
      assert.equal((p.metadata as { finalizers?: string[] }).finalizers, undefined, `${p.metadata.name}: a refused policy gets no finalizer either`);
    }

    const secretSignal = await waitFor('the Secret refused', async () => {
      const s = (await getPolicy(env, 'secret')).status?.signals?.find((x) => x.name === 'waiting');
      return s?.lastError ? s : undefined;
    }, { timeoutMs: 20_000 });
    assert.match(secretSignal.lastError!, new RegExp(`^SECRET_NOT_CONSENTED: secret ${namespace}/db-admin does not carry the label plimsoll\\.dev/consumer=secret`));
    assert.equal(secretSignal.state, 'Missing');

    // 4. A Deployment in another namespace: the API has no field for it (refused by validation),
    // and a policy cannot be made there.
    const across = await statusOf(create('across', { ...constantPolicy('matcher', 20), targetRef: { name: 'victim', namespace: elsewhere.name } }));
    assert.equal(across, 400, 'spec.targetRef.namespace: unknown field');
    const error = await create('across', { ...constantPolicy('matcher', 20), targetRef: { name: 'victim', namespace: elsewhere.name } }).catch((e: unknown) => e as k8s.ApiException<string>);
    assert.match(String((error as k8s.ApiException<string>).body), /unknown field \\"spec\.targetRef\.namespace\\"/);
    assert.equal(await statusOf(create('in-b', constantPolicy('victim', 20), elsewhere.name)), 403, 'no policy in namespace B');

    // A few polling intervals later: nothing fetched, read or written.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(listener.connections(), 0, 'the tenant\'s address received no connection (Prometheus, health or the Secret\'s PgBouncer)');
    const after = await env.core.readNamespacedConfigMap({ namespace, name: 'settings' });
    assert.equal(after.metadata?.resourceVersion, settings.metadata?.resourceVersion, 'the foreign ConfigMap is unchanged');
    assert.equal(after.metadata?.ownerReferences, undefined, 'and not owned by the policy');
    const victim = await env.apps.readNamespacedDeployment({ namespace: elsewhere.name, name: 'victim' });
    assert.equal(victim.spec?.replicas, 1, 'the Deployment in B is untouched');
    assert.equal(victim.metadata?.generation, 1);
    for (const p of ['ssrf', 'health-url', 'secret', 'takeover']) {
      assert.ok(!JSON.stringify((await getPolicy(env, p)).status ?? {}).includes(password), `${p}: the Secret's content is nowhere in status`);
    }

    // Deleting the policy leaves the ConfigMap it named (no owner reference was ever set).
    await asTenant.deleteNamespacedCustomObject({ ...GROUP, namespace, name: 'takeover' });
    await waitFor('the takeover policy gone', async () => (await statusOf(getPolicy(env, 'takeover'))) === 404, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 2000)); // the garbage collector's turn
    const kept = await env.core.readNamespacedConfigMap({ namespace, name: 'settings' });
    assert.deepEqual(kept.data, { 'app.properties': 'owner=someone-else' }, 'the foreign ConfigMap survives the policy');
  });
});
