/**
 * The matcher model's parameters: per-request CPU and database costs, memory, provider latencies
 * and limits, start-up delay. Defaults come from the seed plans' figures (3 MB heap per in-flight
 * analysis, heap limit 400 MB, groq 30 requests/min, AI throughput ~2 analyses/s, PgBouncer
 * default_pool_size 20) and are meant to be calibrated against measurements of the real matcher,
 * never tuned to flatter a controller. A scenario may override any of them under `model:`.
 */
import { z } from 'zod';

const providerModelSchema = z.strictObject({
  /** Median reply time of one analysis call. */
  latencySeconds: z.number().gt(0),
  /** The provider's real limit (what it enforces with 429s), requests per minute. */
  requestsPerMinute: z.number().gt(0),
});

export const matcherModelSchema = z.strictObject({
  startupDelaySeconds: z.number().min(0).default(30),
  /** One Node.js process: one core, 1000 ms of CPU per second. */
  cpuMsPerRead: z.number().min(0).default(12),
  /** Parsing and the local pre-analysis every analysis request does, cached or not. */
  cpuMsPerAnalysisRequest: z.number().min(0).default(80),
  /** The local matcher's full answer (Basic level, or a provider fallback). */
  cpuMsPerLocalMatch: z.number().min(0).default(40),
  /** Validating and storing a provider's answer. */
  cpuMsPerJobCompletion: z.number().min(0).default(15),
  cpuMsOverheadPerSecond: z.number().min(0).default(30),
  queriesPerRead: z.number().min(0).default(2),
  queriesPerAnalysis: z.number().min(0).default(3),
  queriesPerCompletion: z.number().min(0).default(2),
  queryMs: z.number().gt(0).default(4),
  clientTimeoutSeconds: z.number().gt(0).default(30),
  /** Local admission control: a replica sheds new requests (503) past this much queued CPU work. */
  admissionBacklogSeconds: z.number().gt(0).default(5),
  heapBaseMb: z.number().min(0).default(150),
  heapPerInflightAnalysisMb: z.number().min(0).default(3),
  heapPerQueuedRequestMb: z.number().min(0).default(0.25),
  heapLimitMb: z.number().gt(0).default(400),
  /**
   * Reduced and Basic serve "cache first": any cached answer for the pair, whichever provider or
   * prompt version produced it, so a further share of analyses is a hit.
   */
  degradedCacheHitBonus: z.number().min(0).max(1).default(0.1),
  /** A queued analysis not answered within this long counts as failed: its user gave up. */
  jobDeadlineSeconds: z.number().gt(0).default(60),
  /** A provider call not answered within this long is abandoned: a timeout error, never a success. */
  providerTimeoutSeconds: z.number().gt(0).default(10),
  /**
   * Spread of one call's reply time around the provider's median (σ of its logarithm): the share
   * of calls slower than providerTimeoutSeconds times out (anthropic at 3.5 s: 1.8 %).
   */
  providerLatencySigma: z.number().min(0).max(3).default(0.5),
  /**
   * A 429's Retry-After: the matcher backs the provider's whole queue off this long (every
   * replica; the job goes back to waiting without spending an attempt), and the provider's
   * allowance meanwhile goes unused. 1 s is the matcher's own default when a provider sends none.
   */
  retryAfterSeconds: z.number().min(0).max(600).default(1),
  /** Jobs per second one replica answers with the local matcher when its level forbids provider calls. */
  localDrainPerReplica: z.number().gt(0).default(20),
  breaker: z
    .strictObject({ failureThreshold: z.number().min(1).default(5), openSeconds: z.number().min(1).default(30) })
    .prefault({}),
  database: z
    .strictObject({
      /** PgBouncer's max_client_conn here: the budget the replicas' pools share. */
      maxClientConnections: z.int().min(1).default(100),
      /** Connections others (admin, migrations, the operator) hold at any time. */
      reservedInUse: z.int().min(0).default(5),
      /** PgBouncer's server pool (default_pool_size) towards PostgreSQL. */
      serverPoolSize: z.int().min(1).default(20),
      /**
       * PgBouncer's max_db_connections: server connections to the database, all pools together
       * (the stack's 25). The servers in use are the smaller of this and serverPoolSize.
       */
      maxDbConnections: z.int().min(1).default(25),
      /** PgBouncer's query_wait_timeout (the stack's 30 s): a client waiting longer for a server is disconnected with an error. */
      queryWaitTimeoutSeconds: z.number().gt(0).default(30),
      /**
       * The matcher's pool closes a connection idle this long (MATCHER_DB_IDLE_TIMEOUT_MS): a
       * pool keeps the most connections it needed in this window open, and PgBouncer counts
       * them against max_client_conn.
       */
      poolIdleTimeoutSeconds: z.number().min(0).default(30),
      /**
       * Connections a pool needs at a moment: the mean in use (Little's law) plus this many
       * standard deviations of a Poisson count, for the peaks a mean hides.
       */
      peakSigmas: z.number().min(0).max(10).default(3),
    })
    .prefault({}),
  providers: z
    .record(z.string(), providerModelSchema)
    .default({
      groq: { latencySeconds: 0.8, requestsPerMinute: 30 },
      openai: { latencySeconds: 2.5, requestsPerMinute: 60 },
      anthropic: { latencySeconds: 3.5, requestsPerMinute: 60 },
    }),
  /** Prometheus scrape interval: signals are this old when read. */
  scrapeLagSeconds: z.int().min(0).default(15),
  /** The window of rate() and averaged signals. */
  rateWindowSeconds: z.int().min(1).default(60),
  /** Time for a runtime-document change to reach every replica. */
  propagationSeconds: z.int().min(0).default(1),
});

export type MatcherModelParams = z.output<typeof matcherModelSchema>;
