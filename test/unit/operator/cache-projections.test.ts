// What the informers keep of a Deployment: the fields the reconciler reads, not its template,
// managedFields or last-applied annotation (most of its size, cached for every Deployment of the cluster).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { projectDeployment, withoutManagedFields } from '../../../src/plimsoll/operator/cache-projections.js';
import { rolloutOf } from '../../../src/plimsoll/operator/reconciler.js';

const deployment: k8s.V1Deployment = {
  metadata: {
    name: 'web', namespace: 'ns', uid: 'u', resourceVersion: '9', generation: 3, labels: { app: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(10_000) },
    managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
  },
  spec: {
    replicas: 4, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2 } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:1', env: [{ name: 'A', value: 'y'.repeat(10_000) }] }] } },
  },
  status: { replicas: 4, readyReplicas: 3, updatedReplicas: 4, availableReplicas: 3, observedGeneration: 3, conditions: [{ type: 'Available', status: 'True' }] },
};

test('a cached Deployment keeps what the reconciler reads, and little else', () => {
  const kept = projectDeployment(deployment);
  assert.equal(kept.spec?.replicas, 4);
  assert.deepEqual(kept.spec?.selector, { matchLabels: { app: 'web' } });
  assert.deepEqual(rolloutOf(kept), rolloutOf(deployment));
  assert.equal(kept.status?.readyReplicas, 3);
  assert.equal(kept.metadata?.resourceVersion, '9');
  assert.equal(kept.metadata?.managedFields, undefined);
  assert.equal(kept.metadata?.annotations, undefined);
  assert.ok(JSON.stringify(kept).length < 600, `${JSON.stringify(kept).length} bytes kept`);
});

test('other kinds lose managedFields and the last-applied annotation only', () => {
  const cm: k8s.V1ConfigMap = { metadata: { name: 'c', namespace: 'ns', annotations: { keep: 'me', 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, managedFields: [{ manager: 'plimsoll' }] }, data: { 'runtime.json': '{}' } };
  assert.deepEqual(withoutManagedFields(cm), { metadata: { name: 'c', namespace: 'ns', annotations: { keep: 'me' } }, data: { 'runtime.json': '{}' } });
});
