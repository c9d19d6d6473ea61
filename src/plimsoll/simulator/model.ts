/**
 * A fluid, one-second-step model of the matcher deployment: replicas with a CPU each (one core, or their limit), their
 * database pools behind PgBouncer, provider queues with real rate limits and circuit breakers,
 * memory, and the per-replica service level. Counts are fractional (request rates, not
 * individual requests); latencies are per request class per second. Controllers only turn the
 * knobs in `Knobs`; everything else is the same model for every controller, and so is the
 * scoring it records: each analysis's outcome (outcomes.ts), provider demand against the rate
 * limits, and level changes per replica.
 */
import { levelRank, moreDegraded, type ServiceLevel } from '../contract/service-levels.js';
import type { MatcherModelParams } from './model-params.js';
import { CacheMix, noOutcomes, type AnalysisOutcomes } from './outcomes.js';
import { settingsAt, type ScenarioEvent } from './scenario.js';

export interface Knobs {
  replicas: number;
  poolMax: number;
  concurrency: Record<string, number>;
  clusterLevel: ServiceLevel;
  /** Plimsoll publishes each provider's limit as a queue-wide limiter (BullMQ's global rate limit). */
  globalRateLimit: boolean;
  /**
   * The limiter's rate per provider, requests per second: the policy's figure, which the
   * provider's real limit may have fallen below (then it answers the excess with 429s). Absent:
   * the limiter runs at the real limit.
   */
  rateLimits?: Record<string, number>;
  /**
   * Jobs each provider's queue admits (the runtime document's maxWaiting); the rest overflow to a
   * provider with room, then to the local matcher inline. Absent: no limit.
   */
  maxWaiting?: Record<string, number>;
}

/**
 * Splits `amount` over the targets in proportion to their weights, none past its room; what a
 * full target cannot take goes to the others (water-filling). Returns each target's share.
 */
export function fillByWeight(amount: number, targets: string[], weights: Record<string, number>, room: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(targets.map((name) => [name, 0]));
  let left = amount;
  let open = targets.filter((name) => room[name]! > 0);
  while (left > 1e-9 && open.length > 0) {
    const total = sum(open.map((name) => weights[name]!));
    let given = 0;
    for (const name of open) {
      const share = Math.min((left * weights[name]!) / total, room[name]! - out[name]!);
      out[name]! += share;
      given += share;
    }
    left -= given;
    open = open.filter((name) => room[name]! - out[name]! > 1e-9);
    if (given <= 1e-12) break;
  }
  return out;
}

interface Replica {
  id: number;
  readyAt: number;
  level: ServiceLevel;
  cpuBacklogMs: number;
  /** Queries waiting for a connection of the replica's own pool. */
  poolBacklog: number;
  /** The connections its pool holds open (idle ones close after poolIdleTimeoutSeconds), and when it last needed that many. */
  poolOpen: number;
  poolOpenSince: number;
  heapMb: number;
  cpuUtilization: number;
  /** The effective level it served at last tick; undefined until it is ready (again). */
  lastLevel?: ServiceLevel;
}

interface Bucket {
  at: number;
  n: number;
}

interface ProviderState {
  queue: Bucket[];
  /** A 429 backs the whole queue off (every replica) until then: the matcher's queue.rateLimit(Retry-After). */
  pausedUntil: number;
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
  /** Ready replicas whose effective level differs from the one they served the tick before. */
  levelChanges: number;
  oomKills: number;
  /** Analysis requests that arrived this tick (`arrivals × analysisShare`). */
  analyses: number;
  /** Analyses whose outcome was settled this tick (some arrived earlier: queued jobs). */
  outcomes: AnalysisOutcomes;
  /** Analyses that want a provider's answer: jobs waiting at the start of the tick plus this tick's cache misses. */
  providerDemand: number;
  /** Answers per second the healthy providers' real rate limits allow. */
  providerLimit: number;
  metrics: ModelMetrics;
}

