// Issue 17's quiet writes, on the reconciler with in-memory caches and a recording API (as
// reconciler.test.ts): steady state writes nothing however long it lasts, and AIMD's small steps
// neither move the runtime document's generation at every poll nor send an Event per step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import type { ScalingPolicyObject } from '../../../src/plimsoll/operator/reconciler.js';
import { unitReconciler } from './unit-reconciler.js';
import type { KubeApi } from '../../../src/plimsoll/operator/kube-api.js';
import type { SignalRegistry } from '../../../src/plimsoll/operator/signals/index.js';
import type { ScalingPolicySpecInput } from '../../../src/plimsoll/api/scaling-policy.js';

/** Signals answer by query: `values.load`, `values.latency`. */
function world(values: Record<string, number>, spec: Partial<ScalingPolicySpecInput> = {}) {
  const clock = { now: Date.parse('2026-12-01T10:00:00Z') };
  const writes: string[] = [];
  const events: Array<{ reason: string; note: string }> = [];
  const generations: number[] = [];
  const policy: ScalingPolicyObject = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', generation: 1, resourceVersion: '1', finalizers: ['plimsoll.dev/restore-service'] },
    spec: {
      targetRef: { name: 'd' }, pollingIntervalSeconds: 1,
      replicas: { min: 1, max: 10 },
      signals: [
        { name: 'load', prometheus: { serverAddress: 'http://x', query: 'load' } },
        { name: 'latency', prometheus: { serverAddress: 'http://x', query: 'latency' } },
      ],
      objectives: [{ signal: 'load', target: { type: 'AverageValue', averageValue: 10 } }],
      queues: {
        // A generous rate limit: the adaptive limit, not the rate share, is what moves.
        providers: [{ name: 'groq', rateLimit: { requests: 60_000, periodSeconds: 60 }, concurrency: { min: 1, max: 40 }, latencySignal: 'latency' }],
        adaptive: { algorithm: 'AIMD', latencyTargetSeconds: 10 },
      },
      ...spec,
    },
  };
  let replicas = 2;
  let configMap: k8s.V1ConfigMap | undefined;
  let version = 0;
  const publish = async (cm: k8s.V1ConfigMap) => {
    writes.push('runtime');
    generations.push((JSON.parse(cm.data!['runtime.json']!) as { generation: number }).generation);
    configMap = { ...cm, metadata: { ...cm.metadata, resourceVersion: String(++version) } }; // what the informer shows next
    return configMap.metadata!.resourceVersion;
  };
  const api = {
    applyConfigMap: publish, createConfigMap: publish,
    scale: async (_ns: string, _n: string, r: number) => { writes.push('scale'); replicas = r; },
    findConfigMap: async () => configMap,
    applyStatus: async () => { writes.push('status'); },
    event: async (_p: unknown, _t: string, reason: string, _a: string, note: string) => { writes.push('event'); events.push({ reason, note }); },
    kedaScaledObjectsFor: async () => [],
    readyEndpoints: async () => [], readyEndpointPods: async () => [], podsOf: async () => [],
    setFinalizers: async () => undefined,
    secretValue: async () => '',
  } as unknown as KubeApi;
  const signals = {
    prometheus: { type: 'prometheus', read: async (config: { query: string }) => values[config.query] },
  } as unknown as SignalRegistry;
  const reconciler = unitReconciler({
    api, signals,
    now: () => clock.now,
    caches: {
      policy: () => policy, policies: () => [policy], configMap: () => configMap, hpas: () => [], scaledObjectsFor: () => [],
      deployment: () => ({ metadata: { name: 'd', namespace: 'ns', resourceVersion: '7' }, spec: { replicas } as k8s.V1DeploymentSpec, status: { readyReplicas: replicas } }),
    },
  });
  /** One poll a second (or every `everyMs`), `n` times. */
  const polls = async (n: number, everyMs = 1000) => {
    for (let i = 0; i < n; i++) {
      clock.now += everyMs;
      await reconciler.reconcile('ns/p');
    }
  };
  return { polls, writes, events, generations, clock };
}

test('steady state writes nothing, however long it lasts: no lastSuccessTime heartbeat', async () => {
  const w = world({ load: 20, latency: 1 });
  await w.polls(5); // converge: the first document, status, the Events that announce them
  w.writes.length = 0;
  await w.polls(150); // two and a half minutes of unchanged signals
  assert.deepEqual(w.writes, [], `writes while nothing changed: ${w.writes.join(', ')}`);
});

test('a requeue that fires a little early (the poll\'s slack) still polls and adapts: nothing flaps', async () => {
  // The benchmark's provider: 30 requests a minute split over 2 replicas allow 1 call in flight,
  // which is also concurrency.min. Polls 10 ms early used to skip AIMD's step every other time,
  // and limitedBy flipped between ConcurrencyMin and RateLimit: a status write per poll.
  const w = world({ load: 20, latency: 0.5 }, {
    queues: { providers: [{ name: 'groq', rateLimit: { requests: 30, periodSeconds: 60 }, concurrency: { min: 1, max: 4 }, latencySignal: 'latency' }] },
  });
  await w.polls(5, 990);
  w.writes.length = 0;
  await w.polls(60, 990);
  assert.deepEqual(w.writes, [], `writes while nothing changed: ${w.writes.join(', ')}`);
});

test('AIMD steps within the dead band neither publish a new generation nor send an Event each', async () => {
  const values = { load: 20, latency: 30 }; // slow replies: the limit backs off ×0.9 per poll
  const w = world(values);
  await w.polls(12);
  const published = w.generations.length;
  const before = w.events.filter((e) => e.reason === 'ConcurrencyChanged').length;
  values.latency = 1; // back under the target: +1 per poll
  await w.polls(20);
  // AIMD moved the limit 20 times; a generation per step would be 20.
  const climbs = w.generations.length - published;
  assert.ok(climbs > 0 && climbs <= 8, `the recovery published ${climbs} generations for 20 steps`);
  const during = w.events.filter((e) => e.reason === 'ConcurrencyChanged').slice(before);
  assert.ok(during.length <= 1, `ConcurrencyChanged Events during the 20 s recovery: ${during.map((e) => e.note).join(' | ')}`);
  // Once the window has passed, the movement held meanwhile is told in one summary.
  await w.polls(45);
  const all = w.events.filter((e) => e.reason === 'ConcurrencyChanged').slice(before);
  assert.ok(all.length >= 1 && all.length <= 2, all.map((e) => e.note).join(' | '));
  assert.match(all.at(-1)!.note, /^groq \d+ → 40 in \d+ steps: .*AIMDIncrease ×\d+/);
});
