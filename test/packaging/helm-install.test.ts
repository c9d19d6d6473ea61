// A real `helm install` into the local cluster: every object is created, the operator's two pods
// become Ready (kwok plays the kubelet: the images need not exist), an upgrade rolls a changed
// value out, and `helm uninstall` removes everything but the CRD (Helm's crds/ convention).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTestNamespace, ensureCluster } from '../support/cluster.js';
import { CHART_DIR, helm, parseObjects } from './support.js';

test('helm install creates every object, the operator pods become Ready; upgrade; uninstall cleans up', { timeout: 600_000 }, async (t) => {
  const cluster = await ensureCluster();
  const kubeconfig = cluster.kubeconfigPath;
  const ns = await createTestNamespace('pkg-install');
  const release = `pkg${randomBytes(3).toString('hex')}`;
  let installed = false;
  t.after(async () => {
    if (installed) await helm(['uninstall', release, '--namespace', ns.name, '--wait'], { kubeconfig, allowFailure: true });
    await ns.delete();
  });
  // The restricted Pod Security Standard is enforced: the chart's pods must pass it.
  await cluster.kubectl(['label', 'namespace', ns.name, 'pod-security.kubernetes.io/enforce=restricted']);
  await cluster.kubectl(['create', 'secret', 'generic', 'matcher-connections', '--namespace', ns.name,
    '--from-literal=MATCHER_DATABASE_URL=postgres://matcher:pw@pgbouncer:6432/matcher',
    '--from-literal=MATCHER_MIGRATION_DATABASE_URL=postgres://matcher:pw@postgres:5432/matcher',
    '--from-literal=MATCHER_REDIS_URL=redis://redis:6379/0',
    '--from-literal=MATCHER_PGBOUNCER_ADMIN_URL=none']);

  // DryRun: an operator running against this cluster (the local stack's) only reports on it.
  const values = ['--set', 'matcher.enabled=true', '--set', 'examplePolicy.enabled=true', '--set', 'examplePolicy.mode=DryRun'];
  const started = Date.now();
  const install = await helm(['install', release, CHART_DIR, '--namespace', ns.name, ...values, '--wait', '--timeout', '180s'], { kubeconfig });
  installed = true;
  t.diagnostic(`helm install --wait: ${Date.now() - started} ms`);
  assert.match(install.stdout, /STATUS: deployed/);
  assert.match(install.stdout, /NOTES:[\s\S]*rollout status deployment\/[a-z0-9]+-plimsoll-operator/, 'NOTES.txt is printed');

  const manifest = (await helm(['get', 'manifest', release, '--namespace', ns.name], { kubeconfig })).stdout;
  const objects = parseObjects(manifest);
  assert.deepEqual([...new Set(objects.map((o) => o.kind))].sort(), [
    'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'ScalingPolicy', 'Service', 'ServiceAccount',
  ]);
  // Every object of the release exists (kubectl get -f fails on the first missing one).
  const got = await cluster.kubectl(['get', '-f', '-', '-o', 'name'], { input: manifest });
  assert.equal(got.stdout.trim().split('\n').length, objects.length, `kubectl get -f: ${got.stdout}`);
  const crd = await cluster.kubectl(['get', 'crd', 'scalingpolicies.plimsoll.dev', '-o', 'name']);
  assert.match(crd.stdout, /scalingpolicies\.plimsoll\.dev/);

  const selector = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=operator`;
  await cluster.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', selector, '--namespace', ns.name, '--timeout=120s']);
  const pods = JSON.parse((await cluster.kubectl(['get', 'pods', '-l', selector, '--namespace', ns.name, '-o', 'json'])).stdout) as {
    items: { metadata: { name: string }; spec: { serviceAccountName: string; securityContext: { runAsNonRoot: boolean } } }[];
  };
  assert.equal(pods.items.length, 2, 'two operator replicas');
  for (const pod of pods.items) {
    assert.equal(pod.spec.serviceAccountName, `${release}-plimsoll-operator`);
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
  }
  // The operator's ServiceAccount holds exactly its ClusterRole's permissions.
  const as = `system:serviceaccount:${ns.name}:${release}-plimsoll-operator`;
  const can = async (...args: string[]) => (await cluster.kubectl(['auth', 'can-i', ...args, '--as', as], { allowFailure: true })).stdout.trim();
  assert.equal(await can('update', 'deployments', '--subresource=scale', '-n', 'default'), 'yes');
  assert.equal(await can('delete', 'deployments', '-n', 'default'), 'no');
  assert.equal(await can('list', 'secrets', '-n', 'default'), 'no');
  // Its Lease by name, in the release namespace only; no other Lease.
  assert.equal(await can('update', `leases.coordination.k8s.io/${release}-plimsoll-operator`, '-n', ns.name), 'yes');
  assert.equal(await can('update', 'leases.coordination.k8s.io/kube-scheduler', '-n', ns.name), 'no');
  assert.equal(await can('get', `leases.coordination.k8s.io/${release}-plimsoll-operator`, '-n', 'default'), 'no');
  const matcherAs = `system:serviceaccount:${ns.name}:matcher`;
  const matcherCan = async (...args: string[]) => (await cluster.kubectl(['auth', 'can-i', ...args, '--as', matcherAs, '-n', ns.name], { allowFailure: true })).stdout.trim();
  assert.equal(await matcherCan('watch', 'configmaps/matcher-runtime'), 'yes');
  assert.equal(await matcherCan('get', 'configmaps/matcher-config'), 'no');

  // An upgrade rolls a changed value out.
  await helm(['upgrade', release, CHART_DIR, '--namespace', ns.name, ...values, '--set', 'operator.logLevel=debug', '--wait', '--timeout', '180s'], { kubeconfig });
  const env = JSON.parse((await cluster.kubectl(['get', 'deployment', `${release}-plimsoll-operator`, '--namespace', ns.name, '-o', 'jsonpath={.spec.template.spec.containers[0].env}'])).stdout) as { name: string; value?: string }[];
  assert.equal(env.find((e) => e.name === 'OPERATOR_LOG_LEVEL')?.value, 'debug');

  const removed = Date.now();
  await helm(['uninstall', release, '--namespace', ns.name, '--wait', '--timeout', '120s'], { kubeconfig });
  installed = false;
  t.diagnostic(`helm uninstall --wait: ${Date.now() - removed} ms`);
  const left = await cluster.kubectl(['get', '-f', '-', '-o', 'name', '--ignore-not-found'], { input: manifest });
  assert.equal(left.stdout.trim(), '', `left behind after uninstall: ${left.stdout}`);
  // The CRD stays (Helm never deletes crds/): policies elsewhere in the cluster survive.
  assert.match((await cluster.kubectl(['get', 'crd', 'scalingpolicies.plimsoll.dev', '-o', 'name'])).stdout, /scalingpolicies/);
});
