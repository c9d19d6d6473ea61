// KEDA, the peer Plimsoll is measured against, for real on the local cluster (docs/keda.md):
// a ScaledObject with a Prometheus trigger scales the matcher Deployment through the whole chain
// a production cluster uses —
//   KEDA's operator creates the HPA → the kube-controller-manager's HPA controller asks the
//   kube-apiserver for the external metric → the aggregation layer proxies it to KEDA's metrics
//   API server → which asks the operator over mTLS gRPC → which queries the real Prometheus.
// The query returns a constant, so the expected replica count is exact: vector(350) against a
// target of 100 per replica is 4 replicas; vector(150) is 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ensureCluster, LOCAL_DIR, REPO_ROOT, run, waitFor, withNamespace, type Cluster } from '../support/cluster.js';

const APISERVICE = 'v1beta1.external.metrics.k8s.io';
// Where the ScaledObject's trigger (run by KEDA's operator) finds Prometheus: the local one
// through the pod gateway, or one a cluster given by KUBECONFIG can reach.
const PROMETHEUS_URL = process.env.KEDA_TEST_PROMETHEUS_URL ?? 'http://127.0.0.1:19090';
const HPA_SYNC_TIMEOUT_MS = 150_000;   // the HPA controller syncs every 15 s; KEDA reconciles first

/** Both KEDA processes run (their pid files name live processes of .local/bin). */
function localKedaRunning(): boolean {
  return ['keda-operator', 'keda-adapter'].every((name) => {
    try {
      const pid = readFileSync(join(LOCAL_DIR, 'run', `${name}.pid`), 'utf8').trim();
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === join(LOCAL_DIR, 'bin', name);
    } catch {
      return false;
    }
  });
}

async function apiServiceAvailable(cluster: Cluster): Promise<string | undefined> {
  const got = await cluster.kubectl(['get', 'apiservice', APISERVICE, '-o',
    'jsonpath={range .status.conditions[?(@.type=="Available")]}{.status} {.reason}: {.message}{end}'], { allowFailure: true });
  return got.code === 0 ? got.stdout.trim() : undefined;
}

function scaledObject(query: string): Record<string, unknown> {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'matcher' },
    spec: {
      scaleTargetRef: { name: 'matcher' },
      minReplicaCount: 1,
      maxReplicaCount: 8,
      pollingInterval: 5,
      // Scale down without the default 5-minute stabilization window, so the test sees it.
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } },
      triggers: [{ type: 'prometheus', metadata: { serverAddress: PROMETHEUS_URL, query, threshold: '100' } }],
    },
  };
}

