/**
 * Offline validation of ScalingPolicies with the rules the API server enforces: the zod schema
 * (types, bounds, enums, unknown fields, defaults) and then every CEL rule of the generated CRD,
 * evaluated with the same `self` the API server would bind. Problems name the field and rule.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { PlimsollError } from '../errors.js';
import { scalingPolicyOpenApiSchema, type JsonSchema } from './crd.js';
import { scalingPolicySchema, writtenSpecSchema, type ScalingPolicy } from './scaling-policy.js';

interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
}

const celEnvironment = new Environment({ unlistedVariablesAreDyn: true });
const compiled = new Map<string, (ctx: { self: unknown }) => unknown>();

function compile(rule: string) {
  let program = compiled.get(rule);
  if (!program) {
    program = celEnvironment.parse(rule) as (ctx: { self: unknown }) => unknown;
    compiled.set(rule, program);
  }
  return program;
}

/** JSON → CEL value: CEL distinguishes int from double, and the schema says which is which. */
function toCel(value: unknown, schema: JsonSchema | undefined): unknown {
  if (schema === undefined) return value;
  if (schema.type === 'integer' && typeof value === 'number') return BigInt(value);
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema.items as JsonSchema | undefined));
  if (value !== null && typeof value === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const extra = schema.additionalProperties as JsonSchema | undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, properties[k] ?? extra)]));
  }
  return value;
}

function celProblems(value: unknown, schema: JsonSchema, path: string, problems: FieldProblem[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => celProblems(item, (schema.items ?? {}) as JsonSchema, `${path}[${i}]`, problems));
  } else if (value !== null && typeof value === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [key, child] of Object.entries(value)) {
      if (properties[key]) celProblems(child, properties[key], `${path}.${key}`, problems);
    }
  }
  const rules = (schema['x-kubernetes-validations'] ?? []) as CelRule[];
  if (rules.length === 0) return;
  const self = toCel(value, schema);
  for (const { rule, message, fieldPath } of rules) {
    let passed: unknown;
    try {
      passed = compile(rule)({ self });
    } catch (error) {
      problems.push({ path, message: `rule "${rule}" could not be evaluated: ${(error as Error).message}` });
      continue;
    }
    if (passed !== true) problems.push({ path: `${path}${fieldPath ?? ''}`, message: `${message} (rule: ${rule})` });
  }
}

function zodProblems(error: z.ZodError, prefix: string): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`), prefix);
    return { path: path.replace(/^\./, '') || '(root)', message: issue.message };
  });
}

let cachedSchema: JsonSchema | undefined;
function policyOpenApi(): JsonSchema {
  cachedSchema ??= scalingPolicyOpenApiSchema();
  return cachedSchema;
}

/**
 * The API server checks every `default` in a CRD against its node's own CEL rules (without
 * filling in nested defaults) and refuses the CRD otherwise. This repeats that check offline, so
 * a schema change that would be refused fails a unit test instead of a deployment.
 */
export function defaultsBreakingTheirRules(schema: JsonSchema = policyOpenApi(), path = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (schema.default !== undefined && schema['x-kubernetes-validations']) {
    const own = { ...schema, properties: undefined, items: undefined };
    celProblems(schema.default, own as JsonSchema, `${path}.default`, problems);
  }
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    problems.push(...defaultsBreakingTheirRules(child, `${path}.${key}`));
  }
  if (schema.items) problems.push(...defaultsBreakingTheirRules(schema.items as JsonSchema, `${path}[]`));
  return problems;
}

export type ValidationResult =
  | { valid: true; policy: ScalingPolicy; problems: [] }
  | { valid: false; problems: FieldProblem[] };

/**
 * Validates one whole ScalingPolicy object (apiVersion, kind, metadata, spec). The CEL rules see
 * the spec as written (the API server never sees the implied signals); the policy returned has
 * them expanded, as the operator and the simulator decide on them.
 */
export function validateScalingPolicy(document: unknown): ValidationResult {
  const parsed = scalingPolicySchema.safeParse(document);
  if (!parsed.success) return { valid: false, problems: zodProblems(parsed.error, '') };
  const problems: FieldProblem[] = [];
  const specSchema = (policyOpenApi().properties as Record<string, JsonSchema>).spec as JsonSchema;
  celProblems(writtenSpecSchema.parse((document as { spec: unknown }).spec), specSchema, 'spec', problems);
  if (problems.length > 0) return { valid: false, problems };
  return { valid: true, policy: parsed.data, problems: [] };
}

/** A whole policy, or a POLICY_INVALID error listing every problem. */
export function parseScalingPolicy(document: unknown, what = 'policy'): ScalingPolicy {
  const result = validateScalingPolicy(document);
  if (!result.valid) throw new PlimsollError('POLICY_INVALID', `${what} is not a valid ScalingPolicy`, { problems: result.problems });
  return result.policy;
}
