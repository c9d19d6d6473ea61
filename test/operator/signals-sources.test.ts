// The signal sources against real servers, without the cluster: the real Prometheus and the
// tests' PgBouncer (:16433) for normal answers; for faults the real ones cannot produce, tiny
// real servers on 127.0.0.1 — a Prometheus-shaped one that counts its requests, a TCP server
// that accepts and never answers, and a proxy in front of the real PgBouncer that can freeze.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { scalingPolicySpecSchema, type ScalingPolicySpecInput } from '../../src/plimsoll/api/scaling-policy.js';
import type { SignalObservation } from '../../src/plimsoll/engine/index.js';
import { createMetricsRegistry } from '../../src/plimsoll/observability/metrics.js';
import { createOperatorMetrics } from '../../src/plimsoll/operator/metrics.js';
import { collectSignals } from '../../src/plimsoll/operator/signal-collector.js';
import { createSignalRegistry as createRegistry, defaultSignalOptions, type SignalContext, type SignalOptions, type SignalRegistry } from '../../src/plimsoll/operator/signals/index.js';
import { REPO_ROOT } from '../support/cluster.js';
import { PGBOUNCER_ADMIN_URL } from '../support/matcher.js';
import { silentLogger } from '../support/process.js';
import { registerNamed, stackSignalSources } from '../support/signal-sources.js';
import { PROMETHEUS, constantPolicy } from './harness.js';

const logger = silentLogger('signals-sources');
const metrics = createOperatorMetrics(createMetricsRegistry({ defaultMetrics: false }));
/** The stack's sources and the private servers of these tests, registered as each policy is read. */
const sources = stackSignalSources();
const createSignalRegistry = (options: Partial<SignalOptions> = {}) => createRegistry({ ...defaultSignalOptions, ...options, sources });

type SignalInput = NonNullable<ScalingPolicySpecInput['signals']>[number];

/** A parsed policy with these signals (budget fixed, no objectives needed for reading). */
function policy(signals: SignalInput[], pollingIntervalSeconds = 15) {
  return scalingPolicySpecSchema.parse({ ...constantPolicy('matcher', 0), pollingIntervalSeconds, signals, objectives: [] });
}

function context(policyName: string, secrets: Record<string, string> = {}): SignalContext {
  return {
    namespace: 'signals-sources', policyName, targetName: 'matcher', logger,
    readyEndpoints: async () => [],
    secretValue: async (name) => {
      const value = secrets[name];
      if (value === undefined) throw new Error(`no secret ${name}`);
      return value;
    },
  };
}

function collect(registry: SignalRegistry, name: string, spec: ReturnType<typeof policy>, secrets: Record<string, string> = {}, now = Date.now, previous: Record<string, SignalObservation> = {}) {
  registerNamed(sources, spec);
  return collectSignals(spec, previous, registry, context(name, secrets), metrics, logger, now);
}

async function listen(t: TestContext, server: Server | ReturnType<typeof createHttpServer>, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return (server.address() as AddressInfo).port;
}

/** Accepts connections and never answers: a hung Prometheus or PgBouncer. */
async function silentServer(t: TestContext): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createTcpServer(() => { accepted++; });
  return { port: await listen(t, server, new Set()), accepted: () => accepted };
}

/** Speaks the Prometheus query API (one series, value 5) and counts the queries it is asked. */
async function countingPrometheus(t: TestContext): Promise<{ url: string; queries: string[] }> {
  const queries: string[] = [];
  const server = createHttpServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
    queries.push(query);
    // Answer a little later, so that concurrent readers overlap the request in flight.
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, '5'] }] } }));
    }, 50);
  });
  return { url: `http://127.0.0.1:${await listen(t, server, new Set())}`, queries };
}

const promSignal = (name: string, serverAddress: string, query: string, timeoutSeconds = 2): SignalInput => ({ name, prometheus: { serverAddress, query, timeoutSeconds } });

