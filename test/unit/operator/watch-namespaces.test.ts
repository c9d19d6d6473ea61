// OPERATOR_NAMESPACE names the namespaces the operator watches, comma-separated: each a DNS
// label, none twice; the Lease defaults to the first of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOperatorConfig } from '../../../src/plimsoll/config/operator.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';

/** The problems CONFIG_INVALID reports, as "path: message". */
function problems(env: Record<string, string>): string[] {
  try {
    loadOperatorConfig(env);
  } catch (err) {
    assert.ok(isPlimsollError(err) && err.code === 'CONFIG_INVALID', String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test('OPERATOR_NAMESPACE: a comma-separated list, the Lease beside the first', () => {
  const c = loadOperatorConfig({ OPERATOR_NAMESPACE: 'team-a, team-b,team-c' });
  assert.deepEqual(c.namespaces, ['team-a', 'team-b', 'team-c']);
  assert.equal(c.leaderElection.leaseNamespace, 'team-a');
  assert.ok(Object.isFrozen(c.namespaces));
  assert.equal(loadOperatorConfig({ OPERATOR_NAMESPACE: 'team-a,team-b', LEADER_ELECTION_NAMESPACE: 'ops' }).leaderElection.leaseNamespace, 'ops');
  // Unset: every namespace, the Lease in the pod's own.
  const all = loadOperatorConfig({ POD_NAMESPACE: 'home' });
  assert.deepEqual(all.namespaces, []);
  assert.equal(all.leaderElection.leaseNamespace, 'home');
});

test('OPERATOR_NAMESPACE: a namespace twice, or one that is not a DNS label, is refused naming the variable', () => {
  assert.deepEqual(problems({ OPERATOR_NAMESPACE: 'team-a,team-b,team-a' }), ['namespaces: OPERATOR_NAMESPACE lists team-a more than once']);
  for (const bad of ['Team-A', 'team-a,,team-b', 'team-a,', 'team_a', `${'a'.repeat(64)}`]) {
    const found = problems({ OPERATOR_NAMESPACE: bad });
    assert.ok(found.length > 0 && found.some((p) => p.startsWith('namespaces.') && p.includes('OPERATOR_NAMESPACE')), `${bad}: ${found.join('; ')}`);
  }
});
