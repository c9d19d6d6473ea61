/**
 * The matcher model's parameters: per-request CPU and database costs, memory, provider latencies
 * and limits, start-up delay. The provider and PgBouncer figures come from the seed plans (groq
 * 30 requests/min, PgBouncer default_pool_size 20); the CPU, query and heap figures are measured
 * on the real stack (`make load SCENARIO=burst TIME_SCALE=0.25`, the matcher's own Prometheus
 * counters per replica; docs/simulator.md, "Calibration", has the runs, the method and the gap
 * before and after). Calibrate them against measurements, never tune them to flatter a
 * controller. A scenario may override any of them under `model:`.
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
  /**
   * CPU one replica may use, in cores: 1000 ms of CPU per second per core. One Node.js process
   * serves about one core, which a Deployment without a CPU limit gets (the shipped manifests);
   * a limit caps it: the local stack's pods have 100m (tools/stack/kustomize/matcher), and the
   * load runner's scenario sets 0.1 (`--replica-cpu-cores`). Work past it waits (CFS throttling).
   */
  cpuCoresPerReplica: z.number().gt(0).max(64).default(1),
  /*
   * Per-request CPU: a least-squares fit of each replica's CPU seconds per 15 s
   * (process_cpu_seconds_total) on its requests and answers in the same 15 s
   * (matcher_http_requests_total by route, matcher_analyses_total by source), 232 replica
   * intervals of the runs out/load/burst-20261202T050156Z and burst-20261202T070157Z
   * (`make load SCENARIO=burst TIME_SCALE=0.25`, 100m pods, 2–4 replicas). Reads and the fixed
   * cost are well determined; the analysis kinds are 15 % of the requests and move together with
   * the reads, so their split is looser (said per figure). The seed plans' guesses (12, 80, 40,
   * 15 ms and 30 ms/s) were 5–20× these: the gap table had 0.455 cores per replica simulated
   * against 0.075–0.130 measured.
   */
  /** A read (GET /v1/analyses/:id, a listing): 2.2–2.9 ms in the fits. */
  cpuMsPerRead: z.number().min(0).default(2.5),
  /** POST /v1/analyses, cached or queued: 2.3–7.5 ms in the fits (3.5 pooled); 3.0 ms per request of the mix, all kinds together. */
  cpuMsPerAnalysisRequest: z.number().min(0).default(3.5),
  /**
   * The local matcher's answer on top of the request (Basic, admission, a provider fallback):
   * analyse() takes 0.7 ms of CPU on the seeded documents (about 500–700 characters each), plus
   * the hand-off to its thread and storing the answer. Too small for the fits to separate from
   * their noise (±9 ms/s per interval). Documents of 100 KB cost far more (make bench-analysis).
   */
  cpuMsPerLocalMatch: z.number().min(0).default(1.5),
  /** A worker's provider call and storing its answer (HTTP client, JSON, two transactions); like a read, not separable in the fits. */
  cpuMsPerJobCompletion: z.number().min(0).default(2),
  /** A replica's fixed work: 13.5 ms/s at rest (probes, scrapes, timers), 23–28 ms/s under load in the fits (BullMQ polling, GC). */
  cpuMsOverheadPerSecond: z.number().min(0).default(25),
  /*
   * Database transactions per request, counted by operation (matcher_db_query_duration_seconds_count)
   * against the requests and answers of run burst-20261202T070157Z: analyses.load 3212 for 3211
   * POSTs; analyses.store 2479 for 1283 local + 1193 provider answers; analyses.get 16646 for
   * 15018 GET /v1/analyses/:id, the rest (1629) the workers' loads of the job; listings one each;
   * auth.key 146 in all (keys are cached). The probes' health.ping (one per replica a second) is
   * left out of the model.
   */
  queriesPerRead: z.number().min(0).default(1),
  queriesPerAnalysis: z.number().min(0).default(1),
  /** Storing the local matcher's answer (inline, or a provider fallback). */
  queriesPerLocalMatch: z.number().min(0).default(1),
  queriesPerCompletion: z.number().min(0).default(2),
  /** A transaction's own time: the median of matcher_db_query_duration_seconds, 3.0 and 3.9 ms in the two runs (its mean, 15 ms, adds the waits of throttled replicas). */
  queryMs: z.number().gt(0).default(4),
  clientTimeoutSeconds: z.number().gt(0).default(30),
  /** Local admission control: a replica sheds new requests (503) once its queued CPU work would take this long to drain at its CPU (cpuCoresPerReplica). */
  admissionBacklogSeconds: z.number().gt(0).default(5),
  /*
   * nodejs_heap_size_used_bytes per replica against its provider calls in flight (Little's law on
   * matcher_provider_request_duration_seconds_sum), both runs: 62 MB + 0.9–1.9 MB a call, the
   * highest 81 MB (the seed plans said 150 + 3). On the seeded documents; 100 KB ones weigh more.
   * Garbage between collections rises with the request rate (56–62 MB at rest, 70–80 at 12 req/s
   * a replica), which the model leaves out.
   */
  heapBaseMb: z.number().min(0).default(62),
  heapPerInflightAnalysisMb: z.number().min(0).default(1.5),
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
  /** The window of rate() and averaged signals whose query names none (a query's own `[15s]` wins). */
  rateWindowSeconds: z.int().min(1).default(60),
  /** Time for a runtime-document change to reach every replica. */
  propagationSeconds: z.int().min(0).default(1),
});

export type MatcherModelParams = z.output<typeof matcherModelSchema>;