export interface ModelMetrics {
  requestRate: number;
  /** Cores per ready replica, the mean (rate(process_cpu_seconds_total)): at most cpuCoresPerReplica. */
  cpuUtilization: number;
  queueWaiting: number;
  healthyProviders: number;
  heapUsedBytes: number;
  databaseHealthy: number;
  pgbouncerWaiting: number;
  pgbouncerMaxWaitSeconds: number;
  /** PgBouncer's max_client_conn and max_db_connections in force (SHOW CONFIG, SHOW DATABASES). */
  maxClientConnections: number;
  maxDbConnections: number;
  providerLatencySeconds: Record<string, number | undefined>;
  providerThrottledPerSecond: Record<string, number>;
  /** Failed calls ÷ calls the provider answered (429s not counted), over calls made this second; absent without calls. */
  providerErrorRatio: Record<string, number | undefined>;
  providerInFlight: Record<string, number>;
  /**
   * HTTP requests in flight (matcher_http_requests_in_flight), by Little's law: each request
   * class's rate times its latency, the ones the client gave up on counted at the client timeout.
   * A point gauge: it jumps as soon as the replicas' queues grow, where a rate over a window lags.
   */
  httpInFlight: number;
}

const sum = (xs: Iterable<number>) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};

export class MatcherModel {
  private readonly replicas: Replica[] = [];
  private readonly providers = new Map<string, ProviderState>();
  private readonly cache = new CacheMix();
  private nextId = 0;
  private pgbBacklog = 0;
  /** Each provider's rate limit: the weights new jobs are spread by. */
  private readonly rateWeights: Record<string, number>;

  constructor(
    private readonly params: MatcherModelParams,
    private readonly events: ScenarioEvent[],
    private readonly load: { analysisShare: number; cacheHitRatio: number },
    initialReplicas: number,
  ) {
    for (let i = 0; i < initialReplicas; i++) this.replicas.push(this.newReplica(-Infinity));
    for (const name of Object.keys(params.providers)) {
      this.providers.set(name, { queue: [], pausedUntil: -Infinity, breakerOpenUntil: -Infinity, inFlight: 0, throttledPerSecond: 0 });
    }
    this.rateWeights = Object.fromEntries(Object.entries(params.providers).map(([name, pp]) => [name, pp.requestsPerMinute]));
  }

