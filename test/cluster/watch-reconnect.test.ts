// A client's watch survives an apiserver restart: the informer is told (error), starts again
// (list + watch from the new resourceVersion) and misses no change made while it was away. The
// restarted apiserver is a second one on the same etcd (startApiServerReplica), so the main
// apiserver that other test files use in parallel is never interrupted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { ensureCluster, startApiServerReplica, waitFor, withNamespace } from '../support/cluster.js';

const REPLICA_PORT = 16444;

test('a watch reconnects after the apiserver restarts and sees changes made meanwhile', async (t) => {
  const cluster = await ensureCluster();
  if (!cluster.local) return t.skip('restarting an apiserver needs the local cluster (KUBECONFIG is set)');
  await withNamespace(t, async (namespace) => {
    const replica = await startApiServerReplica(t, REPLICA_PORT);
    const admin = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api); // the main apiserver
    const kc = replica.kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);

    const seen = new Map<string, string | undefined>();
    let connects = 0;
    let errors = 0;
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace }));
    informer.on('add', (cm) => seen.set(cm.metadata?.name ?? '', cm.data?.value));
    informer.on('update', (cm) => seen.set(cm.metadata?.name ?? '', cm.data?.value));
    informer.on('connect', () => { connects += 1; });
    // What an operator's watcher does on an error: start again after a short back-off.
    let stopped = false;
    informer.on('error', () => {
      errors += 1;
      if (!stopped) setTimeout(() => { if (!stopped) void informer.start(); }, 500);
    });
    t.after(async () => { stopped = true; await informer.stop(); });
    await informer.start();

    const put = (name: string, value: string) =>
      admin.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { value } } });

    await put('before', '1');
    await waitFor('the watch to see "before"', async () => seen.get('before') === '1');
    const connectsBefore = connects;

    // The apiserver goes away (the watch's connection drops); a change is made meanwhile through
    // the main apiserver; then it comes back on the same address.
    await replica.stop();
    await put('while-down', '2');
    await replica.start();
    await waitFor('the watch to see "while-down"', async () => seen.get('while-down') === '2', { timeoutMs: 60_000 });
    await put('after', '3');
    await waitFor('the watch to see "after"', async () => seen.get('after') === '3', { timeoutMs: 30_000 });

    t.diagnostic(`connects ${connectsBefore} -> ${connects}, errors ${errors}`);
    assert.ok(connects > connectsBefore, 'the informer connected again after the restart');
  });
});
