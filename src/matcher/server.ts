import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { MatcherConfig } from './config.js';
import { MATCHER_METRIC_PREFIX } from '../plimsoll/contract/metrics.js';
import type { Logger } from '../plimsoll/observability/logger.js';
import {
  ConfigMapRuntimeSource, FileRuntimeSource, QueueKnobs, ResizablePool, RuntimeClient, type RuntimeSource, type ServiceLevelSource,
} from '../plimsoll/runtime-client/index.js';
import { AnalysisCache } from './analysis-cache.js';
import { AnalysisPool } from './analysis/pool.js';
import { AnalysisService } from './analysis-service.js';
import { AnalysisWorker } from './analysis-worker.js';
import { ApiKeyVerifier } from './auth.js';
import { Database } from './db/database.js';
import { DatabaseHealth } from './db/database-health.js';
import { loadMigrations } from './db/migrations.js';
import { createApp } from './http/app.js';
import { IdempotencyStore } from './idempotency.js';
import { MatcherMetrics } from './metrics.js';
import { Admission } from './protection/admission.js';
import { EffectiveServiceLevel } from './protection/effective-service-level.js';
import { TenantRateLimiter } from './protection/tenant-rate-limiter.js';
import { OpenAiCompatibleProvider } from './providers/openai-compatible-provider.js';
import { ProviderBreakers } from './providers/provider-breakers.js';
import { AnalysisQueues } from './queues/analysis-queues.js';
import { Repository } from './repository.js';
import { downwardApiQuota, readCpuQuota } from './runtime/cpu-quota.js';
import { CpuQuotaUse } from './runtime/cpu-quota-use.js';
import { EventLoopDelayHistogram } from './runtime/event-loop-delay.js';

export interface MatcherDeps {
  config: Readonly<MatcherConfig>;
  logger: Logger;
  registry: Registry;
}

/** A running matcher, and the parts tests look into. */
export interface Matcher {
  server: Server;
  url: string;
  pool: ResizablePool;
  db: Database;
  redis: Redis;
  repo: Repository;
  /** The effective level: the runtime document's, raised by this replica's emergency level. */
  levels: ServiceLevelSource;
  metrics: MatcherMetrics;
  runtime: RuntimeClient;
  analyses: AnalysisService;
  /** The queues' processor. */
  analysisWorker: AnalysisWorker;
  admission: Admission;
  queues: AnalysisQueues | undefined;
  breakers: ProviderBreakers | undefined;
  /** Stop accepting, finish in-flight requests (up to the grace period), close pool and Redis. */
  shutdown(reason?: string): Promise<void>;
}

/** The runtime document's channel: the ConfigMap when credentials exist, else the file, else none. */
function runtimeSource(config: Readonly<MatcherConfig>, logger: Logger): RuntimeSource | undefined {
  const { configMap, file, kubeconfig, pollMs } = config.runtime;
  if (configMap && ConfigMapRuntimeSource.available(kubeconfig)) return new ConfigMapRuntimeSource({ ...configMap, kubeConfig: kubeconfig, logger });
  if (file) return new FileRuntimeSource(file, pollMs);
  if (configMap) logger.warn({ configMap }, 'no Kubernetes credentials: the runtime ConfigMap is not watched');
  return undefined;
}

