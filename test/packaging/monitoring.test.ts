// The chart's alerts and dashboard: rules checked and unit-tested by promtool (Prometheus's own
// parser and rule evaluator), every PromQL expression of the dashboard parsed by promtool, and
// every metric they name defined in src/ (so a renamed metric cannot leave them silently empty):
// the operator's where it registers them, the matcher's in the contract (src/plimsoll/contract/metrics.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, run } from '../support/cluster.js';
import { matcherMetrics } from '../../src/plimsoll/contract/metrics.js';
import { CHART_DIR, find, renderChart, type KubeObject } from './support.js';

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleGroup { name: string; rules: Rule[] }

async function promtool(args: string[], cwd: string): Promise<string> {
  const result = await run('promtool', args, { cwd }).catch((err: Error) => {
    throw new Error(`promtool not runnable (${err.message}): it comes with Debian's prometheus package, which \`make services\` installs`);
  });
  assert.equal(result.code, 0, `promtool ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout + result.stderr;
}

async function renderedGroups(values: Record<string, string> = {}): Promise<RuleGroup[]> {
  const objects = await renderChart({ set: { 'monitoring.prometheusRule.enabled': 'true', ...values } });
  return (find(objects, 'PrometheusRule', 'plimsoll') as KubeObject & { spec: { groups: RuleGroup[] } }).spec.groups;
}

/** Every metric defined in src/: prom-client's `name: '<prefix>_…'`, and the contract's matcher metrics. */
function definedMetrics(): Set<string> {
  const names = new Set<string>(Object.values(matcherMetrics));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/name: '((?:plimsoll|matcher)_[a-z0-9_]+)'/g)) names.add(m[1]!);
    }
  };
  walk(join(REPO_ROOT, 'src'));
  return names;
}

/** plimsoll_* and matcher_* names an expression reads (histogram series map to their metric). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:plimsoll|matcher)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

test('the alerting rules pass promtool check rules, and every alert the issue asks for is there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-rules-'));
  try {
    const groups = await renderedGroups({ 'monitoring.prometheusRule.runbookBaseUrl': 'https://runbooks.example.com/' });
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
    assert.match(await promtool(['check', 'rules', 'rules.yaml'], dir), /SUCCESS: 6 rules found/);
    const alerts = groups.flatMap((g) => g.rules);
    assert.deepEqual(alerts.map((r) => r.alert).sort(), [
      'PlimsollBudgetConstrained', 'PlimsollMaintenanceLevel', 'PlimsollNoLeader', 'PlimsollReconcileErrors', 'PlimsollRuntimeNotPropagated', 'PlimsollSignalsFailing',
    ]);
    for (const a of alerts) {
      assert.ok(a.labels?.severity, `${a.alert} has no severity`);
      assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert} lacks summary or description`);
      assert.equal(a.annotations.runbook_url, `https://runbooks.example.com/${a.alert}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the alerts fire when they should and not otherwise (promtool test rules)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-alerts-'));
  try {
    const groups = (await renderedGroups()).map((g) => ({
      ...g, rules: g.rules.map((r) => (r.alert === 'PlimsollBudgetConstrained' ? r : { ...r, annotations: {} })),
    }));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }, { lineWidth: 0 }));
    copyFileSync(join(REPO_ROOT, 'test/packaging/alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
    assert.match(await promtool(['test', 'rules', 'alerts.promtool.yaml'], dir), /SUCCESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const dashboard = () => JSON.parse(readFileSync(join(CHART_DIR, 'dashboards/plimsoll.json'), 'utf8')) as {
  uid: string; title: string; templating: { list: { name: string }[] };
  panels: { type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: { expr: string }[] }[];
};

test('every dashboard query parses (promtool) and reads metrics defined in src/', async () => {
  const d = dashboard();
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  assert.ok(exprs.length >= 20, `only ${exprs.length} queries`);
  // Grafana's variables are substituted as Grafana would: a regex matcher gets `.*` (All).
  const concrete = exprs.map((e) => e.replace(/\$__rate_interval/g, '2m').replace(/\$(namespace|policy|service)\b/g, '.*'));
  assert.ok(concrete.every((e) => !e.includes('$')), 'an unknown dashboard variable is left');
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-dashboard-'));
  try {
    const rules = concrete.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
    writeFileSync(join(dir, 'queries.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }, { lineWidth: 0 }));
    assert.match(await promtool(['check', 'rules', 'queries.yaml'], dir), new RegExp(`SUCCESS: ${rules.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const defined = definedMetrics();
  assert.ok(defined.has('plimsoll_desired_replicas') && defined.has('matcher_queue_jobs'), 'the metric scan found nothing: its pattern is stale');
  const alertExprs = (await renderedGroups()).flatMap((g) => g.rules.map((r) => r.expr));
  for (const expr of [...exprs, ...alertExprs]) {
    for (const metric of metricsIn(expr)) assert.ok(defined.has(metric), `${metric} (in ${expr}) is not defined anywhere in src/`);
  }
});

test('the dashboard shows replicas, pool, concurrency, service level, signals, latency and queue depth', () => {
  const d = dashboard();
  const text = JSON.stringify(d.panels);
  const wanted: Record<string, string[]> = {
    replicas: ['plimsoll_desired_replicas'],
    pool: ['plimsoll_desired_pool_max', 'matcher_db_pool_max', 'matcher_db_pool_connections'],
    concurrency: ['plimsoll_desired_concurrency', 'matcher_worker_concurrency'],
    'service level': ['plimsoll_service_level', 'matcher_service_level'],
    signals: ['plimsoll_signal_failures_total', 'plimsoll_signal_fetch_duration_seconds_bucket'],
    latency: ['matcher_http_request_duration_seconds_bucket', 'matcher_provider_request_duration_seconds_bucket'],
    'queue depth': ['matcher_queue_jobs'],
  };
  for (const [topic, metrics] of Object.entries(wanted)) for (const m of metrics) assert.ok(text.includes(m), `no ${topic} panel reads ${m}`);
  assert.equal(d.uid, 'plimsoll-overview');
  assert.deepEqual(d.templating.list.map((v) => v.name), ['datasource', 'namespace', 'policy', 'service']);
  // Panels sit inside Grafana's 24-column grid without overlapping.
  const cells = new Set<string>();
  for (const p of d.panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} is wider than the grid`);
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
    if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
  }
});

test('the chart ships the dashboard file unchanged in a ConfigMap labelled for the Grafana sidecar', async () => {
  const objects = await renderChart({ set: { 'monitoring.dashboard.enabled': 'true' } });
  const cm = find(objects, 'ConfigMap', 'plimsoll-dashboard') as KubeObject & { data: Record<string, string> };
  assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
  assert.deepEqual(JSON.parse(cm.data['plimsoll.json']!), dashboard());
});
