// The kustomize manifests: every base and overlay is accepted by the API server (dry-run), and the
// overlays render the same objects as the chart's defaults (operator-only) and the chart with
// matcher.enabled (operator-and-matcher): same kinds and names, RBAC rules, securityContexts,
// env, probes, resources… compared as parsed objects, not text. What may differ is only what
// Helm adds (its labels, the release instance in selectors, a config checksum annotation) and
// the Namespace object, which Helm leaves to `--create-namespace`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, createTestNamespace, ensureCluster, installCrds } from '../support/cluster.js';
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { containerEnv, type EnvSources } from '../../tools/stack/replica-runner/pod-env.js';
import { find, key, kustomize, renderChart, type KubeObject } from './support.js';

const DIRS = ['crds', 'manifests/rbac', 'manifests/operator', 'manifests/network-policies/operator', 'manifests/overlays/operator-only', 'manifests/overlays/operator-and-matcher', 'manifests/overlays/network-policies', 'manifests'];

test('every kustomization is accepted by the API server (kubectl apply -k --dry-run=server)', async () => {
  const cluster = await ensureCluster();
  await installCrds(cluster);
  // Namespaced objects of a server dry-run need their namespace to exist: plimsoll-system is the
  // operator's home, the one namespace these manifests create (left in place: the local stack
  // applies manifests/rbac into it too).
  await cluster.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/rbac/namespace.yaml')]);
  for (const dir of DIRS) {
    const { stdout } = await cluster.kubectl(['apply', '-k', join(REPO_ROOT, dir), '--dry-run=server']);
    const expected = (await kustomize(dir)).length;
    const lines = stdout.trim().split('\n').filter((l) => l.includes('(server dry run)'));
    assert.equal(lines.length, expected, `${dir}: ${lines.length} of ${expected} objects accepted:\n${stdout}`);
  }
  // The matcher base has no namespace: it lands where it is applied. A namespace of its own, since
  // a server dry-run merges into what exists, and `default` may hold the local stack's matcher
  // with that stack's own resource limits.
  const ns = await createTestNamespace('kustomize');
  try {
    const { stdout } = await cluster.kubectl(['apply', '-k', join(REPO_ROOT, 'manifests/matcher'), '-n', ns.name, '--dry-run=server']);
    assert.match(stdout, /deployment\.apps\/matcher created \(server dry run\)/);
    const policy = await cluster.kubectl(['apply', '-k', join(REPO_ROOT, 'manifests/network-policies/matcher'), '-n', ns.name, '--dry-run=server']);
    assert.match(policy.stdout, /networkpolicy\.networking\.k8s\.io\/matcher created \(server dry run\)/);
  } finally {
    await ns.delete();
  }
});

test('the ClusterRole of manifests/rbac and the chart grant exactly the same rules', async () => {
  const file = parseAllDocuments(readFileSync(join(REPO_ROOT, 'manifests/rbac/operator-clusterrole.yaml'), 'utf8')).map((d) => d.toJS() as KubeObject);
  const fromFile = find(file, 'ClusterRole', 'plimsoll-operator') as KubeObject & { rules: unknown[] };
  const fromChart = find(await renderChart({ release: 'other' }), 'ClusterRole', 'other-plimsoll-operator') as KubeObject & { rules: unknown[] };
  assert.deepEqual(ruleSet(fromChart.rules), ruleSet(fromFile.rules));
  assert.ok(fromFile.rules.length >= 10, 'the role lost rules');
});

/** Rules as a sorted set of canonical strings: order of rules and of verbs does not matter. */
function ruleSet(rules: unknown[]): string[] {
  return rules.map((r) => {
    const rule = r as Record<string, string[] | undefined>;
    return JSON.stringify(Object.fromEntries(Object.keys(rule).sort().map((k) => [k, [...(rule[k] ?? [])].sort()])));
  }).sort();
}

