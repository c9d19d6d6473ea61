/**
 * The changes the cases make to the stack's objects, always from what `make up` applies and with
 * its field manager, so restoring is applying the original again.
 */
import type { PolicyDoc } from '../cluster.js';
import type { CaseContext } from './types.js';

/** The stack's policy with replicas.min = max = n (a scale the operator must make at once: the bounds clamp after the rate policies). */
export async function pinReplicas(ctx: CaseContext, n: number, change: (doc: PolicyDoc) => void = () => undefined): Promise<void> {
  await ctx.cluster.applyStack(await ctx.cluster.stackPolicy((doc) => {
    doc.spec.replicas.min = n;
    doc.spec.replicas.max = n;
    change(doc);
  }));
}

/**
 * Slow termination: a preStop sleep of `seconds` and a grace period of `seconds` + 30, so a pod
 * leaving keeps its process — and its pool's connections — for that long (a rollout of the
 * Deployment by itself).
 */
export async function slowTermination(ctx: CaseContext, seconds: number): Promise<void> {
  const d = await ctx.cluster.stackDeployment();
  d.spec.template.spec.terminationGracePeriodSeconds = seconds + 30;
  const matcher = d.spec.template.spec.containers.find((c) => c.name === 'matcher');
  if (!matcher?.lifecycle?.preStop?.sleep) throw new Error('the stack\'s matcher container has no preStop sleep to lengthen');
  matcher.lifecycle.preStop.sleep.seconds = seconds;
  await ctx.cluster.applyStack(d);
}

/** The Deployment and the policy as `make up` applies them, the fleet first brought to the policy's minimum at once. */
export async function restoreStack(ctx: CaseContext, options: { deployment: boolean }): Promise<void> {
  if (options.deployment) await ctx.cluster.applyStack(await ctx.cluster.stackDeployment());
  const original = await ctx.cluster.stackPolicy();
  // Scale-in would otherwise wait for the 300 s stabilization window: pin to the minimum, then let go.
  await pinReplicas(ctx, original.spec.replicas.min);
  await ctx.waitSettled(`the fleet back at ${original.spec.replicas.min} replicas`, ctx.options.recoveryTimeoutSeconds, (s) =>
    s.deployment?.replicas === original.spec.replicas.min ? [] : [`replicas ${s.deployment?.replicas}`]);
  await ctx.cluster.applyStack(original);
}
