/**
 * Test harness for the matcher against the real local services (make services): a fresh
 * database per test file, created over a direct PostgreSQL connection and reached through
 * PgBouncer's `*` fallback entry, exactly as production reaches its database.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { loadMatcherConfig, type MatcherConfig } from '../../src/matcher/config.js';
import { createLogger } from '../../src/plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../src/plimsoll/observability/metrics.js';
import { createTenant } from '../../src/matcher/auth.js';
import { loadMigrations, migrateUp, withDirectClient } from '../../src/matcher/db/migrations.js';
import { startMatcher, type Matcher } from '../../src/matcher/server.js';

const PG = process.env.TEST_PG_URL ?? 'postgres://plimsoll:plimsoll-dev@127.0.0.1:15432';
// The tests' own PgBouncer (:16433, tools/services/pgbouncer.sh): the stack's (:16432) holds the
// demo's connection budget, which parallel test matchers must neither take nor be refused by.
const BOUNCER = process.env.TEST_PGBOUNCER_URL ?? 'postgres://plimsoll:plimsoll-dev@127.0.0.1:16433';
export const PGBOUNCER_ADMIN_URL = process.env.TEST_PGBOUNCER_ADMIN_URL ?? 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16433/pgbouncer';

export interface TestDatabase {
  name: string;
  /** Direct PostgreSQL (migrations, planting faults). */
  directUrl: string;
  /** Through PgBouncer, transaction pooling. */
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `matcher_test_${randomBytes(6).toString('hex')}`;
  await withDirectClient(`${PG}/postgres`, (c) => c.query(`CREATE DATABASE ${name}`));
  const db: TestDatabase = {
    name,
    directUrl: `${PG}/${name}`,
    url: `${BOUNCER}/${name}`,
    async drop() {
      // Close PgBouncer's server connections to it first, then force out anything left. FORCE
      // refuses (42501) while a backend of another role is still connecting through PgBouncer's
      // auth query: a moment later it is gone, so a few tries.
      for (let attempt = 1; ; attempt++) {
        await withDirectClient(PGBOUNCER_ADMIN_URL, (c) => c.query(`KILL ${name}`)).catch(() => undefined);
        try {
          await withDirectClient(`${PG}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
          return;
        } catch (err) {
          if (attempt >= 5 || (err as { code?: string }).code !== '42501') throw err;
          await new Promise((done) => setTimeout(done, 500));
        }
      }
    },
  };
  if (options.migrate ?? true) await withDirectClient(db.directUrl, (c) => migrateUp(c, loadMigrations()));
  return db;
}

export function testConfig(db: TestDatabase, env: Record<string, string> = {}): Readonly<MatcherConfig> {
  return loadMatcherConfig({
    MATCHER_DATABASE_URL: db.url,
    MATCHER_MIGRATION_DATABASE_URL: db.directUrl,
    MATCHER_PORT: '0',
    MATCHER_LOG_LEVEL: 'silent',
    MATCHER_DB_POOL_MAX: '8',
    MATCHER_SHUTDOWN_GRACE_MS: '2000',
    // A test runner runs files concurrently on a machine that may be busy: event-loop lag is the
    // machine's, not the test's. Refusing on it (OVERLOADED) or entering an emergency level would
    // make tests of other things flaky; the tests of self-protection set their own thresholds.
    MATCHER_ADMISSION_LAG_MS: '600000',
    MATCHER_EMERGENCY_REDUCED_LAG_MS: '600000',
    MATCHER_EMERGENCY_BASIC_LAG_MS: '600000',
    ...env,
  });
}

export interface TestTenant { id: string; key: string }

export interface TestMatcher {
  db: TestDatabase;
  matcher: Matcher;
  url: string;
  tenants: TestTenant[];
  /** Raw SQL through the direct connection (for assertions). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export async function startTestMatcher(options: { tenants?: number; env?: Record<string, string> } = {}): Promise<TestMatcher> {
  const db = await createTestDatabase();
  const config = testConfig(db, options.env);
  const logger = createLogger({ name: 'matcher-test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const registry = createMetricsRegistry({ defaultMetrics: true });
  const matcher = await startMatcher({ config, logger, registry });
  const direct = new pg.Pool({ connectionString: db.directUrl, max: 3 });
  direct.on('error', () => undefined);
  const tenants: TestTenant[] = [];
  for (let i = 0; i < (options.tenants ?? 2); i++) {
    const t = await matcher.db.tx('admin', 'test.tenant', (q) => createTenant(q, `tenant ${i + 1}`));
    tenants.push({ id: t.tenantId, key: t.apiKey });
  }
  return {
    db, matcher, url: matcher.url, tenants,
    async sql(text, params) {
      return (await direct.query(text, params)).rows;
    },
    async close() {
      await matcher.shutdown('test done');
      await direct.end();
      await db.drop();
    },
  };
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with JSON, the tenant's key, and the parsed body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
export async function api<T = Record<string, any>>(base: string, method: string, path: string,
  options: { key?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body as string | undefined });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed as T };
}
