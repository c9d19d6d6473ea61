// A write the API server refuses (here a ValidatingAdmissionPolicy denying scale updates in the
// test namespace) shows as Ready=False ActuationFailed with a Warning Event, is retried with
// backoff, and heals once the refusal is lifted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNamespace } from '../support/cluster.js';
import {
  applyPolicy, condition, constantPolicy, createDeployment, eventsFor, getPolicy, replicasOf, setUp, startOperator, waitFor,
} from './harness.js';

test('a refused scale write: Ready=False ActuationFailed, Warning Event, retried until it succeeds', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    const name = `deny-scale-${namespace}`.slice(0, 63);
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['deployments/scale'] }] },
        validations: [{ expression: 'false', message: 'scaling is frozen in this namespace' }],
      },
    };
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name },
      spec: {
        policyName: name, validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } },
      },
    };
    const apply = (o: unknown) => cluster.kubectl(['apply', '--server-side', '--field-manager=plimsoll-tests', '-f', '-'], { input: JSON.stringify(o) });
    await apply(policy);
    await apply(binding);
    t.after(() => cluster.kubectl(['delete', '--ignore-not-found', 'validatingadmissionpolicybinding,validatingadmissionpolicy', name], { allowFailure: true }));
    // Admission policies take a moment to load: wait until a scale update is refused.
    await createDeployment(env, 'probe', 1);
    await waitFor('the admission policy to refuse scaling', async () => {
      const r = await cluster.kubectl(['scale', '-n', namespace, 'deployment/probe', '--replicas=2'], { allowFailure: true });
      return r.code !== 0 && /frozen/.test(r.stderr);
    }, { timeoutMs: 30_000, intervalMs: 500 });

    await createDeployment(env, 'matcher', 1);
    const operator = await startOperator(t, env);
    await applyPolicy(env, 'matcher', constantPolicy('matcher', 30));
    const p = await waitFor('Ready=False ActuationFailed', async () => {
      const p = await getPolicy(env, 'matcher');
      return condition(p, 'Ready')?.reason === 'ActuationFailed' && p;
    }, { timeoutMs: 20_000 });
    assert.match(condition(p, 'Ready')!.message, /frozen/);
    await waitFor('an ActuationFailed Warning', async () => (await eventsFor(env, 'matcher')).some((e) => e.reason === 'ActuationFailed' && e.type === 'Warning'));
    assert.equal(await replicasOf(env, 'matcher'), 1);
    const errors = (await operator.metrics.reconcileErrors.get()).values.find((v) => v.labels.code === 'ACTUATION_FAILED');
    assert.ok((errors?.value ?? 0) >= 1);

    await cluster.kubectl(['delete', 'validatingadmissionpolicybinding', name]);
    await waitFor('3 replicas once scaling is allowed', async () => (await replicasOf(env, 'matcher')) === 3, { timeoutMs: 30_000 });
    await waitFor('Ready=True again', async () => condition(await getPolicy(env, 'matcher'), 'Ready')?.status === 'True');
  });
});
