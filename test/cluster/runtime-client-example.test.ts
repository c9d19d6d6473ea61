// The runtime client's README example, run as it stands against the real stack: the local API
// server (the service's ServiceAccount may only list and watch its one ConfigMap), PostgreSQL
// through PgBouncer, and Redis. The operator's part is played by writing the ConfigMap.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { runtimeHealthSchema } from '../../src/plimsoll/contract/health.js';
import { startShop } from '../../src/plimsoll/runtime-client/example.js';
import { REPO_ROOT, serviceAccountKubeconfig, waitFor, withNamespace } from '../support/cluster.js';
import { createTestDatabase } from '../support/matcher.js';
import { REDIS_URL } from '../support/providers.js';

const NAME = 'shop-runtime';
const doc = (generation: number, serviceLevel: string, poolMax: number, concurrency: number) => JSON.stringify({
  policy: 'shop', generation, issuedAt: new Date().toISOString(), serviceLevel, replicas: 2, db: { poolMax },
  queues: { emails: { concurrency, rateLimit: { max: 50 + generation, durationMs: 1000 } } },
});

test('the README shows the example as it is in src/plimsoll/runtime-client/example.ts', () => {
  const example = readFileSync(join(REPO_ROOT, 'src/plimsoll/runtime-client/example.ts'), 'utf8');
  const code = example.slice(example.indexOf('import '));
  const readme = readFileSync(join(REPO_ROOT, 'src/plimsoll/runtime-client/README.md'), 'utf8');
  assert.ok(readme.includes(code.replaceAll("from './index.js'", "from 'plimsoll/runtime-client'")), 'the README\'s example differs from example.ts');
});

test('an express + pg + BullMQ service embeds the runtime client and is governed live', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const core = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
    const write = (text: string) => core.replaceNamespacedConfigMap({ name: NAME, namespace, body: { metadata: { name: NAME }, data: { 'runtime.json': text } } });
    const kubeconfig = await serviceAccountKubeconfig(t, cluster, namespace, 'shop', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [NAME], verbs: ['list', 'watch'] }]);
    // Least privilege: that one name, and neither get nor any other ConfigMap.
    for (const [verb, what, allowed] of [['watch', `configmaps/${NAME}`, 'yes'], ['get', `configmaps/${NAME}`, 'no'], ['list', 'configmaps', 'no']] as const) {
      const answer = await cluster.kubectl(['auth', 'can-i', verb, what, '-n', namespace], { kubeconfigPath: kubeconfig, allowFailure: true });
      assert.equal(answer.stdout.trim(), allowed, `${verb} ${what}`);
    }
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: NAME }, data: { 'runtime.json': doc(1, 'Full', 5, 3) } } });
    const db = await createTestDatabase({ migrate: false });
    t.after(() => db.drop());
    const redis = new URL(REDIS_URL);
    const shop = await startShop({ databaseUrl: db.url, redis: { host: redis.hostname, port: Number(redis.port) }, namespace, kubeconfig, port: 0 });
    t.after(async () => {
      await new Promise((resolve) => shop.server.close(resolve));
      await shop.runtime.stop();
      await shop.worker.close();
      await shop.emails.obliterate({ force: true });
      await shop.emails.close();
      await shop.pool.end();
    });
    await new Promise((resolve) => shop.server.once('listening', resolve));
    const url = `http://127.0.0.1:${(shop.server.address() as AddressInfo).port}`;
    const health = async () => runtimeHealthSchema.parse(await (await fetch(`${url}/health/details`)).json());
    const applied = (generation: number) => waitFor(`generation ${generation} applied`, async () => {
      const h = await health();
      return h.runtimeGeneration === generation ? h : undefined;
    }, { timeoutMs: 5000, intervalMs: 10 });

    // Applied at start-up: pool, worker concurrency, the queue's cluster-wide rate limit, reported in the contract's shape.
    const first = await health();
    assert.equal(first.runtimeGeneration, 1);
    assert.deepEqual([first.runtime.source, first.runtime.poolMax, first.runtime.lastError], [`configmap:${namespace}/${NAME}`, 5, null]);
    assert.equal(shop.pool.max, 5);
    assert.equal(shop.worker.concurrency, 3);
    assert.deepEqual(await shop.emails.getGlobalRateLimit(), { max: 51, duration: 1000 });
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^shop_runtime_generation 1$/m);

    // Full: a write is served, through the pool and the queue.
    const order = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@example.com' }) });
    assert.equal(order.status, 201);
    assert.equal(order.headers.get('x-service-level'), 'Full');
    await waitFor('the confirmation job done', async () => (await shop.emails.getJobCounts('completed')).completed === 1, { timeoutMs: 10_000 });

    // Maintenance, a pool above the service's ceiling, the queue paused: applied live, the cap reported.
    await write(doc(2, 'Maintenance', 50, 0));
    const second = await applied(2);
    assert.equal(second.runtime.poolMax, 20, 'capped at hardMax, and health says so');
    assert.equal(shop.pool.max, 20);
    assert.equal(shop.runtime.queues?.state('emails')?.paused, true);
    assert.deepEqual(await shop.emails.getGlobalRateLimit(), { max: 52, duration: 1000 });
    const refused = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"b@example.com"}' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.equal(refused.headers.get('x-service-level'), 'Maintenance');
    assert.deepEqual(((await refused.json()) as { error: { code: string } }).error.code, 'MAINTENANCE');
    const read = await fetch(`${url}/health/details`);
    assert.equal(read.status, 200, 'reads are served in Maintenance');

    // The channel breaks (the ConfigMap is deleted): the last good document stays, and health says why.
    await core.deleteNamespacedConfigMap({ name: NAME, namespace });
    await waitFor('the deletion reported', async () => /deleted/.test((await health()).runtime.lastError ?? ''), { timeoutMs: 5000, intervalMs: 10 });
    assert.equal((await health()).runtimeGeneration, 2);
    assert.equal(shop.runtime.levels.current(), 'Maintenance');

    // Back: Full again, the queue resumes, the pool shrinks.
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: NAME }, data: { 'runtime.json': doc(3, 'Full', 4, 2) } } });
    const third = await applied(3);
    assert.deepEqual([third.runtime.lastError, third.runtime.poolMax, shop.worker.concurrency, shop.runtime.queues?.state('emails')?.paused], [null, 4, 2, false]);
    const again = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"c@example.com"}' });
    assert.equal(again.status, 201);
    await waitFor('the second confirmation job done', async () => (await shop.emails.getJobCounts('completed')).completed === 2, { timeoutMs: 10_000 });
  });
});