/** What Helm adds on top of the same object, removed from both sides before comparing. */
function normalize(o: KubeObject): unknown {
  const copy = structuredClone(o) as KubeObject & Record<string, unknown>;
  delete copy.metadata.labels;
  delete copy.metadata.annotations;
  const spec = copy.spec as Record<string, unknown> | undefined;
  // A NetworkPolicy's selectors: Helm's also carry app.kubernetes.io/instance.
  if (copy.kind === 'NetworkPolicy') withoutInstance(spec);
  if (spec) {
    delete spec.selector; // Helm's selectors also carry app.kubernetes.io/instance
    const template = spec.template as { metadata?: unknown; spec?: Record<string, unknown> } | undefined;
    if (template) {
      delete template.metadata;
      const podSpec = template.spec ?? {};
      for (const c of [...((podSpec.containers as Record<string, unknown>[] | undefined) ?? []), ...((podSpec.initContainers as Record<string, unknown>[] | undefined) ?? [])]) {
        if (Array.isArray(c.env)) c.env = [...(c.env as { name: string }[])].sort((a, b) => a.name.localeCompare(b.name));
      }
      // Anti-affinity selects the pods by their labels: compare its shape, not the labels.
      const terms = (podSpec.affinity as { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { labelSelector?: unknown } }[] } } | undefined)
        ?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      for (const t of terms) delete t.podAffinityTerm.labelSelector;
    }
  }
  return copy;
}

function withoutInstance(value: unknown): void {
  if (Array.isArray(value)) value.forEach(withoutInstance);
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const labels = record.matchLabels as Record<string, string> | undefined;
    if (labels) delete labels['app.kubernetes.io/instance'];
    Object.values(record).forEach(withoutInstance);
  }
}

/** Standard labels both sides must agree on (Helm adds more). */
const identity = (o: KubeObject) => ({
  name: o.metadata.labels?.['app.kubernetes.io/name'], component: o.metadata.labels?.['app.kubernetes.io/component'], partOf: o.metadata.labels?.['app.kubernetes.io/part-of'],
});