test('identical Prometheus queries of two policies in one polling window are asked once; the real Prometheus answers both', async (t) => {
  const registry = createSignalRegistry();
  t.after(() => registry.pgbouncer.close?.());
  const prom = await countingPrometheus(t);
  const a = policy([promSignal('depth', prom.url, 'sum(matcher_queue_depth)'), promSignal('depth-again', prom.url, 'sum(matcher_queue_depth)')]);
  const b = policy([promSignal('queue', prom.url, 'sum(matcher_queue_depth)'), promSignal('other', prom.url, 'max(matcher_queue_depth)')]);
  const [ra, rb] = await Promise.all([collect(registry, 'a', a), collect(registry, 'b', b)]);
  assert.deepEqual([ra.depth?.value, ra['depth-again']?.value, rb.queue?.value, rb.other?.value], [5, 5, 5, 5]);
  assert.deepEqual(prom.queries.sort(), ['max(matcher_queue_depth)', 'sum(matcher_queue_depth)'], 'one request per distinct query');

  // The real Prometheus: a shared answer is the right answer for both policies.
  const real = policy([promSignal('v', PROMETHEUS, 'vector(7)')], 1);
  const [x, y] = await Promise.all([collect(registry, 'x', real), collect(registry, 'y', real)]);
  assert.deepEqual([x.v, y.v].map((o) => [o?.value, o?.consecutiveFailures]), [[7, 0], [7, 0]]);
});

test('a hung Prometheus: its signal fails with SIGNAL_TIMEOUT within the timeout, another policy\'s collection completes meanwhile', { timeout: 30_000 }, async (t) => {
  const registry = createSignalRegistry({ hostConcurrency: 2, pgbouncerTimeoutMs: 1000 });
  t.after(() => registry.pgbouncer.close?.());
  const hung = await silentServer(t);
  const address = `http://127.0.0.1:${hung.port}`;
  // Three different queries (never shared) to the hung server, which has two slots.
  const stuck = policy(['a', 'b', 'c'].map((q) => promSignal(q, address, `sum(${q})`, 2)));
  const started = Date.now();
  let settled = false;
  const stuckRead = collect(registry, 'stuck', stuck).finally(() => { settled = true; });
  const healthy = await collect(registry, 'healthy', policy([promSignal('load', PROMETHEUS, 'vector(3)')]));
  assert.equal(healthy.load?.value, 3);
  assert.equal(settled, false, 'the healthy policy did not wait for the hung server');
  await waitUntil(() => hung.accepted() >= 2, 'two connections');
  assert.equal(hung.accepted(), 2, 'the hung server holds its own two slots; the third read waits for one');

  const failed = await stuckRead;
  const elapsed = Date.now() - started;
  for (const name of ['a', 'b', 'c']) {
    const o = failed[name]!;
    assert.equal(o.consecutiveFailures, 1);
    assert.match(o.lastError ?? '', new RegExp(`^SIGNAL_TIMEOUT: prometheus ${address}: no answer within 2 s$`), name);
  }
  t.diagnostic(`3 reads of a hung Prometheus (timeout 2 s, 2 slots) failed after ${elapsed} ms`);
  assert.ok(elapsed >= 2000 && elapsed < 4000, `every read, the one that waited for a slot included, failed at its own deadline: ${elapsed} ms`);
});

test('a PgBouncer that accepts and never answers: SIGNAL_TIMEOUT within the configured timeout, the real PgBouncer is read meanwhile', { timeout: 30_000 }, async (t) => {
  const registry = createSignalRegistry({ hostConcurrency: 4, pgbouncerTimeoutMs: 2000 });
  t.after(() => registry.pgbouncer.close?.());
  const hung = await silentServer(t);
  const secrets = { hung: `postgres://pgbouncer_admin:secret-password@127.0.0.1:${hung.port}/pgbouncer`, real: PGBOUNCER_ADMIN_URL };
  const bouncer = (secret: string): SignalInput => ({ name: 'budget', pgbouncer: { secretRef: { name: secret, key: 'uri' }, database: 'plimsoll', metric: 'MaxClientConnections' } });
  const started = Date.now();
  let settled = false;
  const stuckRead = collect(registry, 'stuck', policy([bouncer('hung')]), secrets).finally(() => { settled = true; });
  const healthy = await collect(registry, 'healthy', policy([bouncer('real')]), secrets);
  assert.ok((healthy.budget?.value ?? 0) > 0, JSON.stringify(healthy));
  assert.equal(settled, false, 'the healthy policy did not wait for the hung PgBouncer');
  const failed = (await stuckRead).budget!;
  const elapsed = Date.now() - started;
  assert.match(failed.lastError ?? '', new RegExp(`^SIGNAL_TIMEOUT: pgbouncer 127\\.0\\.0\\.1:${hung.port}: no answer within 2 s$`));
  assert.doesNotMatch(failed.lastError ?? '', /secret-password/, 'credentials never reach status');
  t.diagnostic(`hung PgBouncer (timeout 2000 ms) failed after ${elapsed} ms`);
  assert.ok(elapsed >= 2000 && elapsed < 4000, `${elapsed} ms`);
});

