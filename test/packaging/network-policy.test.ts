// The NetworkPolicies (issue 16): as the API server stores them (kubectl apply --dry-run=server
// of the kustomize manifests, so defaulted and validated), the operator may reach the API server,
// DNS, Prometheus, PgBouncer and its targets' pods on their ports and nothing else, and only
// Prometheus reaches it; the matcher is reached on its one port by its clients, Prometheus and
// the operator. The chart renders them only when asked, from documented values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT, createTestNamespace, ensureCluster } from '../support/cluster.js';
import { renderChart, type KubeObject } from './support.js';

// As YAML and JSON spell them (the client library's types rename `from`).
type Selector = { matchLabels?: Record<string, string> };
interface Peer { ipBlock?: { cidr: string }; namespaceSelector?: Selector; podSelector?: Selector }
interface PolicyPort { protocol?: string; port?: number | string }
interface NetworkPolicy {
  metadata?: { name?: string; namespace?: string };
  spec?: { podSelector: Selector; policyTypes?: string[]; ingress?: { from?: Peer[]; ports?: PolicyPort[] }[]; egress?: { to?: Peer[]; ports?: PolicyPort[] }[] };
}

/** What the API server would store for `kubectl apply -k dir` (dry-run=server). */
async function storedPolicies(dir: string, namespace?: string): Promise<NetworkPolicy[]> {
  const cluster = await ensureCluster();
  await cluster.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/rbac/namespace.yaml')]);
  const { stdout } = await cluster.kubectl(['apply', '-k', join(REPO_ROOT, dir), '--dry-run=server', '-o', 'json', ...(namespace ? ['-n', namespace] : [])]);
  const parsed = JSON.parse(stdout) as NetworkPolicy | { kind: 'List'; items: NetworkPolicy[] };
  return 'items' in parsed ? parsed.items : [parsed];
}

const ports = (list: PolicyPort[] | undefined) => (list ?? []).map((p) => `${p.protocol}/${p.port}`).sort();

test('the operator\'s NetworkPolicy, as stored: egress to the API server, DNS, Prometheus, PgBouncer and targets only; ingress from Prometheus', async () => {
  const stored = await storedPolicies('manifests/network-policies/operator');
  assert.equal(stored.length, 1);
  const policy = stored[0]!;
  assert.equal(policy.metadata?.namespace, 'plimsoll-system');
  assert.deepEqual(policy.spec?.podSelector.matchLabels, { 'app.kubernetes.io/name': 'plimsoll', 'app.kubernetes.io/component': 'operator' });
  assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress'], 'egress is limited, not only ingress');

  const egress = policy.spec?.egress ?? [];
  // Every rule names its ports: none opens all ports, and none omits `to` (which would mean anywhere).
  for (const rule of egress) {
    assert.ok((rule.ports ?? []).length > 0, `an egress rule without ports allows every port: ${JSON.stringify(rule)}`);
    assert.ok((rule.to ?? []).length > 0, `an egress rule without peers allows every address: ${JSON.stringify(rule)}`);
  }
  assert.deepEqual(egress.flatMap((r) => ports(r.ports)).sort(),
    ['TCP/443', 'TCP/53', 'TCP/6432', 'TCP/6443', 'TCP/8080', 'TCP/9090', 'UDP/53'], 'exactly the operator\'s destinations');
  const apiServer = egress.find((r) => ports(r.ports).includes('TCP/6443'))!;
  assert.deepEqual(ports(apiServer.ports), ['TCP/443', 'TCP/6443']);
  assert.ok(apiServer.to!.every((peer) => peer.ipBlock && !peer.podSelector && !peer.namespaceSelector), 'the API server (host network) by ipBlock');
  const dns = egress.find((r) => ports(r.ports).includes('UDP/53'))!;
  assert.deepEqual(dns.to, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
  for (const port of ['TCP/9090', 'TCP/6432', 'TCP/8080']) {
    const rule = egress.find((r) => ports(r.ports).includes(port))!;
    assert.ok(rule.to!.every((peer) => !peer.ipBlock), `${port}: pods only, no address range`);
  }

  const ingress = policy.spec?.ingress ?? [];
  assert.equal(ingress.length, 1);
  assert.deepEqual(ports(ingress[0]!.ports), ['TCP/metrics'], 'only the metrics port');
  assert.deepEqual(ingress[0]!.from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
});

test('the matcher\'s NetworkPolicy, as stored: ingress on its port from its clients, Prometheus and the operator only', async () => {
  const ns = await createTestNamespace('netpol');
  try {
    const stored = await storedPolicies('manifests/network-policies/matcher', ns.name);
    assert.equal(stored.length, 1);
    const policy = stored[0]!;
    assert.equal(policy.metadata?.namespace, ns.name);
    assert.deepEqual(policy.spec?.podSelector.matchLabels, { 'app.kubernetes.io/name': 'matcher', 'app.kubernetes.io/component': 'matcher' });
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress']);
    const ingress = policy.spec?.ingress ?? [];
    for (const rule of ingress) {
      assert.deepEqual(ports(rule.ports), ['TCP/http'], 'the one named port');
      assert.ok((rule.from ?? []).length > 0, `a rule without peers admits everyone: ${JSON.stringify(rule)}`);
    }
    const peers = ingress.flatMap((r) => r.from ?? []) as Peer[];
    assert.deepEqual(peers, [
      { podSelector: {} },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'plimsoll-system' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'plimsoll', 'app.kubernetes.io/component': 'operator' } },
      },
    ]);
  } finally {
    await ns.delete();
  }
});

