import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import { CRD_FILE, renderCrdYaml, scalingPolicyCrd, type JsonSchema } from '../../../src/plimsoll/api/crd.js';
import { defaultsBreakingTheirRules } from '../../../src/plimsoll/api/validate.js';

test('the committed CRD is exactly what the schema generates (run `make crd` if this fails)', async () => {
  const committed = await readFile(new URL(`../../../crds/${CRD_FILE}`, import.meta.url), 'utf8');
  assert.equal(committed, renderCrdYaml());
});

test('the Helm chart\'s CRD (charts/plimsoll/crds/) is the same generated file (run `make crd` if this fails)', async () => {
  const committed = await readFile(new URL(`../../../charts/plimsoll/crds/${CRD_FILE}`, import.meta.url), 'utf8');
  assert.equal(committed, renderCrdYaml());
});

function walk(node: JsonSchema, path: string, visit: (node: JsonSchema, path: string) => void): void {
  visit(node, path);
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>)) walk(child, `${path}.${key}`, visit);
  if (node.items) walk(node.items as JsonSchema, `${path}[]`, visit);
}

test('the schema is structural: every node typed, no additionalProperties:false, no const/anyOf', () => {
  const schema = scalingPolicyCrd().spec.versions[0]!.schema.openAPIV3Schema as JsonSchema;
  walk(schema, '', (node, path) => {
    assert.ok(typeof node.type === 'string', `${path} has no type`);
    assert.notEqual(node.additionalProperties, false, `${path} sets additionalProperties: false`);
    for (const key of ['const', 'anyOf', 'oneOf', 'allOf', '$ref']) assert.ok(!(key in node), `${path} uses ${key}`);
  });
});

test('every spec and status field has a description for kubectl explain', () => {
  const schema = scalingPolicyCrd().spec.versions[0]!.schema.openAPIV3Schema as JsonSchema;
  const missing: string[] = [];
  const props = schema.properties as Record<string, JsonSchema>;
  for (const root of ['spec', 'status'] as const) {
    walk(props[root]!, root, (node, path) => {
      if (typeof node.description !== 'string' || node.description.length < 3) missing.push(path);
    });
  }
  // Items of lists of objects inherit the list's description; scalars in a list need none.
  const significant = missing.filter((p) => !p.endsWith('[]'));
  assert.deepEqual(significant, []);
});

test('every list and string that a CEL rule can reach is bounded (the API server estimates rule cost)', () => {
  const spec = (scalingPolicyCrd().spec.versions[0]!.schema.openAPIV3Schema.properties as Record<string, JsonSchema>).spec!;
  walk(spec, 'spec', (node, path) => {
    if (node.type === 'array') assert.ok(typeof node.maxItems === 'number', `${path} has no maxItems`);
    if (node.type === 'string' && !node.enum) assert.ok(typeof node.maxLength === 'number', `${path} has no maxLength`);
  });
});

test('printer columns, short name and status subresource', () => {
  const crd = parse(renderCrdYaml().replace(/^#.*\n/gm, ''));
  assert.deepEqual(crd.spec.names.shortNames, ['sp']);
  const version = crd.spec.versions[0];
  assert.deepEqual(version.subresources, { status: {} });
  assert.deepEqual(version.additionalPrinterColumns.map((c: { name: string }) => c.name), ['Target', 'Replicas', 'Pool', 'Level', 'Ready', 'Age']);
});

test('every default passes its own CEL rules, as the API server demands of a CRD', () => {
  assert.deepEqual(defaultsBreakingTheirRules(), []);
  // The check itself bites: `{}` as the default of an object whose rule reads its fields fails.
  const broken: JsonSchema = { type: 'object', default: {}, properties: { min: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.min <= 3', message: 'm' }] };
  assert.equal(defaultsBreakingTheirRules(broken).length, 1);
});
