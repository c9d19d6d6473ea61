/**
 * kill -9 of the leader mid-reconcile, `kills` times, the fleet pinned at 3 replicas. Each round
 * changes the policy's pool.max (16 ↔ 12: a runtime document to publish and have acknowledged,
 * and a status to write; no new pod, so a cluster whose nodes are full cannot stall it), waits a
 * random 0–400 ms — the leader is then reading signals or writing — and SIGKILLs the Lease
 * holder. The fleet starts a new process in its place (a follower). Per kill: whether the dead
 * leader had already published, the takeover (the Lease held by the other process) and the
 * recovery (the new pool in force and the stack settled), both from the kill.
 */
import { mulberry32 } from '../../../src/plimsoll/shared/random.js';
import { round } from '../report.js';
import { pinReplicas, restoreStack } from './stack-changes.js';
import type { CaseContext, FaultCase } from './types.js';

/** Pool ceilings 12 and 16 both bind at 3 replicas (the budget's share is 21). */
const REPLICAS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface KillRound {
  kill: number;
  at: number;
  killed: string;
  poolWanted: number;
  /** The policy's status already showed the new pool when the leader died. */
  publishedBeforeKill: boolean;
  takeoverSeconds: number | null;
  newLeader: string | null;
  recoverySeconds: number | null;
}

async function until<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(200);
  }
  return undefined;
}

async function oneKill(ctx: CaseContext, kill: number, random: () => number): Promise<KillRound> {
  const { cluster, fleet } = ctx;
  const holder = await until(60_000, async () => {
    const h = await cluster.leaseHolder();
    return h && fleet.identities().includes(h) ? h : undefined;
  });
  if (!holder) throw new Error('no process of the chaos fleet holds the Lease');
  await fleet.ready(60_000); // the follower that will take over is up
  const poolWanted = kill % 2 === 1 ? 12 : 16;
  await pinReplicas(ctx, REPLICAS, (doc) => { doc.spec.connectionBudget.pool.max = poolWanted; });
  await sleep(random() * 400);
  fleet.kill9(holder);
  const at = ctx.clock();
  ctx.killed.push({ identity: holder, t: at });
  ctx.mark(`kill ${kill}`);
  const publishedBeforeKill = (await cluster.policy())?.poolMax === poolWanted;
  const newLeader = await until(60_000, async () => {
    const h = await cluster.leaseHolder();
    return h && h !== holder ? h : undefined;
  });
  const takeoverSeconds = newLeader ? round(ctx.clock() - at) : null;
  let recoverySeconds: number | null = null;
  try {
    await ctx.waitSettled(`kill ${kill}: pool ${poolWanted}`, ctx.options.recoveryTimeoutSeconds, (s) => (s.policy?.poolMax === poolWanted ? [] : [`pool ${s.policy?.poolMax}`]));
    recoverySeconds = round(ctx.clock() - at);
  } catch (error) {
    ctx.log(`kill ${kill}: ${(error as Error).message}`);
  }
  ctx.log(`kill ${kill}/${ctx.options.kills}: ${holder} (${publishedBeforeKill ? 'had published' : 'before publishing'}), ${newLeader ?? 'nobody'} leads after ${takeoverSeconds ?? '—'} s, settled after ${recoverySeconds ?? '—'} s`);
  return { kill, at: round(at), killed: holder, poolWanted, publishedBeforeKill, takeoverSeconds, newLeader: newLeader ?? null, recoverySeconds };
}

export const leaderKill: FaultCase = {
  name: 'leader-kill',
  title: 'kill -9 of the leader mid-reconcile',
  async prepare(ctx) {
    await pinReplicas(ctx, REPLICAS);
    await ctx.waitSettled(`${REPLICAS} replicas`, ctx.options.recoveryTimeoutSeconds, (s) => (s.deployment?.replicas === REPLICAS ? [] : [`replicas ${s.deployment?.replicas}`]));
  },
  async inject(ctx) {
    const random = mulberry32(14);
    const rounds: KillRound[] = [];
    ctx.details.kills = rounds;
    for (let kill = 1; kill <= ctx.options.kills; kill++) rounds.push(await oneKill(ctx, kill, random));
  },
  restore: (ctx) => restoreStack(ctx, { deployment: false }),
};