export async function startMatcher({ config, logger, registry }: MatcherDeps): Promise<Matcher> {
  const migrations = loadMigrations();
  const source = runtimeSource(config, logger);
  // A governed replica starts with the policy's pool.min: the share it is sure of before the
  // runtime document says its share (and while none can be read); an ungoverned one with poolMax.
  const pool = new ResizablePool({
    connectionString: config.databaseUrl, max: source ? config.db.poolMin : config.db.poolMax, hardMax: config.db.poolHardMax,
    acquireTimeoutMs: config.db.acquireTimeoutMs, idleTimeoutMs: config.db.idleTimeoutMs, applicationName: config.serviceName,
  });
  // The runtime client governs the pool and (as AnalysisQueues registers them) the provider queues.
  const queueKnobs = new QueueKnobs(logger);
  const runtime = new RuntimeClient({ source, pool, queues: queueKnobs, registry, logger, metricPrefix: MATCHER_METRIC_PREFIX });
  const pressureLoop = monitorEventLoopDelay({ resolution: 10 });
  pressureLoop.enable();
  const levels = new EffectiveServiceLevel(runtime.levels, config.emergency, pressureLoop);
  levels.start();
  const metrics = new MatcherMetrics(registry, pool, levels);
  const loopDelayHistogram = new EventLoopDelayHistogram(registry, () => levels.current());
  loopDelayHistogram.start();
  const databaseHealth = new DatabaseHealth(config.db.unhealthyAfterMs);
  const db = new Database(pool, config.db.profiles, databaseHealth.observing(metrics));
  const repo = new Repository(db);
  const keys = new ApiKeyVerifier(db);
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis error'));
  await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable at start-up; /readyz reports it'));
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  // A CPU limit stops every thread once its period's quota is spent, the event loop's included:
  // admission refuses before the quota runs out, not after the lag has piled up (docs/matcher.md).
  const cpuQuota = readCpuQuota() ?? downwardApiQuota(config.admission.cpuLimitMillicores);
  const quotaUse = cpuQuota && config.admission.cpuQuotaShare > 0 ? new CpuQuotaUse(cpuQuota.cores) : undefined;
  quotaUse?.start();
  if (cpuQuota) logger.info({ cpuQuota, refuseAtShare: config.admission.cpuQuotaShare || 'never' }, 'running under a CPU quota');
  // The local matcher's threads: no analysis runs on this event loop.
  const analysisPool = new AnalysisPool(config.analysis);

  const breakers = config.providers.length > 0
    ? new ProviderBreakers(config.providers.map((p) => ({ provider: new OpenAiCompatibleProvider(p), accuracy: p.accuracy })), config.breaker, registry, logger)
    : undefined;
  const providerOrder = [...config.providers].sort((a, b) => b.accuracy - a.accuracy).map((p) => p.name);
  const cache = new AnalysisCache(redis, config.queues.prefix, config.promptVersion, config.cacheTtlSeconds, registry);
  const worker = new AnalysisWorker({ repo, cache, levels, breakers, attempts: config.queues.attempts, logger, answers: metrics, localAnalysis: analysisPool.analyse });
  const queues = config.providers.length > 0
    ? new AnalysisQueues({
      redisUrl: config.redisUrl, prefix: config.queues.prefix, providers: config.providers.map((p) => ({
        name: p.name, concurrency: p.concurrency,
        rateLimit: p.rateLimit && { max: p.rateLimit.requests, durationMs: p.rateLimit.periodSeconds * 1000 },
      })),
      attempts: config.queues.attempts, backoffMs: config.queues.backoffMs, stalledIntervalMs: config.queues.stalledIntervalMs,
      lockDurationMs: config.queues.lockDurationMs, defaultRateLimit: { max: 1000, durationMs: 1000 },
      processor: worker.process, knobs: queueKnobs, logger, registry,
    })
    : undefined;
  if (queues) levels.watchQueue(() => queues.totalWaiting());
  const analyses = new AnalysisService({
    repo, cache, levels, queues, breakers, providerOrder, promptVersion: config.promptVersion, answers: metrics, localAnalysis: analysisPool.analyse,
  });
  const pressure = () => (quotaUse ? { ...levels.lastPressure, cpuQuotaShare: quotaUse.share() } : levels.lastPressure);
  const admission = new Admission({ ...config.admission, maxWaiting: config.queues.maxWaiting }, pressure, () => queues?.totalWaiting() ?? 0, registry);
  const tenantLimiter = new TenantRateLimiter(redis, config.queues.prefix, config.tenantRateLimit.points, config.tenantRateLimit.windowMs);
  // Nothing above touched the database: the runtime document (or the lack of one) decides the
  // pool and the workers' concurrency before the first connection opens.
  await runtime.start();
  const applied = runtime.document();
  if (applied && !applied.db) pool.resize(config.db.poolMax); // a policy without a connection budget
  queues?.runWorkers((provider) => applied?.queues[provider] !== undefined);
  await queues?.start();

  let shuttingDown = false;
  let migrationsCheckedAt = 0;
  let migrationsOk = false;

  const checkMigrations = async (): Promise<{ ok: boolean; pending: number; changed: number }> => {
    const { rows } = await db.query<{ version: number; checksum: string }>('fast', 'health.migrations', 'SELECT version, checksum FROM schema_migrations');
    const applied = new Map(rows.map((r) => [r.version, r.checksum]));
    const pending = migrations.filter((m) => !applied.has(m.version)).length;
    const changed = migrations.filter((m) => applied.has(m.version) && applied.get(m.version) !== m.checksum).length;
    return { ok: pending === 0 && changed === 0, pending, changed };
  };

  /** A check with a deadline: a dependency that does not answer must not hold the probe. */
  const timed = async <T>(fn: () => Promise<T>, limitMs = 1000): Promise<{ ok: boolean; ms: number; value?: T; error?: string; timedOut?: boolean }> => {
    const t = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      const value = await Promise.race([fn(), new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(new Error(`no answer within ${limitMs} ms`));
        }, limitMs);
      })]);
      return { ok: true, ms: Math.round((performance.now() - t) * 10) / 10, value };
    } catch (error) {
      return { ok: false, ms: Math.round((performance.now() - t) * 10) / 10, error: (error as Error).message, timedOut };
    } finally {
      clearTimeout(timer);
    }
  };

  const health = {
    live: () => true,
    /**
     * Ready: this replica can serve. Shared dependencies are reported, not required: when the
     * database or Redis is down it is down for every replica, and a fleet that all goes unready
     * turns every request into the load balancer's 502, where a ready replica serves what it can
     * (cached and local answers, reads) and refuses the rest at once with a code and Retry-After.
     * What does gate it: the schema matching this build, verified once the database answered.
     */
    async ready() {
      const [database, cache] = await Promise.all([
        timed(() => db.query('fast', 'health.ping', 'SELECT 1'), 500),
        timed(() => redis.ping(), 500),
      ]);
      let migrationsCheck: Record<string, unknown> = { ok: migrationsOk, cached: true };
      if (database.ok && (!migrationsOk || Date.now() - migrationsCheckedAt > 30_000)) {
        const m = await timed(checkMigrations);
        migrationsOk = m.ok && (m.value?.ok ?? false);
        migrationsCheckedAt = Date.now();
        migrationsCheck = { ...(m.value ?? { error: m.error }), ok: migrationsOk };
      }
      return {
        ok: migrationsOk,
        checks: {
          database: { ok: database.ok, ms: database.ms, ...(database.error ? { error: database.error } : {}) },
          redis: { ok: cache.ok, ms: cache.ms, ...(cache.error ? { error: cache.error } : {}) },
          migrations: migrationsCheck,
        },
      };
    },
    async details() {
      const mem = process.memoryUsage();
      const [redisPing, dbPing] = await Promise.all([timed(() => redis.ping()), timed(() => db.query('fast', 'health.ping', 'SELECT 1'))]);
      if (!dbPing.ok) databaseHealth.pingFailed(dbPing.timedOut ?? false);
      const admitting = admission.details();
      return {
        service: config.serviceName,
        pid: process.pid,
        uptimeSeconds: Math.round(process.uptime()),
        shuttingDown,
        pool: pool.stats(),
        redis: { status: redis.status, ok: redisPing.ok, pingMs: redisPing.ms },
        // The fields the example policy's health signals read (database.healthy, memory.heapUsedBytes).
        // Slow is not down: a timed-out ping counts only after DatabaseHealth's grace (database-health.ts).
        database: { healthy: databaseHealth.healthy(), pingOk: dbPing.ok, pingMs: dbPing.ms, ...(dbPing.error ? { error: dbPing.error } : {}) },
        memory: { heapUsedBytes: mem.heapUsed, heapUsedMb: mb(mem.heapUsed), heapTotalMb: mb(mem.heapTotal), rssMb: mb(mem.rss), externalMb: mb(mem.external) },
        // Requests in flight now (a policy's health signal sums them over the replicas: it leads the request rate).
        http: { inFlight: metrics.httpInFlight },
        eventLoop: { lagMeanMs: round(loopDelay.mean / 1e6), lagP99Ms: round(loopDelay.percentile(99) / 1e6), lagMaxMs: round(loopDelay.max / 1e6) },
        migrations: { current: migrationsOk },
        queues: Object.fromEntries(Object.entries(queues?.details() ?? {})
          .map(([name, q]) => [name, { ...q, admission: admitting.admitting ? 'admitting' : `refusing (${admitting.refusing})` }])),
        breakers: breakers?.details() ?? {},
        admission: admitting,
        levels: levels.describe(),
        // runtimeGeneration and runtime: what the runtime client applied, in the contract's shape.
        ...runtime.health(),
      };
    },
    async metricsText() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };

  const idempotency = new IdempotencyStore(db, {
    ttlSeconds: config.http.idempotencyTtlSeconds, leaseMs: config.http.requestTimeoutMs,
    onPurgeError: (err) => logger.warn({ err }, 'idempotency: purging expired keys failed; the next claim retries'),
  });
  const app = createApp({ config, logger, repo, keys, metrics, levels, health, isShuttingDown: () => shuttingDown, analyses, admission, tenantLimiter, idempotency });
  const server = createServer({ requestTimeout: config.http.requestTimeoutMs, keepAliveTimeout: 65_000 }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host}:${address.port}`;
  logger.info({ url, poolMax: pool.max }, 'matcher listening');

  let closing: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown') => {
    closing ??= (async () => {
      shuttingDown = true;
      logger.info({ reason, graceMs: config.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets become idle as their last request finishes: close them as they do.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => {
        logger.warn('grace period over: closing remaining connections');
        server.closeAllConnections();
      }, config.shutdownGraceMs);
      await closed;
      clearTimeout(timer);
      clearInterval(sweeper);
      // Workers finish their active jobs; waiting jobs stay in Redis for the next replica.
      await queues?.close().catch((err: Error) => logger.error({ err: err.message }, 'closing queues'));
      await analysisPool.close().catch((err: Error) => logger.error({ err: err.message }, 'closing the analysis threads'));
      await runtime.stop().catch(() => undefined);
      breakers?.shutdown();
      levels.stop();
      quotaUse?.stop();
      pressureLoop.disable();
      loopDelay.disable();
      loopDelayHistogram.stop();
      await pool.end().catch(() => undefined);
      redis.disconnect();
      logger.info('matcher stopped');
    })();
    return closing;
  };
  return { server, url, pool, db, redis, repo, levels, metrics, runtime, analyses, analysisWorker: worker, admission, queues, breakers, shutdown };
}

const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const round = (v: number) => Math.round(v * 100) / 100;
