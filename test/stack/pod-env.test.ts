// The replica runner builds each process's environment as the kubelet builds a container's:
// table tests for envFrom/env precedence, $(VAR) expansion, downward API, resources, selectors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { containerEnv, expand, matchesSelector, quantity, referencedObjects } from '../../tools/stack/replica-runner/pod-env.js';

const pod: k8s.V1Pod = {
  metadata: { name: 'matcher-abc-xyz', namespace: 'shop', uid: 'u-1', labels: { app: 'matcher', tier: 'api' }, annotations: { note: 'hi' } },
  spec: { nodeName: 'kwok-node-1', serviceAccountName: 'matcher', containers: [] },
  status: { podIP: '10.244.3.7', hostIP: '127.0.0.1', podIPs: [{ ip: '10.244.3.7' }] },
};
const sources = {
  configMap: (name: string) => (name === 'cfg' ? { MATCHER_LOG_LEVEL: 'debug', MATCHER_PORT: '1', 'bad name': 'x', A: 'from-cm' } : undefined),
  secret: (name: string) => (name === 'conn' ? { MATCHER_DATABASE_URL: 'postgres://db', A: 'from-secret' } : undefined),
};

describe('pod environment (kubelet rules)', () => {
  it('envFrom in order (later wins, invalid names skipped, prefix), then env overrides', () => {
    const env = containerEnv(pod, {
      name: 'matcher',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'conn' } }, { prefix: 'X_', configMapRef: { name: 'cfg' } }],
      env: [{ name: 'MATCHER_PORT', value: '8080' }],
    }, sources);
    assert.equal(env.A, 'from-secret');
    assert.equal(env.MATCHER_PORT, '8080');
    assert.equal(env.MATCHER_DATABASE_URL, 'postgres://db');
    assert.equal(env.X_MATCHER_LOG_LEVEL, 'debug');
    assert.equal(env['bad name'], undefined);
  });

  it('downward API fields, resource fields, key references and $(VAR) expansion', () => {
    const env = containerEnv(pod, {
      name: 'matcher',
      resources: { limits: { memory: '768Mi', cpu: '500m' } },
      env: [
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'DB', valueFrom: { secretKeyRef: { name: 'conn', key: 'MATCHER_DATABASE_URL' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k', optional: true } } },
        { name: 'URL', value: 'http://$(POD_IP):8080/$(UNKNOWN)/$$(POD_IP)' },
      ],
    }, sources);
    assert.deepEqual(
      { POD_IP: env.POD_IP, NS: env.NS, NAME: env.NAME, TIER: env.TIER, SA: env.SA, MEM_MI: env.MEM_MI, CPU: env.CPU, DB: env.DB, URL: env.URL },
      { POD_IP: '10.244.3.7', NS: 'shop', NAME: 'matcher-abc-xyz', TIER: 'api', SA: 'matcher', MEM_MI: '768', CPU: '1', DB: 'postgres://db', URL: 'http://10.244.3.7:8080/$(UNKNOWN)/$(POD_IP)' },
    );
    assert.equal('OPT' in env, false);
  });

  it('a missing required ConfigMap, Secret or key is an error naming it (CreateContainerConfigError)', () => {
    assert.throws(() => containerEnv(pod, { name: 'm', envFrom: [{ secretRef: { name: 'nope' } }] }, sources), /envFrom Secret nope not found/);
    assert.throws(() => containerEnv(pod, { name: 'm', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent' } } }] }, sources),
      /env X refers to ConfigMap cfg key absent, which does not exist/);
    assert.deepEqual(containerEnv(pod, { name: 'm', envFrom: [{ secretRef: { name: 'nope', optional: true } }] }, sources), {});
    assert.throws(() => containerEnv(pod, { name: 'm', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }] }, sources), /status.phase is not supported/);
  });

  it('expand and quantity', () => {
    assert.equal(expand('$(A)-$(B)-$$-$(C)', { A: '1', B: '2' }), '1-2-$-$(C)');
    assert.equal(quantity('256Mi'), 256 * 2 ** 20);
    assert.equal(quantity('500m'), 0.5);
    assert.equal(quantity('2G'), 2e9);
    assert.throws(() => quantity('lots'), /cannot parse quantity "lots"/);
  });

  it('referenced ConfigMaps and Secrets', () => {
    const refs = referencedObjects({ name: 'm', envFrom: [{ configMapRef: { name: 'a' } }, { secretRef: { name: 's' } }], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'b', key: 'k' } } }] });
    assert.deepEqual([...refs.configMaps].sort(), ['a', 'b']);
    assert.deepEqual([...refs.secrets], ['s']);
  });

  it('label selectors: matchLabels and every matchExpressions operator', () => {
    const labels = { app: 'matcher', tier: 'api' };
    const cases: Array<[k8s.V1LabelSelector | undefined, boolean]> = [
      [{ matchLabels: { app: 'matcher' } }, true],
      [{ matchLabels: { app: 'other' } }, false],
      [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'web'] }] }, true],
      [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['api'] }] }, false],
      [{ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, true],
      [{ matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, false],
      [{ matchLabels: { app: 'matcher' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
      [{}, false],
      [undefined, false],
    ];
    for (const [selector, expected] of cases) assert.equal(matchesSelector(labels, selector), expected, JSON.stringify(selector));
  });
});
