// The matcher watches its runtime ConfigMap through the real API server, as a ServiceAccount
// that may only list and watch that one ConfigMap (resourceNames), and applies changes live; a
// broken document is ignored and reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { serviceAccountKubeconfig, withNamespace } from '../support/cluster.js';
import { startTestMatcher } from '../support/matcher.js';

const NAME = 'matcher-runtime';
const doc = (generation: number, serviceLevel: string, poolMax = 6) =>
  JSON.stringify({ policy: 'matcher', generation, issuedAt: new Date().toISOString(), serviceLevel, replicas: 1, db: { poolMax }, queues: {} });

test('the matcher applies its runtime ConfigMap live with list/watch on that one name', async (t) => {
  await withNamespace(t, async (namespace, cluster) => {
    const core = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
    const kubeconfig = await serviceAccountKubeconfig(t, cluster, namespace, 'matcher', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [NAME], verbs: ['list', 'watch'] }]);
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: NAME }, data: { 'runtime.json': doc(1, 'Full') } } });
    const m = await startTestMatcher({ tenants: 1, env: { MATCHER_RUNTIME_CONFIGMAP: NAME, MATCHER_RUNTIME_NAMESPACE: namespace, KUBECONFIG: kubeconfig } });
    try {
      assert.equal(m.matcher.runtime.status().generation, 1);
      assert.equal(m.matcher.runtime.status().source, `configmap:${namespace}/${NAME}`);
      const until = async (cond: () => boolean, ms = 1000) => {
        const t0 = performance.now();
        while (!cond()) {
          if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${JSON.stringify(m.matcher.runtime.status())}`);
          await new Promise((r) => setTimeout(r, 2));
        }
        return performance.now() - t0;
      };
      const samples: number[] = [];
      for (let g = 2; g <= 11; g++) {
        const level = g % 2 === 0 ? 'Reduced' : 'Basic';
        const t0 = performance.now();
        await core.replaceNamespacedConfigMap({ name: NAME, namespace, body: { metadata: { name: NAME }, data: { 'runtime.json': doc(g, level, 3 + g) } } });
        await until(() => m.matcher.runtime.status().generation === g && m.matcher.levels.current() === level);
        samples.push(performance.now() - t0);
        assert.equal(m.matcher.pool.max, 3 + g);
      }
      t.diagnostic(`ConfigMap update → applied: max ${Math.round(Math.max(...samples))} ms over ${samples.length}`);
      await core.replaceNamespacedConfigMap({ name: NAME, namespace, body: { metadata: { name: NAME }, data: { 'runtime.json': '{"generation": 12' } } });
      await until(() => m.matcher.runtime.status().lastError !== null);
      assert.equal(m.matcher.runtime.status().generation, 11);
      assert.equal(m.matcher.levels.current(), 'Basic');
      // Error text in the health document is for callers with an API key (it is redacted otherwise).
      const details = await (await fetch(`${m.url}/health/details`, { headers: { authorization: `Bearer ${m.tenants[0]!.key}` } })).json() as { runtimeGeneration: number; runtime: { lastError: string } };
      assert.equal(details.runtimeGeneration, 11);
      assert.match(details.runtime.lastError, /not JSON/);
    } finally {
      await m.close();
    }
  });
});
