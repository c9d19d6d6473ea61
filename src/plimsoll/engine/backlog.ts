/**
 * Backlog objectives: scale by what a surge needs, once, rather than again at every poll.
 *
 * A backlog (requests in flight, a queue) is the leading signal of a surge: it grows the second
 * arrivals outrun the ready replicas, where a rate over a window and a scrape late still shows
 * the calm before. Its AverageValue recommendation (backlog ÷ target per replica) orders capacity
 * at once. But the backlog sits on the replicas that are ready, and it keeps growing until the
 * ordered ones are: read again before they are, it orders the same shortfall a second time
 * (2 → 6 → 12 in a herd that needs 6). So while replicas are starting, a Backlog objective asks
 * for no more than there are; the Load objectives (a rate, CPU) still scale on, and once the new
 * replicas serve, the backlog says whether they were enough. The HPA cannot do this: it does not
 * know which of its metrics lead and which replicas it asked for are still on their way.
 */
import type { Objective } from '../api/scaling-policy.js';

/**
 * The replicas a Backlog objective may recommend: `proposed`, unless replicas are starting
 * (ready known and below current) and it asks for more, then `current`. Load objectives, and any
 * objective when the ready count is unknown, keep their recommendation.
 */
export function backlogRecommendation(objective: Objective, proposed: number, currentReplicas: number, readyReplicas: number | undefined): number {
  if (objective.measures !== 'Backlog' || readyReplicas === undefined) return proposed;
  const starting = readyReplicas < currentReplicas;
  return starting && proposed > currentReplicas ? currentReplicas : proposed;
}
