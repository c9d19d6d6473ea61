/**
 * DEVELOPMENT HARNESS — not part of the product. A kubeconfig holding only a ServiceAccount
 * token from the TokenRequest API — what the kubelet projects into a pod — so a process outside
 * the cluster talks to the API server with that ServiceAccount's RBAC and nothing more.
 * Bound to the pod when one is given (the token dies with the pod, as a projected one does).
 */
import * as k8s from '@kubernetes/client-node';

export interface TokenOptions {
  namespace: string;
  serviceAccount: string;
  expirationSeconds: number;
  /** Bind the token to this pod (kubelet-style); it is rejected once the pod is gone. */
  pod?: { name: string; uid: string };
}

export async function requestToken(admin: k8s.KubeConfig, options: TokenOptions): Promise<string> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const response = await core.createNamespacedServiceAccountToken({
    name: options.serviceAccount,
    namespace: options.namespace,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: options.expirationSeconds,
        ...(options.pod ? { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: options.pod.name, uid: options.pod.uid } } : {}),
      },
    },
  });
  const token = response.status?.token;
  if (!token) throw new Error(`TokenRequest for ServiceAccount ${options.namespace}/${options.serviceAccount} returned no token`);
  return token;
}

/** The kubeconfig text: admin's cluster (server, CA), the token as the only credential. */
export function tokenKubeconfig(admin: k8s.KubeConfig, token: string, user: string, namespace: string): string {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'local' }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'local', user, namespace }],
    currentContext: user,
  });
  return kc.exportConfig();
}
