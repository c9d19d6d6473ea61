// The reconciler's ordering and idempotence with in-memory caches and a recording API (the
// cluster tier runs the same code against the real API server).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../../src/plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../../src/plimsoll/observability/metrics.js';
import { createOperatorMetrics } from '../../../src/plimsoll/operator/metrics.js';
import { Reconciler, type ScalingPolicyObject } from '../../../src/plimsoll/operator/reconciler.js';
import type { KubeApi } from '../../../src/plimsoll/operator/kube-api.js';
import type { SignalRegistry } from '../../../src/plimsoll/operator/signals/index.js';
import type { ScalingPolicySpecInput, ScalingPolicyStatus } from '../../../src/plimsoll/api/scaling-policy.js';

function world(
  load: { value: number }, spec: Partial<ScalingPolicySpecInput> = {}, clock: { now: number } = { now: Date.now() },
  init: { replicas?: number; ready?: number; status?: ScalingPolicyStatus } = {},
) {
  const calls: string[] = [];
  const statuses: ScalingPolicyStatus[] = [];
  let reads = 0;
  let replicas = init.replicas ?? 1;
  const policy: ScalingPolicyObject = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', generation: 1, resourceVersion: '1' },
    spec: {
      targetRef: { name: 'd' }, pollingIntervalSeconds: 1,
      replicas: { min: 1, max: 10, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 1 }] }, scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 100, periodSeconds: 1 }] } } },
      signals: [{ name: 'load', prometheus: { serverAddress: 'http://x', query: 'q' } }],
      objectives: [{ signal: 'load', target: { type: 'AverageValue', averageValue: 10 } }],
      connectionBudget: { maxConnections: 100 },
      ...spec,
    },
    ...(init.status ? { status: init.status } : {}),
  };
  const deployment = (): k8s.V1Deployment => ({ metadata: { name: 'd', namespace: 'ns', resourceVersion: '7' }, spec: { replicas } as k8s.V1DeploymentSpec, ...(init.ready === undefined ? {} : { status: { readyReplicas: init.ready } }) });
  const api = {
    scale: async (_ns: string, _n: string, r: number) => { calls.push(`scale ${r}`); },
    applyConfigMap: async (cm: k8s.V1ConfigMap) => { calls.push(`runtime pool=${(JSON.parse(cm.data!['runtime.json']!) as { db: { poolMax: number } }).db.poolMax}`); },
    createConfigMap: async (cm: k8s.V1ConfigMap) => { calls.push(`runtime pool=${(JSON.parse(cm.data!['runtime.json']!) as { db: { poolMax: number } }).db.poolMax}`); },
    findConfigMap: async () => undefined,
    applyStatus: async (_ref: unknown, status: ScalingPolicyStatus) => { statuses.push(status); calls.push('status'); },
    event: async (_p: unknown, _t: string, reason: string) => { calls.push(`event ${reason}`); },
    kedaScaledObjectsFor: async () => [],
    readyEndpoints: async () => [], readyEndpointPods: async () => [], podsOf: async () => [],
    setFinalizers: async (_ref: unknown, _rv: string, finalizers: string[]) => { if (policy) policy.metadata = { ...policy.metadata, finalizers }; },
    secretValue: async () => '',
  } as unknown as KubeApi;
  const signals = {
    prometheus: { type: 'prometheus', read: async () => { reads += 1; return load.value; } },
    health: { type: 'health', read: async () => 1 },
  } as unknown as SignalRegistry;
  // The administrator registered what the fixtures name: the Prometheus at http://x, their health URLs.
  const healthUrls = ((policy.spec as ScalingPolicySpecInput).signals ?? []).flatMap((s) => (s.health?.url ? [s.health.url] : []));
  const sources = { prometheus: [{ name: 'x', address: 'http://x', default: true }], pgbouncer: [], health: healthUrls.map((url, i) => ({ name: `h${i}`, url })) };
  const reconciler = new Reconciler({
    api, signals, sources, metrics: createOperatorMetrics(createMetricsRegistry({ defaultMetrics: false })),
    logger: createLogger({ name: 't', level: 'silent' }),
    now: () => clock.now,
    caches: {
      policy: () => policy, policies: () => [policy], deployment: () => deployment(), configMap: () => undefined, hpas: () => [], scaledObjectsFor: () => [],
    },
  });
  return { reconciler, api, calls, statuses, reads: () => reads, setReplicas: (r: number) => { replicas = r; } };
}

