/**
 * The engine's memory as kept in status.memory, so that a new leader resumes where the old one
 * stopped: the stabilization windows, the rate policies' scale events, the level's dwell and
 * the adaptive concurrency. Pure conversions (times become RFC 3339 and back).
 *
 * Compact: of the recommendations only those that can still decide a window are kept. An
 * entry is dropped when a later one is at least as high (it can no longer be the maximum of a
 * scale-down window) and a later one is at least as low (nor the minimum of a scale-up window);
 * both windows then compute exactly what they would over the whole history.
 *
 * Cheap to keep: the last recommendation's time moves at every poll, which alone is no reason to
 * write status (steady state makes no writes). On restore the last recommendation therefore
 * counts as made until the takeover: the old leader kept making it until its last poll, and the
 * takeover is later, so a window is held a little longer, never shorter.
 */
import { MEMORY_VERSION, type PersistedMemory } from '../api/scaling-policy.js';
import { deadBand } from './concurrency.js';
import type { EngineMemory } from './types.js';

export const MAX_PERSISTED_RECOMMENDATIONS = 64;
export const MAX_PERSISTED_SCALE_EVENTS = 64;

const iso = (ms: number) => new Date(ms).toISOString();

/** The recommendations that can still be a window's maximum or minimum, oldest first. */
export function compactRecommendations(history: EngineMemory['recommendations']): EngineMemory['recommendations'] {
  const sorted = [...history].sort((a, b) => a.at - b.at);
  const kept: EngineMemory['recommendations'] = [];
  let laterMax = Number.NEGATIVE_INFINITY;
  let laterMin = Number.POSITIVE_INFINITY;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const r = sorted[i]!;
    if (r.replicas > laterMax || r.replicas < laterMin) kept.push(r);
    laterMax = Math.max(laterMax, r.replicas);
    laterMin = Math.min(laterMin, r.replicas);
  }
  // Past the cap the oldest go: they leave their windows first.
  return kept.reverse().slice(-MAX_PERSISTED_RECOMMENDATIONS);
}

export function persistMemory(memory: EngineMemory, lineage: string): PersistedMemory {
  return {
    version: MEMORY_VERSION,
    lineage,
    recommendations: compactRecommendations(memory.recommendations).map((r) => ({ time: iso(r.at), replicas: r.replicas })),
    scaleEvents: memory.scaleEvents.slice(-MAX_PERSISTED_SCALE_EVENTS).map((e) => ({ time: iso(e.at), change: e.change })),
    level: { value: memory.level.value, since: iso(memory.level.since) },
    providers: Object.entries(memory.providers).map(([name, p]) => ({
      name, limit: p.limit, adaptedAt: iso(p.adaptedAt), ...(p.longRttSeconds === undefined ? {} : { longRttSeconds: p.longRttSeconds }),
    })),
  };
}

/**
 * What makes a difference to a later decision: every recommendation but the last one's time
 * (see above), the scale events, the level and each provider's limit beyond the dead band of
 * concurrency.ts (the band the runtime document itself moves by). A memory
 * that differs only in the rest (Gradient2's drifting long-term latency, when a limit stepped)
 * is not worth a status write of its own; it is refreshed with the next write. Nor is one whose
 * recommendations or scale events only aged out of their windows (dropped from the front): a
 * restored memory ignores entries that old anyway, and steady state must cost no writes.
 */
export function sameMaterialMemory(a: PersistedMemory | undefined, b: PersistedMemory): boolean {
  if (!a) return false;
  // Field by field: a memory read back from the API server may list an object's keys in another order.
  const material = (m: PersistedMemory) => ({
    fixed: JSON.stringify([m.version, m.lineage, [m.level.value, m.level.since], m.providers.map((p) => p.name)]),
    limits: m.providers.map((p) => Math.floor(p.limit)),
    recommendations: m.recommendations.map((r, i) => JSON.stringify(i === m.recommendations.length - 1 ? [r.replicas] : [r.replicas, r.time])),
    scaleEvents: m.scaleEvents.map((e) => JSON.stringify([e.time, e.change])),
  });
  const before = material(a);
  const after = material(b);
  // A limit that moved less than the dead band (AIMD's +1 per poll) is not worth a write: a new
  // leader resuming from a slightly lower limit climbs back within a few polls.
  const limitsClose = before.limits.every((limit, i) => Math.abs(limit - after.limits[i]!) < deadBand(limit));
  return before.fixed === after.fixed && limitsClose && agedOnly(before.recommendations, after.recommendations) && agedOnly(before.scaleEvents, after.scaleEvents);
}

/** `after` is `before` less some of its oldest entries. */
function agedOnly(before: string[], after: string[]): boolean {
  const dropped = before.length - after.length;
  return dropped >= 0 && after.every((entry, i) => entry === before[dropped + i]);
}

/**
 * The memory to resume from, or undefined when status holds none this policy can use: another
 * layout version, or another lineage (the memory of a deleted policy of the same name).
 * Entries whose time does not parse are dropped.
 */
export function restoreMemory(persisted: PersistedMemory | undefined, lineage: string, now: number): Omit<EngineMemory, 'lastScaleTime'> | undefined {
  if (!persisted || persisted.version !== MEMORY_VERSION || persisted.lineage !== lineage) return undefined;
  const at = (time: string) => Date.parse(time);
  const recommendations = persisted.recommendations.map((r) => ({ at: at(r.time), replicas: r.replicas })).filter((r) => Number.isFinite(r.at));
  const last = recommendations.at(-1);
  if (last && last.at < now) last.at = now;
  const since = at(persisted.level.since);
  return {
    recommendations,
    scaleEvents: persisted.scaleEvents.map((e) => ({ at: at(e.time), change: e.change })).filter((e) => Number.isFinite(e.at)),
    level: { value: persisted.level.value, since: Number.isFinite(since) ? since : now },
    providers: Object.fromEntries(persisted.providers.flatMap((p) => {
      const adaptedAt = at(p.adaptedAt);
      if (!Number.isFinite(adaptedAt)) return [];
      return [[p.name, { limit: p.limit, adaptedAt, reason: 'Restored', ...(p.longRttSeconds === undefined ? {} : { longRttSeconds: p.longRttSeconds }) }]];
    })),
  };
}
