// The ScalingPolicy CRD on a real API server, with the machine's kubectl: crds/ and examples/
// apply, `kubectl explain` documents the fields, `kubectl get sp` shows the printer columns, and
// every examples/invalid/*.yaml is rejected by the API server with the message its
// `# expect: <substring>` line names (CEL x-kubernetes-validations or OpenAPI schema).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, ensureCluster, installCrds, waitFor, withNamespace } from '../support/cluster.js';

const CRDS = join(REPO_ROOT, 'crds');
const EXAMPLES = join(REPO_ROOT, 'examples');
const INVALID = join(EXAMPLES, 'invalid');

const yamlFiles = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f)) : [];

interface Crd {
  metadata: { name: string };
  spec: {
    names: { kind: string; plural: string; shortNames?: string[] };
    versions: {
      name: string;
      additionalPrinterColumns?: { name: string }[];
      schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { description?: string }> } } } };
    }[];
  };
}
interface Manifest { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }

const docsOf = (file: string) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as unknown).filter((d) => d !== null);
const crds = () => yamlFiles(CRDS).flatMap(docsOf) as Crd[];
const scalingPolicyCrd = () => crds().find((c) => c.metadata.name === 'scalingpolicies.plimsoll.dev');
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

test('crds/ and examples/ on a real API server', async (t) => {
  if (yamlFiles(CRDS).length === 0) return t.skip('crds/ not generated yet');
  const cluster = await ensureCluster();
  const installed = await installCrds(cluster);
  assert.deepEqual([...installed].sort(), crds().map((c) => c.metadata.name).sort());
  const crd = scalingPolicyCrd();
  assert.ok(crd, 'crds/ defines scalingpolicies.plimsoll.dev');
  const version = crd.spec.versions[0]!;

  await t.test('kubectl explain scalingpolicy.spec shows every field with its description', async () => {
    // The OpenAPI document is republished a moment after the CRD is Established.
    const out = await waitFor('kubectl explain to know scalingpolicy', async () => {
      const r = await cluster.kubectl(['explain', 'scalingpolicy.spec'], { allowFailure: true });
      return r.code === 0 ? r.stdout : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    const explained = squash(out);
    const fields = Object.entries(version.schema.openAPIV3Schema.properties.spec.properties);
    assert.ok(fields.length > 0);
    for (const [field, schema] of fields) {
      assert.match(out, new RegExp(`^\\s+${field}\\s+<`, 'm'), `explain lists spec.${field}`);
      if (schema.description) {
        assert.ok(explained.includes(squash(schema.description)), `explain shows spec.${field}'s description: ${schema.description}`);
      }
    }
  });

  await t.test('the examples apply, and kubectl get sp shows the printer columns', async (t2) => {
    const examples = yamlFiles(EXAMPLES);
    if (examples.length === 0) return t2.skip('examples/ is empty');
    await withNamespace(t2, async (namespace) => {
      const policies: string[] = [];
      for (const file of examples) {
        const docs = docsOf(file) as Manifest[];
        policies.push(...docs.filter((d) => d.kind === 'ScalingPolicy').map((d) => d.metadata?.name ?? ''));
        const r = await cluster.kubectl(['apply', '-n', namespace, '-f', file], { allowFailure: true });
        assert.equal(r.code, 0, `kubectl apply -f ${file}: ${r.stderr}`);
      }
      assert.ok(policies.length > 0, 'examples/ holds at least one ScalingPolicy');

      const shortName = crd.spec.names.shortNames?.[0] ?? crd.spec.names.plural;
      const { stdout } = await cluster.kubectl(['get', shortName, '-n', namespace]);
      const [header, ...rows] = stdout.trimEnd().split('\n');
      const columns = (header ?? '').trim().split(/\s+/);
      assert.deepEqual(columns, ['NAME', ...(version.additionalPrinterColumns ?? []).map((c) => c.name.toUpperCase())]);
      // matcher.yaml and matcher-explicit.yaml are two forms of one policy (one name): the second
      // apply updates the first, so each name is listed once.
      assert.deepEqual(rows.map((r) => r.split(/\s+/)[0]).sort(), [...new Set(policies)].sort());
    });
  });

  await t.test('each examples/invalid/*.yaml is rejected by the API server with its expected message', async (t2) => {
    const invalid = yamlFiles(INVALID);
    if (invalid.length === 0) return t2.skip('examples/invalid/ is empty');
    await withNamespace(t2, async (namespace) => {
      for (const file of invalid) {
        const expects = [...readFileSync(file, 'utf8').matchAll(/^#\s*expect:\s*(.+?)\s*$/gm)].map((m) => m[1]!);
        assert.ok(expects.length > 0, `${file} has a "# expect: <message>" line`);
        // --validate=strict: kubectl leaves validation to the server (fieldValidation=Strict), so
        // every message, schema or CEL, comes from the API server.
        const r = await cluster.kubectl(['create', '--validate=strict', '-n', namespace, '-f', file], { allowFailure: true });
        assert.notEqual(r.code, 0, `${file} was accepted: ${r.stdout}`);
        for (const expected of expects) {
          assert.ok(r.stderr.includes(expected), `${file}: expected "${expected}" in: ${r.stderr.trim()}`);
        }
      }
      const { stdout } = await cluster.kubectl(['get', 'scalingpolicies', '-n', namespace, '-o', 'name']);
      assert.equal(stdout.trim(), '', 'no invalid policy was stored');
    });
  });
});
