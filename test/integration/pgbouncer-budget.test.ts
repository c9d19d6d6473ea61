// The connection budget bites: the stack's PgBouncer holds the example policy's budget as its
// client ceiling, and a PgBouncer rendered from the same template (tools/services/pgbouncer.sh,
// a private instance on a free port, so the running demo is never starved) really refuses the
// client past it — a raw client and a real matcher's pool alike, the matcher counting each refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { parseScalingPolicy } from '../../src/plimsoll/api/validate.js';
import { readSingleDocument } from '../../src/plimsoll/shared/files.js';
import { loadMatcherConfig } from '../../src/matcher/config.js';
import { isPlimsollError } from '../../src/plimsoll/errors.js';
import { startMatcher } from '../../src/matcher/server.js';
import { createLogger } from '../../src/plimsoll/observability/logger.js';
import { createMetricsRegistry } from '../../src/plimsoll/observability/metrics.js';

const SCRIPT = resolve('tools/services/pgbouncer.sh');
const STACK_CONSOLE = process.env.TEST_STACK_PGBOUNCER_ADMIN_URL ?? 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16432/pgbouncer';
const APP = 'plimsoll:plimsoll-dev';
const CONSOLE = 'pgbouncer_admin:pgbouncer-admin-dev';

async function policyBudget(): Promise<number> {
  const policy = parseScalingPolicy(await readSingleDocument('examples/matcher.yaml', 'ScalingPolicy'), 'examples/matcher.yaml');
  return policy.spec.connectionBudget!.maxConnections!;
}

async function consoleRows(url: string, text: string): Promise<Array<Record<string, string>>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<Record<string, string>>({ text })).rows;
  } finally {
    await c.end();
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the stack\'s PgBouncer: max_client_conn is the example policy\'s budget, the seeds\' pool figures, the demo\'s database only', async () => {
  const budget = await policyBudget();
  const config = Object.fromEntries((await consoleRows(STACK_CONSOLE, 'SHOW CONFIG')).map((r) => [r.key, r.value]));
  assert.equal(Number(config.max_client_conn), budget, `max_client_conn ${config.max_client_conn} = connectionBudget.maxConnections ${budget}`);
  assert.deepEqual([config.default_pool_size, config.reserve_pool_size, config.max_db_connections, config.pool_mode], ['20', '5', '25', 'transaction']);
  const databases = (await consoleRows(STACK_CONSOLE, 'SHOW DATABASES')).map((r) => r.name).sort();
  assert.deepEqual(databases, ['pgbouncer', 'plimsoll', 'plimsoll_session']);
  // No `*` fallback on the stack's instance: the tests' databases live on their own (:16433).
  const other = new pg.Client({ connectionString: `postgres://${APP}@127.0.0.1:${new URL(STACK_CONSOLE).port}/postgres` });
  await assert.rejects(other.connect(), /no such database: postgres/);
});

test('past the budget PgBouncer refuses the next client, and a matcher\'s pool meets the same refusals and counts them', { timeout: 120_000 }, async (t) => {
  const budget = await policyBudget();
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-budget-'));
  const port = await freePort();
  const held: pg.Client[] = [];
  const open: { console?: pg.Client; matcher?: Awaited<ReturnType<typeof startMatcher>> } = {};
  // In this order: the clients leave before their PgBouncer stops.
  t.after(async () => {
    await open.matcher?.shutdown('test done');
    await Promise.all(held.map((c) => c.end().catch(() => undefined)));
    await open.console?.end();
    execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  execFileSync('bash', [SCRIPT, 'ensure', 'stack', String(port), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const consoleUrl = `postgres://${CONSOLE}@127.0.0.1:${port}/pgbouncer`;
  const appUrl = `postgres://${APP}@127.0.0.1:${port}/plimsoll`;
  const config = Object.fromEntries((await consoleRows(consoleUrl, 'SHOW CONFIG')).map((r) => [r.key, r.value]));
  assert.equal(Number(config.max_client_conn), budget, 'rendered from the template with the policy\'s budget');

  // The admin console counts against max_client_conn but is never refused: hold one open.
  const adminConsole = open.console = new pg.Client({ connectionString: consoleUrl });
  await adminConsole.connect();
  const clientCount = async () => (await adminConsole.query({ text: 'SHOW CLIENTS' })).rows.length;
  let refusal: (Error & { code?: string }) | undefined;
  while (held.length <= budget) {
    const c = new pg.Client({ connectionString: appUrl });
    c.on('error', () => undefined);
    try {
      await c.connect();
      held.push(c);
    } catch (error) {
      refusal = error as Error & { code?: string };
      break;
    }
  }
  assert.equal(held.length, budget - 1, `${budget} clients in all: the adminConsole and ${budget - 1} of the database`);
  assert.deepEqual([refusal?.code, refusal?.message], ['08P01', 'no more connections allowed (max_client_conn)']);
  assert.equal(await clientCount(), budget, 'SHOW CLIENTS: the ceiling reached');

  // A replica whose pool would take 20 while only 10 are left: 10 queries run, 10 are refused.
  const logger = createLogger({ name: 'budget-test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const matcher = open.matcher = await startMatcher({
    config: loadMatcherConfig({
      MATCHER_DATABASE_URL: appUrl, MATCHER_PORT: '0', MATCHER_LOG_LEVEL: 'silent', MATCHER_DB_POOL_MAX: '20',
      MATCHER_PGBOUNCER_ADMIN_URL: 'none', MATCHER_SHUTDOWN_GRACE_MS: '2000',
    }),
    logger, registry: createMetricsRegistry({ defaultMetrics: false }),
  });
  await Promise.all(held.splice(0, 10).map((c) => c.end()));
  await waitFor('PgBouncer to see the ten clients leave', async () => (await clientCount()) === budget - 10);
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => matcher.db.query('fast', 'test.hold', 'SELECT pg_sleep(0.3)')));
  const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as unknown);
  assert.equal(results.length - refused.length, 10, 'the ten free connections served');
  assert.equal(refused.length, 10);
  for (const e of refused) assert.ok(isPlimsollError(e) && e.code === 'DB_UNAVAILABLE' && /max_client_conn/.test(e.message), String(e));
  assert.equal(await clientCount(), budget, 'the replica\'s pool filled the budget, no more');

  // What Prometheus scrapes: every refusal counted as client_limit, nothing else.
  const text = await (await fetch(`${matcher.url}/metrics`)).text();
  const counted = Object.fromEntries([...text.matchAll(/^matcher_db_connection_errors_total\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  assert.deepEqual(counted, { client_limit: 10, timeout: 0, unreachable: 0, auth: 0, other: 0 });
});