/** A TCP proxy to the real PgBouncer that can stop passing bytes: a console hung mid-session. */
async function freezableProxy(t: TestContext, target: URL): Promise<{ port: number; freeze: (on: boolean) => void; closedByClient: () => number }> {
  let frozen = false;
  let closedByClient = 0;
  const server = createTcpServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    client.on('data', (d) => { if (!frozen) upstream.write(d); });
    upstream.on('data', (d) => { if (!frozen) client.write(d); });
    client.on('close', () => { closedByClient++; upstream.destroy(); });
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  const port = await listen(t, server, new Set());
  return { port, freeze: (on) => { frozen = on; }, closedByClient: () => closedByClient };
}

test('a PgBouncer console that hangs mid-session: the query times out, the connection is closed, the next read reconnects', { timeout: 30_000 }, async (t) => {
  const registry = createSignalRegistry({ hostConcurrency: 4, pgbouncerTimeoutMs: 1000 });
  t.after(() => registry.pgbouncer.close?.());
  const real = new URL(PGBOUNCER_ADMIN_URL);
  const proxy = await freezableProxy(t, real);
  const viaProxy = new URL(PGBOUNCER_ADMIN_URL);
  viaProxy.port = String(proxy.port);
  const spec = policy([{ name: 'waiting', pgbouncer: { secretRef: { name: 'console', key: 'uri' }, database: 'plimsoll', metric: 'ClientsWaiting' } }], 1);
  // A clock a whole polling window later at every read: nothing is shared between the three.
  let clock = 1_000_000;
  const later = () => { clock += 1000; return clock; };
  const read = () => collect(registry, 'p', spec, { console: viaProxy.href }, later);

  assert.equal((await read()).waiting?.consecutiveFailures, 0, 'read through the proxy');
  proxy.freeze(true);
  const hung = (await read()).waiting!;
  assert.match(hung.lastError ?? '', /^SIGNAL_TIMEOUT: pgbouncer 127\.0\.0\.1:\d+: no answer within 1 s$/);
  await waitUntil(() => proxy.closedByClient() === 1, 'the hung connection to be closed by the operator');
  proxy.freeze(false);
  const again = (await read()).waiting!;
  assert.equal(again.consecutiveFailures, 0, `a new connection answers: ${again.lastError}`);
});

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), `timed out waiting for ${what}`);
}

test('a private PgBouncer with max_db_connections = 0: the budget signal says "unlimited" (SIGNAL_UNLIMITED), not 0', { timeout: 60_000 }, async (t) => {
  const script = join(REPO_ROOT, 'tools', 'services', 'pgbouncer.sh');
  const dir = mkdtempSync(join(tmpdir(), 'signals-unlimited-'));
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const registry = createSignalRegistry();
  t.after(async () => {
    await registry.pgbouncer.close?.();
    execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  execFileSync('bash', [script, 'ensure', 'tests', String(port), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const uri = new URL(PGBOUNCER_ADMIN_URL);
  uri.port = String(port);
  const admin = new pg.Client({ connectionString: uri.href });
  await admin.connect();
  await admin.query({ text: 'SET max_db_connections = 0' });
  await admin.end();

  const spec = policy([{ name: 'db-budget', pgbouncer: { secretRef: { name: 'console', key: 'uri' }, database: 'plimsoll', metric: 'MaxDatabaseConnections' } }]);
  const o = (await collect(registry, 'p', spec, { console: uri.href }))['db-budget']!;
  assert.equal(o.value, undefined);
  assert.match(o.lastError ?? '', /^SIGNAL_UNLIMITED: pgbouncer: max_db_connections = 0 means unlimited/);
});

test('a health signal whose target has no ready endpoint: SIGNAL_NO_ENDPOINTS, marked nothing to read (not a failed source), the last value kept', async () => {
  const registry = createSignalRegistry();
  const spec = policy([{ name: 'database-healthy', health: { field: 'database.healthy', aggregate: 'Min' } }]);
  const previous = { 'database-healthy': { value: 1, readAt: Date.now() - 15_000, consecutiveFailures: 0 } };
  const observed = await collect(registry, 'no-endpoints', spec, {}, Date.now, previous);
  const reading = observed['database-healthy']!;
  assert.match(reading.lastError ?? '', /^SIGNAL_NO_ENDPOINTS: /);
  assert.equal(reading.nothingToRead, true);
  assert.equal(reading.consecutiveFailures, 1);
  assert.equal(reading.value, 1);
});
