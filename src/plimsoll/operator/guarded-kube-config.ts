/**
 * A KubeConfig that sees every request made through it. client-node calls
 * `applySecurityAuthentication` right before each request of an API client is sent, and
 * `applyToFetchOptions` before each watch, so this is the one place that sees them all:
 * the operator counts its API traffic here (reads, writes, watches), the leader's write fence
 * refuses requests once the Lease may have passed to another operator, and leader election
 * gives its own Lease requests a deadline.
 */
import * as k8s from '@kubernetes/client-node';

export type RequestKind = 'read' | 'write' | 'watch';

export interface RequestGuard {
  /** Before a request is prepared: count it, or throw to refuse it. */
  before?(kind: RequestKind): void;
  /** Just before it is sent (not for watches): throw to refuse it, or a signal to abort it in flight. */
  signal?(): AbortSignal | undefined;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

class GuardedKubeConfig extends k8s.KubeConfig {
  constructor(private readonly guards: readonly RequestGuard[]) {
    super();
  }

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    const kind: RequestKind = READ_METHODS.has(String(context.getHttpMethod())) ? 'read' : 'write';
    for (const guard of this.guards) guard.before?.(kind);
    await super.applySecurityAuthentication(context);
    // Asked after the credentials are loaded, which can take long enough for the answer to change.
    const signals = this.guards.map((g) => g.signal?.()).filter((s): s is AbortSignal => s !== undefined);
    if (signals.length > 0) context.setSignal(signals.length === 1 ? signals[0]! : AbortSignal.any(signals));
  }

  override async applyToFetchOptions(options: Parameters<k8s.KubeConfig['applyToFetchOptions']>[0]): ReturnType<k8s.KubeConfig['applyToFetchOptions']> {
    for (const guard of this.guards) guard.before?.('watch');
    return super.applyToFetchOptions(options);
  }
}

export function guardedKubeConfig(source: k8s.KubeConfig, ...guards: RequestGuard[]): k8s.KubeConfig {
  const guarded = new GuardedKubeConfig(guards);
  guarded.loadFromOptions({
    clusters: source.getClusters(),
    users: source.getUsers(),
    contexts: source.getContexts(),
    currentContext: source.getCurrentContext(),
  });
  return guarded;
}
