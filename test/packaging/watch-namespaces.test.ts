// operator.watchNamespaces (issue 16, RBAC at least privilege): a Role and RoleBinding in each
// listed namespace and nothing cluster-wide, the list handed to the operator, the NetworkPolicy's
// default target peers limited to those namespaces; the deprecated operator.watchNamespace is
// folded into the list. test/cluster/namespaces.test.ts runs an operator with this RBAC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderChart, type KubeObject } from './support.js';

type Container = { env?: { name: string; value?: string }[] };
const operatorEnv = (objects: KubeObject[], name: string): string | undefined => {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-operator')) as KubeObject & { spec: { template: { spec: { containers: Container[] } } } };
  return deployment.spec.template.spec.containers[0]!.env?.find((e) => e.name === name)?.value;
};
const grants = (objects: KubeObject[]) => objects
  .filter((o) => ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))
  .map((o) => `${o.kind} ${o.metadata.namespace ?? '-'} ${o.metadata.name}`).sort();

test('watchNamespaces of two namespaces: a Role and RoleBinding in each, no ClusterRole, the list in OPERATOR_NAMESPACE', async () => {
  const objects = await renderChart({ release: 'p', namespace: 'ops', set: { 'operator.watchNamespaces': '{shop,shop-canary}', 'networkPolicy.enabled': 'true' } });
  assert.deepEqual(grants(objects), [
    'Role shop p-plimsoll-operator', 'Role shop p-plimsoll-operator-lease', 'Role shop-canary p-plimsoll-operator',
    'RoleBinding shop p-plimsoll-operator', 'RoleBinding shop p-plimsoll-operator-lease', 'RoleBinding shop-canary p-plimsoll-operator',
  ], 'the Lease beside the first watched namespace\'s policies');
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding') as (KubeObject & { subjects: { name: string; namespace: string }[] })[]) {
    assert.deepEqual(binding.subjects.map((s) => `${s.namespace}/${s.name}`), ['ops/p-plimsoll-operator'], 'the release\'s ServiceAccount');
  }
  const roles = objects.filter((o) => o.kind === 'Role' && !o.metadata.name.endsWith('-lease')) as (KubeObject & { rules: unknown[] })[];
  assert.deepEqual(roles[0]!.rules, roles[1]!.rules, 'the same rules in each namespace');
  assert.equal(operatorEnv(objects, 'OPERATOR_NAMESPACE'), 'shop,shop-canary');
  const policy = objects.find((o) => o.kind === 'NetworkPolicy') as KubeObject & { spec: { egress: { to: unknown[]; ports: { port: number }[] }[] } };
  const targets = policy.spec.egress.find((r) => r.ports.some((p) => p.port === 8080))!;
  assert.deepEqual(targets.to, [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop', 'shop-canary'] }] } }],
    'the targets\' pods: the watched namespaces only');
});

test('the deprecated watchNamespace is folded into the front of watchNamespaces, once', async () => {
  const both = await renderChart({ release: 'p', set: { 'operator.watchNamespace': 'legacy', 'operator.watchNamespaces': '{shop}' } });
  assert.equal(operatorEnv(both, 'OPERATOR_NAMESPACE'), 'legacy,shop');
  assert.deepEqual(grants(both).filter((g) => !g.includes('-lease')), ['Role legacy p-plimsoll-operator', 'Role shop p-plimsoll-operator', 'RoleBinding legacy p-plimsoll-operator', 'RoleBinding shop p-plimsoll-operator']);
  const same = await renderChart({ release: 'p', set: { 'operator.watchNamespace': 'shop', 'operator.watchNamespaces': '{shop}' } });
  assert.equal(operatorEnv(same, 'OPERATOR_NAMESPACE'), 'shop');
  assert.equal(grants(same).filter((g) => g.startsWith('Role ')).length, 2, 'one Role for shop and the Lease\'s');
});

test('no watched namespace: a ClusterRole and ClusterRoleBinding, no OPERATOR_NAMESPACE', async () => {
  const objects = await renderChart({ release: 'p', namespace: 'ops' });
  assert.deepEqual(grants(objects), ['ClusterRole - p-plimsoll-operator', 'ClusterRoleBinding - p-plimsoll-operator', 'Role ops p-plimsoll-operator-lease', 'RoleBinding ops p-plimsoll-operator-lease']);
  assert.equal(operatorEnv(objects, 'OPERATOR_NAMESPACE'), undefined);
});
