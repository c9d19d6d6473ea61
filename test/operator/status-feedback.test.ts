// The operator's own status writes must not requeue the policy: a signal whose value changes on
// every read (like the matcher's heap) changes status on every reconcile, and requeueing on that
// status event would reconcile at the work queue's rate limit instead of the polling interval.
// Found by the local stack (`make up`): 8 reconciles and status writes a second, 27 % of a core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withNamespace } from '../support/cluster.js';
import { applyPolicy, condition, constantPolicy, createDeployment, getPolicy, setUp, startOperator, waitFor } from './harness.js';

test('a signal that changes on every read is reconciled at the polling interval, not in a status-write loop', async (t) => {
  let reads = 0;
  const health = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ reads: ++reads })));
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  t.after(() => health.close());
  const url = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
  await withNamespace(t, async (namespace, cluster) => {
    const env = await setUp(cluster, namespace);
    await createDeployment(env, 'matcher', 1);
    const operator = await startOperator(t, env);
    const spec = constantPolicy('matcher', 10, { pollingIntervalSeconds: 2 });
    spec.signals = [...spec.signals!, { name: 'reads', health: { url, field: 'reads' } }];
    await applyPolicy(env, 'matcher', spec);
    await waitFor('Ready=True', async () => condition(await getPolicy(env, 'matcher'), 'Ready')?.status === 'True', { timeoutMs: 30_000 });

    const total = async () => (await operator.metrics.reconcileTotal.get()).values.reduce((a, v) => a + v.value, 0);
    await new Promise((r) => setTimeout(r, 1000));
    const before = await total();
    const readsBefore = reads;
    await new Promise((r) => setTimeout(r, 6000));
    const reconciles = (await total()) - before;
    t.diagnostic(`reconciles in 6 s at a 2 s polling interval: ${reconciles}; signal reads ${reads - readsBefore}`);
    // About 3; a status-write loop makes it about 60 (the queue's 10 per second).
    assert.ok(reconciles <= 6, `${reconciles} reconciles in 6 s`);
    assert.ok(reconciles >= 2, 'still polling');
  });
});
