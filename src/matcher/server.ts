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

export interface MatcherDeps {
  config: Readonly<MatcherConfig>;
  logger: Logger;
  registry: Registry;
  /** Part 2 passes the runtime-driven source; the default is a constant Full. */
  levels?: ServiceLevelSource;
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
  /** Part 2 fills these into /health/details. */
  detailsExtensions: Map<string, () => unknown>;
  /** Stop accepting, finish in-flight requests (up to the grace period), close pool and Redis. */
  shutdown(reason?: string): Promise<void>;
}

export async function startMatcher(deps: MatcherDeps): Promise<Matcher> {
  const { config, logger, registry } = deps;
  const levels = deps.levels ?? new StaticServiceLevel('Full');
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
      const redisPing = await timed(() => redis.ping());
      const ext: Record<string, unknown> = {};
      for (const [k, f] of detailsExtensions) ext[k] = f();
      return {
        service: config.serviceName,
        pid: process.pid,
        uptimeSeconds: Math.round(process.uptime()),
        shuttingDown,
        pool: pool.stats(),
        redis: { status: redis.status, ok: redisPing.ok, pingMs: redisPing.ms },
        memory: { heapUsedMb: mb(mem.heapUsed), heapTotalMb: mb(mem.heapTotal), rssMb: mb(mem.rss), externalMb: mb(mem.external) },
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

  const app = createApp({ config, logger, repo, keys, metrics, levels, health, isShuttingDown: () => shuttingDown });
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
      loopDelay.disable();
      await pool.end().catch(() => undefined);
      redis.disconnect();
      logger.info('matcher stopped');
    })();
    return closing;
  };
  return { server, url, pool, db, redis, repo, levels, metrics, detailsExtensions, shutdown };
}

const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const round = (v: number) => Math.round(v * 100) / 100;
