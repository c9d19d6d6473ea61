/**
 * A KubeConfig whose every request first asks a guard for permission and an AbortSignal.
 * client-node calls `applySecurityAuthentication` right before each request is sent, so this
 * is the one place that sees every request of every API client made from the config: the
 * leader's write fence refuses requests there once the Lease may have passed to another
 * operator, and leader election gives its own Lease requests a deadline.
 */
import * as k8s from '@kubernetes/client-node';

/** Throws to refuse the request; returns the signal that aborts it while in flight. */
export type RequestGuard = () => AbortSignal;

class GuardedKubeConfig extends k8s.KubeConfig {
  constructor(private readonly guard: RequestGuard) {
    super();
  }

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    this.guard();
    await super.applySecurityAuthentication(context);
    // Asked again: loading credentials can take long enough for the answer to change.
    context.setSignal(this.guard());
  }
}

export function guardedKubeConfig(source: k8s.KubeConfig, guard: RequestGuard): k8s.KubeConfig {
  const guarded = new GuardedKubeConfig(guard);
  guarded.loadFromOptions({
    clusters: source.getClusters(),
    users: source.getUsers(),
    contexts: source.getContexts(),
    currentContext: source.getCurrentContext(),
  });
  return guarded;
}