  private newReplica(readyAt: number): Replica {
    return { id: this.nextId++, readyAt, level: 'Full', cpuBacklogMs: 0, poolBacklog: 0, poolOpen: 0, poolOpenSince: -Infinity, heapMb: this.params.heapBaseMb, cpuUtilization: 0 };
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

  /** Per-replica levels for baselines that degrade each replica on its own (undefined: keep). */
  setReplicaLevels(decide: (replicaIndex: number, replica: { heapMb: number }) => ServiceLevel | undefined): void {
    this.replicas.forEach((r, i) => {
      r.level = decide(i, r) ?? r.level;
    });
  }

  /**
   * A provider's median reply time and the share of its calls that fail: its errors, plus the
   * calls slower than the provider timeout, which are abandoned (timeouts are errors, never
   * answers). A call occupies its slot for the median, or for the timeout when most time out.
   */
  private providerLatency(name: string, t: number): { latency: number; errorRatio: number } {
    const p = this.params;
    if (this.active('providerOutage', t).some((e) => e.provider === name)) return { latency: p.providerTimeoutSeconds, errorRatio: 1 };
    const brownout = this.active('providerBrownout', t).find((e) => e.provider === name);
    const median = p.providers[name]!.latencySeconds * (brownout?.latencyFactor ?? 1);
    const timedOut = slowerThan(p.providerTimeoutSeconds, median, p.providerLatencySigma);
    const errorRatio = 1 - (1 - (brownout?.errorRatio ?? 0)) * (1 - timedOut);
    return { latency: Math.min(median, p.providerTimeoutSeconds), errorRatio };
  }

  private healthyProviders(t: number): string[] {
    return [...this.providers.entries()].filter(([, s]) => s.breakerOpenUntil <= t).map(([name]) => name);
  }

  private queued(): number {
    return sum([...this.providers.values()].map((s) => sum(s.queue.map((b) => b.n))));
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
      analyses: arrivals * this.load.analysisShare, outcomes: noOutcomes(), providerDemand: this.queued(), providerLimit: 0,
      metrics: undefined as unknown as ModelMetrics,
    };
    const outcomes = tick.outcomes;

    const settings = settingsAt({ model: p, events: this.events }, t);
    const slowdown = this.active('databaseSlowdown', t).reduce((f, e) => Math.max(f, e.factor), 1);
    const queryS = (p.queryMs * slowdown) / 1000;
    const healthy = this.healthyProviders(t);
    const fastest = [...healthy].sort((a, b) => this.providerLatency(a, t).latency - this.providerLatency(b, t).latency)[0];
    tick.providerLimit = sum(healthy.map((name) => settings.providerRate[name]!));

    // ---- Provider queues: service, 429s, errors, breakers, deadlines ----------------------
    let completions = 0;
    let localFallbackJobs = 0;
    const throttled: Record<string, number> = {};
    const errorRatios: Record<string, number | undefined> = {};
    const inFlight: Record<string, number> = {};
    const latencyByProvider: Record<string, number | undefined> = {};
    const replicasForbiddingCalls = ready.filter((r) => levelRank[this.effectiveLevel(r, knobs)] >= levelRank.Basic).length;
    for (const [name, state] of this.providers) {
      const breakerOpen = state.breakerOpenUntil > t;
      const { latency, errorRatio } = this.providerLatency(name, t);
      const rate = settings.providerRate[name]!;
      const slots = sum(ready.map((r) => (levelRank[this.effectiveLevel(r, knobs)] >= levelRank.Basic ? 0 : knobs.concurrency[name] ?? 0)));
      const waiting = sum(state.queue.map((b) => b.n));
      // The share of this second the queue is not backed off after a 429; the provider's
      // allowance for the rest of it goes unused.
      const open = Math.min(1, Math.max(0, t + 1 - Math.max(t, state.pausedUntil)));
      const attempts = breakerOpen ? 0 : Math.min(waiting, (slots / latency) * open);
      // A global limiter sends no more than its rate; the provider answers up to its real limit
      // and the rest with 429 Too Many Requests.
      const sent = knobs.globalRateLimit ? Math.min(attempts, knobs.rateLimits?.[name] ?? rate) : attempts;
      const accepted = Math.min(sent, rate * open);
      const rejected = sent - accepted;
      // 429 Too Many Requests: the job goes back to wait without spending an attempt, and the
      // whole queue backs off for Retry-After (scaled by the chance of at least one 429).
      if (rejected > 0) state.pausedUntil = Math.max(state.pausedUntil, t + 0.5 + p.retryAfterSeconds * (1 - Math.exp(-rejected)));
      const errors = accepted * errorRatio;
      const done = accepted - errors;
      throttled[name] = rejected;
      errorRatios[name] = accepted > 0 ? errorRatio : undefined;
      inFlight[name] = Math.min(slots, accepted * latency);
      state.inFlight = inFlight[name]!;
      if (errors >= p.breaker.failureThreshold || (errorRatio >= 0.5 && errors > 0 && done < 1)) {
        state.breakerOpenUntil = t + p.breaker.openSeconds;
      }
      completions += this.dequeue(state.queue, done, t, latency, tick, 'provider');
      latencyByProvider[name] = done > 0 ? latency : undefined;
      // An open breaker hands its waiting jobs to the local matcher (the matcher's own fallback);
      // so does a replica whose level forbids provider calls, at its local rate.
      if (breakerOpen) localFallbackJobs += this.dequeue(state.queue, waiting, t, 0.05, tick, 'local');
      else if (replicasForbiddingCalls > 0) localFallbackJobs += this.dequeue(state.queue, Math.min(sum(state.queue.map((b) => b.n)), replicasForbiddingCalls * p.localDrainPerReplica), t, 0.05, tick, 'local');
      // Deadline: a user who waited this long has given up.
      while (state.queue.length > 0 && state.queue[0]!.at <= t - p.jobDeadlineSeconds) {
        const expired = state.queue.shift()!.n;
        tick.failed += expired;
        outcomes.late += expired;
      }
    }

    // ---- Requests: routing by level, CPU, database ------------------------------------------
    if (ready.length === 0) {
      tick.failed += arrivals;
      outcomes.failed += tick.analyses;
    }
    const perReplica = ready.length === 0 ? 0 : arrivals / ready.length;
    const reads = perReplica * (1 - this.load.analysisShare);
    const analyses = perReplica * this.load.analysisShare;
    const completionsPerReplica = ready.length === 0 ? 0 : (completions + localFallbackJobs) / ready.length;
    const localJobsPerReplica = ready.length === 0 ? 0 : localFallbackJobs / ready.length;

    // Database, in PgBouncer's transaction pooling. A query holds one connection of its replica's
    // pool, and through it one of PgBouncer's servers, for its run time plus PgBouncer's wait
    // (as of the last second). A pool sends at most poolMax ÷ hold queries a second; the rest
    // wait for a pool connection. PgBouncer serves servers ÷ query time a second; the rest wait
    // for a server (cl_waiting), and one that waits past query_wait_timeout is disconnected with
    // an error. With the pools together within the servers, PgBouncer never queues.
    // A job the local matcher answers stores its answer (analyses.store), as a provider's does.
    // (The inline local answers of Basic store theirs too; at most 0.07 queries per request in the
    // shipped mixes, left out: the routing that decides them comes below.)
    const queriesPerReplica = reads * p.queriesPerRead + analyses * p.queriesPerAnalysis
      + (completions / Math.max(1, ready.length)) * p.queriesPerCompletion + localJobsPerReplica * p.queriesPerLocalMatch;
    const servers = Math.min(p.database.serverPoolSize, settings.maxDbConnections);
    const serverCapacity = servers / queryS; // queries per second
    const heldPerQuery = queryS + this.pgbBacklog / serverCapacity;
    const poolCapacity = knobs.poolMax / heldPerQuery;
    let sentToPgbouncer = 0;
    let openConnections = p.database.reservedInUse;
    for (const r of ready) {
      const sent = Math.min(poolCapacity, queriesPerReplica + r.poolBacklog);
      r.poolBacklog = Math.max(0, r.poolBacklog + queriesPerReplica - sent);
      sentToPgbouncer += sent;
      // Connections in use (Little's law) and the peaks a mean hides; the pool keeps what it
      // opened until it has been idle for the idle timeout, and PgBouncer counts every one.
      const inUse = sent * heldPerQuery;
      const wanted = Math.min(knobs.poolMax, Math.ceil(inUse + p.database.peakSigmas * Math.sqrt(inUse)) + 1);
      if (wanted >= r.poolOpen || t - r.poolOpenSince >= p.database.poolIdleTimeoutSeconds) {
        r.poolOpen = wanted;
        r.poolOpenSince = t;
      }
      r.poolOpen = Math.min(r.poolOpen, knobs.poolMax); // a shrunk pool closes the excess
      openConnections += r.poolOpen;
    }
    this.pgbBacklog = Math.max(0, this.pgbBacklog + sentToPgbouncer - serverCapacity);
    const waitTimedOut = Math.max(0, this.pgbBacklog - p.database.queryWaitTimeoutSeconds * serverCapacity);
    this.pgbBacklog -= waitTimedOut;
    const pgbWait = this.pgbBacklog / serverCapacity;
    // Failed requests: clients PgBouncer refused past max_client_conn, and queries it disconnected.
    const refusedConnections = openConnections > settings.maxClientConnections ? (openConnections - settings.maxClientConnections) / openConnections : 0;
    const waitFailures = sentToPgbouncer > 0 ? Math.min(1, waitTimedOut / sentToPgbouncer) : 0;
    const refusedShare = 1 - (1 - refusedConnections) * (1 - waitFailures);
    const cacheProviderShare = this.cache.providerShare();
    // Admission: the room each healthy provider's queue has left, shared evenly by the replicas.
    const weights = this.rateWeights;
    const roomPerReplica: Record<string, number> = {};
    for (const name of healthy) {
      const limit = knobs.maxWaiting?.[name];
      const queued = sum(this.providers.get(name)!.queue.map((b) => b.n));
      roomPerReplica[name] = limit === undefined ? Infinity : Math.max(0, limit - queued) / Math.max(1, ready.length);
    }

    let levelSum = 0;
    let heapMax = 0;
    let lateInFlight = 0;
    for (const r of ready) {
      const level = this.effectiveLevel(r, knobs);
      if (r.lastLevel !== undefined && r.lastLevel !== level) tick.levelChanges++;
      r.lastLevel = level;
      levelSum += levelRank[level];
      const maintenance = level === 'Maintenance';
      // Reduced and Basic (and Full without a healthy provider) take any cached answer.
      const anyCached = level !== 'Full' || healthy.length === 0;
      const hitRatio = Math.min(1, this.load.cacheHitRatio + (anyCached ? p.degradedCacheHitBonus : 0));
      const hits = analyses * hitRatio;
      const extraHits = hits - analyses * Math.min(1, this.load.cacheHitRatio);
      const misses = analyses - hits;
      const forbidsCalls = levelRank[level] >= levelRank.Basic || healthy.length === 0;
      const target = level === 'Reduced' ? (fastest ? [fastest] : []) : healthy;
      const wanted = maintenance || forbidsCalls ? 0 : misses;
      // What the target queues cannot take within their limits is answered locally at once.
      const split = fillByWeight(wanted, target, weights, roomPerReplica);
      const enqueued = sum(Object.values(split));
      const local = maintenance ? 0 : forbidsCalls ? misses : wanted - enqueued;
      const shedMaintenance = maintenance ? analyses : 0;
      if (!maintenance) tick.providerDemand += misses;

      const workMs =
        reads * p.cpuMsPerRead +
        (analyses - shedMaintenance) * p.cpuMsPerAnalysisRequest +
        local * p.cpuMsPerLocalMatch +
        completionsPerReplica * p.cpuMsPerJobCompletion +
        localJobsPerReplica * p.cpuMsPerLocalMatch +
        p.cpuMsOverheadPerSecond;
      // A replica runs up to its CPU (a core, or its limit); what it cannot run waits (CFS
      // throttling under a limit), and while a backlog drains it runs at its whole CPU.
      const capacityMs = 1000 * p.cpuCoresPerReplica;
      r.cpuUtilization = Math.min(capacityMs, r.cpuBacklogMs + workMs) / 1000;
      // Admission control sheds what would push the backlog past its limit.
      const admitLimitMs = p.admissionBacklogSeconds * capacityMs;
      const over = Math.max(0, r.cpuBacklogMs + workMs - capacityMs - admitLimitMs);
      const admittedShare = workMs > 0 ? Math.max(0, 1 - over / workMs) : 1;
      r.cpuBacklogMs = Math.max(0, r.cpuBacklogMs + workMs * admittedShare - capacityMs);
      const served = (reads + analyses - shedMaintenance) * admittedShare;
      tick.shed += (reads + analyses) - served;
      outcomes.shed += analyses - (analyses - shedMaintenance) * admittedShare;

      // A request runs on a whole core while its replica has CPU left (a limit throttles the
      // process in bursts, not each request); the wait before it is the backlog's drain time plus
      // an M/M/1 wait at the utilisation of the replica's CPU, with the mean request's CPU as the
      // service time (the seed plans' 20 ms constant was that mean at their costs).
      const ownSeconds = (ms: number) => ms / 1000;
      const meanRequestMs = reads + analyses > 0 ? (reads * p.cpuMsPerRead + analyses * p.cpuMsPerAnalysisRequest) / (reads + analyses) : p.cpuMsPerRead;
      const rho = Math.min(0.95, r.cpuUtilization / p.cpuCoresPerReplica);
      const cpuWait = r.cpuBacklogMs / capacityMs + (rho / (1 - rho)) * ownSeconds(meanRequestMs);
      const poolWait = r.poolBacklog / poolCapacity;
      const dbLatency = (q: number) => q * queryS + pgbWait + poolWait;
      const readLatency = cpuWait + ownSeconds(p.cpuMsPerRead) + dbLatency(p.queriesPerRead);
      const analysisLatency = cpuWait + ownSeconds(p.cpuMsPerAnalysisRequest) + dbLatency(p.queriesPerAnalysis);
      const localLatency = analysisLatency + ownSeconds(p.cpuMsPerLocalMatch);

      // This replica's inline answers, kept apart so an OOM kill can take them back.
      const inline = noOutcomes();
      let inlineSucceeded = 0;
      const fail = (n: number) => (tick.failed += n);
      const answer = (n: number, latency: number, outcome: 'read' | 'cacheProvider' | 'cacheLocal' | 'local') => {
        if (latency > p.clientTimeoutSeconds) {
          fail(n);
          lateInFlight += n * p.clientTimeoutSeconds;
          if (outcome !== 'read') outcomes.late += n;
          return;
        }
        tick.succeeded += n;
        inlineSucceeded += n;
        tick.latencies.push([latency, n]);
        if (outcome === 'read') return;
        inline[outcome] += n;
        tick.analysisLatencies.push([latency, n]);
      };
      const ok = admittedShare * (1 - refusedShare);
      const refused = (reads + analyses - shedMaintenance) * admittedShare * refusedShare;
      fail(refused);
      outcomes.failed += (analyses - shedMaintenance) * admittedShare * refusedShare;
      answer(reads * ok, readLatency, 'read');
      if (!maintenance) {
        // The hits Full would find are the chosen provider's answers; the extra ones any answer.
        answer((hits - extraHits + extraHits * cacheProviderShare) * ok, analysisLatency, 'cacheProvider');
        answer(extraHits * (1 - cacheProviderShare) * ok, analysisLatency, 'cacheLocal');
        answer(local * ok, localLatency, 'local');
      }
      // Enqueued analyses answer 202 now; their outcome comes when a job leaves the queue (see
      // dequeue). A 202 later than the client's timeout reaches nobody: the user has no job to wait for.
      if (enqueued > 0 && analysisLatency > p.clientTimeoutSeconds) {
        fail(enqueued * ok);
        lateInFlight += enqueued * ok * p.clientTimeoutSeconds;
        outcomes.late += enqueued * ok;
      } else if (enqueued > 0) {
        tick.latencies.push([analysisLatency, enqueued * ok]);
        for (const [name, n] of Object.entries(split)) if (n > 0) this.providers.get(name)!.queue.push({ at: t, n: n * ok });
      }

      // Memory: in-flight provider calls on this replica, and requests queued behind its CPU.
      const inflightAnalyses = sum(Object.values(inFlight)) / Math.max(1, ready.length);
      const queuedRequests = (r.cpuBacklogMs / capacityMs) * (reads + analyses) + r.poolBacklog;
      r.heapMb = p.heapBaseMb + inflightAnalyses * p.heapPerInflightAnalysisMb + queuedRequests * p.heapPerQueuedRequestMb;
      heapMax = Math.max(heapMax, r.heapMb);

      // Out of memory: the process dies with the requests queued behind its CPU (answered above
      // as if they would complete: they fail instead), and it restarts.
      if (r.heapMb > p.heapLimitMb) {
        tick.oomKills++;
        const lostShare = inlineSucceeded > 0 ? Math.min(1, ((r.cpuBacklogMs / capacityMs) * perReplica) / inlineSucceeded) : 0;
        tick.succeeded -= inlineSucceeded * lostShare;
        tick.failed += inlineSucceeded * lostShare;
        for (const k of ['cacheProvider', 'cacheLocal', 'local'] as const) {
          outcomes.failed += inline[k] * lostShare;
          inline[k] *= 1 - lostShare;
        }
        Object.assign(r, { readyAt: t + p.startupDelaySeconds, cpuBacklogMs: 0, poolBacklog: 0, poolOpen: 0, heapMb: p.heapBaseMb, level: 'Full', lastLevel: undefined });
      }
      outcomes.cacheProvider += inline.cacheProvider;
      outcomes.cacheLocal += inline.cacheLocal;
      outcomes.local += inline.local;
    }
    this.cache.record(outcomes.provider, outcomes.local);

    tick.levelRank = ready.length === 0 ? levelRank[knobs.clusterLevel] : levelSum / ready.length;
    tick.metrics = {
      requestRate: arrivals,
      cpuUtilization: ready.length === 0 ? p.cpuCoresPerReplica : sum(ready.map((r) => r.cpuUtilization)) / ready.length,
      queueWaiting: this.queued(),
      healthyProviders: healthy.length,
      heapUsedBytes: heapMax * 1024 * 1024,
      databaseHealthy: 1,
      pgbouncerWaiting: this.pgbBacklog,
      pgbouncerMaxWaitSeconds: pgbWait,
      maxClientConnections: settings.maxClientConnections,
      maxDbConnections: settings.maxDbConnections,
      providerLatencySeconds: latencyByProvider,
      providerThrottledPerSecond: throttled,
      providerErrorRatio: errorRatios,
      providerInFlight: inFlight,
      httpInFlight: lateInFlight + sum(tick.latencies.map(([latency, n]) => latency * n)),
    };
    return tick;
  }

