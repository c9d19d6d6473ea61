import { z } from 'zod';
import { PlimsollError } from '../plimsoll/errors.js';
import { envReader, int, parseConfig, processFields, type Env } from '../plimsoll/config/env.js';

/**
 * The matcher's configuration: parsed ONCE at start-up from the environment and frozen.
 * Nothing else in src/ reads process.env (ESLint enforces it); everything gets this object.
 */

/** Every variable the process reads, with its default (the local stack's); unset or empty means the default. */
export const matcherEnvDefaults = {
  MATCHER_HOST: '127.0.0.1',
  MATCHER_PORT: '18080',
  MATCHER_DATABASE_URL: 'postgres://plimsoll:plimsoll-dev@127.0.0.1:16432/plimsoll',
  MATCHER_MIGRATION_DATABASE_URL: 'postgres://plimsoll:plimsoll-dev@127.0.0.1:15432/plimsoll',
  MATCHER_PGBOUNCER_ADMIN_URL: 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16432/pgbouncer',
  MATCHER_REDIS_URL: 'redis://127.0.0.1:16379/0',
  MATCHER_DB_POOL_MAX: '20',
  // The pool of a governed replica (a runtime channel configured) until it has applied a runtime
  // document, and while none can be read: the policy's connectionBudget.pool.min (examples/matcher.yaml).
  MATCHER_DB_POOL_MIN: '4',
  MATCHER_DB_POOL_HARD_MAX: '100',
  MATCHER_DB_ACQUIRE_TIMEOUT_MS: '2000',
  MATCHER_DB_IDLE_TIMEOUT_MS: '30000',
  // How long health pings may keep timing out, with no query succeeding, before the database
  // counts as unhealthy (a ping that errors counts at once): db/database-health.ts.
  MATCHER_DB_UNHEALTHY_AFTER_MS: '10000',
  MATCHER_DB_FAST_STATEMENT_TIMEOUT_MS: '2000',
  MATCHER_DB_FAST_LOCK_TIMEOUT_MS: '1000',
  MATCHER_DB_FAST_IDLE_TX_TIMEOUT_MS: '5000',
  MATCHER_DB_ANALYSIS_STATEMENT_TIMEOUT_MS: '10000',
  MATCHER_DB_ANALYSIS_LOCK_TIMEOUT_MS: '3000',
  MATCHER_DB_ANALYSIS_IDLE_TX_TIMEOUT_MS: '15000',
  MATCHER_DB_ADMIN_STATEMENT_TIMEOUT_MS: '300000',
  MATCHER_DB_ADMIN_LOCK_TIMEOUT_MS: '10000',
  MATCHER_DB_ADMIN_IDLE_TX_TIMEOUT_MS: '60000',
  MATCHER_BODY_LIMIT: '256kb',
  MATCHER_REQUEST_TIMEOUT_MS: '30000',
  MATCHER_MAX_PAGE_SIZE: '100',
  MATCHER_MAX_OFFSET: '1000',
  // Signs pagination cursors (HMAC-SHA256); every replica needs the same one. Empty: derived from
  // MATCHER_DATABASE_URL, which every replica shares and which holds the database password.
  MATCHER_CURSOR_SECRET: '',
  MATCHER_CURSOR_MAX_AGE_SECONDS: '86400',
  MATCHER_IDEMPOTENCY_TTL_SECONDS: '86400',
  MATCHER_AUTH_NEGATIVE_TTL_MS: '10000',
  MATCHER_AUTH_FAILURE_LIMIT: '20',
  MATCHER_AUTH_FAILURE_WINDOW_MS: '60000',
  MATCHER_RUNTIME_FILE: '',
  MATCHER_RUNTIME_CONFIGMAP: '',
  MATCHER_RUNTIME_NAMESPACE: 'default',
  MATCHER_RUNTIME_POLL_MS: '250',
  MATCHER_PROVIDERS: '[]',
  MATCHER_PROMPT_VERSION: 'p1',
  MATCHER_QUEUE_PREFIX: 'plimsoll',
  MATCHER_QUEUE_ATTEMPTS: '4',
  MATCHER_QUEUE_BACKOFF_MS: '500',
  MATCHER_QUEUE_MAX_WAITING: '5000',
  MATCHER_QUEUE_STALLED_INTERVAL_MS: '15000',
  MATCHER_QUEUE_LOCK_DURATION_MS: '30000',
  MATCHER_BREAKER_ERROR_PERCENT: '50',
  MATCHER_BREAKER_RESET_MS: '10000',
  MATCHER_BREAKER_VOLUME: '5',
  MATCHER_BREAKER_WINDOW_MS: '10000',
  MATCHER_CACHE_TTL_SECONDS: '86400',
  // The local matcher's worker threads (src/matcher/analysis/pool.ts). Two, not one per CPU: a
  // replica requests 250m CPU, and a second thread only keeps one long analysis from holding up
  // the rest; more threads would compete for the same CPU and each costs its own heap.
  MATCHER_ANALYSIS_THREADS: '2',
  MATCHER_ANALYSIS_DEADLINE_MS: '5000',
  MATCHER_ADMISSION_HEAP_MB: '450',
  MATCHER_ADMISSION_LAG_MS: '1000',
  // Under a CPU limit (a cgroup CFS quota, read at start-up: runtime/cpu-quota.ts), refuse requests
  // once the process used this share of its quota over the last 500 ms: past it the quota runs
  // out within most 100 ms periods and the event loop waits for the next one. 0 (the default):
  // never. Opt-in: on the stack's burst at 0.75 it refused 18 % of requests (docs/matcher.md).
  MATCHER_ADMISSION_CPU_QUOTA_SHARE: '0',
  // The container's limits.cpu in millicores through the downward API (resourceFieldRef, divisor
  // 1m), for when the cgroup filesystem is not visible; the cgroup's own quota wins when it is.
  MATCHER_CPU_LIMIT_MILLICORES: '',
  MATCHER_EMERGENCY_REDUCED_HEAP_MB: '350',
  MATCHER_EMERGENCY_BASIC_HEAP_MB: '400',
  MATCHER_EMERGENCY_REDUCED_LAG_MS: '200',
  MATCHER_EMERGENCY_BASIC_LAG_MS: '500',
  // A per-replica degradation rule on the provider queues' waiting jobs, for running without
  // Plimsoll (the KEDA peer in loadtests/peers/keda/); 0 turns a threshold off.
  MATCHER_EMERGENCY_REDUCED_QUEUE_WAITING: '0',
  MATCHER_EMERGENCY_BASIC_QUEUE_WAITING: '0',
  MATCHER_TENANT_RATE_LIMIT: '1200',
  MATCHER_TENANT_RATE_WINDOW_MS: '60000',
  MATCHER_LOG_LEVEL: 'info',
  MATCHER_SHUTDOWN_GRACE_MS: '10000',
  MATCHER_SERVICE_NAME: 'matcher',
} as const;