async function assertEquivalent(dir: string, chart: KubeObject[]): Promise<void> {
  const kust = (await kustomize(dir)).filter((o) => o.kind !== 'Namespace');
  assert.deepEqual(kust.map(key).sort(), chart.map(key).sort(), `${dir} and the chart render different objects`);
  for (const k of kust) {
    const c = chart.find((o) => key(o) === key(k))!;
    assert.deepEqual(normalize(c), normalize(k), `${key(k)} differs between the chart and ${dir}`);
    if (k.kind !== 'CustomResourceDefinition') assert.deepEqual(identity(c), identity(k), `${key(k)}: standard labels differ`);
    for (const label of ['helm.sh/chart', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version']) {
      if (k.kind !== 'CustomResourceDefinition') assert.ok(c.metadata.labels?.[label], `${key(c)} lacks the label ${label}`);
    }
  }
}

test('overlays/operator-only renders what the chart renders by default', async () => {
  await assertEquivalent('manifests/overlays/operator-only', await renderChart({ includeCrds: true }));
});

test('overlays/operator-and-matcher renders what the chart renders with matcher.enabled=true', async () => {
  const chart = await renderChart({ includeCrds: true, set: { 'matcher.enabled': 'true' } });
  await assertEquivalent('manifests/overlays/operator-and-matcher', chart);
  // The matcher can read its runtime ConfigMap and nothing else, on both sides.
  const role = find(chart, 'Role', 'matcher-runtime-reader') as KubeObject & { rules: { resourceNames: string[]; verbs: string[] }[] };
  assert.deepEqual(role.rules.map((r) => [r.resourceNames, [...r.verbs].sort()]), [[['matcher-runtime'], ['list', 'watch']]]);
});

test('overlays/network-policies renders what the chart renders with matcher.enabled=true and networkPolicy.enabled=true', async () => {
  const chart = await renderChart({ includeCrds: true, set: { 'matcher.enabled': 'true', 'networkPolicy.enabled': 'true' } });
  assert.deepEqual(chart.filter((o) => o.kind === 'NetworkPolicy').map(key).sort(), ['NetworkPolicy/plimsoll-system/matcher', 'NetworkPolicy/plimsoll-system/plimsoll-operator']);
  await assertEquivalent('manifests/overlays/network-policies', chart);
});

test('the comparison bites: a changed securityContext or an extra rule is a difference', async () => {
  const kust = await kustomize('manifests/overlays/operator-only');
  const deployment = find(kust, 'Deployment', 'plimsoll-operator');
  const changed = structuredClone(deployment) as KubeObject & { spec: { template: { spec: { containers: { securityContext: { readOnlyRootFilesystem: boolean } }[] } } } };
  changed.spec.template.spec.containers[0]!.securityContext.readOnlyRootFilesystem = false;
  assert.notDeepEqual(normalize(changed), normalize(deployment));
  const role = find(kust, 'ClusterRole', 'plimsoll-operator') as KubeObject & { rules: unknown[] };
  assert.notDeepEqual(ruleSet([...role.rules, { apiGroups: [''], resources: ['pods'], verbs: ['list'] }]), ruleSet(role.rules));
});

test('the serving container gets no migration (DDL) credential: only the migrate init container does', async () => {
  const secretData = {
    MATCHER_DATABASE_URL: 'postgres://app@pgbouncer/db', MATCHER_MIGRATION_DATABASE_URL: 'postgres://ddl@postgres/db',
    MATCHER_REDIS_URL: 'redis://redis:6379/0', MATCHER_PGBOUNCER_ADMIN_URL: 'none', MATCHER_PROVIDERS: '[{"name":"p","baseUrl":"http://p/v1","apiKey":"k"}]',
  };
  const sources = (objects: KubeObject[]): EnvSources => ({
    configMap: (name) => (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as { data?: Record<string, string> } | undefined)?.data,
    secret: () => secretData,
  });
  const renders: [string, KubeObject[]][] = [
    ['chart', await renderChart({ set: { 'matcher.enabled': 'true' } })],
    ['manifests/matcher', await kustomize('manifests/matcher')],
    ['the local stack (tools/stack/kustomize/matcher)', await kustomize('tools/stack/kustomize/matcher')],
  ];
  for (const [where, objects] of renders) {
    const deployment = find(objects, 'Deployment', 'matcher') as KubeObject & { spec: { template: { spec: V1PodSpec } } };
    const pod: V1Pod = { metadata: { name: 'matcher-0', namespace: 'shop' }, spec: deployment.spec.template.spec };
    const container = (name: string, list: V1Container[] | undefined) => list?.find((c) => c.name === name) ?? assert.fail(`${where}: no container ${name}`);
    const serving = containerEnv(pod, container('matcher', pod.spec!.containers), sources(objects));
    const migrate = containerEnv(pod, container('migrate', pod.spec!.initContainers), sources(objects));
    assert.ok(!('MATCHER_MIGRATION_DATABASE_URL' in serving), `${where}: the serving container must not get MATCHER_MIGRATION_DATABASE_URL`);
    assert.ok(!Object.values(serving).includes(secretData.MATCHER_MIGRATION_DATABASE_URL), `${where}: nor its value under another name`);
    assert.equal(migrate.MATCHER_MIGRATION_DATABASE_URL, secretData.MATCHER_MIGRATION_DATABASE_URL, `${where}: the init container migrates`);
    for (const k of ['MATCHER_DATABASE_URL', 'MATCHER_REDIS_URL', 'MATCHER_PGBOUNCER_ADMIN_URL', 'MATCHER_PROVIDERS'] as const) {
      assert.equal(serving[k], secretData[k], `${where}: the serving container reads ${k} from the Secret`);
    }
  }
});
