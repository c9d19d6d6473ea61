import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import type { RuntimeSource, RuntimeUpdate } from './document.js';

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The runtime document from ConfigMap `name`, key `runtime.json`, through the Kubernetes API.
 * RBAC: `get` and `watch` on that one resourceName (the watch uses a metadata.name field
 * selector, which the API server authorises against resourceNames). A GET gives the current
 * document and a resourceVersion; the watch continues from it. When the watch ends or fails the
 * source re-GETs and re-watches with exponential backoff (250 ms → 30 s); meanwhile the matcher
 * keeps the last applied document.
 */
export class ConfigMapRuntimeSource implements RuntimeSource {
  static readonly KEY = 'runtime.json';
  private readonly kc = new k8s.KubeConfig();
  private abort: AbortController | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 250;
  private stopped = false;
  private onUpdate: (update: RuntimeUpdate) => void = () => undefined;

  constructor(private readonly name: string, private readonly namespace: string, kubeconfig?: string) {
    if (kubeconfig) this.kc.loadFromFile(kubeconfig);
    else if (existsSync(IN_CLUSTER_TOKEN)) this.kc.loadFromCluster();
    else this.kc.loadFromDefault();
  }

  /** True when credentials exist to reach an API server (a kubeconfig or in-cluster). */
  static available(kubeconfig?: string): boolean {
    return Boolean(kubeconfig) || existsSync(IN_CLUSTER_TOKEN);
  }

  get description(): string {
    return `configmap:${this.namespace}/${this.name}`;
  }

  async start(onUpdate: (update: RuntimeUpdate) => void): Promise<void> {
    this.onUpdate = onUpdate;
    await this.cycle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.abort?.abort();
  }

  private deliver(cm: k8s.V1ConfigMap | undefined): void {
    const text = cm?.data?.[ConfigMapRuntimeSource.KEY];
    if (text === undefined) this.onUpdate({ source: this.description, error: new Error(`ConfigMap ${this.namespace}/${this.name} has no key ${ConfigMapRuntimeSource.KEY}`) });
    else this.onUpdate({ source: this.description, text });
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      const api = this.kc.makeApiClient(k8s.CoreV1Api);
      const cm = await api.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
      this.deliver(cm);
      const watch = new k8s.Watch(this.kc);
      this.abort = await watch.watch(`/api/v1/namespaces/${this.namespace}/configmaps`,
        { fieldSelector: `metadata.name=${this.name}`, resourceVersion: cm.metadata?.resourceVersion, allowWatchBookmarks: true },
        (phase, obj: k8s.V1ConfigMap) => {
          this.backoffMs = 250;
          if (phase === 'ADDED' || phase === 'MODIFIED') this.deliver(obj);
          else if (phase === 'DELETED') this.onUpdate({ source: this.description, error: new Error(`ConfigMap ${this.namespace}/${this.name} was deleted`) });
        },
        (err: unknown) => {
          if (this.stopped) return;
          if (err) this.onUpdate({ source: this.description, error: err instanceof Error ? err : new Error(String(err)) });
          this.schedule();
        });
    } catch (error) {
      const e = error as { code?: number; message?: string };
      this.onUpdate({ source: this.description, error: new Error(e.code === 404 ? `ConfigMap ${this.namespace}/${this.name} not found` : (e.message ?? String(error))) });
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    this.retry = setTimeout(() => void this.cycle(), delay);
    this.retry.unref();
  }
}
