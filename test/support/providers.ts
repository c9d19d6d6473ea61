/**
 * Test support for the matcher's providers and queues: fake providers (in-process), a matcher
 * wired to them with a unique BullMQ prefix, and cleanup of that prefix's keys (bullmq's
 * convention: a unique queue name per test, removed afterwards).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTenant } from '../../src/matcher/auth.js';
import { FakeProviderServer, type FakeProviderSettings } from '../../src/matcher/dev/fake-provider-server.js';
import { startMatcher, type Matcher } from '../../src/matcher/server.js';
import { createLogger } from '../../src/plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../src/plimsoll/observability/metrics.js';
import { api, createTestDatabase, testConfig, type TestDatabase, type TestTenant } from './matcher.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:16379/0';

export interface FakeSpec { name: string; accuracy?: number; concurrency?: number; settings?: Partial<FakeProviderSettings> }

export interface ProviderHarness {
  db: TestDatabase;
  prefix: string;
  fakes: Map<string, FakeProviderServer>;
  providersEnv: string;
  tenant: TestTenant;
  /** Starts (another) matcher on the same database, queues and providers. */
  start(env?: Record<string, string>): Promise<Matcher>;
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export async function providerHarness(specs: FakeSpec[], env: Record<string, string> = {}): Promise<ProviderHarness> {
  const db = await createTestDatabase();
  const prefix = `plimsoll-test-${randomBytes(5).toString('hex')}`;
  const fakes = new Map<string, FakeProviderServer>();
  const providers: unknown[] = [];
  for (const s of specs) {
    const fake = new FakeProviderServer({ name: s.name, latencyMs: 20, distribution: 'fixed', ...s.settings });
    const url = await fake.listen();
    fakes.set(s.name, fake);
    providers.push({ name: s.name, baseUrl: `${url}/v1`, model: s.name, accuracy: s.accuracy ?? 0.5, timeoutMs: 2000, concurrency: s.concurrency ?? 4 });
  }
  const providersEnv = JSON.stringify(providers);
  const matchers: Matcher[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const config = testConfig(db, {
      MATCHER_PROVIDERS: providersEnv, MATCHER_QUEUE_PREFIX: prefix, MATCHER_QUEUE_BACKOFF_MS: '20', MATCHER_QUEUE_ATTEMPTS: '4',
      MATCHER_BREAKER_VOLUME: '3', MATCHER_BREAKER_RESET_MS: '60000', MATCHER_QUEUE_STALLED_INTERVAL_MS: '1000', MATCHER_QUEUE_LOCK_DURATION_MS: '2000',
      ...env, ...extra,
    });
    const logger = createLogger({ name: 'matcher-test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const m = await startMatcher({ config, logger, registry: createMetricsRegistry({ defaultMetrics: false }) });
    matchers.push(m);
    return m;
  };
  const direct = new pg.Pool({ connectionString: db.directUrl, max: 3 });
  direct.on('error', () => undefined);
  const client = await direct.connect();
  const t = await createTenant(client, 'providers tenant').finally(() => client.release());
  return {
    db, prefix, fakes, providersEnv, tenant: { id: t.tenantId, key: t.apiKey }, start,
    async sql(text, params) { return (await direct.query(text, params)).rows; },
    async close() {
      for (const m of matchers) await m.shutdown('test done').catch(() => undefined);
      for (const f of fakes.values()) await f.close();
      await direct.end();
      await db.drop();
      await deleteKeys(prefix);
    },
  };
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

let counter = 0;
/** A resume and a job that differ per call (no cache hits between them). */
export async function createPair(url: string, key: string): Promise<{ resumeId: string; jobId: string }> {
  const n = ++counter;
  const resume = await api(url, 'POST', '/v1/resumes', { key, body: { candidateName: `Candidate ${n}`, headline: 'Backend Engineer',
    content: `${n % 9} years of Go, PostgreSQL, Redis and Kubernetes. Built payment systems. Ref ${n} ${randomBytes(3).toString('hex')}` } });
  const job = await api(url, 'POST', '/v1/jobs', { key, body: { title: `Go Engineer ${n}`,
    description: 'Requirements:\n- Go\n- Kafka\n- PostgreSQL\nNice to have\n- Redis', requiredSkills: ['PostgreSQL'] } });
  if (resume.status !== 201 || job.status !== 201) throw new Error(`setup failed: ${resume.status} ${job.status}`);
  return { resumeId: resume.body.data.id as string, jobId: job.body.data.id as string };
}

/** Polls GET /v1/analyses/:id until 200 (or the deadline). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
export async function awaitAnalysis(url: string, key: string, id: string, timeoutMs = 15_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api(url, 'GET', `/v1/analyses/${id}`, { key });
    if (r.status === 200) return r.body.data;
    if (r.status !== 202) throw new Error(`GET ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    if (Date.now() > deadline) throw new Error(`analysis ${id} not done in ${timeoutMs} ms: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
