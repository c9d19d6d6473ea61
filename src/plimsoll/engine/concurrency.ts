/**
 * Worker concurrency per AI provider and replica. The ceiling is the provider's rate limit
 * split over replicas through Little's law (rate × latency in flight keeps the limit busy);
 * within it, the limit adapts with AIMD or Gradient2 to latency, 429s and errors.
 */
import type { Adaptive, Provider, ScalingPolicySpec } from '../api/scaling-policy.js';
import type { EngineMemory, ProviderDecision } from './types.js';

/** In-flight calls beyond rate × latency would only wait for the rate limiter; 20 % slack absorbs jitter. */
const RATE_HEADROOM = 1.2;

export interface ProviderSignals {
  latencySeconds?: number;
  throttledPerSecond?: number;
  errorRatio?: number;
  inFlight?: number;
}

function providerSignals(p: Provider, values: Map<string, number>): ProviderSignals {
  const get = (name: string | undefined) => (name === undefined ? undefined : values.get(name));
  return {
    latencySeconds: get(p.latencySignal),
    throttledPerSecond: get(p.throttledSignal),
    errorRatio: get(p.errorRatioSignal),
    inFlight: get(p.inFlightSignal),
  };
}

/**
 * Work-conserving admission: the jobs a provider's queue may hold are what it answers within the
 * deadline, less a fifth for the calls' own latency and the rate limiter's windows. A job beyond
 * it would expire waiting; it goes to a provider with room, or the local matcher answers it at
 * once. The providers stay busy at their limit, and no queue pressure ever has to stop them (the
 * service levels are for provider health, memory and the database).
 */
const ADMISSION_HEADROOM = 0.8;

/**
 * What a provider answers per second now, as a share of its rate limit (at most 1): the calls the
 * fleet may have in flight (concurrency × replicas) at the measured latency, less the share that
 * fails. Below 1 only in a brownout (slow replies with the concurrency at its bound, or errors).
 * Rounded to tenths, so a 1 % error rate is no brownout and latency jitter does not move the
 * admission limit (and the runtime document) at every poll; undefined without a latency reading
 * (the rate limit then).
 */
export function measuredThroughputShare(p: Provider, concurrencyPerReplica: number, replicas: number, s: ProviderSignals): number | undefined {
  if (s.latencySeconds === undefined || s.latencySeconds <= 0) return undefined;
  const rate = p.rateLimit.requests / p.rateLimit.periodSeconds;
  // Calls go out at most at the rate limit (the replicas' limiter); those the provider refuses
  // with 429 (its real limit below the policy's: it was cut) and the failed ones answer nothing.
  const sent = Math.min(rate, (concurrencyPerReplica * Math.max(1, replicas)) / s.latencySeconds);
  const accepted = Math.max(0, sent - (s.throttledPerSecond ?? 0));
  const answered = accepted * (1 - Math.min(1, Math.max(0, s.errorRatio ?? 0)));
  return Math.round((answered / rate) * 10) / 10;
}

export function admissionLimit(p: Provider, deadlineSeconds: number, throughputShare = 1): number {
  return Math.floor((p.rateLimit.requests / p.rateLimit.periodSeconds) * throughputShare * deadlineSeconds * ADMISSION_HEADROOM);
}

/** Calls in flight per replica that the provider's rate limit can keep busy. */
export function rateCeiling(p: Provider, replicas: number, latencySeconds: number | undefined): number | undefined {
  if (latencySeconds === undefined || latencySeconds <= 0) return undefined;
  const perSecond = p.rateLimit.requests / p.rateLimit.periodSeconds;
  return Math.max(1, Math.ceil((perSecond * latencySeconds * RATE_HEADROOM) / Math.max(1, replicas)));
}

function isDrop(s: ProviderSignals, adaptive: Adaptive): string | undefined {
  if (s.throttledPerSecond !== undefined && s.throttledPerSecond > 0) return `${s.throttledPerSecond.toFixed(2)} 429/s`;
  if (s.errorRatio !== undefined && s.errorRatio > adaptive.errorRatioThreshold) return `error ratio ${(s.errorRatio * 100).toFixed(1)}%`;
  if (s.latencySeconds !== undefined && s.latencySeconds > adaptive.latencyTargetSeconds) return `latency ${s.latencySeconds.toFixed(2)} s`;
  return undefined;
}

/** One adaptation step. Returns the new (unclamped) limit, the long-term latency and why. */
export function adapt(
  limit: number,
  longRttSeconds: number | undefined,
  s: ProviderSignals,
  adaptive: Adaptive,
): { limit: number; longRttSeconds: number | undefined; reason: string } {
  const drop = isDrop(s, adaptive);
  if (adaptive.algorithm === 'None') return { limit, longRttSeconds, reason: 'RateShare' };
  if (adaptive.algorithm === 'AIMD') {
    if (drop) return { limit: limit * adaptive.backoffRatio, longRttSeconds, reason: `AIMDDecrease: ${drop}` };
    const used = s.inFlight === undefined || s.inFlight >= limit / 2;
    return used ? { limit: limit + adaptive.increase, longRttSeconds, reason: 'AIMDIncrease' } : { limit, longRttSeconds, reason: 'AIMDHold: limit underused' };
  }
  // Gradient2 (Netflix concurrency-limits): follow long-term / recent latency.
  if (drop && s.latencySeconds === undefined) return { limit: limit * adaptive.backoffRatio, longRttSeconds, reason: `Gradient2Decrease: ${drop}` };
  if (s.latencySeconds === undefined) return { limit, longRttSeconds, reason: 'Gradient2Hold: no latency' };
  const alpha = 2 / (adaptive.longWindowPolls + 1);
  const long = longRttSeconds === undefined ? s.latencySeconds : longRttSeconds * (1 - alpha) + s.latencySeconds * alpha;
  const gradient = Math.min(1, Math.max(0.5, (adaptive.rttTolerance * long) / s.latencySeconds));
  const proposed = limit * gradient + Math.sqrt(limit);
  let next = limit * (1 - adaptive.smoothing) + proposed * adaptive.smoothing;
  if (drop && (s.throttledPerSecond ?? 0) > 0) next = Math.min(next, limit * adaptive.backoffRatio);
  return { limit: next, longRttSeconds: long, reason: `Gradient2: gradient ${gradient.toFixed(2)}` };
}

