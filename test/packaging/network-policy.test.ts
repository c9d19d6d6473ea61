// The NetworkPolicies (issue 16): as the API server stores them (kubectl apply --dry-run=server
// of the kustomize manifests, so defaulted and validated), the operator may reach the API server,
// DNS and its targets' pods on their ports and nothing else (no source is registered there), and
// only Prometheus reaches it; the matcher is reached on its one port by its clients, Prometheus
// and the operator. The chart renders them only when asked, from documented values, with one
// egress rule per registered Prometheus and PgBouncer on its own port and none for any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT, createTestNamespace, ensureCluster } from '../support/cluster.js';
import { CHART_DIR, helm, renderChart, type KubeObject } from './support.js';

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

test('the operator\'s NetworkPolicy, as stored: egress to the API server, DNS and targets only (no source registered); ingress from Prometheus', async () => {
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
    ['TCP/443', 'TCP/53', 'TCP/6443', 'TCP/8080', 'UDP/53'], 'exactly the operator\'s destinations: no Prometheus or PgBouncer is registered by default');
  const apiServer = egress.find((r) => ports(r.ports).includes('TCP/6443'))!;
  assert.deepEqual(ports(apiServer.ports), ['TCP/443', 'TCP/6443']);
  assert.ok(apiServer.to!.every((peer) => peer.ipBlock && !peer.podSelector && !peer.namespaceSelector), 'the API server (host network) by ipBlock');
  const dns = egress.find((r) => ports(r.ports).includes('UDP/53'))!;
  assert.deepEqual(dns.to, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
  const targets = egress.find((r) => ports(r.ports).includes('TCP/8080'))!;
  assert.ok(targets.to!.every((peer) => !peer.ipBlock), 'targets: pods only, no address range');

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
      'matcher.enabled': 'true', 'networkPolicy.enabled': 'true', 'operator.watchNamespaces': '{shop}',
      'networkPolicy.apiServer.cidrs[0]': '10.96.0.1/32', 'networkPolicy.apiServer.ports[0]': '6443',
      ...PGBOUNCER, 'networkPolicy.pgbouncer.peers[0].ipBlock.cidr': '192.0.2.10/32',
      'networkPolicy.extraOperatorEgress[0].ports[0].port': '4317',
    },
  });
  const operator = policies(objects).find((p) => p.metadata.name === 'np-plimsoll-operator')!;
  const egress = operator.spec.egress!;
  const rule = (port: string) => egress.find((r) => ports(r.ports).includes(port));
  assert.deepEqual(rule('TCP/6443')?.to, [{ ipBlock: { cidr: '10.96.0.1/32' } }], 'the API server by its address');
  assert.equal(rule('TCP/443'), undefined, 'only the ports given');
  assert.deepEqual(rule('TCP/6432')?.to, [{ ipBlock: { cidr: '192.0.2.10/32' } }], 'PgBouncer where it was said to run');
  assert.deepEqual(rule('TCP/8080')?.to, [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] }] } }], 'targets: the watched namespace');
  assert.deepEqual(egress.at(-1), { ports: [{ port: 4317 }] }, 'extra rules appended verbatim');
  assert.equal(operator.spec.podSelector.matchLabels?.['app.kubernetes.io/instance'], 'np', 'this release\'s operator only');

  const matcher = policies(objects).find((p) => p.metadata.name === 'matcher')!;
  const fromOperator = matcher.spec.ingress!.at(-1)!.from![0]!;
  assert.deepEqual(fromOperator.namespaceSelector?.matchLabels, { 'kubernetes.io/metadata.name': 'ops' }, 'the operator runs in the release namespace');
  assert.equal(fromOperator.podSelector?.matchLabels?.['app.kubernetes.io/instance'], 'np');
});

/** A registered PgBouncer (its Secret is only mounted, so any name renders). */
const PGBOUNCER = {
  'operator.signalSources.pgbouncer[0].name': 'main', 'operator.signalSources.pgbouncer[0].host': 'pgbouncer.db.svc',
  'operator.signalSources.pgbouncer[0].user': 'admin', 'operator.signalSources.pgbouncer[0].passwordSecret.name': 'pgbouncer-admin',
};
const egressOf = (objects: KubeObject[]) => policies(objects).find((p) => p.metadata.name.endsWith('-operator'))!.spec.egress!;
const API_DNS_TARGETS = ['TCP/443', 'TCP/53', 'TCP/6443', 'TCP/8080', 'UDP/53'];

