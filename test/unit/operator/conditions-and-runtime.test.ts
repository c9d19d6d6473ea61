import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conditions } from '../../../src/plimsoll/operator/conditions.js';
import type { RuntimeDocument } from '../../../src/plimsoll/contract/index.js';
import { canonicalJson, sameContent } from '../../../src/plimsoll/operator/runtime-document.js';
import { loadMatcherConfig } from '../../../src/matcher/config.js';
import { loadOperatorConfig } from '../../../src/plimsoll/config/operator.js';

test('lastTransitionTime moves only when the status flips', () => {
  const first = new Conditions(undefined, 1, '2026-01-01T00:00:00Z').set('Ready', 'True', 'Reconciled', 'ok').list();
  const same = new Conditions(first, 2, '2026-01-01T00:05:00Z').set('Ready', 'True', 'Reconciled', 'still ok');
  assert.equal(same.get('Ready')?.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(same.flipped('Ready'), false);
  const flipped = new Conditions(first, 2, '2026-01-01T00:06:00Z').set('Ready', 'False', 'Conflict', 'hpa');
  assert.equal(flipped.get('Ready')?.lastTransitionTime, '2026-01-01T00:06:00Z');
  assert.equal(flipped.flipped('Ready'), true);
  assert.equal(flipped.get('Ready')?.observedGeneration, 2);
});

test('conditions list in a fixed order; unset ones are dropped', () => {
  const c = new Conditions([{ type: 'Paused', status: 'True', reason: 'x', message: '', lastTransitionTime: 't' }], 1, 'now')
    .set('Degraded', 'False', 'FullService', '').set('Ready', 'True', 'Reconciled', '');
  assert.deepEqual(c.list().map((x) => x.type), ['Ready', 'Degraded']);
});

test('runtime content equality ignores generation and issue time, and key order', () => {
  const doc: RuntimeDocument = {
    policy: 'p', generation: 4, issuedAt: 'yesterday', serviceLevel: 'Full', replicas: 2, db: { poolMax: 31 },
    queues: { groq: { concurrency: 1, rateLimit: { max: 30, durationMs: 60000 } } },
  };
  const content = { queues: { groq: { rateLimit: { durationMs: 60000, max: 30 }, concurrency: 1 } }, db: { poolMax: 31 }, replicas: 2, serviceLevel: 'Full' as const, policy: 'p' };
  assert.equal(sameContent(doc, content), true);
  assert.equal(sameContent(doc, { ...content, db: { poolMax: 30 } }), false);
  assert.equal(sameContent(undefined, content), false);
  assert.equal(canonicalJson({ b: 1, a: { d: undefined, c: 2 } }), '{"a":{"c":2},"b":1}');
});

test('operator configuration: defaults, overrides, validation', () => {
  const c = loadOperatorConfig({});
  assert.equal(c.metrics.port, 18081);
  assert.deepEqual(c.namespaces, []);
  assert.equal(c.leaderElection.enabled, true);
  assert.equal(c.leaderElection.leaseDurationMs, 15000);
  assert.equal(c.leaderElection.leaseNamespace, 'plimsoll-system');
  const scoped = loadOperatorConfig({ OPERATOR_NAMESPACE: 'team-a', LEADER_ELECTION: 'off', OPERATOR_METRICS_PORT: '9000' });
  assert.deepEqual(scoped.namespaces, ['team-a']);
  assert.equal(scoped.leaderElection.enabled, false);
  assert.equal(scoped.leaderElection.leaseNamespace, 'team-a');
  assert.ok(Object.isFrozen(scoped));
  // Frozen all the way down, as the matcher's (one parseConfig for both).
  assert.ok(Object.isFrozen(scoped.leaderElection) && Object.isFrozen(scoped.metrics));
  const matcher = loadMatcherConfig({});
  assert.ok(Object.isFrozen(matcher.db.profiles.fast) && Object.isFrozen(matcher.runtime));
  assert.throws(() => loadOperatorConfig({ OPERATOR_METRICS_PORT: 'x' }), /CONFIG_INVALID|invalid/);
  assert.throws(() => loadOperatorConfig({ LEADER_ELECTION_RENEW_DEADLINE_MS: '20000' }), /invalid/);
});
