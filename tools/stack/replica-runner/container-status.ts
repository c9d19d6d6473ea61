/**
 * DEVELOPMENT HARNESS — not part of the product. What the kubelet reports when a container ends
 * and is restarted, written to the pod's status subresource, so `kubectl get pods` shows
 * RESTARTS and `kubectl describe pod` shows "Last State: Terminated, Reason: OOMKilled":
 *
 *   the process ends     ──▶ containerStatuses[c].restartCount + 1
 *                            containerStatuses[c].lastState.terminated {reason, exitCode, signal, startedAt, finishedAt}
 *                            containerStatuses[c].state.waiting {reason: CrashLoopBackOff}
 *   it runs again        ──▶ containerStatuses[c].state.running {startedAt}
 *
 *   the readiness probe  ──▶ containerStatuses[c].ready, conditions ContainersReady and Ready
 *
 * kwok, which plays the kubelet for these pods, writes their status once (its pod-ready stage
 * selects only pods without a podIP), Ready at once, and leaves it alone afterwards. So readiness
 * is the runner's, from its probe of the process, as the kubelet's readinessProbe would set it:
 * the EndpointSlice controller then lists a pod as ready only once its process answers, and
 * whoever reads ready endpoints (the operator's health signals) never reads a process that is
 * still starting or has died. Read, modify, write with the resourceVersion: a conflict reads again.
 */
import { constants } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import type { Exit } from './replica-process.js';

export interface Termination {
  /** The kubelet's reasons: OOMKilled, Error (non-zero exit or a signal), Completed (exit 0). */
  reason: 'OOMKilled' | 'Error' | 'Completed' | 'ContainerStatusUnknown';
  exitCode: number;
  signal?: number;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

/** A process exit as the kubelet reports a container's: a signal is exit code 128 + its number; an OOM kill is 137. */
export function termination(exit: Exit, startedAt: string): Termination {
  const base = { startedAt, finishedAt: exit.finishedAt };
  const signal = exit.signal ? constants.signals[exit.signal as NodeJS.Signals] : undefined;
  if (exit.oomKilled) return { ...base, reason: 'OOMKilled', exitCode: 128 + constants.signals.SIGKILL, signal: constants.signals.SIGKILL };
  if (exit.code !== null) return { ...base, reason: exit.code === 0 ? 'Completed' : 'Error', exitCode: exit.code };
  if (signal !== undefined) return { ...base, reason: 'Error', exitCode: 128 + signal, signal };
  // A process adopted from a previous runner: not our child, so its exit status is not ours to read.
  return { ...base, reason: 'ContainerStatusUnknown', exitCode: 137, message: 'the process was adopted from a previous replica runner; its exit status is unknown' };
}

type Change = (status: k8s.V1ContainerStatus) => void;

/** The container ended: restartCount + 1, lastState.terminated, waiting in back-off. */
export function recordTermination(core: k8s.CoreV1Api, where: { namespace: string; pod: string; container: string }, t: Termination): Promise<void> {
  return updateContainerStatus(core, where, (s) => {
    s.restartCount = (s.restartCount ?? 0) + 1;
    s.lastState = { terminated: { ...t, startedAt: new Date(t.startedAt), finishedAt: new Date(t.finishedAt) } };
    s.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container=${where.container} pod=${where.pod}` } };
  });
}

/** The container runs again. */
export function recordRunning(core: k8s.CoreV1Api, where: { namespace: string; pod: string; container: string }, startedAt: string): Promise<void> {
  return updateContainerStatus(core, where, (s) => {
    s.state = { running: { startedAt: new Date(startedAt) } };
  });
}

/**
 * The readiness probe's verdict: the container's `ready`, and the pod's ContainersReady and Ready
 * conditions (one container per pod here), each with a transition time when it changes.
 */
export function recordReadiness(core: k8s.CoreV1Api, where: { namespace: string; pod: string; container: string }, ready: boolean): Promise<void> {
  return updateContainerStatus(core, where, (s) => {
    s.ready = ready;
  }, (conditions) => {
    const status = ready ? 'True' : 'False';
    for (const type of ['ContainersReady', 'Ready']) {
      let c = conditions.find((x) => x.type === type);
      if (!c) {
        c = { type, status };
        conditions.push(c);
      }
      if (c.status !== status) c.lastTransitionTime = new Date();
      c.status = status;
      if (ready) {
        delete c.reason;
        delete c.message;
      } else {
        c.reason = 'ContainersNotReady';
        c.message = `containers with unready status: [${where.container}]`;
      }
    }
  });
}

async function updateContainerStatus(core: k8s.CoreV1Api, where: { namespace: string; pod: string; container: string }, change: Change, changeConditions?: (conditions: k8s.V1PodCondition[]) => void): Promise<void> {
  const { namespace, pod: name, container } = where;
  for (let attempt = 1; ; attempt++) {
    let pod: k8s.V1Pod;
    try {
      pod = await core.readNamespacedPodStatus({ name, namespace });
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw err;
    }
    const statuses = pod.status?.containerStatuses ?? [];
    let status = statuses.find((s) => s.name === container);
    if (!status) {
      const image = pod.spec?.containers.find((c) => c.name === container)?.image ?? '';
      status = { name: container, image, imageID: '', ready: false, restartCount: 0 };
      statuses.push(status);
    }
    change(status);
    const conditions = pod.status?.conditions ?? [];
    changeConditions?.(conditions);
    try {
      // A merge patch replaces a list whole: every other container's status and every other condition go back unchanged.
      await core.patchNamespacedPodStatus({ name, namespace, body: { metadata: { resourceVersion: pod.metadata?.resourceVersion }, status: { containerStatuses: statuses, ...(changeConditions ? { conditions } : {}) } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      return;
    } catch (err) {
      const code = statusCode(err);
      if (code === 404) return;
      if (code !== 409 || attempt >= 5) throw new Error(`cannot update the status of container ${container} of pod ${namespace}/${name}: ${(err as Error).message}`);
    }
  }
}

function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}
