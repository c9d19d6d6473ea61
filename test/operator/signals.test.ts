// Signals end to end: a metric scraped by the real Prometheus drives replicas; an unreachable
// Prometheus triggers the fallback and SignalsHealthy=False; a trigger escalates the level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_DIR, withNamespace } from '../support/cluster.js';
import {
  PROMETHEUS, applyPolicy, condition, constantPolicy, createDeployment, eventsFor, getPolicy, replicasOf, runtimeDocument, setUp, startOperator, waitFor,
} from './harness.js';

test('a metric scraped by Prometheus changes replicas within one polling interval of Prometheus seeing it', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    // A tiny exporter that the real Prometheus scrapes through a file_sd target file.
    let load = 20;
    const exporter = createServer((_req, res) => res.end(`# TYPE plimsoll_test_load gauge\nplimsoll_test_load ${load}\n`));
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    t.after(() => exporter.close());
    const port = (exporter.address() as AddressInfo).port;
    const targetFile = join(LOCAL_DIR, 'prometheus', 'targets', `operator-test-${namespace}.json`);
    writeFileSync(`${targetFile}.tmp`, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { test: namespace } }]));
    renameSync(`${targetFile}.tmp`, targetFile); // atomic: Prometheus never reads half a file
    t.after(() => rmSync(targetFile, { force: true }));
    const query = `max(plimsoll_test_load{test="${namespace}"})`;
    const promValue = async () => {
      const body = await (await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(query)}`)).json() as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0] ? Number(body.data.result[0].value[1]) : undefined;
    };
    await waitFor('Prometheus to scrape the exporter', async () => (await promValue()) === 20, { timeoutMs: 45_000, intervalMs: 500 });

    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);
    const spec = constantPolicy('matcher', 0);
    spec.signals = [{ name: 'load', prometheus: { serverAddress: PROMETHEUS, query, timeoutSeconds: 2 } }];
    await applyPolicy(env, 'matcher', spec);
    await waitFor('2 replicas', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 15_000 });

    load = 55;
    await waitFor('Prometheus to see 55', async () => (await promValue()) === 55, { timeoutMs: 30_000, intervalMs: 100 });
    const seen = Date.now();
    await waitFor('6 replicas', async () => (await replicasOf(env, 'matcher')) === 6, { timeoutMs: 5_000, intervalMs: 50 });
    const lag = Date.now() - seen;
    t.diagnostic(`Prometheus value change → scale write observed in ${lag} ms (polling interval 1000 ms)`);
    assert.ok(lag <= 2_000, `within one polling interval (+ API latency): ${lag} ms`);
  });
});

test('Prometheus unreachable: fallback holds replicas, SignalsHealthy=False with the error', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 3);
    await startOperator(t, env);
    const spec = constantPolicy('matcher', 0);
    spec.signals = [{ name: 'load', prometheus: { serverAddress: 'http://127.0.0.1:9', query: 'up', timeoutSeconds: 1 } }];
    spec.fallback = { failureThreshold: 2, behavior: 'ScaleUpOnly' };
    await applyPolicy(env, 'matcher', spec);
    const p = await waitFor('SignalsHealthy=False', async () => {
      const p = await getPolicy(env, 'matcher');
      const signal = p.status?.signals?.[0];
      return condition(p, 'SignalsHealthy')?.status === 'False' && signal?.state === 'Missing' && signal.consecutiveFailures >= 2 && p;
    }, { timeoutMs: 20_000 });
    assert.equal(condition(p, 'SignalsHealthy')?.reason, 'FallbackActive', JSON.stringify(p.status));
    const signal = p.status!.signals![0]!;
    assert.ok(signal.consecutiveFailures >= 2);
    assert.match(signal.lastError ?? '', /prometheus http:\/\/127\.0\.0\.1:9/);
    assert.match(p.status?.desired?.replicas?.reason ?? '', /Fallback/, JSON.stringify(p.status?.desired));
    assert.equal(await replicasOf(env, 'matcher'), 3, 'ScaleUpOnly with no usable objective holds replicas');
    assert.equal(condition(p, 'Ready')?.status, 'True', 'the policy is still reconciled');
  });
});

test('a hung Prometheus: its policy reports SIGNAL_TIMEOUT, another policy sharing the one worker scales as usual', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    // Accepts connections and never answers: a Prometheus that hangs.
    const sockets = new Set<Socket>();
    const hung = createTcpServer((s) => { sockets.add(s); });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    t.after(() => { for (const s of sockets) s.destroy(); hung.close(); });
    const address = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    await createDeployment(env, 'stuck', 2);
    await createDeployment(env, 'fine', 1);
    // One worker: a reconcile that waited on the hung server without a bound would starve the other.
    await startOperator(t, env, { workers: 1 });
    const stuck = constantPolicy('stuck', 0);
    stuck.signals = [{ name: 'load', prometheus: { serverAddress: address, query: 'sum(up)', timeoutSeconds: 2 } }];
    await applyPolicy(env, 'stuck', stuck);
    await applyPolicy(env, 'fine', constantPolicy('fine', 25));
    await waitFor('fine at 3 replicas', async () => (await replicasOf(env, 'fine')) === 3, { timeoutMs: 15_000 });
    const p = await waitFor('stuck reports the timeout', async () => {
      const p = await getPolicy(env, 'stuck');
      return p.status?.signals?.[0]?.lastError ? p : undefined;
    }, { timeoutMs: 15_000 });
    assert.equal(p.status!.signals![0]!.lastError, `SIGNAL_TIMEOUT: prometheus ${address}: no answer within 2 s`);
    assert.equal(await replicasOf(env, 'stuck'), 2, 'no reading, no change');
  });
});

test('level escalation: a firing trigger publishes Basic at once and explains it', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 2);
    await startOperator(t, env);
    const withQueue = (waiting: number) => {
      const spec = constantPolicy('matcher', 20);
      spec.signals = [...spec.signals!, { name: 'queue-waiting', prometheus: { serverAddress: PROMETHEUS, query: `vector(${waiting})`, timeoutSeconds: 2 } }];
      spec.degradation = {
        minDwellSeconds: 1,
        levels: [
          { level: 'Reduced', triggers: [{ signal: 'queue-waiting', operator: 'Above', enter: 50, exit: 10 }] },
          { level: 'Basic', triggers: [{ signal: 'queue-waiting', operator: 'Above', enter: 100, exit: 20 }] },
        ],
      };
      return spec;
    };
    await applyPolicy(env, 'matcher', withQueue(5));
    await waitFor('Full published', async () => (await runtimeDocument(env, 'matcher-runtime'))?.serviceLevel === 'Full');
    const before = (await runtimeDocument(env, 'matcher-runtime'))!.generation as number;

    await applyPolicy(env, 'matcher', withQueue(250));
    const doc = await waitFor('Basic published', async () => {
      const d = await runtimeDocument(env, 'matcher-runtime');
      return d?.serviceLevel === 'Basic' && d;
    }, { timeoutMs: 10_000 });
    assert.ok((doc.generation as number) > before, 'generation grew with the content');
    const p = await waitFor('Degraded=True', async () => {
      const p = await getPolicy(env, 'matcher');
      return condition(p, 'Degraded')?.status === 'True' && p;
    });
    assert.equal(condition(p, 'Degraded')?.reason, 'Basic');
    assert.equal(p.status?.current?.serviceLevel, 'Basic');
    assert.ok(p.status?.lastLevelTransitionTime);
    const escalated = await waitFor('a LevelEscalated Event', async () => (await eventsFor(env, 'matcher')).find((e) => e.reason === 'LevelEscalated' && e.note?.includes('Basic')));
    assert.match(escalated.note ?? '', /Trigger:queue-waiting/);
    assert.equal(escalated.type, 'Warning');

    // De-escalation steps down one level at a time after the dwell.
    await applyPolicy(env, 'matcher', withQueue(0));
    await waitFor('back to Full', async () => (await runtimeDocument(env, 'matcher-runtime'))?.serviceLevel === 'Full', { timeoutMs: 15_000 });
  });
});

test('PgBouncer admin console: the budget read from max_client_conn on the registered default, a Secret that consents to the policy', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await env.core.createNamespacedSecret({
      namespace,
      // The deprecated secretRef is read only with the Secret's consent: this label names the policy.
      body: { metadata: { name: 'pgbouncer-admin', labels: { 'plimsoll.dev/consumer': 'matcher' } }, stringData: { uri: 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16432/pgbouncer' } },
    });
    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);
    const spec = constantPolicy('matcher', 20);
    spec.signals = [
      ...spec.signals!,
      { name: 'client-budget', pgbouncer: { database: 'plimsoll', metric: 'MaxClientConnections' } },
      { name: 'waiting', pgbouncer: { secretRef: { name: 'pgbouncer-admin' }, database: 'plimsoll', metric: 'ClientsWaiting' } },
    ];
    spec.connectionBudget = { fromSignal: 'client-budget', reserved: 15, pool: { min: 2, max: 50 } };
    await applyPolicy(env, 'matcher', spec);
    const p = await waitFor('pgbouncer signals fresh', async () => {
      const p = await getPolicy(env, 'matcher');
      const budget = p.status?.signals?.find((s) => s.name === 'client-budget');
      return budget?.state === 'Fresh' && p;
    }, { timeoutMs: 15_000 });
    const budget = p.status!.signals!.find((s) => s.name === 'client-budget')!;
    assert.ok((budget.value ?? 0) > 0, `max_client_conn read: ${budget.value}`);
    assert.equal(p.status!.signals!.find((s) => s.name === 'waiting')?.state, 'Fresh');
    await waitFor('2 replicas within the PgBouncer budget', async () => (await replicasOf(env, 'matcher')) === 2, { timeoutMs: 10_000 });
  });
});
