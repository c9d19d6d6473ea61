/**
 * The two contenders' hooks into the phase: Plimsoll (its operator as a process, its queries
 * through the counting proxy) and KEDA (its operator and metrics API server, ScaledObjects whose
 * queries go to the benchmark's Prometheus as the pods reach it). The control plane's processes
 * (and that Prometheus) are sampled for context: with KEDA the HPA controller in
 * kube-controller-manager does the scaling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricByLabel, metricSum, withLabels } from './figures.js';
import type { Fleet } from './fleet.js';
import { REPO_ROOT } from './fleet.js';
import { KEDA_PROCESSES, kedaOperatorProbe, kedaPid } from './keda.js';
import { OperatorProcess, freePort } from './operator-process.js';
import type { ContenderHooks } from './phase.js';
import type { PrometheusProxy } from './prom-proxy.js';
import { fetchText, type Probe } from './sampler.js';
import { policySpec, scaledObject } from './specs.js';
import { configMapKind, customResourceKind, eventKind, hpaKinds, replicasKind } from './write-recorder.js';
import { signalSourcesFile } from '../../test/support/signal-sources.js';

function pidFile(name: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(REPO_ROOT, '.local', 'run', `${name}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function controlPlaneProcesses(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['kube-apiserver', 'kube-controller-manager']) {
    const pid = pidFile(name);
    if (pid) out[name] = pid;
  }
  return out;
}

/** Prometheus's count of instant queries, from every client. */
export const prometheusProbe = (prometheus: string): Probe => async () => {
  const text = await fetchText(`${prometheus}/metrics`);
  return { 'prom.all': metricSum(text, 'prometheus_http_requests_total', withLabels({ handler: '/api/v1/query' })) ?? 0 };
};

export function plimsollHooks(o: {
  namespace: string; prometheus: string; proxy: PrometheusProxy; proxyUrl: string; exporterUrl: string;
  healthFleet: number; workers: number; logFile: string; compiledEntry: string | undefined; nodeOptions: string;
  /** More processes sampled for context (the benchmark's Prometheus). */
  context: Record<string, number>;
}): ContenderHooks {
  let operator: OperatorProcess | undefined;
  // The operator reads only registered sources: the bench's Prometheus proxy (the default) and
  // the exporter's health documents its small health fleet names.
  const healthUrls: string[] = [];
  return {
    name: 'plimsoll',
    namespace: o.namespace,
    seriesPrefix: 'p',
    async governingObjects(targets, fleet) {
      const bodies = targets.map((t) => {
        const healthUrl = t.index < o.healthFleet ? `${o.exporterUrl}/health/${t.series}` : undefined;
        if (healthUrl) healthUrls.push(healthUrl);
        return { apiVersion: 'plimsoll.dev/v1alpha1', kind: 'ScalingPolicy', metadata: { name: t.series }, spec: policySpec(t.target, o.proxyUrl, t.series, healthUrl) };
      });
      await fleet.createCustomObjects('plimsoll.dev', 'scalingpolicies', 'ScalingPolicies', bodies);
    },
    async start(fleet: Fleet) {
      const kubeconfig = await fleet.operatorKubeconfig();
      const signalSources = signalSourcesFile({
        prometheus: [{ name: 'bench', address: o.proxyUrl, default: true }], pgbouncer: [],
        health: healthUrls.map((url, i) => ({ name: `health-${i}`, url })),
      });
      operator = new OperatorProcess({ kubeconfig, namespace: o.namespace, metricsPort: await freePort(), logFile: o.logFile, workers: o.workers, compiledEntry: o.compiledEntry, signalSources, nodeOptions: o.nodeOptions });
      await operator.start();
    },
    watched: (kc) => [
      customResourceKind(kc, 'ScalingPolicy', 'plimsoll.dev', 'v1alpha1', 'scalingpolicies', o.namespace),
      configMapKind(kc, o.namespace, 'plimsoll'),
      replicasKind(kc, o.namespace, 'operator'),
      eventKind(kc, o.namespace, ['plimsoll.dev/operator']),
    ],
    processes: (): Record<string, number> => (operator ? { operator: operator.pid } : {}),
    contextProcesses: { ...controlPlaneProcesses(), ...o.context },
    probes() {
      const url = operator!.metricsUrl;
      return [
        async () => {
          const text = await fetchText(url);
          const requests = metricByLabel(text, 'plimsoll_kube_api_requests_total', 'kind');
          const writes = metricByLabel(text, 'plimsoll_api_writes_total', 'kind');
          const values: Record<string, number> = {
            'api.read': requests.read ?? 0, 'api.write': requests.write ?? 0, 'api.watch': requests.watch ?? 0,
            'queue.depth': metricSum(text, 'plimsoll_workqueue_depth') ?? 0,
            'reconcile.count': metricSum(text, 'plimsoll_reconcile_duration_seconds_count') ?? 0,
            'reconcile.seconds': metricSum(text, 'plimsoll_reconcile_duration_seconds_sum') ?? 0,
          };
          for (const [kind, n] of Object.entries(writes)) values[`writes.${kind}`] = n;
          return values;
        },
        async () => ({ 'prom.own': o.proxy.queries }),
        prometheusProbe(o.prometheus),
      ];
    },
    attachLatency(tracker) {
      o.proxy.listener = (query, value, at) => tracker.answered(query, value, at);
    },
    async stop() {
      await operator?.stop();
    },
    async teardown(fleet) {
      // The operator is stopped: its finalizer would keep the policies, and the namespace, forever.
      await fleet.stripFinalizers('plimsoll.dev', 'v1alpha1', 'scalingpolicies');
    },
  };
}

/**
 * KEDA's ScaledObjects ask the benchmark's Prometheus where KEDA's pods reach it (127.0.0.1:<its
 * port> through the benchmark's pod route, pod-route.ts); the route's relay processes and that
 * Prometheus are sampled for context.
 */
export function kedaHooks(o: { namespace: string; prometheus: string; context: Record<string, number> }): ContenderHooks {
  return {
    name: 'keda',
    namespace: o.namespace,
    seriesPrefix: 'k',
    async governingObjects(targets, fleet) {
      const bodies = targets.map((t) => scaledObject(t.series, t.target, o.prometheus, t.series));
      await fleet.createCustomObjects('keda.sh', 'scaledobjects', 'ScaledObjects', bodies);
    },
    async start() { /* KEDA runs already (kedaUp) */ },
    watched: (kc) => [
      customResourceKind(kc, 'ScaledObject', 'keda.sh', 'v1alpha1', 'scaledobjects', o.namespace),
      ...hpaKinds(kc, o.namespace),
      replicasKind(kc, o.namespace, 'HPA controller', false),
      eventKind(kc, o.namespace, ['keda-operator'], ['horizontal-pod-autoscaler']),
    ],
    processes() {
      const out: Record<string, number> = {};
      for (const p of KEDA_PROCESSES) {
        const pid = kedaPid(p);
        if (pid) out[p] = pid;
      }
      return out;
    },
    contextProcesses: { ...controlPlaneProcesses(), ...o.context },
    probes: () => [kedaOperatorProbe, prometheusProbe(o.prometheus)],
    async stop() { /* KEDA stays up until its namespace is gone: its finalizers need it */ },
    async teardown() { /* KEDA removes its ScaledObjects' finalizers itself */ },
  };
}
