/**
 * The policy a scenario simulates: its policy file, with the scenario's `policyPatch` applied.
 * A patch lets a scenario run the policy as a deployment adjusts it, without a second copy of
 * the policy: the stack-sized scenarios take tools/stack/policy-local.json, the very patch the
 * local stack applies to the example for its 100m pods (tools/stack/kube-apply.sh).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseScalingPolicy } from '../api/validate.js';
import type { ScalingPolicy } from '../api/scaling-policy.js';
import { PlimsollError } from '../errors.js';
import { readSingleDocument } from '../shared/files.js';

/** RFC 6902, the two operations a policy adjustment needs: check a value, then replace it. */
const patchSchema = z.array(
  z.discriminatedUnion('op', [
    z.strictObject({ op: z.literal('test'), path: z.string().startsWith('/'), value: z.unknown() }),
    z.strictObject({ op: z.literal('replace'), path: z.string().startsWith('/'), value: z.unknown() }),
  ]),
);
export type PolicyPatch = z.infer<typeof patchSchema>;

/** JSON Pointer (RFC 6901) tokens: `~1` is `/`, `~0` is `~`. */
const tokens = (path: string) => path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));

/** Pure: the document with the patch applied (a copy); a failed test or a missing path names the operation. */
export function applyPolicyPatch(document: unknown, patch: PolicyPatch, source: string): unknown {
  const copy = structuredClone(document) as Record<string, unknown>;
  patch.forEach((op, i) => {
    const keys = tokens(op.path);
    const last = keys.pop()!;
    let parent: unknown = copy;
    for (const key of keys) parent = (parent as Record<string, unknown> | undefined)?.[key];
    const fail = (message: string) => {
      throw new PlimsollError('SCENARIO_INVALID', `${source}: operation ${i} (${op.op} ${op.path}) ${message}`);
    };
    if (typeof parent !== 'object' || parent === null || !(last in parent)) fail('names nothing in the policy');
    const node = parent as Record<string, unknown>;
    if (op.op === 'test' && JSON.stringify(node[last]) !== JSON.stringify(op.value)) {
      fail(`expected ${JSON.stringify(op.value)}, found ${JSON.stringify(node[last])}`);
    }
    if (op.op === 'replace') node[last] = op.value;
  });
  return copy;
}

export async function readPolicyPatch(path: string): Promise<PolicyPatch> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new PlimsollError('SCENARIO_INVALID', `policyPatch ${path}: ${(err as Error).message}`);
  }
  const parsed = patchSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    throw new PlimsollError('SCENARIO_INVALID', `policyPatch ${path} is not a list of test/replace operations`, { problems });
  }
  return parsed.data;
}

/** Reads, patches and validates the policy a scenario simulates. */
export async function loadScenarioPolicy(policyPath: string, patchPath?: string): Promise<ScalingPolicy> {
  const document = await readSingleDocument(policyPath, 'ScalingPolicy');
  if (!patchPath) return parseScalingPolicy(document, policyPath);
  const patched = applyPolicyPatch(document, await readPolicyPatch(patchPath), patchPath);
  return parseScalingPolicy(patched, `${policyPath} with ${patchPath}`);
}
