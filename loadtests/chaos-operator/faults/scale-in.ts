/**
 * Scale-in 8 → 2 with slow termination: the fleet pinned at 8 replicas (pool 7 each), then the
 * policy's bounds set to 2. Six pods leave, each process draining for the preStop sleep with its
 * pool open, while the operator wants to give the two that stay a pool of 31: the larger pool
 * may be published only once the leaving processes' connections are gone.
 */
import { pinReplicas, restoreStack, slowTermination } from './stack-changes.js';
import type { FaultCase } from './types.js';

export const scaleIn: FaultCase = {
  name: 'scale-in',
  title: 'scale-in 8 → 2 with slow termination',
  async prepare(ctx) {
    const { scaleFrom, terminationSeconds } = ctx.options;
    ctx.log(`slow termination: preStop ${terminationSeconds} s; pinning the fleet at ${scaleFrom} replicas`);
    await slowTermination(ctx, terminationSeconds);
    await pinReplicas(ctx, scaleFrom);
    await ctx.waitSettled(`${scaleFrom} replicas`, ctx.options.recoveryTimeoutSeconds + terminationSeconds * 2, (s) => (s.deployment?.replicas === scaleFrom ? [] : [`replicas ${s.deployment?.replicas}`]));
  },
  async inject(ctx) {
    ctx.mark(`bounds → ${ctx.options.scaleTo}`);
    await pinReplicas(ctx, ctx.options.scaleTo);
  },
  recovered(s, ctx) {
    const out: string[] = [];
    if (s.deployment?.replicas !== ctx.options.scaleTo) out.push(`replicas ${s.deployment?.replicas}`);
    // The larger pool published: the operator did what the scale-in was for.
    if (s.policy?.poolMax !== s.policy?.desiredPoolMax) out.push(`pool ${s.policy?.poolMax}, wanted ${s.policy?.desiredPoolMax}`);
    return out;
  },
  restore: (ctx) => restoreStack(ctx, { deployment: true }),
};