test('the chart: one egress rule per registered Prometheus and PgBouncer, on the port of its address, to its peers', async () => {
  const observability = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } };
  const objects = await renderChart({
    release: 'np',
    set: {
      'networkPolicy.enabled': 'true', 'matcher.enabled': 'true', 'examplePolicy.enabled': 'true',
      'examplePolicy.prometheusAddress': 'http://prometheus-operated.monitoring.svc:9090',
      // https without a port: 443, to the entry's own peers.
      'operator.signalSources.prometheus[0].name': 'main', 'operator.signalSources.prometheus[0].address': 'https://prometheus.observability.svc/',
      'operator.signalSources.prometheus[0].networkPeers[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name': 'observability',
      // http without a port: 80; a port: that port. Both to networkPolicy.prometheus.peers.
      'operator.signalSources.prometheus[1].name': 'edge', 'operator.signalSources.prometheus[1].address': 'http://thanos.edge.svc',
      'operator.signalSources.prometheus[2].name': 'team', 'operator.signalSources.prometheus[2].address': 'http://10.0.0.9:9091/prometheus',
      ...PGBOUNCER,
      'operator.signalSources.pgbouncer[0].networkPeers[0].ipBlock.cidr': '192.0.2.10/32',
      'operator.signalSources.pgbouncer[1].name': 'second', 'operator.signalSources.pgbouncer[1].host': 'pgbouncer-2.db.svc', 'operator.signalSources.pgbouncer[1].port': '6433',
      'operator.signalSources.pgbouncer[1].user': 'admin', 'operator.signalSources.pgbouncer[1].passwordSecret.name': 'pgbouncer-2',
      'networkPolicy.pgbouncer.peers[0].podSelector.matchLabels.app': 'pgbouncer',
    },
  });
  const egress = egressOf(objects);
  const monitoring = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
  // Between the API server and DNS rules and the targets' rule, in the order registered.
  assert.deepEqual(ports(egress[0]!.ports), ['TCP/443', 'TCP/6443']);
  assert.deepEqual(ports(egress.at(-1)!.ports), ['TCP/8080']);
  const sources = egress.slice(2, -1).map((r) => ({ to: r.to, ports: ports(r.ports) }));
  assert.deepEqual(sources, [
    { to: [observability], ports: ['TCP/443'] }, // main
    { to: [monitoring], ports: ['TCP/80'] }, // edge
    { to: [monitoring], ports: ['TCP/9091'] }, // team
    { to: [monitoring], ports: ['TCP/9090'] }, // example-policy, the example's Prometheus
    { to: [{ ipBlock: { cidr: '192.0.2.10/32' } }], ports: ['TCP/6432'] }, // PgBouncer main, its default port
    { to: [{ podSelector: { matchLabels: { app: 'pgbouncer' } } }], ports: ['TCP/6433'] }, // PgBouncer second
  ]);
  // The operator's sources file carries no NetworkPolicy peers.
  const file = (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-signal-sources')) as KubeObject & { data: Record<string, string> }).data['sources.yaml']!;
  assert.doesNotMatch(file, /networkPeers|peersValue/, file);
  assert.match(file, /name: example-policy/);
});

test('the chart: no egress rule for an unregistered source, and none open to any pod', async () => {
  const egress = egressOf(await renderChart({ set: { 'networkPolicy.enabled': 'true' } }));
  assert.deepEqual(egress.flatMap((r) => ports(r.ports)).sort(), API_DNS_TARGETS, 'the API server, DNS and the targets only');
  const open = egress.filter((r) => (r.to ?? []).some((peer) => peer.namespaceSelector && Object.keys(peer.namespaceSelector).length === 0 && !peer.podSelector));
  assert.deepEqual(open.map((r) => ports(r.ports)), [['TCP/8080']], 'only the targets (every namespace watched) may be any pod');
});

test('the chart: a registered source without network peers fails the render, naming it and the value to set', async () => {
  const render = async (set: Record<string, string>, ...flags: string[]) => {
    const args = ['template', 'np', CHART_DIR, ...flags, '--set', 'networkPolicy.enabled=true'];
    for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
    return helm(args, { allowFailure: true });
  };
  const pgbouncer = await render(PGBOUNCER);
  assert.notEqual(pgbouncer.code, 0);
  assert.match(pgbouncer.stderr, /networkPolicy\.enabled: the registered PgBouncer "main" \(pgbouncer\.db\.svc\) has no network peers: set operator\.signalSources\.pgbouncer\[0\]\.networkPeers or networkPolicy\.pgbouncer\.peers/, pgbouncer.stderr);
  // Off, nothing is checked.
  assert.equal((await helm(['template', 'np', CHART_DIR, ...Object.entries(PGBOUNCER).flatMap(([k, v]) => ['--set', `${k}=${v}`])], { allowFailure: true })).code, 0);
  // networkPolicy.prometheus.peers cannot be empty by the schema; past it, the template refuses too.
  const prometheus = await render({
    'operator.signalSources.prometheus[0].name': 'main', 'operator.signalSources.prometheus[0].address': 'http://prometheus.monitoring.svc:9090',
    'networkPolicy.prometheus.peers': 'null',
  }, '--skip-schema-validation');
  assert.notEqual(prometheus.code, 0);
  assert.match(prometheus.stderr, /the registered Prometheus "main" \(http:\/\/prometheus\.monitoring\.svc:9090\) has no network peers: set operator\.signalSources\.prometheus\[0\]\.networkPeers/, prometheus.stderr);
});
