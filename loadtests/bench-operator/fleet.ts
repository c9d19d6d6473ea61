/**
 * The benchmark's objects in the local cluster, through the admin credentials: a namespace, the
 * operator's ServiceAccount bound to the shipped ClusterRole (the operator runs with exactly its
 * RBAC), Deployments, ScalingPolicies and ScaledObjects, created with bounded concurrency and
 * progress lines, and removed again.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { BenchError } from './errors.js';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/** Runs `fn` over the items, `limit` at a time, printing progress every `every` items. */
export async function forEachLimit<T>(items: T[], limit: number, what: string, fn: (item: T) => Promise<void>, log: (line: string) => void, every = 100): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
      done++;
      if (done % every === 0 || done === items.length) log(`  ${what}: ${done}/${items.length}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const isStatus = (err: unknown, code: number) => (err as { code?: number }).code === code;

export class Fleet {
  readonly apps: k8s.AppsV1Api;
  readonly core: k8s.CoreV1Api;
  readonly custom: k8s.CustomObjectsApi;
  private readonly rbac: k8s.RbacAuthorizationV1Api;

  constructor(readonly admin: k8s.KubeConfig, readonly namespace: string, private readonly log: (line: string) => void) {
    this.apps = admin.makeApiClient(k8s.AppsV1Api);
    this.core = admin.makeApiClient(k8s.CoreV1Api);
    this.custom = admin.makeApiClient(k8s.CustomObjectsApi);
    this.rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  }

  /** A fresh namespace: one left by an interrupted run is removed first. */
  async createNamespace(): Promise<void> {
    await this.deleteNamespace();
    await this.core.createNamespace({ body: { metadata: { name: this.namespace, labels: { 'app.kubernetes.io/part-of': 'plimsoll-bench' } } } });
  }

  /** Deletes the namespace and waits (up to `seconds`) until it is gone. */
  async deleteNamespace(seconds = 240): Promise<boolean> {
    try {
      await this.core.deleteNamespace({ name: this.namespace });
    } catch (err) {
      if (isStatus(err, 404)) return true;
      throw err;
    }
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      try {
        await this.core.readNamespace({ name: this.namespace });
      } catch (err) {
        if (isStatus(err, 404)) return true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return false;
  }

  /** The operator's ServiceAccount with the shipped ClusterRole; returns a kubeconfig file for it. */
  async operatorKubeconfig(): Promise<string> {
    const role = parseAllDocuments(readFileSync(join(REPO_ROOT, 'manifests', 'rbac', 'operator-clusterrole.yaml'), 'utf8'))
      .map((d) => d.toJS() as k8s.V1ClusterRole & { kind: string }).find((d) => d.kind === 'ClusterRole');
    if (!role) throw new BenchError('SETUP_FAILED', 'manifests/rbac/operator-clusterrole.yaml has no ClusterRole');
    try {
      await this.rbac.createClusterRole({ body: role });
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      await this.rbac.replaceClusterRole({ name: role.metadata!.name!, body: role });
    }
    const name = 'plimsoll-operator';
    await this.core.createNamespacedServiceAccount({ namespace: this.namespace, body: { metadata: { name } } });
    await this.rbac.createNamespacedRoleBinding({
      namespace: this.namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata!.name! },
        subjects: [{ kind: 'ServiceAccount', name, namespace: this.namespace }],
      },
    });
    const token = (await this.core.createNamespacedServiceAccountToken({
      name, namespace: this.namespace, body: { spec: { audiences: [], expirationSeconds: 4 * 3600 } },
    })).status?.token;
    if (!token) throw new BenchError('SETUP_FAILED', 'the API server returned no token for the operator ServiceAccount');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...this.admin.getCurrentCluster()!, name: 'c' }],
      users: [{ name: 'sa', token }],
      contexts: [{ name: 'sa', cluster: 'c', user: 'sa', namespace: this.namespace }],
      currentContext: 'sa',
    });
    const path = join(mkdtempSync(join(tmpdir(), 'plimsoll-bench-')), 'kubeconfig');
    writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
    return path;
  }

  async createDeployments(bodies: object[]): Promise<void> {
    await forEachLimit(bodies, 16, 'Deployments', async (body) => {
      await this.apps.createNamespacedDeployment({ namespace: this.namespace, body: body as k8s.V1Deployment });
    }, this.log);
  }

  async createCustomObjects(group: string, plural: string, what: string, bodies: object[]): Promise<void> {
    await forEachLimit(bodies, 8, what, async (body) => {
      await this.custom.createNamespacedCustomObject({ group, version: versionOf(body), plural, namespace: this.namespace, body });
    }, this.log);
  }

  /** Replicas per Deployment now. */
  async replicas(): Promise<Map<string, number>> {
    return new Map([...(await this.readiness())].map(([name, r]) => [name, r.replicas]));
  }

  /** Replicas and ready replicas per Deployment now. */
  async readiness(): Promise<Map<string, { replicas: number; ready: number }>> {
    const list = await this.apps.listNamespacedDeployment({ namespace: this.namespace });
    return new Map(list.items.map((d) => [d.metadata!.name!, { replicas: d.spec?.replicas ?? 0, ready: d.status?.readyReplicas ?? 0 }]));
  }

  /**
   * Removes the finalizers of every object of a kind (once its controller is stopped nobody else
   * will), so the namespace can go.
   */
  async stripFinalizers(group: string, version: string, plural: string): Promise<void> {
    let items: Array<{ metadata: { name: string; finalizers?: string[] } }>;
    try {
      items = ((await this.custom.listNamespacedCustomObject({ group, version, plural, namespace: this.namespace })) as { items: typeof items }).items;
    } catch (err) {
      if (isStatus(err, 404)) return;
      throw err;
    }
    const withFinalizers = items.filter((i) => (i.metadata.finalizers ?? []).length > 0);
    await forEachLimit(withFinalizers, 16, `${plural} finalizers removed`, async (item) => {
      await this.custom.patchNamespacedCustomObject(
        { group, version, plural, namespace: this.namespace, name: item.metadata.name, body: { metadata: { finalizers: null } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ).catch((err: unknown) => { if (!isStatus(err, 404)) throw err; });
    }, this.log);
  }
}

const versionOf = (body: object) => (body as { apiVersion: string }).apiVersion.split('/')[1]!;
