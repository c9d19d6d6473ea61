/**
 * What the chaos cases read and change on the local stack: the policy, the Deployment, the
 * leader Lease and the Events through the API (admin credentials, client-node: cheap enough to
 * poll several times a second), the replica runner's processes and the pool each one runs
 * (its /health/details), and the writes through kubectl with the stack's field manager, so a
 * later `make up` applies over them without conflicts.
 */
import * as k8s from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { Kubectl, runCommand } from '../compare/kube.js';

export const NAMESPACE = 'default';
export const POLICY = 'matcher';
const LEASE = { name: 'plimsoll-operator', namespace: 'plimsoll-system' };

interface Condition { type: string; status: string; reason?: string; message?: string }

export interface PolicyState {
  uid: string;
  generation: number;
  observedGeneration: number | null;
  conditions: Record<string, Condition>;
  replicas: number | null;
  poolMax: number | null;
  desiredPoolMax: number | null;
  runtimeGeneration: number | null;
  /** The signals read fresh at the last reconcile. */
  freshSignals: string[];
}

export interface DeploymentState {
  generation: number;
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  statusReplicas: number;
}

export interface RunnerReplica { pod: string; address: string; phase: string; ready: boolean }

export interface StackState {
  policy: PolicyState | null;
  deployment: DeploymentState | null;
  processes: RunnerReplica[];
}

export class Cluster {
  readonly kubectl: Kubectl;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly apps: k8s.AppsV1Api;
  private readonly coordination: k8s.CoordinationV1Api;
  private readonly events: k8s.EventsV1Api;

  constructor(readonly o: { root: string; kubeconfig: string; runnerStatusUrl: string; policyFile: string }) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(o.kubeconfig);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    this.events = kc.makeApiClient(k8s.EventsV1Api);
    this.kubectl = new Kubectl(o.kubeconfig, NAMESPACE);
  }

  async policy(): Promise<PolicyState | null> {
    let obj: { metadata: { uid: string; generation: number }; status?: Record<string, unknown> };
    try {
      obj = await this.custom.getNamespacedCustomObject({ group: 'plimsoll.dev', version: 'v1alpha1', namespace: NAMESPACE, plural: 'scalingpolicies', name: POLICY }) as typeof obj;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return null;
      throw error;
    }
    const status = (obj.status ?? {}) as {
      observedGeneration?: number; conditions?: Condition[];
      current?: { replicas?: number; poolMax?: number; runtimeGeneration?: number };
      desired?: { poolMax?: { value?: number } };
      signals?: Array<{ name: string; state?: string }>;
    };
    return {
      uid: obj.metadata.uid,
      generation: obj.metadata.generation,
      observedGeneration: status.observedGeneration ?? null,
      conditions: Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c])),
      replicas: status.current?.replicas ?? null,
      poolMax: status.current?.poolMax ?? null,
      desiredPoolMax: status.desired?.poolMax?.value ?? null,
      runtimeGeneration: status.current?.runtimeGeneration ?? null,
      freshSignals: (status.signals ?? []).filter((x) => x.state === 'Fresh').map((x) => x.name),
    };
  }

  async deployment(): Promise<DeploymentState | null> {
    try {
      const d = await this.apps.readNamespacedDeployment({ name: 'matcher', namespace: NAMESPACE });
      return {
        generation: d.metadata?.generation ?? 0, observedGeneration: d.status?.observedGeneration ?? 0,
        replicas: d.spec?.replicas ?? 0, readyReplicas: d.status?.readyReplicas ?? 0,
        updatedReplicas: d.status?.updatedReplicas ?? 0, statusReplicas: d.status?.replicas ?? 0,
      };
    } catch (error) {
      if ((error as { code?: number }).code === 404) return null;
      throw error;
    }
  }

  async leaseHolder(): Promise<string | null> {
    const lease = await this.coordination.readNamespacedLease(LEASE);
    return lease.spec?.holderIdentity || null;
  }

  /** The replica runner's processes (GET /status): draining ones are in phase Stopping. */
  async processes(): Promise<RunnerReplica[]> {
    const res = await fetch(this.o.runnerStatusUrl, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`the replica runner's ${this.o.runnerStatusUrl} answered HTTP ${res.status}`);
    return ((await res.json()) as { replicas: RunnerReplica[] }).replicas;
  }

  async state(): Promise<StackState> {
    const [policy, deployment, processes] = await Promise.all([this.policy(), this.deployment(), this.processes()]);
    return { policy, deployment, processes };
  }

  /**
   * The pool ceiling each live replica process runs, from its /health/details (`runtime.poolMax`;
   * pod IPs inside the pod network namespace, reached through its route). A process that does not
   * answer counts at the largest pool any other reported: what it may still hold.
   */
  async committedPools(processes: RunnerReplica[]): Promise<{ pools: number; processes: number }> {
    const live = processes.filter((p) => p.phase === 'Running' || p.phase === 'Stopping');
    const pools = await Promise.all(live.map(async (p) => {
      try {
        const res = await fetch(`http://${p.address}/health/details`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { runtime?: { poolMax?: number } };
        return typeof body.runtime?.poolMax === 'number' ? body.runtime.poolMax : undefined;
      } catch {
        return undefined;
      }
    }));
    const known = pools.filter((x): x is number => x !== undefined);
    // None answered (a busy moment): no figure, rather than a 0 that looks like a fleet without pools.
    if (live.length > 0 && known.length === 0) throw new Error(`none of the ${live.length} replica processes answered /health/details`);
    const fallback = Math.max(0, ...known);
    return { pools: pools.reduce<number>((s, x) => s + (x ?? fallback), 0), processes: live.length };
  }

  /** The policy's Events since `sinceMs` (epoch), with who reported them. */
  async policyEvents(sinceMs: number): Promise<Array<{ at: number; reason: string; reportingInstance: string }>> {
    const list = await this.events.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: `regarding.name=${POLICY}` });
    return list.items
      .map((e) => ({ at: new Date(e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime(), reason: e.reason ?? '', reportingInstance: e.reportingInstance ?? '' }))
      .filter((e) => e.at >= sinceMs);
  }

  /** The stack's policy (.local/stack/policy.yaml) with `change` applied to its parsed document. */
  async stackPolicy(change: (doc: PolicyDoc) => void = () => undefined): Promise<PolicyDoc> {
    const doc = parse(await readFile(this.o.policyFile, 'utf8')) as PolicyDoc;
    change(doc);
    return doc;
  }

  /** Server-side apply with the stack's field manager: what `make up` applies, changed. */
  async applyStack(doc: object): Promise<void> {
    await this.kubectl.run(['apply', '--server-side', '--field-manager=plimsoll-stack', '-f', '-'], { input: JSON.stringify(doc) });
  }

  /** The matcher Deployment as `make up` applies it (kustomize of the stack's overlay). */
  async stackDeployment(): Promise<DeploymentDoc> {
    const out = await runCommand('kubectl', ['kustomize', `${this.o.root}/tools/stack/kustomize/matcher`]);
    if (out.code !== 0) throw new Error(`kubectl kustomize failed: ${out.stderr.trim()}`);
    const docs = out.stdout.split(/^---$/m).map((d) => parse(d) as { kind?: string }).filter(Boolean);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    if (!deployment) throw new Error('the stack overlay has no Deployment');
    return deployment as DeploymentDoc;
  }
}