const ADAPTATION_TOLERANCE = 0.1;

/**
 * An adaptation step is due once per polling interval. The operator also decides between polls
 * (a Deployment changed, its own runtime write came back through the watch); stepping then would
 * apply one 429 reading several times, or grow the limit by +1 per event instead of per poll.
 */
function adaptationDue(before: EngineMemory['providers'][string] | undefined, now: number, intervalMs: number): boolean {
  // The next poll decides a little less than an interval after this step when this poll's reads
  // took longer than the next one's (the step is timed after the reads, polls are scheduled from
  // their start) or its timer fired early (100 ms of slack): it is still the poll. Without the
  // tolerance such a poll skipped its step, and AIMD stepped every other poll.
  return before === undefined || now - before.adaptedAt >= intervalMs * (1 - ADAPTATION_TOLERANCE);
}

/**
 * The dead band: an increase smaller than this is not worth a new runtime document. AIMD adds 1
 * per poll, so without it a busy policy would publish (a new generation, an Event, every replica
 * re-applying its queues) at every poll while the limit climbs. A fifth of the value in force,
 * at least 1: below 5 every step is a 20 % change or more, and is published.
 */
const DEAD_BAND_RATIO = 0.2;

export function deadBand(inForce: number): number {
  return Math.max(1, Math.ceil(inForce * DEAD_BAND_RATIO));
}

/**
 * The value to give, against the one in force (the published document's): a decrease is given at
 * once (it answers 429s, errors, slow replies or a smaller rate share, and must not wait); an
 * increase only once it reaches the dead band, or the bound the limit climbs to (then the limit
 * rests there, and so do the writes). Meanwhile the limit itself keeps adapting in memory.
 */
export function withDeadBand(value: number, inForce: number | undefined, min: number, upper: number): number {
  if (inForce === undefined || inForce < min || inForce > upper || value <= inForce) return value;
  return value - inForce >= deadBand(inForce) || value === upper ? value : inForce;
}

export function decideConcurrency(
  spec: ScalingPolicySpec,
  values: Map<string, number>,
  replicas: number,
  previous: EngineMemory['providers'],
  now: number,
  /** The concurrency per provider in the runtime document in force, when one was published. */
  inForce: Record<string, number> = {},
): { decisions: ProviderDecision[]; memory: EngineMemory['providers'] } {
  const decisions: ProviderDecision[] = [];
  const memory: EngineMemory['providers'] = {};
  for (const p of spec.queues?.providers ?? []) {
    const s = providerSignals(p, values);
    const { min, max } = p.concurrency;
    const ceiling = rateCeiling(p, replicas, s.latencySeconds);
    const upper = Math.max(min, Math.min(max, ceiling ?? max));
    const before = previous[p.name];
    const due = adaptationDue(before, now, spec.pollingIntervalSeconds * 1000);
    // Between steps the limit holds, but the ceiling still applies at once: it follows the
    // replica count, and a scale-out must not wait a poll to shrink each replica's share.
    const step = due
      ? adapt(before?.limit ?? upper, before?.longRttSeconds, s, spec.queues!.adaptive)
      : { limit: before!.limit, longRttSeconds: before!.longRttSeconds, reason: before!.reason };
    const limit = Math.min(Math.max(step.limit, min), upper);
    const adaptedAt = due ? now : before!.adaptedAt;
    memory[p.name] = step.longRttSeconds === undefined
      ? { limit, adaptedAt, reason: step.reason }
      : { limit, longRttSeconds: step.longRttSeconds, adaptedAt, reason: step.reason };
    const value = withDeadBand(Math.max(min, Math.min(upper, Math.floor(limit))), inForce[p.name], min, upper);
    // The bound the value sits at, the same between polls as at them (the step's own limit is not
    // known between polls): the upper bound first, so a rate share of exactly min reads RateLimit.
    const limitedBy = value === upper ? (ceiling !== undefined && ceiling < max ? 'RateLimit' : 'ConcurrencyMax') : value === min && limit <= min ? 'ConcurrencyMin' : undefined;
    const decision: ProviderDecision = {
      provider: p.name,
      value,
      reason: step.reason,
      rateLimit: { max: p.rateLimit.requests, durationMs: p.rateLimit.periodSeconds * 1000 },
      maxWaiting: admissionLimit(p, spec.queues!.deadlineSeconds, measuredThroughputShare(p, value, replicas, s)),
    };
    if (limitedBy) decision.limitedBy = limitedBy;
    decisions.push(decision);
  }
  return { decisions, memory };
}
