/**
 * Fake nodes of the benchmark's own, for kwok to play the kubelet for: room for every pod of the
 * fleet (the cluster's three kwok nodes hold 110 pods each, and 500 Deployments at 2 replicas are
 * 1 000 pods), tainted so only the benchmark's pods land on them and the benchmark's pods only
 * there. Without them most of the fleet's pods stay Pending, and whenever other work frees a slot
 * a pod is scheduled, a Deployment's readyReplicas moves and the operator rightly reports it: a
 * steady-state write that is the cluster's doing, not the operator's. Removed at the end.
 */
import * as k8s from '@kubernetes/client-node';

export const BENCH_NODE_LABEL = 'plimsoll.dev/bench-node';
const NODES = 2;

export const benchNodeName = (i: number) => `plimsoll-bench-node-${i}`;

/** What a benchmark pod needs to run on them: the node selector and the toleration of their taint. */
export const benchPlacement = {
  nodeSelector: { [BENCH_NODE_LABEL]: 'true' },
  tolerations: [{ key: BENCH_NODE_LABEL, operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
};

export function benchNode(i: number, pods: number): k8s.V1Node {
  const resources = { cpu: '1000', memory: '4000Gi', pods: String(pods), 'ephemeral-storage': '1000Gi' };
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: benchNodeName(i),
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { type: 'kwok', [BENCH_NODE_LABEL]: 'true', 'kubernetes.io/hostname': benchNodeName(i), 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
    },
    spec: { taints: [{ key: BENCH_NODE_LABEL, value: 'true', effect: 'NoSchedule' }] },
    status: { allocatable: resources, capacity: resources },
  };
}

const isStatus = (err: unknown, code: number) => (err as { code?: number }).code === code;

/** Registers the nodes (room for `maxPods` pods in all) and waits until kwok reports them Ready. */
export async function ensureBenchNodes(admin: k8s.KubeConfig, maxPods: number, log: (line: string) => void): Promise<void> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const perNode = Math.ceil(maxPods / NODES);
  for (let i = 0; i < NODES; i++) {
    try {
      await core.deleteNode({ name: benchNodeName(i) }); // one left by an interrupted run, with another capacity
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    await core.createNode({ body: benchNode(i, perNode) });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = (await core.listNode({ labelSelector: `${BENCH_NODE_LABEL}=true` })).items
      .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= NODES) break;
    if (Date.now() > deadline) throw new Error(`the benchmark's fake nodes are not Ready after 60 s (is kwok running? .local/logs/kwok.log)`);
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`${NODES} fake nodes of the benchmark's own (${perNode} pods each, tainted ${BENCH_NODE_LABEL})`);
}

export async function removeBenchNodes(admin: k8s.KubeConfig): Promise<void> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  for (let i = 0; i < NODES; i++) {
    await core.deleteNode({ name: benchNodeName(i) }).catch((err: unknown) => { if (!isStatus(err, 404)) throw err; });
  }
}