  /** A replica's level: the higher of the cluster's and its own. */
  private effectiveLevel(r: Replica, knobs: Knobs): ServiceLevel {
    return moreDegraded(knobs.clusterLevel, r.level);
  }

  /**
   * Answer up to `n` of the oldest queued jobs, by a provider or the local matcher; each succeeds
   * with its wait plus service time, or is late past the job deadline.
   */
  private dequeue(queue: Bucket[], n: number, t: number, serviceSeconds: number, tick: Tick, by: 'provider' | 'local'): number {
    let left = n;
    while (left > 1e-9 && queue.length > 0) {
      const head = queue[0]!;
      const take = Math.min(head.n, left);
      head.n -= take;
      left -= take;
      const latency = t - head.at + serviceSeconds;
      if (latency > this.params.jobDeadlineSeconds) {
        tick.failed += take;
        tick.outcomes.late += take;
      } else {
        tick.succeeded += take;
        tick.outcomes[by] += take;
        tick.analysisLatencies.push([latency, take]);
      }
      if (head.n <= 1e-9) queue.shift();
    }
    return n - left;
  }
}

/** The share of calls slower than `limit` when reply times are log-normal around `median` with log-σ `sigma`. */
export function slowerThan(limit: number, median: number, sigma: number): number {
  if (sigma === 0) return median > limit ? 1 : 0;
  return 1 - normalCdf(Math.log(limit / median) / sigma);
}

/** Φ(x), Abramowitz and Stegun 7.1.26 (error below 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const k = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
