// The acknowledgement barrier made explicit (issue 14): a replica that never answers in time
// must not block a scale-out forever (runtime.acknowledgement.timeoutSeconds, onTimeout), and
// the replicas that have not acknowledged are named in status and in an Event. And deletion:
// a policy deleted while the fleet is at Maintenance gives it Full service back first.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { withNamespace } from '../support/cluster.js';
import { createLogger } from '../../src/plimsoll/observability/logger.js';
import { ConfigMapRuntimeSource, RuntimeClient } from '../../src/plimsoll/runtime-client/index.js';
import {
  applyPolicy, constantPolicy, createDeployment, eventsFor, getPolicy, replicasOf, runtimeDocument, setUp, startOperator, waitFor,
} from './harness.js';

test('a replica that never acknowledges: after timeoutSeconds the scale-out goes on within the budget, the replica named', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    // A replica too overloaded to answer its health endpoint within the signal's timeout.
    let hang = false;
    const health = createServer((_req, res) => {
      if (hang) return void setTimeout(() => res.end('{}'), 5_000).unref();
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ runtimeGeneration: 1, heap: 1 }));
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    t.after(() => { health.closeAllConnections(); health.close(); });
    const url = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health/details`;
    const spec = (load: number) => {
      const s = constantPolicy('matcher', load);
      s.signals = [...s.signals!, { name: 'heap', health: { url, field: 'heap', timeoutSeconds: 1 } }];
      s.runtime = { acknowledgement: { timeoutSeconds: 3 } };
      return s;
    };
    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);
    await applyPolicy(env, 'matcher', spec(10));
    await waitFor('generation 1', async () => (await runtimeDocument(env, 'matcher-runtime'))?.generation === 1);

    hang = true;
    await applyPolicy(env, 'matcher', spec(40)); // 4 replicas: a smaller pool first
    const waiting = await waitFor('a named wait', async () => {
      const p = await getPolicy(env, 'matcher');
      return p.status?.acknowledgement?.unacknowledged.includes(url) && p;
    }, { timeoutMs: 10_000 });
    assert.equal(waiting.status?.acknowledgement?.timedOut, false);
    assert.equal(await replicasOf(env, 'matcher'), 1, 'replicas wait within the timeout');

    await waitFor('4 replicas after the timeout', async () => (await replicasOf(env, 'matcher')) === 4, { timeoutMs: 15_000 });
    const event = (await eventsFor(env, 'matcher')).find((e) => e.reason === 'AcknowledgementTimedOut');
    assert.ok(event, 'a Warning Event');
    assert.equal(event.type, 'Warning');
    assert.ok(event.note?.includes(url), event.note);
  });
});

test('deleting a policy while the fleet is at Maintenance publishes Full before the document goes', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    const client = new RuntimeClient({
      source: new ConfigMapRuntimeSource({ name: 'matcher-runtime', namespace, kubeConfig: env.admin, logger: createLogger({ name: 'replica', level: 'silent' }) }),
      registry: new Registry(), logger: createLogger({ name: 'replica', level: 'silent' }), metricPrefix: 'test',
    });
    await client.start();
    t.after(() => client.stop());
    await createDeployment(env, 'matcher', 1);
    await startOperator(t, env);
    const spec = constantPolicy('matcher', 10);
    spec.degradation = { levels: [{ level: 'Maintenance', triggers: [{ signal: 'load', operator: 'Above', enter: 5, exit: 4 }] }] };
    await applyPolicy(env, 'matcher', spec);
    await waitFor('the replica at Maintenance', async () => client.levels.current() === 'Maintenance', { timeoutMs: 15_000 });

    await env.custom.deleteNamespacedCustomObject({ group: 'plimsoll.dev', version: 'v1alpha1', plural: 'scalingpolicies', namespace, name: 'matcher' });
    await waitFor('the policy gone', async () => getPolicy(env, 'matcher').then(() => undefined, () => true), { timeoutMs: 20_000 });
    await waitFor('the runtime document gone', async () => (await runtimeDocument(env, 'matcher-runtime')) === undefined, { timeoutMs: 30_000 });
    assert.equal(client.levels.current(), 'Full', 'the replica runs Full once the policy is gone');
    assert.equal(await replicasOf(env, 'matcher'), 1, 'replicas stay as they are');
    assert.ok((await eventsFor(env, 'matcher')).some((e) => e.reason === 'LevelRelaxed' && e.note?.includes('being deleted')));
  });
});
