// The EndpointSlice informer's index: ready endpoints per Deployment, and which Deployments a
// slice event concerns (only those whose ready endpoints changed requeue their policy).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { EndpointIndex, projectEndpointSlice } from '../../../src/plimsoll/operator/endpoint-index.js';

const slice = (name: string, endpoints: Array<[string, string, boolean?]>, resourceVersion = '1'): k8s.V1EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { name, namespace: 'ns', resourceVersion, managedFields: [{ manager: 'kube-controller-manager' }] },
  endpoints: endpoints.map(([address, pod, ready]) => ({ addresses: [address], conditions: { ready: ready ?? true }, targetRef: { kind: 'Pod', name: pod } })),
});

test('ready endpoints by Deployment: look-alike names, readiness, several Services, deletion', () => {
  const index = new EndpointIndex();
  assert.deepEqual(index.update('ADDED', slice('api-1', [
    ['10.0.0.1', 'matcher-7d9f8-abcde'], ['10.0.0.2', 'matcher-canary-5c6b7-fghij'], ['10.0.0.3', 'matcher-7d9f8-klmno', false],
  ])).sort(), ['ns/matcher', 'ns/matcher-canary']);
  // The same pod behind a second Service: one endpoint per address, and nothing changed for it.
  assert.deepEqual(index.update('ADDED', slice('web-1', [['10.0.0.1', 'matcher-7d9f8-abcde']])), ['ns/matcher']);
  assert.deepEqual(index.readyEndpointPods('ns', 'matcher'), [{ address: '10.0.0.1', pod: 'matcher-7d9f8-abcde' }]);
  assert.deepEqual(index.readyEndpointPods('ns', 'matcher-canary').map((e) => e.pod), ['matcher-canary-5c6b7-fghij']);
  // A new resourceVersion with the same ready endpoints concerns nobody (no requeue).
  assert.deepEqual(index.update('MODIFIED', slice('web-1', [['10.0.0.1', 'matcher-7d9f8-abcde']], '2')), []);
  // The not-ready pod turns ready.
  assert.deepEqual(index.update('MODIFIED', slice('api-1', [
    ['10.0.0.1', 'matcher-7d9f8-abcde'], ['10.0.0.2', 'matcher-canary-5c6b7-fghij'], ['10.0.0.3', 'matcher-7d9f8-klmno'],
  ], '3')), ['ns/matcher']);
  assert.equal(index.readyEndpointPods('ns', 'matcher').length, 2);
  assert.deepEqual(index.update('DELETED', slice('api-1', [])).sort(), ['ns/matcher', 'ns/matcher-canary']);
  assert.deepEqual(index.readyEndpointPods('ns', 'matcher'), [{ address: '10.0.0.1', pod: 'matcher-7d9f8-abcde' }], 'still behind the other Service');
  assert.deepEqual(index.readyEndpointPods('ns', 'matcher-canary'), []);
});

test('the cache keeps a slice\'s ready pod endpoints only', () => {
  const kept = projectEndpointSlice({ ...slice('s', [['10.0.0.1', 'a-1b2c3-d4e5f'], ['10.0.0.2', 'a-1b2c3-g6h7i', false]]), ports: [{ port: 80 }] });
  assert.deepEqual(kept, {
    addressType: 'IPv4', metadata: { name: 's', namespace: 'ns', resourceVersion: '1' },
    endpoints: [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'a-1b2c3-d4e5f' } }],
  });
  // A slice of a Service with no pods has no endpoints field at all.
  assert.deepEqual(projectEndpointSlice({ addressType: 'IPv4', metadata: { name: 'e', namespace: 'ns' } } as unknown as k8s.V1EndpointSlice).endpoints, []);
});
