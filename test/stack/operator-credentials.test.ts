// The local stack runs the operator with its own ServiceAccount's token, never as admin:
// tools/stack/operator-kubeconfig.sh (what `make up` uses) writes a kubeconfig whose only
// credential is a TokenRequest token of plimsoll-system/plimsoll-operator, and the API server
// grants it exactly the ClusterRole of manifests/rbac.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT, ensureCluster, installCrds, run } from '../support/cluster.js';

test('the operator kubeconfig of the local stack holds only its ServiceAccount token, with the operator RBAC', async (t) => {
  const cluster = await ensureCluster();
  if (!cluster.local) return t.skip('tools/stack drives the local cluster (.local/kubeconfig) only');
  // can-i answers no for a resource the server does not serve: the CRD first, as the stack does.
  await installCrds(cluster);
  await cluster.kubectl(['apply', '--server-side', '--field-manager=plimsoll-stack', '-k', join(REPO_ROOT, 'manifests', 'rbac')]);
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-opkc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'operator.kubeconfig');
  const made = await run('bash', [join(REPO_ROOT, 'tools', 'stack', 'operator-kubeconfig.sh'), file, 'plimsoll-system', 'plimsoll-operator', '1h']);
  assert.equal(made.code, 0, made.stderr);
  assert.equal(made.stdout.trim(), 'system:serviceaccount:plimsoll-system:plimsoll-operator');

  const config = parse(readFileSync(file, 'utf8')) as { users: Array<{ user: Record<string, unknown> }> };
  assert.deepEqual(Object.keys(config.users[0]!.user), ['token'], 'no client certificate, nothing but the token');

  const as = { kubeconfigPath: file, allowFailure: true };
  const can = async (...args: string[]) => (await cluster.kubectl(['auth', 'can-i', ...args], as)).stdout.trim();
  assert.equal(await can('list', 'scalingpolicies.plimsoll.dev', '-A'), 'yes');
  assert.equal(await can('patch', 'scalingpolicies.plimsoll.dev', '--subresource=status', '-n', 'default'), 'yes');
  assert.equal(await can('update', 'deployments.apps', '--subresource=scale', '-n', 'default'), 'yes');
  assert.equal(await can('*', '*', '-A'), 'no', 'not cluster-admin');
  assert.equal(await can('update', 'deployments.apps', '-n', 'default'), 'no', 'replicas only through the scale subresource');
  assert.equal(await can('create', 'pods', '-n', 'default'), 'no');
  assert.equal(await can('delete', 'namespaces'), 'no');
  // Pods are listed for the budget over the pods that run (terminating ones included); Services are not the operator's business.
  assert.equal(await can('list', 'pods', '-n', 'default'), 'yes');
  const denied = await cluster.kubectl(['get', 'services', '-A'], as);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Forbidden.*system:serviceaccount:plimsoll-system:plimsoll-operator.*cannot list resource "services"/);
});