/** Per-operation database limits, applied with SET LOCAL inside each transaction. */
const timeoutProfile = z.object({
  statementTimeoutMs: int(1, 3_600_000),
  lockTimeoutMs: int(1, 3_600_000),
  idleInTransactionTimeoutMs: int(1, 3_600_000),
});
export type TimeoutProfile = z.infer<typeof timeoutProfile>;

export const matcherConfigSchema = z.object({
  host: z.string().min(1),
  port: int(0, 65535),
  /** The application's connection: through PgBouncer (transaction pooling). */
  databaseUrl: z.string().url(),
  /**
   * Migrations need a session (advisory lock held across statements, CREATE INDEX CONCURRENTLY
   * outside a transaction), which PgBouncer's transaction pooling does not give: a direct
   * PostgreSQL connection (or a session-mode PgBouncer alias).
   */
  migrationDatabaseUrl: z.string().url(),
  /** PgBouncer's admin console, for /health/details and the operator (optional). */
  pgbouncerAdminUrl: z.string().url().optional(),
  redisUrl: z.string().url(),
  db: z.object({
    /** The pool limit of a replica without a runtime channel; the runtime document changes it live (ResizablePool.resize()). */
    poolMax: int(1, 1000),
    /**
     * The pool limit of a replica with a runtime channel until it applied a document, and while
     * none can be read: the policy's connectionBudget.pool.min, the share every replica is sure of.
     */
    poolMin: int(1, 1000),
    /** The ceiling resize() may reach (pg.Pool's own max). */
    poolHardMax: int(1, 1000),
    acquireTimeoutMs: int(1, 600_000),
    /** Health pings timing out this long, nothing succeeding meanwhile, make database.healthy false. */
    unhealthyAfterMs: int(0, 600_000),
    idleTimeoutMs: int(100, 3_600_000),
    profiles: z.object({ fast: timeoutProfile, analysis: timeoutProfile, admin: timeoutProfile }),
  }).refine((d) => d.poolMax <= d.poolHardMax, { message: 'poolMax must not exceed poolHardMax', path: ['poolMax'] })
    .refine((d) => d.poolMin <= d.poolHardMax, { message: 'poolMin must not exceed poolHardMax', path: ['poolMin'] }),
  http: z.object({
    bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/i),
    requestTimeoutMs: int(100, 600_000),
    maxPageSize: int(1, 1000),
    maxOffset: int(0, 1_000_000),
    /** Absent: derived from databaseUrl (src/matcher/http/cursor.ts). */
    cursorSecret: z.string().min(32, 'at least 32 characters').optional(),
    /** An older cursor is refused (INVALID_CURSOR): the client starts the list again. */
    cursorMaxAgeSeconds: int(60, 30 * 86_400),
    /** How long an Idempotency-Key (and its stored response) is remembered. */
    idempotencyTtlSeconds: int(1, 30 * 86_400),
  }),
  /** Unknown keys are remembered for negativeTtlMs; a client over failureLimit bad keys per window gets 429. */
  auth: z.object({ negativeTtlMs: int(0, 3_600_000), failureLimit: int(1, 1_000_000), failureWindowMs: int(100, 3_600_000) }),
  /** Where the runtime document comes from (file outside a cluster, ConfigMap inside). */
  runtime: z.object({
    file: z.string().min(1).optional(),
    configMap: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/), namespace: z.string().min(1) }).optional(),
    /** A kubeconfig path; absent: in-cluster credentials, else the default ~/.kube/config. */
    kubeconfig: z.string().min(1).optional(),
    /** Polling fallback for the file (fs.watch misses events on some filesystems). */
    pollMs: int(50, 60_000),
  }),
  /** OpenAI-compatible chat-completion providers; `[]` means the local matcher only. */
  providers: z.array(z.object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
    baseUrl: z.string().url(),
    apiKey: z.string().default(''),
    model: z.string().min(1).default('gpt-4o-mini'),
    /** Higher is more accurate: Full prefers the most accurate healthy provider. */
    accuracy: z.number().min(0).max(1).default(0.5),
    timeoutMs: int(10, 600_000).default(15_000),
    concurrency: int(0, 1000).default(2),
    /**
     * The provider's rate limit as a static queue-wide limiter (BullMQ's global rate limit), for
     * fleets run without Plimsoll; under Plimsoll the runtime document sets it.
     */
    rateLimit: z.object({ requests: int(1, 1_000_000), periodSeconds: int(1, 86_400) }).optional(),
  })).refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, { message: 'provider names must be unique' }),
  promptVersion: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/),
  queues: z.object({
    /** BullMQ key prefix (tests use a unique one). */
    prefix: z.string().min(1),
    attempts: int(1, 100),
    backoffMs: int(1, 600_000),
    /** Waiting jobs over all providers above which new analyses are refused (429 QUEUE_FULL). */
    maxWaiting: int(1, 10_000_000),
    stalledIntervalMs: int(100, 600_000),
    lockDurationMs: int(500, 600_000),
  }),
  breaker: z.object({
    errorThresholdPercentage: int(1, 100),
    resetTimeoutMs: int(10, 600_000),
    volumeThreshold: int(1, 10_000),
    rollingWindowMs: int(100, 600_000),
  }),
  cacheTtlSeconds: int(1, 30 * 86_400),
  /** The local matcher off the event loop: its thread count, and each analysis's deadline (queueing included). */
  analysis: z.object({ threads: int(1, 64), deadlineMs: int(10, 600_000) }),
  /** Self-protection: requests are refused above these (503 OVERLOADED). */
  admission: z.object({ heapMb: int(16, 1_000_000), eventLoopLagMs: int(1, 600_000), cpuQuotaShare: z.coerce.number().min(0).max(1), cpuLimitMillicores: int(0, 10_000_000).optional() }),
  /** The replica's own emergency level: Reduced above the first heap/lag, Basic above the second. */
  emergency: z.object({
    reducedHeapMb: int(16, 1_000_000), basicHeapMb: int(16, 1_000_000), reducedLagMs: int(1, 600_000), basicLagMs: int(1, 600_000),
    /** Jobs waiting for the providers (all queues) that put a replica in Reduced / Basic; 0: never. */
    reducedQueueWaiting: int(0, 10_000_000), basicQueueWaiting: int(0, 10_000_000),
  }),
  /** Per-tenant requests per window (Redis, shared by every replica). */
  tenantRateLimit: z.object({ points: int(1, 10_000_000), windowMs: int(100, 3_600_000) }),
  ...processFields,
  serviceName: z.string().min(1),
});

