// docs/install.md documents every value of the chart (a new value without a row fails here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/cluster.js';
import { CHART_DIR } from './support.js';

/** Maps documented as a whole (their keys are Kubernetes fields or free-form). */
const WHOLE = new Set(['resources', 'podSecurityContext', 'securityContext', 'probes', 'config', 'labels', 'annotations', 'for',
  'podAnnotations', 'podLabels', 'nodeSelector', 'affinity', 'commonLabels', 'replicas', 'pool']);

function valuePaths(node: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(node).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    const nested = v !== null && typeof v === 'object' && !Array.isArray(v) && !WHOLE.has(k) && Object.keys(v).length > 0;
    return nested ? valuePaths(v as Record<string, unknown>, path) : [path];
  });
}

test('docs/install.md has a row for every chart value', () => {
  const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const doc = readFileSync(join(REPO_ROOT, 'docs/install.md'), 'utf8');
  const paths = valuePaths(values);
  assert.ok(paths.length > 80, `only ${paths.length} values found`);
  const missing = paths.filter((p) => !doc.includes(`\`${p}\``));
  assert.deepEqual(missing, [], 'values without a row in docs/install.md');
});
