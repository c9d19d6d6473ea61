/**
 * A fluid, one-second-step model of the matcher deployment: replicas with one core each, their
 * database pools behind PgBouncer, provider queues with real rate limits and circuit breakers,
 * memory, and the per-replica service level. Counts are fractional (request rates, not
 * individual requests); latencies are per request class per second. Controllers only turn the
 * knobs in `Knobs`; everything else is the same model for every controller.
 */
import { levelRank, moreDegraded, type ServiceLevel } from '../contract/service-levels.js';
import type { MatcherModelParams } from './model-params.js';
import type { ScenarioEvent } from './scenario.js';

export interface Knobs {
  replicas: number;
  poolMax: number;
  concurrency: Record<string, number>;
  clusterLevel: ServiceLevel;
  /** Plimsoll publishes each provider's limit as a queue-wide limiter (BullMQ's global rate limit). */
  globalRateLimit: boolean;
}

interface Replica {
  id: number;
  readyAt: number;
  level: ServiceLevel;
  cpuBacklogMs: number;
  poolBacklog: number;
  heapMb: number;
  cpuUtilization: number;
}

interface Bucket {
  at: number;
  n: number;
}

interface ProviderState {
  queue: Bucket[];
  breakerOpenUntil: number;
  inFlight: number;
  throttledPerSecond: number;
  completedLatency?: number;
}

/** What one second produced: outcomes and the metrics a controller may observe. */
export interface Tick {
  t: number;
  arrivals: number;
  succeeded: number;
  failed: number;
  shed: number;
  /** (latency seconds, request count) per served request class. */
  latencies: Array<[number, number]>;
  analysisLatencies: Array<[number, number]>;
  replicas: number;
  readyReplicas: number;
  poolMax: number;
  /** Sum over running replicas of their pools: what the budget must cover. */
  poolTotal: number;
  concurrency: Record<string, number>;
  levelRank: number;
  levelChanges: number;
  oomKills: number;
  metrics: ModelMetrics;
}

export interface ModelMetrics {
  requestRate: number;
  cpuUtilization: number;
  queueWaiting: number;
  healthyProviders: number;
  heapUsedBytes: number;
  databaseHealthy: number;
  pgbouncerWaiting: number;
  pgbouncerMaxWaitSeconds: number;
  providerLatencySeconds: Record<string, number | undefined>;
  providerThrottledPerSecond: Record<string, number>;
  providerInFlight: Record<string, number>;
}

const sum = (xs: Iterable<number>) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};

export class MatcherModel {
  private readonly replicas: Replica[] = [];
  private readonly providers = new Map<string, ProviderState>();
  private nextId = 0;
  private pgbBacklog = 0;

  constructor(
    private readonly params: MatcherModelParams,
    private readonly events: ScenarioEvent[],
    private readonly load: { analysisShare: number; cacheHitRatio: number },
    initialReplicas: number,
  ) {
    for (let i = 0; i < initialReplicas; i++) this.replicas.push(this.newReplica(-Infinity));
    for (const name of Object.keys(params.providers)) {
      this.providers.set(name, { queue: [], breakerOpenUntil: -Infinity, inFlight: 0, throttledPerSecond: 0 });
    }
  }

  private newReplica(readyAt: number): Replica {
    return { id: this.nextId++, readyAt, level: 'Full', cpuBacklogMs: 0, poolBacklog: 0, heapMb: this.params.heapBaseMb, cpuUtilization: 0 };
  }

