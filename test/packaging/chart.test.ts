// The Helm chart: helm lint, and `helm template` of the defaults and of ci/full-values.yaml
// applied with `kubectl apply --dry-run=server` against the real API server (its OpenAPI schemas,
// the CRD's own validation and CEL rules, admission). The Prometheus Operator's kinds are not
// served by the local cluster: they are checked against that operator's CRD schemas instead
// (@kubernetes-models/prometheus-operator), and their rules by promtool (monitoring.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { REPO_ROOT, createTestNamespace, ensureCluster, installCrds, run } from '../support/cluster.js';
import { validateScalingPolicy } from '../../src/plimsoll/api/validate.js';
import { CHART_DIR, FULL_VALUES, helm, isMonitoring, key, parseObjects, renderChart, renderChartText, toYamlStream, type KubeObject } from './support.js';

test('helm lint passes for the defaults and for ci/full-values.yaml', async () => {
  for (const values of [[], ['--values', FULL_VALUES]]) {
    const { stdout } = await helm(['lint', '--strict', CHART_DIR, ...values]);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/, stdout);
  }
});

test('chart, images and package.json carry one version', () => {
  const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(chart.appVersion, pkg.version, 'Chart.yaml appVersion must be package.json version');
  assert.equal(chart.version, pkg.version, 'Chart.yaml version must be package.json version');
  for (const file of ['manifests/operator/deployment.yaml', 'manifests/matcher/deployment.yaml']) {
    const images = [...readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(/image: (\S+)/g)].map((m) => m[1]);
    assert.ok(images.length > 0, `${file} has no image`);
    for (const image of images) assert.match(image!, new RegExp(`:${pkg.version.replace(/\./g, '\\.')}$`), `${file}: ${image} is not tagged ${pkg.version}`);
  }
});

/** Render, then server-side dry-run every object the cluster serves, in a fresh namespace. */
async function dryRun(label: string, options: Parameters<typeof renderChart>[0]): Promise<KubeObject[]> {
  const cluster = await ensureCluster();
  await installCrds(cluster); // the example ScalingPolicy needs its CRD to be served
  const ns = await createTestNamespace(`pkg-${label}`);
  try {
    const objects = await renderChart({ ...options, namespace: ns.name });
    for (const o of objects) {
      const elsewhere = (o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')) // monitoring.dashboard.namespace
        || (['Role', 'RoleBinding'].includes(o.kind) && o.metadata.labels?.['app.kubernetes.io/component'] === 'operator'); // in operator.watchNamespaces
      if (o.metadata.namespace !== undefined && !elsewhere) assert.equal(o.metadata.namespace, ns.name, `${key(o)} is not in the release namespace`);
    }
    const served = objects.filter((o) => !isMonitoring(o));
    // The dashboard may go to another namespace (monitoring.dashboard.namespace): dry-run it there
    // would need that namespace; it is a plain ConfigMap, so it is checked in the release's.
    const relocated = served.map((o) => (o.metadata.namespace !== undefined ? { ...o, metadata: { ...o.metadata, namespace: ns.name } } : o));
    const { stdout } = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: toYamlStream(relocated) });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, served.length, `kubectl answered for ${lines.length} of ${served.length} objects:\n${stdout}`);
    for (const line of lines) assert.match(line, /\((server dry run)\)$/, line);
    return objects;
  } finally {
    await ns.delete();
  }
}

test('the default render is accepted by the API server (dry-run) and holds the operator only', async () => {
  const objects = await dryRun('defaults', {});
  const kinds = objects.map((o) => o.kind).sort();
  // The ConfigMap: the operator's registered signal sources (empty by default).
  assert.deepEqual(kinds, ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  const deployment = objects.find((o) => o.kind === 'Deployment') as KubeObject & { spec: { replicas: number } };
  assert.equal(deployment.spec.replicas, 2);
});

test('ci/full-values.yaml renders every optional part, accepted by the API server and the monitoring CRD schemas', async () => {
  const objects = await dryRun('full', { valuesFiles: [FULL_VALUES] });
  const kinds = new Set(objects.map((o) => o.kind));
  for (const kind of ['Deployment', 'Service', 'ConfigMap', 'Secret', 'Role', 'RoleBinding', 'ScalingPolicy', 'ServiceMonitor', 'PrometheusRule', 'PodDisruptionBudget', 'NetworkPolicy']) {
    assert.ok(kinds.has(kind), `no ${kind} in the full render`);
  }
  for (const o of objects.filter(isMonitoring)) {
    // validate() throws with the JSON path of the first violation of the CRD's schema.
    if (o.kind === 'ServiceMonitor') new ServiceMonitor(o as never).validate();
    else if (o.kind === 'PrometheusRule') new PrometheusRule(o as never).validate();
    else assert.fail(`unexpected monitoring kind ${o.kind}`);
  }
});

test('the example ScalingPolicy is one page: the standard signals implied, and `plimsoll validate` accepts it as rendered', async () => {
  const text = await renderChartText({ valuesFiles: [FULL_VALUES], namespace: 'shop' });
  const policy = parseObjects(text).find((o) => o.kind === 'ScalingPolicy') as KubeObject & {
    spec: { targetRef: { name: string }; runtime: { configMapName: string }; signals?: unknown[]; standardSignals?: { contract: string; prometheus?: { selector: string } } };
  };
  assert.ok(policy, 'no ScalingPolicy rendered');
  assert.equal(policy.spec.signals, undefined, 'no signal spelled out: spec.standardSignals implies them');
  assert.equal(policy.spec.standardSignals?.contract, 'matcher.plimsoll.dev/v1');
  assert.equal(policy.spec.standardSignals?.prometheus?.selector, 'namespace="shop",service="matcher"', 'this matcher\'s series only');
  const result = validateScalingPolicy(policy);
  assert.deepEqual(result.valid ? [] : result.problems, []);
  assert.equal(policy.spec.targetRef.name, 'matcher');
  assert.equal(policy.spec.runtime.configMapName, 'matcher-runtime', 'the policy must publish the ConfigMap the matcher watches');

  // The CLI, on the whole rendered chart (every other kind is skipped).
  const file = join(mkdtempSync(join(tmpdir(), 'plimsoll-chart-')), 'rendered.yaml');
  writeFileSync(file, text);
  const cli = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/plimsoll/cli/bin.ts'), 'validate', file]);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /ScalingPolicy matcher is valid; spec\.standardSignals implies 7 signals/, cli.stdout);
});