export type MatcherConfig = z.infer<typeof matcherConfigSchema>;

/** Parses the environment (defaults for the local stack) into a frozen config; CONFIG_INVALID names every bad variable. */
export function loadMatcherConfig(environment: Env = process.env, overrides: Env = {}): Readonly<MatcherConfig> {
  const env: Env = { ...environment, ...overrides };
  const get = envReader(matcherEnvDefaults, env);
  const profile = (p: 'FAST' | 'ANALYSIS' | 'ADMIN') => ({
    statementTimeoutMs: get(`MATCHER_DB_${p}_STATEMENT_TIMEOUT_MS`),
    lockTimeoutMs: get(`MATCHER_DB_${p}_LOCK_TIMEOUT_MS`),
    idleInTransactionTimeoutMs: get(`MATCHER_DB_${p}_IDLE_TX_TIMEOUT_MS`),
  });
  const raw = {
    host: get('MATCHER_HOST'),
    port: get('MATCHER_PORT'),
    databaseUrl: get('MATCHER_DATABASE_URL'),
    migrationDatabaseUrl: get('MATCHER_MIGRATION_DATABASE_URL'),
    pgbouncerAdminUrl: get('MATCHER_PGBOUNCER_ADMIN_URL') === 'none' ? undefined : get('MATCHER_PGBOUNCER_ADMIN_URL'),
    redisUrl: get('MATCHER_REDIS_URL'),
    db: {
      poolMax: get('MATCHER_DB_POOL_MAX'),
      poolMin: get('MATCHER_DB_POOL_MIN'),
      poolHardMax: get('MATCHER_DB_POOL_HARD_MAX'),
      acquireTimeoutMs: get('MATCHER_DB_ACQUIRE_TIMEOUT_MS'),
      idleTimeoutMs: get('MATCHER_DB_IDLE_TIMEOUT_MS'),
      unhealthyAfterMs: get('MATCHER_DB_UNHEALTHY_AFTER_MS'),
      profiles: { fast: profile('FAST'), analysis: profile('ANALYSIS'), admin: profile('ADMIN') },
    },
    http: {
      bodyLimit: get('MATCHER_BODY_LIMIT'),
      requestTimeoutMs: get('MATCHER_REQUEST_TIMEOUT_MS'),
      maxPageSize: get('MATCHER_MAX_PAGE_SIZE'),
      maxOffset: get('MATCHER_MAX_OFFSET'),
      cursorSecret: get('MATCHER_CURSOR_SECRET') || undefined,
      cursorMaxAgeSeconds: get('MATCHER_CURSOR_MAX_AGE_SECONDS'),
      idempotencyTtlSeconds: get('MATCHER_IDEMPOTENCY_TTL_SECONDS'),
    },
    auth: { negativeTtlMs: get('MATCHER_AUTH_NEGATIVE_TTL_MS'), failureLimit: get('MATCHER_AUTH_FAILURE_LIMIT'), failureWindowMs: get('MATCHER_AUTH_FAILURE_WINDOW_MS') },
    runtime: {
      file: get('MATCHER_RUNTIME_FILE') || undefined,
      configMap: get('MATCHER_RUNTIME_CONFIGMAP') ? { name: get('MATCHER_RUNTIME_CONFIGMAP'), namespace: get('MATCHER_RUNTIME_NAMESPACE') } : undefined,
      kubeconfig: env.KUBECONFIG || undefined,
      pollMs: get('MATCHER_RUNTIME_POLL_MS'),
    },
    providers: parseJson('MATCHER_PROVIDERS', get('MATCHER_PROVIDERS')),
    promptVersion: get('MATCHER_PROMPT_VERSION'),
    queues: {
      prefix: get('MATCHER_QUEUE_PREFIX'),
      attempts: get('MATCHER_QUEUE_ATTEMPTS'),
      backoffMs: get('MATCHER_QUEUE_BACKOFF_MS'),
      maxWaiting: get('MATCHER_QUEUE_MAX_WAITING'),
      stalledIntervalMs: get('MATCHER_QUEUE_STALLED_INTERVAL_MS'),
      lockDurationMs: get('MATCHER_QUEUE_LOCK_DURATION_MS'),
    },
    breaker: {
      errorThresholdPercentage: get('MATCHER_BREAKER_ERROR_PERCENT'),
      resetTimeoutMs: get('MATCHER_BREAKER_RESET_MS'),
      volumeThreshold: get('MATCHER_BREAKER_VOLUME'),
      rollingWindowMs: get('MATCHER_BREAKER_WINDOW_MS'),
    },
    cacheTtlSeconds: get('MATCHER_CACHE_TTL_SECONDS'),
    analysis: { threads: get('MATCHER_ANALYSIS_THREADS'), deadlineMs: get('MATCHER_ANALYSIS_DEADLINE_MS') },
    admission: { heapMb: get('MATCHER_ADMISSION_HEAP_MB'), eventLoopLagMs: get('MATCHER_ADMISSION_LAG_MS'), cpuQuotaShare: get('MATCHER_ADMISSION_CPU_QUOTA_SHARE'), cpuLimitMillicores: get('MATCHER_CPU_LIMIT_MILLICORES') || undefined },
    emergency: {
      reducedHeapMb: get('MATCHER_EMERGENCY_REDUCED_HEAP_MB'), basicHeapMb: get('MATCHER_EMERGENCY_BASIC_HEAP_MB'),
      reducedLagMs: get('MATCHER_EMERGENCY_REDUCED_LAG_MS'), basicLagMs: get('MATCHER_EMERGENCY_BASIC_LAG_MS'),
      reducedQueueWaiting: get('MATCHER_EMERGENCY_REDUCED_QUEUE_WAITING'), basicQueueWaiting: get('MATCHER_EMERGENCY_BASIC_QUEUE_WAITING'),
    },
    tenantRateLimit: { points: get('MATCHER_TENANT_RATE_LIMIT'), windowMs: get('MATCHER_TENANT_RATE_WINDOW_MS') },
    logLevel: get('MATCHER_LOG_LEVEL'),
    shutdownGraceMs: get('MATCHER_SHUTDOWN_GRACE_MS'),
    serviceName: get('MATCHER_SERVICE_NAME'),
  };
  return parseConfig(matcherConfigSchema, raw, 'matcher');
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PlimsollError('CONFIG_INVALID', `${name} is not valid JSON`, { problems: [{ path: name, message: (error as Error).message }], cause: error });
  }
}
