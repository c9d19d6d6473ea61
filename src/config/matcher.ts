import { z } from 'zod';
import { PlimsollError } from '../errors.js';

/**
 * The matcher's configuration: parsed ONCE at start-up from the environment and frozen.
 * Nothing else in src/ reads process.env (ESLint enforces it); everything gets this object.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

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
    /** Initial pool limit; part 2 changes it at runtime through ResizablePool.resize(). */
    poolMax: int(1, 1000),
    /** The ceiling resize() may reach (pg.Pool's own max). */
    poolHardMax: int(1, 1000),
    acquireTimeoutMs: int(1, 600_000),
    idleTimeoutMs: int(100, 3_600_000),
    profiles: z.object({ fast: timeoutProfile, analysis: timeoutProfile, admin: timeoutProfile }),
  }).refine((d) => d.poolMax <= d.poolHardMax, { message: 'poolMax must not exceed poolHardMax', path: ['poolMax'] }),
  http: z.object({
    bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/i),
    requestTimeoutMs: int(100, 600_000),
    maxPageSize: int(1, 1000),
    maxOffset: int(0, 1_000_000),
  }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  shutdownGraceMs: int(0, 600_000),
  serviceName: z.string().min(1),
});

export type MatcherConfig = z.infer<typeof matcherConfigSchema>;

type Env = Record<string, string | undefined>;

export const matcherEnvDefaults = {
  MATCHER_HOST: '127.0.0.1',
  MATCHER_PORT: '18080',
  MATCHER_DATABASE_URL: 'postgres://plimsoll:plimsoll-dev@127.0.0.1:16432/plimsoll',
  MATCHER_MIGRATION_DATABASE_URL: 'postgres://plimsoll:plimsoll-dev@127.0.0.1:15432/plimsoll',
  MATCHER_PGBOUNCER_ADMIN_URL: 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16432/pgbouncer',
  MATCHER_REDIS_URL: 'redis://127.0.0.1:16379/0',
  MATCHER_DB_POOL_MAX: '20',
  MATCHER_DB_POOL_HARD_MAX: '100',
  MATCHER_DB_ACQUIRE_TIMEOUT_MS: '2000',
  MATCHER_DB_IDLE_TIMEOUT_MS: '30000',
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
  MATCHER_LOG_LEVEL: 'info',
  MATCHER_SHUTDOWN_GRACE_MS: '10000',
  MATCHER_SERVICE_NAME: 'matcher',
} as const;

/** Parses the environment (defaults for the local stack) into a frozen config; CONFIG_INVALID names every bad variable. */
export function loadMatcherConfig(environment: Env = process.env, overrides: Env = {}): Readonly<MatcherConfig> {
  const env: Env = { ...environment, ...overrides };
  const get = (name: keyof typeof matcherEnvDefaults): string => {
    const value = env[name];
    return value === undefined || value === '' ? matcherEnvDefaults[name] : value;
  };
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
    pgbouncerAdminUrl: env.MATCHER_PGBOUNCER_ADMIN_URL === 'none' ? undefined : get('MATCHER_PGBOUNCER_ADMIN_URL'),
    redisUrl: get('MATCHER_REDIS_URL'),
    db: {
      poolMax: get('MATCHER_DB_POOL_MAX'),
      poolHardMax: get('MATCHER_DB_POOL_HARD_MAX'),
      acquireTimeoutMs: get('MATCHER_DB_ACQUIRE_TIMEOUT_MS'),
      idleTimeoutMs: get('MATCHER_DB_IDLE_TIMEOUT_MS'),
      profiles: { fast: profile('FAST'), analysis: profile('ANALYSIS'), admin: profile('ADMIN') },
    },
    http: {
      bodyLimit: get('MATCHER_BODY_LIMIT'),
      requestTimeoutMs: get('MATCHER_REQUEST_TIMEOUT_MS'),
      maxPageSize: get('MATCHER_MAX_PAGE_SIZE'),
      maxOffset: get('MATCHER_MAX_OFFSET'),
    },
    logLevel: get('MATCHER_LOG_LEVEL'),
    shutdownGraceMs: get('MATCHER_SHUTDOWN_GRACE_MS'),
    serviceName: get('MATCHER_SERVICE_NAME'),
  };
  const parsed = matcherConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PlimsollError('CONFIG_INVALID', 'the matcher configuration is invalid', {
      problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return deepFreeze(parsed.data);
}

/** A config for a different database (tests, `migrate --database-url`), still frozen. */
export function withDatabase(config: Readonly<MatcherConfig>, databaseUrl: string, migrationDatabaseUrl: string): Readonly<MatcherConfig> {
  return deepFreeze({ ...structuredClone(config), databaseUrl, migrationDatabaseUrl });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