test('a ScaledObject with a Prometheus trigger scales the matcher Deployment through the HPA controller', { timeout: 3_600_000 }, async (t) => {
  const cluster = await ensureCluster();
  let startedHere = false;
  if (cluster.local) {
    // Start KEDA if it is not running (building it the first time: the test's hour allows a cold
    // build when the file is run alone; make test-keda builds first), and stop it afterwards only then.
    startedHere = !localKedaRunning();
    t.after(async () => {
      if (!startedHere) return;
      const down = await run('bash', [join(REPO_ROOT, 'tools', 'keda', 'down.sh')], { echo: true });
      assert.equal(down.code, 0, `tools/keda/down.sh failed: ${down.stderr}`);
    });
    const up = await run('bash', [join(REPO_ROOT, 'tools', 'keda', 'up.sh')], { echo: true, timeoutMs: 3_600_000 });
    assert.equal(up.code, 0, `tools/keda/up.sh failed (exit ${up.code}); see .local/logs/keda-*.log\n${up.stderr}`);
  } else if (!(await apiServiceAvailable(cluster))?.startsWith('True')) {
    return t.skip(`KUBECONFIG's cluster has no Available ${APISERVICE}: install KEDA there first (docs/keda.md)`);
  }

  const available = await apiServiceAvailable(cluster);
  assert.ok(available?.startsWith('True'), `APIService ${APISERVICE} is not Available: ${available ?? 'absent'}`);
  if (cluster.local) {
    // The precondition the expected replica counts rest on: the real Prometheus answers the query.
    const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent('vector(350)')}`).catch((err: Error) => {
      throw new Error(`Prometheus does not answer at ${PROMETHEUS_URL} (make services): ${err.message}`);
    });
    const body = await res.json() as { data?: { result?: { value?: [number, string] }[] } };
    assert.equal(body.data?.result?.[0]?.value?.[1], '350', `Prometheus at ${PROMETHEUS_URL} answers vector(350)`);
  }

  await withNamespace(t, async (namespace) => {
    const kc = cluster.kubeConfig();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);

    // The matcher exactly as it is installed (manifests/matcher); on the local cluster kwok plays
    // its kubelet, so its pods are Ready at once and nothing runs (no database needed).
    // Its Secret too (docs/install.md): KEDA resolves the target container's environment, envFrom
    // included, for its triggers, and refuses to build the HPA while a referenced Secret is missing.
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'matcher-connections' }, stringData: {
      MATCHER_DATABASE_URL: 'postgres://plimsoll:plimsoll-dev@127.0.0.1:16432/plimsoll',
      MATCHER_MIGRATION_DATABASE_URL: 'postgres://plimsoll:plimsoll-dev@127.0.0.1:15432/plimsoll',
      MATCHER_REDIS_URL: 'redis://127.0.0.1:16379/0',
      MATCHER_PGBOUNCER_ADMIN_URL: 'none',
    } } });
    await cluster.kubectl(['apply', '-k', join(REPO_ROOT, 'manifests', 'matcher'), '-n', namespace]);
    const replicas = async () => {
      const d = await apps.readNamespacedDeployment({ name: 'matcher', namespace });
      return { spec: d.spec?.replicas ?? 0, ready: d.status?.readyReplicas ?? 0 };
    };
    await waitFor('the matcher Deployment at 1 ready replica', async () => (await replicas()).ready === 1, { timeoutMs: 60_000 });

    // What the HPA controller itself reported: proof that it, not KEDA's operator, scaled.
    const rescales = async () => (await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=HorizontalPodAutoscaler' })).items
      .filter((e) => e.reason === 'SuccessfulRescale' && e.source?.component === 'horizontal-pod-autoscaler')
      .map((e) => e.message ?? '');
    const describe = async () => {
      const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'keda-hpa-matcher', namespace }).catch(() => undefined);
      const conditions = (hpa?.status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join('; ');
      return `HPA keda-hpa-matcher: ${hpa ? `desired ${hpa.status?.desiredReplicas}, ${conditions}` : 'absent'}; see .local/logs/keda-operator.log, keda-adapter.log, kube-controller-manager.log`;
    };

    try {
      await cluster.kubectl(['apply', '-n', namespace, '-f', '-'], { input: JSON.stringify(scaledObject('vector(350)')) });

      // KEDA's operator creates the HPA, owned by the ScaledObject, targeting the external metric.
      const hpa = await waitFor('KEDA to create HPA keda-hpa-matcher', async () =>
        autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'keda-hpa-matcher', namespace }), { timeoutMs: 60_000 });
      assert.equal(hpa.spec?.scaleTargetRef.name, 'matcher');
      assert.equal(hpa.metadata?.ownerReferences?.[0]?.kind, 'ScaledObject');
      const metric = hpa.spec?.metrics?.[0]?.external;
      assert.ok(metric, 'the HPA scales on an external metric');
      assert.equal(metric.target.type, 'AverageValue');
      assert.equal(metric.target.averageValue, '100');
      const metricName = metric.metric.name;
      const selector = Object.entries(metric.metric.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');

      // The external metrics API answers through the aggregation layer, with Prometheus's value.
      const raw = await cluster.kubectl(['get', '--raw',
        `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/${metricName}?labelSelector=${encodeURIComponent(selector)}`]);
      const list = JSON.parse(raw.stdout) as { items: { metricName: string; value: string }[] };
      assert.equal(list.items[0]?.value, '350', `external metric ${metricName} through ${APISERVICE}`);

      // The HPA controller scales the Deployment: ceil(350 / 100) = 4.
      await waitFor('the HPA controller to scale the matcher to 4 ready replicas', async () => {
        const r = await replicas();
        return r.spec === 4 && r.ready === 4;
      }, { timeoutMs: HPA_SYNC_TIMEOUT_MS }).catch(async (err: Error) => { throw new Error(`${err.message}; ${await describe()}`); });
      assert.ok((await rescales()).some((note) => /New size: 4; reason: external metric .* above target/.test(note)),
        `a SuccessfulRescale event from the HPA controller to 4; got ${JSON.stringify(await rescales())}`);

      // The trigger's answer changes, the replica count follows: ceil(150 / 100) = 2.
      await cluster.kubectl(['patch', 'scaledobject', 'matcher', '-n', namespace, '--type=json',
        '-p', JSON.stringify([{ op: 'replace', path: '/spec/triggers/0/metadata/query', value: 'vector(150)' }])]);
      await waitFor('the HPA controller to scale the matcher down to 2', async () => {
        const r = await replicas();
        return r.spec === 2 && r.ready === 2;
      }, { timeoutMs: HPA_SYNC_TIMEOUT_MS }).catch(async (err: Error) => { throw new Error(`${err.message}; ${await describe()}`); });
      assert.ok((await rescales()).some((note) => /New size: 2; reason: All metrics below target/.test(note)),
        `a SuccessfulRescale event from the HPA controller to 2; got ${JSON.stringify(await rescales())}`);
    } finally {
      // KEDA's finalizer must run while the operator does: a ScaledObject left behind when KEDA
      // stops would hold its namespace in Terminating for ever.
      await cluster.kubectl(['delete', 'scaledobject', 'matcher', '-n', namespace, '--ignore-not-found', '--wait=false']);
      await waitFor('KEDA to finalize the ScaledObject and remove its HPA', async () => {
        const left = (await cluster.kubectl(['get', 'scaledobject', 'matcher', '-n', namespace, '--ignore-not-found', '-o', 'name'])).stdout.trim() !== '';
        const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'keda-hpa-matcher', namespace }).then(() => true, () => false);
        return !left && !hpa;
      }, { timeoutMs: 60_000 });
    }
  });
});
