import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { MatcherConfig } from '../config/matcher.js';
import type { Logger } from '../observability/logger.js';
import { ApiKeyVerifier } from './auth.js';
import { Database } from './db/database.js';
import { loadMigrations, type Migration } from './db/migrations.js';
import { ResizablePool } from './db/resizable-pool.js';
import { createApp } from './http/app.js';
import { MatcherMetrics } from './metrics.js';
import { Repository } from './repository.js';
import { StaticServiceLevel, type ServiceLevelSource } from './service-level.js';
import { AnalysisService } from './analysis-service.js';
import { Admission } from './protection/admission.js';
import { TenantRateLimiter } from './protection/tenant-rate-limiter.js';
import { OpenAiCompatibleProvider } from './providers/openai-compatible-provider.js';
import { ProviderBreakers } from './providers/provider-breakers.js';
import { AnalysisQueues } from './queues/analysis-queues.js';
import { ConfigMapRuntimeSource } from './runtime/configmap-source.js';
import type { RuntimeSource } from './runtime/document.js';
import { EffectiveServiceLevel } from './runtime/effective-service-level.js';
import { FileRuntimeSource } from './runtime/file-source.js';
import { RuntimeManager } from './runtime/runtime-manager.js';

export interface MatcherDeps {
  config: Readonly<MatcherConfig>;
  logger: Logger;
  registry: Registry;
  /**
   * Tests may pin the level; the default is the effective level (runtime document's cluster
   * level, raised by this replica's emergency level).
   */
  levels?: ServiceLevelSource;
  /** Overrides the source chosen from the configuration (tests). */
  runtimeSource?: RuntimeSource;
  migrations?: Migration[];
}

/** A running matcher: the seams part 2 builds on. */
export interface Matcher {
  server: Server;
  url: string;
  pool: ResizablePool;
  db: Database;
  redis: Redis;
  repo: Repository;
  levels: ServiceLevelSource;
  metrics: MatcherMetrics;
  runtime: RuntimeManager;
  analyses: AnalysisService;
  admission: Admission;
  queues: AnalysisQueues | undefined;
  breakers: ProviderBreakers | undefined;
  /** Part 2 fills these into /health/details. */
  detailsExtensions: Map<string, () => unknown>;
  /** Stop accepting, finish in-flight requests (up to the grace period), close pool and Redis. */
  shutdown(reason?: string): Promise<void>;
}

