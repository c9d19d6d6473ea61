/**
 * The figures of one chaos case, from what was sampled while it ran. Pure: samples in, figures
 * out, so the unit tests pin exactly what "over budget", "recovered" and "double write" mean.
 *
 * - Connections: PgBouncer's clients of the matcher's database (every cl_* list of SHOW POOLS)
 *   against the pools' budget (maxConnections − reserved). Each sample over it is a violation.
 * - Recovery: the first moment after the fault from which the stack stayed settled (the policy
 *   Ready and propagated, the fleet at its replicas with no process left draining) for
 *   `holdSeconds`; the load's recovery is the same on its success rate.
 * - Double writes: rounds of operator scrapes, all processes read at one instant; a round in which
 *   two identities' non-lease write counters grew is a double write, and writes by a process that
 *   was not leader at either end of the round are stray writes.
 */
import type { ConnectionSample } from '../load/connections.js';

export interface Violation {
  /** Seconds since the case started. */
  t: number;
  clients: number;
  over: number;
}

export interface ConnectionFigures {
  budget: number;
  samples: number;
  failedSamples: number;
  peak: { clients: number; t: number } | null;
  peakServers: number;
  /** Every sample over the budget, in order. */
  violations: Violation[];
  secondsOverBudget: number;
  /** The largest Σ pool ceiling of the live replica processes seen (what they may open), or null when not sampled. */
  peakCommitted: { pools: number; processes: number; t: number } | null;
}

export interface CommittedSample {
  t: number;
  /** Σ runtime.poolMax over the live replica processes (draining ones included). */
  pools: number;
  processes: number;
}

export function connectionFigures(input: {
  samples: ConnectionSample[]; failedSamples: number; budget: number; intervalSeconds: number; committed?: CommittedSample[];
}): ConnectionFigures {
  const { samples, budget } = input;
  let peak: ConnectionFigures['peak'] = null;
  for (const s of samples) if (!peak || s.clients > peak.clients) peak = { clients: s.clients, t: s.t };
  const violations = samples.filter((s) => s.clients > budget).map((s) => ({ t: s.t, clients: s.clients, over: s.clients - budget }));
  let peakCommitted: ConnectionFigures['peakCommitted'] = null;
  for (const c of input.committed ?? []) if (!peakCommitted || c.pools > peakCommitted.pools) peakCommitted = { ...c };
  return {
    budget,
    samples: samples.length,
    failedSamples: input.failedSamples,
    peak,
    peakServers: samples.reduce((m, s) => Math.max(m, s.servers), 0),
    violations,
    secondsOverBudget: round(violations.length * input.intervalSeconds),
    peakCommitted,
  };
}

export interface HealthCheck {
  t: number;
  settled: boolean;
}

/**
 * Seconds from `faultAt` to the first settled check after which every check stayed settled for
 * `holdSeconds` (to the end of the checks if they end sooner but are all settled and at least
 * one hold long); null when that never happened.
 */
export function recoverySeconds(checks: HealthCheck[], faultAt: number, holdSeconds: number): number | null {
  const after = checks.filter((c) => c.t >= faultAt).sort((a, b) => a.t - b.t);
  let start: number | undefined;
  for (const c of after) {
    if (!c.settled) {
      start = undefined;
      continue;
    }
    start ??= c.t;
    if (c.t - start >= holdSeconds) return round(start - faultAt);
  }
  return null;
}

export interface Answer {
  /** When the answer (or failure) came, seconds since the case started. */
  t: number;
  ok: boolean;
}

export interface LoadFigures {
  answers: number;
  successRate: number | null;
  /** Success over the answers from the fault on. */
  successRateAfterFault: number | null;
  /** The worst success rate of a window after the fault. */
  worstWindow: { t: number; successRate: number } | null;
  /** Seconds from the fault to the end of the last window below the threshold (0: never below). */
  recoverySeconds: number | null;
}

/**
 * The load's success rate in consecutive windows of `windowSeconds` from the fault on. Recovered
 * at the start of the window after the last one below `threshold`; null when the last window
 * itself is below (it never recovered while the case ran). Windows without answers are skipped.
 */
export function loadFigures(answers: Answer[], faultAt: number, end: number, windowSeconds: number, threshold: number): LoadFigures {
  const rate = (xs: Answer[]) => (xs.length === 0 ? null : xs.filter((a) => a.ok).length / xs.length);
  const after = answers.filter((a) => a.t >= faultAt);
  let worst: LoadFigures['worstWindow'] = null;
  let lastBad: number | undefined;
  let lastWindow: { t: number; rate: number } | undefined;
  for (let w = faultAt; w < end; w += windowSeconds) {
    const r = rate(after.filter((a) => a.t >= w && a.t < w + windowSeconds));
    if (r === null) continue;
    lastWindow = { t: w, rate: r };
    if (!worst || r < worst.successRate) worst = { t: round(w - faultAt), successRate: r };
    if (r < threshold) lastBad = w;
  }
  let recovery: number | null = 0;
  if (lastBad !== undefined) recovery = lastWindow && lastWindow.t === lastBad ? null : round(lastBad + windowSeconds - faultAt);
  return { answers: answers.length, successRate: rate(answers), successRateAfterFault: rate(after), worstWindow: worst, recoverySeconds: recovery };
}

export interface ScrapeRound {
  t: number;
  /** Per live operator process: whether it reports itself leader, and its non-lease API writes so far. */
  processes: Record<string, { leader: boolean; writes: number }>;
}

export interface WriteFigures {
  /** Non-lease writes per identity over the case. */
  byIdentity: Record<string, number>;
  /** Rounds in which two or more identities wrote. */
  doubleWrites: Array<{ from: number; to: number; identities: string[] }>;
  /** Writes by a process that was leader at neither end of a round. */
  strayWrites: Array<{ from: number; to: number; identity: string; writes: number }>;
}

export function writeFigures(rounds: ScrapeRound[]): WriteFigures {
  const byIdentity: Record<string, number> = {};
  const doubleWrites: WriteFigures['doubleWrites'] = [];
  const strayWrites: WriteFigures['strayWrites'] = [];
  const sorted = [...rounds].sort((a, b) => a.t - b.t);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    const writers: string[] = [];
    for (const [identity, now] of Object.entries(cur.processes)) {
      // A process first seen in this round is counted from its first scrape on.
      const before = prev.processes[identity];
      if (!before) continue;
      const delta = now.writes - before.writes;
      if (delta <= 0) continue;
      byIdentity[identity] = (byIdentity[identity] ?? 0) + delta;
      writers.push(identity);
      if (!before.leader && !now.leader) strayWrites.push({ from: prev.t, to: cur.t, identity, writes: delta });
    }
    if (writers.length > 1) doubleWrites.push({ from: prev.t, to: cur.t, identities: writers.sort() });
  }
  return { byIdentity, doubleWrites, strayWrites };
}

export interface EventRecord {
  /** Seconds since the case started. */
  t: number;
  reason: string;
  reportingInstance: string;
}

/** Events per reporting instance, and those an identity wrote after it was killed (must be none). */
export function eventFigures(events: EventRecord[], killed: Array<{ identity: string; t: number }>): { byInstance: Record<string, number>; afterKill: EventRecord[] } {
  const byInstance: Record<string, number> = {};
  for (const e of events) byInstance[e.reportingInstance] = (byInstance[e.reportingInstance] ?? 0) + 1;
  const afterKill = events.filter((e) => killed.some((k) => k.identity === e.reportingInstance && e.t > k.t));
  return { byInstance, afterKill };
}

export function round(x: number): number {
  return Math.round(x * 10) / 10;
}
