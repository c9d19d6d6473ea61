/**
 * A rollout at the budget cap: the policy's pool.min raised to `capPoolMin` and its minimum to
 * 12, so the budget, not the bounds, caps the fleet (85 / 10 → 8 replicas at pool 10 = 80); then
 * the Deployment's pod template changes (`kubectl rollout restart`), with slow termination: each
 * old pod drains with its pool open while its replacement opens its own.
 */
import { pinReplicas, restoreStack, slowTermination } from './stack-changes.js';
import type { FaultCase } from './types.js';

export const rollout: FaultCase = {
  name: 'rollout',
  title: 'a rollout at the budget cap',
  async prepare(ctx) {
    const { capPoolMin, terminationSeconds } = ctx.options;
    ctx.log(`slow termination: preStop ${terminationSeconds} s; pool.min ${capPoolMin} and 12 replicas wanted, so the budget caps the fleet`);
    await slowTermination(ctx, terminationSeconds);
    await pinReplicas(ctx, 12, (doc) => { doc.spec.connectionBudget.pool.min = capPoolMin; });
    await ctx.waitSettled('the fleet at the budget cap', ctx.options.recoveryTimeoutSeconds + terminationSeconds * 2, (s) =>
      (s.policy?.conditions.BudgetConstrained?.status === 'True' ? [] : [`BudgetConstrained=${s.policy?.conditions.BudgetConstrained?.status}`]));
  },
  async inject(ctx) {
    ctx.mark('rollout restart');
    await ctx.cluster.kubectl.run(['rollout', 'restart', 'deployment/matcher']);
  },
  restore: (ctx) => restoreStack(ctx, { deployment: true }),
};
