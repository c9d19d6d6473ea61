// The load runner's PgBouncer sampler against the real PgBouncers of the local stack: the clients
// and server connections it reports are the ones a test holds open, its limits are the running
// configuration, and a wrong console or database fails with what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pg from 'pg';
import { parseScalingPolicy } from '../../src/plimsoll/api/validate.js';
import { readSingleDocument } from '../../src/plimsoll/shared/files.js';
import { LoadTestError } from '../../loadtests/load/errors.js';
import { PgBouncerSampler } from '../../loadtests/load/pgbouncer-sampler.js';
import { withDirectClient } from '../../src/matcher/db/migrations.js';
import { createTestDatabase, PGBOUNCER_ADMIN_URL } from '../support/matcher.js';

const STACK_CONSOLE = process.env.TEST_STACK_PGBOUNCER_ADMIN_URL ?? 'postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:16432/pgbouncer';

test('the sampler counts the clients and server connections a database really has', async (t) => {
  const db = await createTestDatabase({ migrate: false });
  const clients: pg.Client[] = [];
  t.after(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db.drop();
  });
  for (let i = 0; i < 5; i++) {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    clients.push(c);
  }
  // One client inside a transaction holds a server connection (transaction pooling).
  await clients[0]!.query('BEGIN');
  await clients[0]!.query('SELECT 1');

  const sampler = new PgBouncerSampler(PGBOUNCER_ADMIN_URL, db.name);
  t.after(() => sampler.close());
  const limits = await sampler.limits();
  assert.deepEqual(limits, { ...TESTS_INSTANCE, source: 'database' }, 'the tests\' instance, as rendered from the template');
  const s = await sampler.sample(3);
  assert.equal(s.t, 3);
  assert.equal(s.clients, 5, 'the five clients of this database');
  assert.equal(s.clientsWaiting, 0);
  assert.ok(s.servers >= 1 && s.servers <= 25, `server connections ${s.servers}: the one in a transaction, at most max_db_connections`);
  assert.ok(s.clientsAll >= 6, `all clients (${s.clientsAll}) include these five and the console`);

  // A client more, and the next sample sees it; the loop always takes at least one sample.
  const sixth = new pg.Client({ connectionString: db.url });
  await sixth.connect();
  clients.push(sixth);
  const clock = () => 0;
  const run = sampler.start(clock, 0.2);
  const result = await run.stop();
  assert.equal(result.failed, 0, result.lastError);
  assert.ok(result.samples.length >= 1);
  assert.ok(result.samples.every((x) => x.clients === 6), JSON.stringify(result.samples));
  await clients[0]!.query('COMMIT');
});

test('the stack\'s PgBouncer, the load runner\'s default: its ceiling for the demo\'s database is the example policy\'s budget', async (t) => {
  const sampler = new PgBouncerSampler(STACK_CONSOLE, 'plimsoll');
  t.after(() => sampler.close());
  const policy = parseScalingPolicy(await readSingleDocument('examples/matcher.yaml', 'ScalingPolicy'), 'examples/matcher.yaml');
  const limits = await sampler.limits();
  assert.equal(limits.maxClientConn, policy.spec.connectionBudget!.maxConnections);
  assert.deepEqual([limits.poolSize, limits.reservePool, limits.maxDbConnections, limits.poolMode, limits.source], [20, 5, 25, 'transaction', 'database']);
});

test('a console that does not answer, or a database PgBouncer does not serve, fails with what is wrong', async (t) => {
  const unknown = new PgBouncerSampler(STACK_CONSOLE, 'plimsol');
  t.after(() => unknown.close());
  await assert.rejects(unknown.limits(), (e: LoadTestError) => e.code === 'PGBOUNCER_DATABASE_UNKNOWN'
    && /PgBouncer serves no database "plimsol" \(SHOW DATABASES lists: plimsoll, plimsoll_session; SHOW POOLS has no pool for it\) at postgres:\/\/pgbouncer_admin:\*\*\*@127\.0\.0\.1:16432\/pgbouncer; pass --pgbouncer-database NAME/.test(e.message));
  // Port 1 on loopback: nothing listens there.
  const closed = new PgBouncerSampler('postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:1/pgbouncer', 'plimsoll');
  t.after(() => closed.close());
  await assert.rejects(closed.limits(), (e: LoadTestError) => e.code === 'PGBOUNCER_UNREACHABLE'
    && /admin console at postgres:\/\/pgbouncer_admin:\*\*\*@127\.0\.0\.1:1\/pgbouncer does not answer .*--pgbouncer none/.test(e.message));
});

/**
 * A TCP relay to the tests' PgBouncer that holds the client's second packet (its SCRAM answer)
 * for holdMs: a login slower than PgBouncer's janitor period (1/3 s), as on a busy CI machine.
 */
async function slowLoginRelay(holdMs: number): Promise<{ port: number; close(): void }> {
  const target = new URL(PGBOUNCER_ADMIN_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let packets = 0;
    client.on('data', (chunk) => {
      packets++;
      if (packets === 2) setTimeout(() => upstream.write(chunk), holdMs);
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    for (const s of [client, upstream]) s.on('error', () => undefined).on('close', () => { client.destroy(); upstream.destroy(); });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

const TESTS_INSTANCE = { maxClientConn: 1000, maxDbConnections: 25, poolSize: 20, reservePool: 5, poolMode: 'transaction' };

test('a * fallback database: unknown until it has a client; served but unlisted after a slow first login, it gets the instance\'s defaults', async (t) => {
  const db = await createTestDatabase({ migrate: false });
  const relay = await slowLoginRelay(600);
  const sampler = new PgBouncerSampler(PGBOUNCER_ADMIN_URL, db.name);
  const viaRelay = new URL(db.url);
  viaRelay.port = String(relay.port);
  const slow = new pg.Client({ connectionString: viaRelay.toString() });
  const direct = new pg.Client({ connectionString: db.url });
  t.after(async () => {
    await sampler.close();
    await Promise.all([slow.end(), direct.end()].map((p) => p.catch(() => undefined)));
    relay.close();
    await db.drop();
  });
  assert.equal(await sampler.tryLimits(), undefined, 'no client has asked PgBouncer for it: not served yet');
  await sampler.sample(0);
  assert.equal(sampler.limitsRead, undefined);

  // PgBouncer 1.18's janitor moves an auto-database whose pools have no client to its idle list,
  // also while the first client is still logging in; it is then served but not listed.
  await slow.connect();
  await slow.query('SELECT 1');
  const listed = async () => (await withDirectClient(PGBOUNCER_ADMIN_URL, (c) => c.query<{ name: string }>('SHOW DATABASES'))).rows.some((r) => r.name === db.name);
  const listedAfterSlowLogin = await listed();
  await sampler.sample(1);
  assert.deepEqual(sampler.limitsRead, { ...TESTS_INSTANCE, source: listedAfterSlowLogin ? 'database' : 'instance defaults' });

  // The next new client brings it back to the list: its own row from then on.
  await direct.connect();
  assert.equal(await listed(), true);
  const fresh = new PgBouncerSampler(PGBOUNCER_ADMIN_URL, db.name);
  t.after(() => fresh.close());
  assert.deepEqual(await fresh.tryLimits(), { ...TESTS_INSTANCE, source: 'database' });

  // An unreachable console is still an error, not "unknown".
  const closed = new PgBouncerSampler('postgres://pgbouncer_admin:pgbouncer-admin-dev@127.0.0.1:1/pgbouncer', db.name);
  t.after(() => closed.close());
  await assert.rejects(closed.tryLimits(), (e: LoadTestError) => e.code === 'PGBOUNCER_UNREACHABLE');
});
