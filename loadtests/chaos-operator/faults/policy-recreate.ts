/**
 * Policy re-creation: `kubectl delete` (the finalizer restores Full first) and the same policy
 * applied again, as Argo CD's Replace or a Helm reinstall do. The new policy is a new lineage
 * (its uid): its runtime documents start at generation 1 and the replicas must take them.
 */
import type { FaultCase } from './types.js';

let uidBefore: string | undefined;

export const policyRecreate: FaultCase = {
  name: 'policy-recreate',
  title: 'policy re-creation',
  async prepare(ctx) {
    uidBefore = (await ctx.cluster.policy())?.uid;
  },
  async inject(ctx) {
    ctx.mark('delete');
    await ctx.cluster.kubectl.run(['delete', 'scalingpolicy', 'matcher', '--wait=true', '--timeout=120s']);
    ctx.mark('apply');
    await ctx.cluster.applyStack(await ctx.cluster.stackPolicy());
  },
  recovered(s) {
    return s.policy && s.policy.uid !== uidBefore ? [] : ['the old policy'];
  },
  restore: async () => undefined,
};
