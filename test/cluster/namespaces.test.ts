// An operator watching a list of namespaces (issue 16, RBAC at least privilege) needs no
// cluster-wide verb: installed by the chart with operator.watchNamespaces [A, B], its
// ServiceAccount holds only the chart's Roles and RoleBindings in A and B, and the `plimsoll
// operator` process it runs as reconciles a policy in each, leaves a policy in C alone, and is
// refused nothing (its informers list and watch each namespace on its own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createTestNamespace, installCrds, waitFor, withNamespace, type Cluster } from '../support/cluster.js';
import { stackSignalSources } from '../support/signal-sources.js';
import { applyPolicy, condition, constantPolicy, createDeployment, getPolicy, replicasOf, type Env } from '../operator/harness.js';
import { startOperatorProcess } from '../operator/operator-process.js';
import { renderChart, toYamlStream } from '../packaging/support.js';

const RELEASE = 'scoped';
const OPERATOR = `${RELEASE}-plimsoll-operator`;

/** A kubeconfig file for the chart's ServiceAccount, through a TokenRequest token. */
async function serviceAccountKubeconfig(cluster: Cluster, namespace: string, name: string): Promise<string> {
  const admin = cluster.kubeConfig();
  const token = (await admin.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({
    name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } },
  })).status?.token;
  assert.ok(token, 'TokenRequest returned a token');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...admin.getCurrentCluster()!, name: 'c' }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'c', user: 'sa' }],
    currentContext: 'sa',
  });
  const path = join(mkdtempSync(join(tmpdir(), 'plimsoll-scoped-')), 'kubeconfig');
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

test('an operator with Roles in namespaces A and B only reconciles policies in both, leaves C alone, and is refused nothing', async (t) => {
  await withNamespace(t, async (a, cluster) => {
    await installCrds(cluster);
    const [b, c, home] = [await createTestNamespace('scoped-b'), await createTestNamespace('scoped-c'), await createTestNamespace('scoped-home')];
    t.after(() => Promise.all([b.delete(), c.delete(), home.delete()]));

    // The chart's RBAC as installed in `home`, watching A and B: nothing cluster-wide.
    const objects = await renderChart({ release: RELEASE, namespace: home.name, set: { 'operator.watchNamespaces': `{${a},${b.name}}` } });
    const rbacObjects = objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
    assert.deepEqual(rbacObjects.filter((o) => o.kind.startsWith('Cluster')), [], 'no ClusterRole, no ClusterRoleBinding');
    await cluster.kubectl(['apply', '-f', '-'], { input: toYamlStream(rbacObjects) });
    const kubeconfig = await serviceAccountKubeconfig(cluster, home.name, OPERATOR);

    const admin = cluster.kubeConfig();
    const sources = stackSignalSources();
    const envOf = (namespace: string): Env => ({
      namespace, cluster, admin, sources,
      apps: admin.makeApiClient(k8s.AppsV1Api), core: admin.makeApiClient(k8s.CoreV1Api), custom: admin.makeApiClient(k8s.CustomObjectsApi),
      operatorKubeConfig: admin, operatorKubeconfigPath: kubeconfig,
    });
    const envs = { a: envOf(a), b: envOf(b.name), c: envOf(c.name) };
    for (const env of Object.values(envs)) {
      await createDeployment(env, 'matcher', 1);
      await applyPolicy(env, 'matcher', constantPolicy('matcher', 30)); // 30 / 10 per replica → 3
    }

    // The process as the chart's Deployment runs it: OPERATOR_NAMESPACE "A,B", the Lease beside A.
    const operator = startOperatorProcess(envs.a, 'scoped-op', 18197, { OPERATOR_NAMESPACE: `${a},${b.name}`, LEADER_ELECTION_LEASE_NAME: OPERATOR });
    t.after(async () => {
      operator.child.kill('SIGTERM');
      await operator.exited;
      // Without the operator nobody removes its finalizer: let the namespaces go.
      for (const env of [envs.a, envs.b]) {
        await env.custom.patchNamespacedCustomObject(
          { group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace: env.namespace, name: 'matcher', body: { metadata: { finalizers: null } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        ).catch(() => undefined);
      }
    });

    for (const env of [envs.a, envs.b]) {
      await waitFor(`Ready=True in ${env.namespace}`, async () => condition(await getPolicy(env, 'matcher'), 'Ready')?.status === 'True', { timeoutMs: 60_000 })
        .catch((err: unknown) => assert.fail(`${String(err)}\n${operator.output().slice(-3000)}`));
      await waitFor(`3 replicas in ${env.namespace}`, async () => (await replicasOf(env, 'matcher')) === 3, { timeoutMs: 20_000 });
    }
    // C is not watched: a few reconcile intervals later its policy has no status, no finalizer,
    // and its Deployment its own replicas.
    await new Promise((r) => setTimeout(r, 3000));
    const untouched = await getPolicy(envs.c, 'matcher');
    assert.equal(untouched.status, undefined, `no status in ${c.name}`);
    assert.equal((untouched.metadata as { finalizers?: string[] }).finalizers, undefined, `no finalizer in ${c.name}`);
    assert.equal(await replicasOf(envs.c, 'matcher'), 1);

    const log = operator.output();
    assert.doesNotMatch(log, /forbidden|\b403\b/i, `the API server refused the operator something:\n${log.slice(-3000)}`);
    assert.match(log, /informers synced/);
  });
});
