// The watcher state machine against the real API server: a dropped connection resumes without
// losing changes, an expired resourceVersion (410 Gone) relists, a silent watch is relisted by
// the watchdog, and a restarted apiserver is survived (a second apiserver on the same etcd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../src/plimsoll/observability/logger.js';
import { Watcher } from '../../src/plimsoll/operator/watcher.js';
import { ensureCluster, startApiServerReplica, waitFor, withNamespace } from '../support/cluster.js';

const logger = createLogger({ name: 'watcher-test', level: (process.env.WATCHER_TEST_LOG ?? 'silent') as 'silent' });

function configMapWatcher(kc: k8s.KubeConfig, namespace: string, extra: { silenceMs?: number } = {}) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const restarts: string[] = [];
  const events: string[] = [];
  const watcher = new Watcher<k8s.V1ConfigMap>({
    name: 'configmaps', kubeConfig: kc, logger, path: `/api/v1/namespaces/${namespace}/configmaps`,
    list: () => core.listNamespacedConfigMap({ namespace }),
    onEvent: (type, cm) => events.push(`${type} ${cm.metadata?.name}`),
    onRestart: (reason) => restarts.push(reason),
    ...extra,
  });
  return { watcher, restarts, events };
}

test('watcher: dropped connection resumes, 410 Gone relists, deletions while away are seen', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const kc = cluster.kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const put = (name: string) => core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { v: name } } });
    await put('a');
    const { watcher, restarts, events } = configMapWatcher(kc, namespace);
    t.after(() => watcher.stop());
    await watcher.start();
    await watcher.start(); // single-flight: the same sync
    assert.ok(watcher.get(`${namespace}/a`));

    watcher.dropConnection();
    await put('b');
    await waitFor('b after a dropped connection', async () => watcher.get(`${namespace}/b`));
    // (A cut connection ends like a server-side close: the watch resumes from its resourceVersion.)

    // An expired resourceVersion: the server answers 410 Gone and the watcher relists.
    // (No await between the two calls: no event may move the resourceVersion in between.)
    watcher.resumeFrom('1');
    watcher.dropConnection();
    await waitFor('a relist after 410 Gone', async () => restarts.includes('gone'), { timeoutMs: 20_000 });

    // A deletion while the watcher was away shows up as DELETED from the next relist.
    await watcher.stop();
    await core.deleteNamespacedConfigMap({ name: 'a', namespace });
    await watcher.start();
    assert.equal(watcher.get(`${namespace}/a`), undefined);
    assert.ok(events.includes('DELETED a'));
    await put('c');
    await waitFor('c after the relist', async () => watcher.get(`${namespace}/c`));
  });
});

test('watcher: the watchdog relists a silent watch', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const kc = cluster.kubeConfig();
    const { watcher, restarts } = configMapWatcher(kc, namespace, { silenceMs: 1500 });
    t.after(() => watcher.stop());
    await watcher.start();
    await waitFor('a silent-watch relist', async () => restarts.includes('silent'), { timeoutMs: 15_000 });
    assert.equal(watcher.state === 'Watching' || watcher.state === 'Listing', true);
  });
});

test('watcher: survives an apiserver restart and misses nothing made meanwhile', async (t) => {
  const cluster = await ensureCluster();
  if (!cluster.local) return t.skip('restarting an apiserver needs the local cluster');
  await withNamespace(t, async (namespace) => {
    const replica = await startApiServerReplica(t, 16445);
    const admin = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
    const { watcher, restarts } = configMapWatcher(replica.kubeConfig(), namespace);
    t.after(() => watcher.stop());
    await watcher.start();
    await replica.stop();
    await admin.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'while-down' } } });
    await replica.start();
    await waitFor('while-down after the restart', async () => watcher.get(`${namespace}/while-down`), { timeoutMs: 60_000 });
    assert.ok(restarts.length > 0);
  });
});

test('watcher: stop() while listing ends it at once, not at the silent-watch watchdog', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const kc = cluster.kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    // The real list, held back until stop() has been called: the order a shutdown during a
    // relist produces. The watch that follows would stay open (the namespace is quiet).
    let releaseList!: () => void;
    const gate = new Promise<void>((resolve) => { releaseList = resolve; });
    const watcher = new Watcher<k8s.V1ConfigMap>({
      name: 'configmaps', kubeConfig: kc, logger, path: `/api/v1/namespaces/${namespace}/configmaps`,
      list: async () => { await gate; return core.listNamespacedConfigMap({ namespace }); },
      onEvent: () => undefined,
    });
    const synced = watcher.start();
    const stopped = watcher.stop();
    releaseList();
    await synced;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      stopped.then(() => 'stopped'),
      new Promise<string>((resolve) => { timer = setTimeout(() => resolve('still running 10 s after stop()'), 10_000); }),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 'stopped');
    assert.equal(watcher.state, 'Stopped');
  });
});