  private active<T extends ScenarioEvent['type']>(type: T, t: number): Array<Extract<ScenarioEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<ScenarioEvent, { type: T }> => e.type === type && t >= e.at && t < e.at + e.durationSeconds);
  }

  /** Scale the replica set: new replicas start now and serve after the start-up delay. */
  private scaleTo(replicas: number, t: number): void {
    while (this.replicas.length < replicas) this.replicas.push(this.newReplica(t + this.params.startupDelaySeconds));
    // The Deployment controller removes not-yet-ready pods first, then the newest.
    this.replicas.sort((a, b) => a.readyAt - b.readyAt || a.id - b.id);
    while (this.replicas.length > replicas) this.replicas.pop();
  }

  /** Per-replica levels for baselines that degrade each replica on its own. */
  setReplicaLevels(decide: (replicaIndex: number, replica: { heapMb: number }) => ServiceLevel | undefined): number {
    let changes = 0;
    this.replicas.forEach((r, i) => {
      const level = decide(i, r);
      if (level !== undefined && level !== r.level) {
        r.level = level;
        changes++;
      }
    });
    return changes;
  }

  private providerLatency(name: string, t: number): { latency: number; errorRatio: number; down: boolean } {
    const base = this.params.providers[name]!.latencySeconds;
    if (this.active('providerOutage', t).some((e) => e.provider === name)) {
      return { latency: this.params.providerTimeoutSeconds, errorRatio: 1, down: true };
    }
    const brownout = this.active('providerBrownout', t).find((e) => e.provider === name);
    if (brownout) return { latency: Math.min(base * brownout.latencyFactor, this.params.providerTimeoutSeconds), errorRatio: brownout.errorRatio, down: false };
    return { latency: base, errorRatio: 0, down: false };
  }

  private healthyProviders(t: number): string[] {
    return [...this.providers.entries()].filter(([, s]) => s.breakerOpenUntil <= t).map(([name]) => name);
  }

  step(t: number, arrivals: number, knobs: Knobs): Tick {
    const p = this.params;
    this.scaleTo(knobs.replicas, t);
    const ready = this.replicas.filter((r) => r.readyAt <= t);
    const tick: Tick = {
      t, arrivals, succeeded: 0, failed: 0, shed: 0, latencies: [], analysisLatencies: [],
      replicas: this.replicas.length, readyReplicas: ready.length, poolMax: knobs.poolMax,
      poolTotal: this.replicas.length * knobs.poolMax, concurrency: { ...knobs.concurrency },
      levelRank: 0, levelChanges: 0, oomKills: 0,
      metrics: undefined as unknown as ModelMetrics,
    };

    const slowdown = this.active('databaseSlowdown', t).reduce((f, e) => Math.max(f, e.factor), 1);
    const queryS = (p.queryMs * slowdown) / 1000;
    const healthy = this.healthyProviders(t);
    const fastest = [...healthy].sort((a, b) => this.providerLatency(a, t).latency - this.providerLatency(b, t).latency)[0];

    // ---- Provider queues: service, 429s, errors, breakers, deadlines ----------------------
    let completions = 0;
    let localFallbackJobs = 0;
    const throttled: Record<string, number> = {};
    const inFlight: Record<string, number> = {};
    const latencyByProvider: Record<string, number | undefined> = {};
    const replicasForbiddingCalls = ready.filter((r) => levelRank[this.effectiveLevel(r, knobs)] >= levelRank.Basic).length;
    for (const [name, state] of this.providers) {
      const { latency, errorRatio } = this.providerLatency(name, t);
      const rate = p.providers[name]!.requestsPerMinute / 60;
      const slots = sum(ready.map((r) => (levelRank[this.effectiveLevel(r, knobs)] >= levelRank.Basic ? 0 : knobs.concurrency[name] ?? 0)));
      const waiting = sum(state.queue.map((b) => b.n));
      let attempts = Math.min(waiting, slots / latency);
      const breakerOpen = state.breakerOpenUntil > t;
      if (breakerOpen) attempts = 0;
      let accepted = attempts;
      let rejected = 0;
      if (knobs.globalRateLimit) accepted = Math.min(attempts, rate);
      else if (attempts > rate) {
        accepted = rate;
        rejected = attempts - rate; // 429 Too Many Requests: the job goes back to wait
      }
      const errors = accepted * errorRatio;
      const done = accepted - errors;
      throttled[name] = rejected;
      inFlight[name] = Math.min(slots, accepted * latency);
      state.inFlight = inFlight[name]!;
      if (errors >= p.breaker.failureThreshold || (errorRatio >= 0.5 && errors > 0 && done < 1)) {
        state.breakerOpenUntil = t + p.breaker.openSeconds;
      }
      completions += this.dequeue(state.queue, done, t, latency, tick);
      latencyByProvider[name] = done > 0 ? latency : undefined;
      // An open breaker hands its waiting jobs to the local matcher (the matcher's own fallback);
      // so does a replica whose level forbids provider calls, at its local rate.
      if (breakerOpen) localFallbackJobs += this.dequeue(state.queue, waiting, t, 0.05, tick);
      else if (replicasForbiddingCalls > 0) localFallbackJobs += this.dequeue(state.queue, Math.min(sum(state.queue.map((b) => b.n)), replicasForbiddingCalls * p.localDrainPerReplica), t, 0.05, tick);
      // Deadline: a user who waited this long has given up.
      while (state.queue.length > 0 && state.queue[0]!.at <= t - p.jobDeadlineSeconds) tick.failed += state.queue.shift()!.n;
    }

    // ---- Requests: routing by level, CPU, database ------------------------------------------
    if (ready.length === 0) {
      tick.failed += arrivals;
    }
    const perReplica = ready.length === 0 ? 0 : arrivals / ready.length;
    const reads = perReplica * (1 - this.load.analysisShare);
    const analyses = perReplica * this.load.analysisShare;
    const completionsPerReplica = ready.length === 0 ? 0 : (completions + localFallbackJobs) / ready.length;
    const localJobsPerReplica = ready.length === 0 ? 0 : localFallbackJobs / ready.length;

    // Database: PgBouncer's server pool is shared; its queue (cl_waiting) adds to every query.
    const queriesPerReplica = reads * p.queriesPerRead + analyses * p.queriesPerAnalysis + completionsPerReplica * p.queriesPerCompletion;
    const totalQueries = queriesPerReplica * ready.length;
    const serverCapacity = p.database.serverPoolSize / queryS; // queries per second
    this.pgbBacklog = Math.max(0, this.pgbBacklog + totalQueries - serverCapacity);
    const pgbWait = this.pgbBacklog / serverCapacity;
    const heldPerQuery = queryS + pgbWait;
    let openConnections = p.database.reservedInUse;
    for (const r of ready) {
      const needed = queriesPerReplica * heldPerQuery;
      r.poolBacklog = Math.max(0, r.poolBacklog + (needed - knobs.poolMax) / Math.max(heldPerQuery, 1e-3));
      openConnections += Math.min(knobs.poolMax, Math.ceil(needed) + 1);
    }
    const refusedShare = openConnections > p.database.maxClientConnections ? (openConnections - p.database.maxClientConnections) / openConnections : 0;

    let levelSum = 0;
    let heapMax = 0;
    for (const r of ready) {
      const level = this.effectiveLevel(r, knobs);
      levelSum += levelRank[level];
      const hitRatio = Math.min(1, this.load.cacheHitRatio + (level === 'Full' ? 0 : p.degradedCacheHitBonus));
      const hits = analyses * hitRatio;
      const misses = analyses - hits;
      const forbidsCalls = levelRank[level] >= levelRank.Basic || healthy.length === 0;
      const enqueued = level === 'Maintenance' || forbidsCalls ? 0 : misses;
      const local = level === 'Maintenance' ? 0 : forbidsCalls ? misses : 0;
      const shedMaintenance = level === 'Maintenance' ? analyses : 0;

      const workMs =
        reads * p.cpuMsPerRead +
        (analyses - shedMaintenance) * p.cpuMsPerAnalysisRequest +
        local * p.cpuMsPerLocalMatch +
        completionsPerReplica * p.cpuMsPerJobCompletion +
        localJobsPerReplica * p.cpuMsPerLocalMatch +
        p.cpuMsOverheadPerSecond;
      r.cpuUtilization = Math.min(1, workMs / 1000);
      // Admission control sheds what would push the backlog past its limit.
      const admitLimitMs = p.admissionBacklogSeconds * 1000;
      const over = Math.max(0, r.cpuBacklogMs + workMs - 1000 - admitLimitMs);
      const admittedShare = workMs > 0 ? Math.max(0, 1 - over / workMs) : 1;
      r.cpuBacklogMs = Math.max(0, r.cpuBacklogMs + workMs * admittedShare - 1000);
      const served = (reads + analyses - shedMaintenance) * admittedShare;
      tick.shed += (reads + analyses) - served;

      const rho = Math.min(0.95, r.cpuUtilization);
      const cpuWait = r.cpuBacklogMs / 1000 + (rho / (1 - rho)) * 0.02;
      const poolWait = (r.poolBacklog * heldPerQuery) / Math.max(1, knobs.poolMax);
      const dbLatency = (q: number) => q * queryS + pgbWait + poolWait;
      const readLatency = cpuWait + p.cpuMsPerRead / 1000 + dbLatency(p.queriesPerRead);
      const analysisLatency = cpuWait + p.cpuMsPerAnalysisRequest / 1000 + dbLatency(p.queriesPerAnalysis);
      const localLatency = analysisLatency + p.cpuMsPerLocalMatch / 1000;

      const fail = (n: number) => (tick.failed += n);
      const succeed = (n: number, latency: number, analysis: boolean) => {
        if (latency > p.clientTimeoutSeconds) return fail(n);
        tick.succeeded += n;
        tick.latencies.push([latency, n]);
        if (analysis) tick.analysisLatencies.push([latency, n]);
      };
      const ok = admittedShare * (1 - refusedShare);
      fail((reads + analyses - shedMaintenance) * admittedShare * refusedShare);
      succeed(reads * ok, readLatency, false);
      succeed(hits * ok * (level === 'Maintenance' ? 0 : 1), analysisLatency, true);
      succeed(local * ok, localLatency, true);
      // Enqueued analyses answer 202 now; they succeed when a provider answers (see dequeue).
      if (enqueued > 0) {
        const accepted = enqueued * ok;
        tick.latencies.push([analysisLatency, accepted]);
        const target = level === 'Reduced' ? (fastest ? [fastest] : []) : healthy;
        const weights = target.map((name) => p.providers[name]!.requestsPerMinute);
        const total = sum(weights);
        target.forEach((name, i) => this.providers.get(name)!.queue.push({ at: t, n: (accepted * weights[i]!) / total }));
      }

      // Memory: in-flight provider calls on this replica, and requests queued behind its CPU.
      const inflightAnalyses = sum(Object.values(inFlight)) / Math.max(1, ready.length);
      const queuedRequests = (r.cpuBacklogMs / 1000) * (reads + analyses) + r.poolBacklog;
      r.heapMb = p.heapBaseMb + inflightAnalyses * p.heapPerInflightAnalysisMb + queuedRequests * p.heapPerQueuedRequestMb;
      heapMax = Math.max(heapMax, r.heapMb);
    }

    // Out of memory: the process dies, its queued requests with it, and it restarts.
    for (const r of ready) {
      if (r.heapMb > p.heapLimitMb) {
        tick.oomKills++;
        tick.failed += (r.cpuBacklogMs / 1000) * perReplica;
        Object.assign(r, { readyAt: t + p.startupDelaySeconds, cpuBacklogMs: 0, poolBacklog: 0, heapMb: p.heapBaseMb, level: 'Full' });
      }
    }

    tick.levelRank = ready.length === 0 ? levelRank[knobs.clusterLevel] : levelSum / ready.length;
    tick.metrics = {
      requestRate: arrivals,
      cpuUtilization: ready.length === 0 ? 1 : sum(ready.map((r) => r.cpuUtilization)) / ready.length,
      queueWaiting: sum([...this.providers.values()].map((s) => sum(s.queue.map((b) => b.n)))),
      healthyProviders: healthy.length,
      heapUsedBytes: heapMax * 1024 * 1024,
      databaseHealthy: 1,
      pgbouncerWaiting: this.pgbBacklog,
      pgbouncerMaxWaitSeconds: pgbWait,
      providerLatencySeconds: latencyByProvider,
      providerThrottledPerSecond: throttled,
      providerInFlight: inFlight,
    };
    return tick;
  }

  /** A replica's level: the higher of the cluster's and its own. */
  private effectiveLevel(r: Replica, knobs: Knobs): ServiceLevel {
    return moreDegraded(knobs.clusterLevel, r.level);
  }

  /** Answer up to `n` of the oldest queued jobs; each succeeds with its wait plus service time. */
  private dequeue(queue: Bucket[], n: number, t: number, serviceSeconds: number, tick: Tick): number {
    let left = n;
    while (left > 1e-9 && queue.length > 0) {
      const head = queue[0]!;
      const take = Math.min(head.n, left);
      head.n -= take;
      left -= take;
      const latency = t - head.at + serviceSeconds;
      if (latency > this.params.jobDeadlineSeconds) tick.failed += take;
      else {
        tick.succeeded += take;
        tick.analysisLatencies.push([latency, take]);
      }
      if (head.n <= 1e-9) queue.shift();
    }
    return n - left;
  }
}