export interface PolicyDoc {
  metadata: { name: string; namespace?: string };
  spec: { replicas: { min: number; max: number }; connectionBudget: { maxConnections: number; reserved: number; pool: { min: number; max: number } } };
}

export interface DeploymentDoc {
  spec: { template: { spec: { terminationGracePeriodSeconds?: number; containers: Array<{ name: string; lifecycle?: { preStop?: { sleep?: { seconds: number } } } }> } } };
}

/** Settled: the policy Ready, observed and propagated; the Deployment rolled out; one ready process per replica, none draining. */
export function settledProblems(s: StackState): string[] {
  const out: string[] = [];
  const p = s.policy;
  if (!p) out.push('no policy');
  else {
    if (p.observedGeneration !== p.generation) out.push(`policy observedGeneration ${p.observedGeneration} ≠ ${p.generation}`);
    for (const type of ['Ready', 'Propagated']) if (p.conditions[type]?.status !== 'True') out.push(`${type}=${p.conditions[type]?.status ?? 'absent'} ${p.conditions[type]?.reason ?? ''}`.trim());
  }
  const d = s.deployment;
  if (!d) out.push('no Deployment');
  else {
    if (d.observedGeneration !== d.generation) out.push('Deployment not observed');
    if (d.updatedReplicas !== d.replicas || d.readyReplicas !== d.replicas || d.statusReplicas !== d.replicas) out.push(`Deployment ${d.readyReplicas}/${d.replicas} ready, ${d.updatedReplicas} updated, ${d.statusReplicas} pods`);
    const running = s.processes.filter((r) => r.phase === 'Running' && r.ready).length;
    if (running !== d.replicas || s.processes.length !== d.replicas) out.push(`${running} ready processes of ${s.processes.length} (${s.processes.filter((r) => r.phase === 'Stopping').length} draining), want ${d.replicas}`);
  }
  return out;
}