type Policy = KubeObject & { spec: NonNullable<NetworkPolicy['spec']> };
const policies = (objects: KubeObject[]) => objects.filter((o): o is Policy => o.kind === 'NetworkPolicy');

test('the chart: no NetworkPolicy by default; with networkPolicy.enabled, the values shape them', async () => {
  assert.deepEqual(policies(await renderChart({ set: { 'matcher.enabled': 'true' } })), [], 'off by default');

  const objects = await renderChart({
    release: 'np', namespace: 'ops',
    set: {
      'matcher.enabled': 'true', 'networkPolicy.enabled': 'true', 'operator.watchNamespace': 'shop',
      'networkPolicy.apiServer.cidrs[0]': '10.96.0.1/32', 'networkPolicy.apiServer.ports[0]': '6443',
      'networkPolicy.pgbouncer.peers[0].ipBlock.cidr': '192.0.2.10/32',
      'networkPolicy.extraOperatorEgress[0].ports[0].port': '4317',
    },
  });
  const operator = policies(objects).find((p) => p.metadata.name === 'np-plimsoll-operator')!;
  const egress = operator.spec.egress!;
  const rule = (port: string) => egress.find((r) => ports(r.ports).includes(port));
  assert.deepEqual(rule('TCP/6443')?.to, [{ ipBlock: { cidr: '10.96.0.1/32' } }], 'the API server by its address');
  assert.equal(rule('TCP/443'), undefined, 'only the ports given');
  assert.deepEqual(rule('TCP/6432')?.to, [{ ipBlock: { cidr: '192.0.2.10/32' } }], 'PgBouncer where it was said to run');
  assert.deepEqual(rule('TCP/8080')?.to, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }], 'targets: the watched namespace');
  assert.deepEqual(egress.at(-1), { ports: [{ port: 4317 }] }, 'extra rules appended verbatim');
  assert.equal(operator.spec.podSelector.matchLabels?.['app.kubernetes.io/instance'], 'np', 'this release\'s operator only');

  const matcher = policies(objects).find((p) => p.metadata.name === 'matcher')!;
  const fromOperator = matcher.spec.ingress!.at(-1)!.from![0]!;
  assert.deepEqual(fromOperator.namespaceSelector?.matchLabels, { 'kubernetes.io/metadata.name': 'ops' }, 'the operator runs in the release namespace');
  assert.equal(fromOperator.podSelector?.matchLabels?.['app.kubernetes.io/instance'], 'np');
});