export async function startMatcher(deps: MatcherDeps): Promise<Matcher> {
  const { config, logger, registry } = deps;
  const pressureLoop = monitorEventLoopDelay({ resolution: 10 });
  pressureLoop.enable();
  const effective = new EffectiveServiceLevel(config.emergency, pressureLoop);
  effective.start();
  const levels = deps.levels ?? effective;
  const migrations = deps.migrations ?? loadMigrations();
  const pool = new ResizablePool({
    connectionString: config.databaseUrl, max: config.db.poolMax, hardMax: config.db.poolHardMax,
    acquireTimeoutMs: config.db.acquireTimeoutMs, idleTimeoutMs: config.db.idleTimeoutMs, applicationName: config.serviceName,
  });
  const metrics = new MatcherMetrics(registry, pool, levels);
  const db = new Database(pool, config.db.profiles, metrics);
  const repo = new Repository(db);
  const keys = new ApiKeyVerifier(db);
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis error'));
  await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable at start-up; /readyz reports it'));
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const detailsExtensions = new Map<string, () => unknown>();

  // --- part 2: providers, breakers, queues, analyses, protection, runtime knobs
  const breakers = config.providers.length > 0
    ? new ProviderBreakers(config.providers.map((p) => ({ provider: new OpenAiCompatibleProvider(p), accuracy: p.accuracy })), config.breaker, registry, logger)
    : undefined;
  const providerOrder = [...config.providers].sort((a, b) => b.accuracy - a.accuracy).map((p) => p.name);
  let queues: AnalysisQueues | undefined;
  const analyses: AnalysisService = new AnalysisService({
    repo, redis, levels, breakers, providerOrder, promptVersion: config.promptVersion, cachePrefix: config.queues.prefix,
    cacheTtlSeconds: config.cacheTtlSeconds, attempts: config.queues.attempts, logger, registry,
    get queues() { return queues; },
  });
  if (config.providers.length > 0) {
    queues = new AnalysisQueues({
      redisUrl: config.redisUrl, prefix: config.queues.prefix, providers: config.providers.map((p) => ({ name: p.name, concurrency: p.concurrency })),
      attempts: config.queues.attempts, backoffMs: config.queues.backoffMs, stalledIntervalMs: config.queues.stalledIntervalMs,
      lockDurationMs: config.queues.lockDurationMs, defaultRateLimit: { max: 1000, durationMs: 1000 },
      processor: analyses.process, logger, registry,
    });
    await queues.start();
  }
  const admission = new Admission({ ...config.admission, maxWaiting: config.queues.maxWaiting }, () => effective.lastPressure, () => queues?.totalWaiting() ?? 0, registry);
  const tenantLimiter = new TenantRateLimiter(redis, config.queues.prefix, config.tenantRateLimit.points, config.tenantRateLimit.windowMs);
  let source = deps.runtimeSource;
  if (!source && config.runtime.configMap && ConfigMapRuntimeSource.available(config.runtime.kubeconfig)) {
    source = new ConfigMapRuntimeSource(config.runtime.configMap.name, config.runtime.configMap.namespace, config.runtime.kubeconfig);
  } else if (!source && config.runtime.file) {
    source = new FileRuntimeSource(config.runtime.file, config.runtime.pollMs);
  }
  if (!source && config.runtime.configMap) logger.warn({ configMap: config.runtime.configMap }, 'no Kubernetes credentials: the runtime ConfigMap is not watched');
  const runtime = new RuntimeManager(source, {
    serviceLevel: (level) => {
      if (levels instanceof EffectiveServiceLevel) levels.setCluster(level);
      else if (levels instanceof StaticServiceLevel) levels.set(level);
      effective.setCluster(level);
    },
    poolMax: (n) => pool.resize(Math.min(config.db.poolHardMax, Math.max(1, n))),
    queues: async (q) => { await queues?.apply(q); },
  }, logger, registry);
  await runtime.start();
  detailsExtensions.set('queues', () => {
    const out: Record<string, unknown> = {};
    for (const [name, q] of Object.entries(queues?.details() ?? {})) out[name] = { ...q, admission: admission.details().admitting ? 'admitting' : `refusing (${admission.details().refusing})` };
    return out;
  });
  detailsExtensions.set('breakers', () => breakers?.details() ?? {});
  detailsExtensions.set('admission', () => admission.details());
  detailsExtensions.set('levels', () => effective.describe());
  detailsExtensions.set('runtimeGeneration', () => runtime.status().generation);
  detailsExtensions.set('runtime', () => runtime.status());
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

  const timed = async <T>(fn: () => Promise<T>): Promise<{ ok: boolean; ms: number; value?: T; error?: string }> => {
    const t = performance.now();
    try {
      const value = await fn();
      return { ok: true, ms: Math.round((performance.now() - t) * 10) / 10, value };
    } catch (error) {
      return { ok: false, ms: Math.round((performance.now() - t) * 10) / 10, error: (error as Error).message };
    }
  };

  const health = {
    live: () => true,
    async ready() {
      const [database, cache] = await Promise.all([
        timed(() => db.query('fast', 'health.ping', 'SELECT 1')),
        timed(() => redis.ping()),
      ]);
      let migrationsCheck: Record<string, unknown> = { ok: migrationsOk, cached: true };
      if (database.ok && (!migrationsOk || Date.now() - migrationsCheckedAt > 30_000)) {
        const m = await timed(checkMigrations);
        migrationsOk = m.ok && (m.value?.ok ?? false);
        migrationsCheckedAt = Date.now();
        migrationsCheck = { ...(m.value ?? { error: m.error }), ok: migrationsOk };
      }
      return {
        ok: database.ok && cache.ok && migrationsOk,
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
      const ext: Record<string, unknown> = {};
      for (const [k, f] of detailsExtensions) ext[k] = f();
      return {
        service: config.serviceName,
        pid: process.pid,
        uptimeSeconds: Math.round(process.uptime()),
        shuttingDown,
        pool: pool.stats(),
        redis: { status: redis.status, ok: redisPing.ok, pingMs: redisPing.ms },
        // The fields the example policy's health signals read (database.healthy, memory.heapUsedBytes).
        database: { healthy: dbPing.ok, pingMs: dbPing.ms, ...(dbPing.error ? { error: dbPing.error } : {}) },
        memory: { heapUsedBytes: mem.heapUsed, heapUsedMb: mb(mem.heapUsed), heapTotalMb: mb(mem.heapTotal), rssMb: mb(mem.rss), externalMb: mb(mem.external) },
        eventLoop: { lagMeanMs: round(loopDelay.mean / 1e6), lagP99Ms: round(loopDelay.percentile(99) / 1e6), lagMaxMs: round(loopDelay.max / 1e6) },
        migrations: { current: migrationsOk },
        // Filled by part 2 (queues, providers, protection, runtime knobs).
        queues: {},
        breakers: {},
        runtimeGeneration: null,
        ...ext,
      };
    },
    async metricsText() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };

  const app = createApp({ config, logger, repo, keys, metrics, levels, health, isShuttingDown: () => shuttingDown, analyses, admission, tenantLimiter });
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
      await runtime.stop().catch(() => undefined);
      breakers?.shutdown();
      effective.stop();
      pressureLoop.disable();
      loopDelay.disable();
      await pool.end().catch(() => undefined);
      redis.disconnect();
      logger.info('matcher stopped');
    })();
    return closing;
  };
  return { server, url, pool, db, redis, repo, levels, metrics, runtime, analyses, admission, queues, breakers, detailsExtensions, shutdown };
}

const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const round = (v: number) => Math.round(v * 100) / 100;
