import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { RUNTIME_KEY } from '../contract/kubernetes.js';
import { Watcher } from '../operator/watcher.js';
import type { RuntimeSource, RuntimeUpdate } from './source.js';
import type { RuntimeLogger } from './logger.js';

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface ConfigMapSourceOptions {
  name: string;
  namespace: string;
  /** Credentials: a KubeConfig, or a kubeconfig file; absent: in-cluster, else ~/.kube/config. */
  kubeConfig?: k8s.KubeConfig | string;
  logger: RuntimeLogger;
}

/**
 * The runtime document from one ConfigMap (key `runtime.json`) through the Kubernetes API, with
 * the operator's own informer (src/plimsoll/operator/watcher.ts): list and watch with a
 * `metadata.name=<name>` field selector, which the API server authorizes against resourceNames,
 * so the RBAC a replica needs is `list` and `watch` on that one name and nothing else. The
 * watcher resumes from the last resourceVersion after an error (jittered backoff), relists on
 * 410 Gone and when the watch goes silent; every break of the channel is delivered as an error,
 * and the client keeps the last good document meanwhile.
 */
export class ConfigMapRuntimeSource implements RuntimeSource {
  private readonly kc: k8s.KubeConfig;
  private watcher: Watcher<k8s.V1ConfigMap> | undefined;

  constructor(private readonly options: ConfigMapSourceOptions) {
    const { kubeConfig } = options;
    if (kubeConfig instanceof k8s.KubeConfig) this.kc = kubeConfig;
    else {
      this.kc = new k8s.KubeConfig();
      if (kubeConfig) this.kc.loadFromFile(kubeConfig);
      else if (existsSync(IN_CLUSTER_TOKEN)) this.kc.loadFromCluster();
      else this.kc.loadFromDefault();
    }
  }

  /** True when credentials exist to reach an API server (a kubeconfig file, or in-cluster). */
  static available(kubeconfig?: string): boolean {
    return Boolean(kubeconfig) || existsSync(IN_CLUSTER_TOKEN);
  }

  get description(): string {
    return `configmap:${this.options.namespace}/${this.options.name}`;
  }

  async start(onUpdate: (update: RuntimeUpdate) => void): Promise<void> {
    const { name, namespace, logger } = this.options;
    const fieldSelector = `metadata.name=${name}`;
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const fail = (message: string) => onUpdate({ source: this.description, error: new Error(message) });
    let firstOutcome!: () => void;
    const outcome = new Promise<void>((resolve) => { firstOutcome = resolve; });
    this.watcher = new Watcher<k8s.V1ConfigMap>({
      name: `runtime ${this.description}`,
      kubeConfig: this.kc,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      fieldSelector,
      list: () => core.listNamespacedConfigMap({ namespace, fieldSelector }),
      logger,
      onEvent: (type, cm) => {
        const text = cm.data?.[RUNTIME_KEY];
        if (type === 'DELETED') fail(`ConfigMap ${namespace}/${name} was deleted`);
        else if (text === undefined) fail(`ConfigMap ${namespace}/${name} has no key ${RUNTIME_KEY}`);
        else onUpdate({ source: this.description, text });
      },
      onRestart: (reason, error) => {
        if (reason !== 'error') return;
        const e = error as { code?: number; message?: string } | undefined;
        fail(e?.code === 403 ? `not allowed to list/watch ConfigMap ${namespace}/${name}: ${e.message ?? ''}` : (e?.message ?? String(error)));
        firstOutcome();
      },
    });
    // start() resolves once the first list filled the cache; a first list that fails resolves
    // the outcome instead (the watcher keeps retrying), so a service starts with its own config.
    await Promise.race([this.watcher.start().then(() => {
      if (this.watcher?.values().length === 0) fail(`ConfigMap ${namespace}/${name} not found`);
    }), outcome]);
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
  }
}
