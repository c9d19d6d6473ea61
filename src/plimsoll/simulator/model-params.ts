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
  providerTimeoutSeconds: z.number().gt(0).default(10),
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