test('scale-out publishes the smaller pool before replicas grow', async () => {
  const { reconciler, calls } = world({ value: 40 });
  const result = await reconciler.reconcile('ns/p');
  assert.deepEqual(calls.filter((c) => !c.startsWith('event') && c !== 'status'), ['runtime pool=15', 'scale 4']);
  assert.equal(result.requeueAfterMs, 1000);
});

test('writes are conditional on the versions the decision read; a 409 Conflict is decided again, not reported as a failure', async () => {
  const { reconciler, api, calls, statuses } = world({ value: 40 });
  const preconditions: Array<string | undefined> = [];
  api.scale = async (_ns, _name, _replicas, resourceVersion) => {
    preconditions.push(resourceVersion);
    // What the API server answers when the Deployment moved on since the cache saw it.
    throw Object.assign(new Error('Operation cannot be fulfilled on deployments.apps "d": the object has been modified'), { code: 409 });
  };
  const result = await reconciler.reconcile('ns/p');
  assert.deepEqual(preconditions, ['7'], 'the scale write carries the resourceVersion of the Deployment the decision read');
  assert.equal(result.requeueAfterMs, 500);
  assert.ok(!calls.includes('event ActuationFailed'), calls.join(', '));
  assert.ok(!statuses.some((s) => s.conditions?.some((c) => c.reason === 'ActuationFailed')));
});

test('a stale cache does not repeat writes, bump generations or repeat Events', async () => {
  const { reconciler, calls } = world({ value: 40 });
  await reconciler.reconcile('ns/p');
  const first = calls.length;
  await reconciler.reconcile('ns/p'); // the caches have not seen any write yet
  // The decision's reason may change once replicas are where the objective wants them (a status
  // update), but nothing is scaled, published or announced again...
  assert.deepEqual(calls.slice(first).filter((c) => c !== 'status'), [], `second reconcile wrote: ${calls.slice(first).join(', ')}`);
  const second = calls.length;
  await reconciler.reconcile('ns/p');
  // ...and from then on nothing at all.
  assert.deepEqual(calls.slice(second), []);
});

test('scale-in shrinks replicas before the pool grows', async () => {
  const load = { value: 80 };
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const { reconciler, calls, setReplicas } = world(load, {}, clock);
  setReplicas(8);
  await reconciler.reconcile('ns/p');
  calls.length = 0;
  load.value = 20;
  clock.now += 1_000; // the next poll sees the lower load
  await reconciler.reconcile('ns/p');
  // 85 over 2 replicas × 0.75 is 31, but a rollout may add a surge pod (maxSurge 25% → 1): 85 / 3 → 28.
  assert.deepEqual(calls.filter((c) => !c.startsWith('event') && c !== 'status'), ['scale 2', 'runtime pool=28']);
});

test('DryRun writes only status and Events', async () => {
  const { reconciler, calls } = world({ value: 40 }, { mode: 'DryRun' });
  await reconciler.reconcile('ns/p');
  assert.ok(calls.every((c) => c === 'status' || c.startsWith('event')), calls.join(', '));
  assert.ok(calls.includes('event DryRunDecision'));
});

test('signals are polled once per interval; reconciles in between decide on the last readings', async () => {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const { reconciler, reads } = world({ value: 5 }, { pollingIntervalSeconds: 15 }, clock);
  assert.equal((await reconciler.reconcile('ns/p')).requeueAfterMs, 15_000);
  clock.now += 4_000; // a Deployment event
  assert.equal((await reconciler.reconcile('ns/p')).requeueAfterMs, 11_000, 'the poll keeps its schedule');
  assert.equal(reads(), 1);
  clock.now += 11_000;
  await reconciler.reconcile('ns/p');
  assert.equal(reads(), 2, 'the next poll reads again');
});

test('a replica that caps the pool below the published one: status shows the pool that runs, and why', async (t) => {
  // A real replica's health document, in the contract's shape: it applied the document but runs pool 10.
  let applied: number | null = null;
  const replica = createServer((_req, res) => {
    const runtime = { generation: applied, policy: 'p', appliedAt: null, issuedAt: null, source: 'file:/x', lastError: null, ignoredStale: 0, poolMax: 10 };
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ runtimeGeneration: applied, runtime }));
  });
  await new Promise<void>((resolve) => replica.listen(0, '127.0.0.1', resolve));
  t.after(() => replica.close());
  const url = `http://127.0.0.1:${(replica.address() as AddressInfo).port}/health/details`;
  const { reconciler, statuses } = world({ value: 5 }, {
    signals: [{ name: 'load', prometheus: { serverAddress: 'http://x', query: 'q' } }, { name: 'heap', health: { url, field: 'heap' } }],
  });
  await reconciler.reconcile('ns/p');
  const published = statuses.at(-1)!;
  assert.equal(published.conditions?.find((c) => c.type === 'Propagated')?.reason, 'WaitingForAcknowledgement');
  applied = published.current!.runtimeGeneration!;
  await reconciler.reconcile('ns/p');
  const status = statuses.at(-1)!;
  const propagated = status.conditions?.find((c) => c.type === 'Propagated');
  assert.equal(propagated?.status, 'True');
  assert.equal(propagated?.reason, 'PoolCapped');
  // One replica and room for its surge pod: 85 / 2 → 42 (below pool.max 50).
  assert.match(propagated?.message ?? '', /pool 10 instead of the published 42/);
  assert.equal(status.current?.poolMax, 10, 'status shows what the replicas run');
  assert.equal(status.desired?.poolMax?.value, 42, 'and what was decided');
});

test('a Value objective scales the ready replicas the Deployment reports', async () => {
  const latency = { signals: [{ name: 'load', prometheus: { serverAddress: 'http://x', query: 'q' } }], objectives: [{ signal: 'load', target: { type: 'Value' as const, value: 10 } }] };
  // Twice the target on the 4 ready of 8 replicas: 8 (not 16).
  const { reconciler, calls } = world({ value: 20 }, latency, undefined, { replicas: 8, ready: 4 });
  await reconciler.reconcile('ns/p');
  assert.ok(!calls.some((c) => c.startsWith('scale')), calls.join(', '));
});

test('a new leader resumes the stabilization window from status.memory, and steady state writes nothing', async () => {
  const clock = { now: Date.parse('2026-12-01T10:00:00Z') };
  const windowed = { replicas: { min: 1, max: 10, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } };
  const load = { value: 80 };
  const first = world(load, windowed, clock, { replicas: 8 });
  await first.reconciler.reconcile('ns/p');
  clock.now += 1000;
  load.value = 20;
  await first.reconciler.reconcile('ns/p');
  const status = first.statuses.at(-1)!;
  assert.deepEqual(status.memory?.recommendations.map((r) => r.replicas), [8, 2]);
  assert.equal(status.memory?.lineage, 'u');

  // Another process takes over 10 s later with that status in its cache.
  clock.now += 10_000;
  const second = world(load, windowed, clock, { replicas: 8, status: JSON.parse(JSON.stringify(status)) as ScalingPolicyStatus });
  await second.reconciler.reconcile('ns/p');
  assert.ok(!second.calls.some((c) => c.startsWith('scale')), `the new leader scaled in within the window: ${second.calls.join(', ')}`);
  // A status of another lineage (a re-created policy of the same name) is not resumed.
  const other = world(load, windowed, clock, { replicas: 8, status: { ...status, memory: { ...status.memory!, lineage: 'old-uid' } } });
  await other.reconciler.reconcile('ns/p');
  assert.ok(other.calls.includes('scale 2'), other.calls.join(', '));

  // While nothing changes, the memory alone (its last recommendation made again) is no reason to write status.
  const steady = world({ value: 80 }, windowed, clock, { replicas: 8 });
  for (let i = 0; i < 7; i++) {
    if (i === 2) steady.calls.length = 0;
    clock.now += 1000;
    await steady.reconciler.reconcile('ns/p');
  }
  assert.deepEqual(steady.calls, []);
});

test('a target scaled to zero by hand stays at zero: scaling is disabled until it has replicas again', async () => {
  const { reconciler, calls, statuses, setReplicas } = world({ value: 80 }, {}, undefined, { replicas: 0 });
  await reconciler.reconcile('ns/p');
  assert.ok(!calls.some((c) => c.startsWith('scale') || c.startsWith('runtime')), calls.join(', '));
  const ready = statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.reason, 'ScalingDisabled');
  assert.ok(calls.includes('event ScalingDisabled'));
  // Once it is scaled up by hand, the policy governs it again.
  setReplicas(1);
  await reconciler.reconcile('ns/p');
  assert.ok(calls.includes('scale 8'), calls.join(', '));
});
