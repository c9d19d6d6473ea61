/**
 * make chaos-matcher: the matcher's faults (issue 15) under closed-loop load, on a private stack:
 * its own PgBouncer and Redis (own ports, a temp dir), a fresh database on the shared PostgreSQL
 * (reached only through the private PgBouncer), N matcher processes behind the stack's loopback
 * load balancer, one fake provider, and closed-loop users (POST an analysis, follow it with GET
 * until it is answered, next). Faults, one after another: PgBouncer restarted, Redis restarted
 * (AOF), SIGTERM to each replica in turn, kill -9 of a replica mid-job. Then the figures: matcher
 * processes crashed, accepted analyses lost, duplicate rows, provider calls per analysis, 502s
 * from the load balancer; printed and written to out/chaos-matcher/.
 *
 *   node --import tsx loadtests/chaos/chaos-matcher.ts [--pgbouncer-restarts 10] [--redis-restarts 10]
 *     [--replicas 3] [--users 8]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createTenant } from '../../src/matcher/auth.js';
import { loadMigrations, migrateUp, withDirectClient } from '../../src/matcher/db/migrations.js';
import { FakeProviderServer } from '../../src/matcher/dev/fake-provider-server.js';
import { LoadBalancer } from '../../tools/stack/replica-runner/load-balancer.js';
import { freePort, PrivateRedis } from '../../test/support/private-redis.js';
import { tally, type Figures } from './figures.js';

const { values: args } = parseArgs({ options: {
  'pgbouncer-restarts': { type: 'string', default: '10' }, 'redis-restarts': { type: 'string', default: '10' },
  replicas: { type: 'string', default: '3' }, users: { type: 'string', default: '8' },
} });
const PG = 'postgres://plimsoll:plimsoll-dev@127.0.0.1:15432';
const ROOT = new URL('../..', import.meta.url).pathname;
const OUT = join(ROOT, 'out/chaos-matcher');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stdout.write(`[chaos] ${m}\n`);

// --- the private PgBouncer: tools/services/pgbouncer.ini.template, rendered as the tests' instance
const dir = mkdtempSync(join(tmpdir(), 'plimsoll-chaos-'));
chmodSync(dir, 0o755);
const asRoot = process.getuid?.() === 0;
const pgbPort = await freePort();
const pgbDir = join(dir, 'pgbouncer');
mkdirSync(pgbDir);
writeFileSync(join(pgbDir, 'pgbouncer.ini'), readFileSync(join(ROOT, 'tools/services/pgbouncer.ini.template'), 'utf8')
  .replaceAll('@PG_PORT@', '15432').replaceAll('@PGB_PORT@', String(pgbPort)).replaceAll('@PGB_DIR@', pgbDir)
  .replaceAll('@MAX_CLIENT_CONN@', '1000').replaceAll('@STACK_ONLY@', '; ').replaceAll('@TESTS_ONLY@', ''));
writeFileSync(join(pgbDir, 'userlist.txt'), '"plimsoll" "plimsoll-dev"\n"pgbouncer_admin" "pgbouncer-admin-dev"\n', { mode: 0o600 });
if (asRoot) for (const f of [pgbDir, join(pgbDir, 'pgbouncer.ini'), join(pgbDir, 'userlist.txt')]) chownSync(f, uid('postgres'), gid('postgres'));

function uid(user: string): number {
  return Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`))!.split(':')[2]);
}
function gid(user: string): number {
  return Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`))!.split(':')[3]);
}
async function runQuiet(cmd: string, argv: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => spawn(cmd, argv, { stdio: 'ignore' }).on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`${cmd} exited ${c}`)))));
}
async function pgbouncerUp(): Promise<void> {
  const argv = ['-d', '-q', join(pgbDir, 'pgbouncer.ini')];
  await (asRoot ? runQuiet('runuser', ['-u', 'postgres', '--', 'pgbouncer', ...argv]) : runQuiet('pgbouncer', argv));
  for (let i = 0; i < 100; i++) {
    try { await withDirectClient(`${PG.replace('15432', String(pgbPort))}/postgres`, (c) => c.query('SELECT 1')); return; } catch { await sleep(50); }
  }
  throw new Error('private PgBouncer did not start');
}
async function pgbouncerDown(): Promise<void> {
  const pid = Number(readFileSync(join(pgbDir, 'pgbouncer.pid'), 'utf8'));
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) { try { process.kill(pid, 0); await sleep(50); } catch { return; } }
  process.kill(pid, 'SIGKILL');
}

// --- the stack
const dbName = `matcher_chaos_${randomBytes(4).toString('hex')}`;
await withDirectClient(`${PG}/postgres`, (c) => c.query(`CREATE DATABASE ${dbName}`));
await withDirectClient(`${PG}/${dbName}`, (c) => migrateUp(c, loadMigrations()));
const direct = new pg.Pool({ connectionString: `${PG}/${dbName}`, max: 2 });
direct.on('error', () => undefined);
const tenant = await createTenant(direct, 'chaos');
await pgbouncerUp();
const redis = await PrivateRedis.start({ persistence: true });
const fake = new FakeProviderServer({ name: 'alpha', latencyMs: 150, distribution: 'fixed' });
const fakeUrl = await fake.listen();
const prefix = `chaos-${randomBytes(3).toString('hex')}`;
const env = {
  ...process.env,
  MATCHER_DATABASE_URL: `${PG.replace('15432', String(pgbPort))}/${dbName}`, MATCHER_MIGRATION_DATABASE_URL: `${PG}/${dbName}`,
  MATCHER_PGBOUNCER_ADMIN_URL: 'none', MATCHER_REDIS_URL: redis.url, MATCHER_QUEUE_PREFIX: prefix, MATCHER_LOG_LEVEL: 'warn',
  MATCHER_PROVIDERS: JSON.stringify([{ name: 'alpha', baseUrl: `${fakeUrl}/v1`, accuracy: 0.9, timeoutMs: 3000, concurrency: 4 }]),
  MATCHER_DB_POOL_MAX: '8', MATCHER_TENANT_RATE_LIMIT: '1000000', MATCHER_QUEUE_STALLED_INTERVAL_MS: '1000', MATCHER_QUEUE_LOCK_DURATION_MS: '5000',
  MATCHER_SHUTDOWN_GRACE_MS: '5000', MATCHER_EMERGENCY_REDUCED_LAG_MS: '5000', MATCHER_EMERGENCY_BASIC_LAG_MS: '10000', MATCHER_ADMISSION_LAG_MS: '20000',
};

/** leaving: out of the Service's endpoints (its pod's preStop runs before SIGTERM, as the chart's does). */
interface Replica { id: string; port: number; child: ChildProcess; expectedExit: boolean; leaving?: boolean }
const replicas: Replica[] = [];
let crashed = 0;
mkdirSync(OUT, { recursive: true });
async function startReplica(id: string): Promise<Replica> {
  const port = await freePort();
  const out = openSync(join(OUT, `${id}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/matcher/cli/bin.ts'), 'serve'],
    { env: { ...env, MATCHER_PORT: String(port), MATCHER_SERVICE_NAME: id }, stdio: ['ignore', out, out] });
  const r: Replica = { id, port, child, expectedExit: false };
  child.on('exit', (code, signal) => {
    if (!r.expectedExit) { crashed++; log(`replica ${id} exited unexpectedly (code ${code}, signal ${signal})`); }
  });
  for (let i = 0; i < 300; i++) {
    if (await ready(r)) return r;
    await sleep(100);
  }
  throw new Error(`replica ${id} did not become ready`);
}
async function ready(r: Replica, timeoutMs = 1000): Promise<boolean> {
  try { return (await fetch(`http://127.0.0.1:${r.port}/readyz`, { signal: AbortSignal.timeout(timeoutMs) })).status === 200; } catch { return false; }
}
const lb = new LoadBalancer();
const lbUrl = await lb.listen(0);
// The Service's endpoints: replicas whose readiness probe passes, as kubelet and kube-proxy do,
// with the manifests' probe (timeout 2 s, failureThreshold 2): one slow answer on a loaded
// machine does not take a replica out; two failures in a row do.
const PROBE_TIMEOUT_MS = 2000;
const FAILURE_THRESHOLD = 2;
const probeFailures = new Map<Replica, number>();
let probing = true;
const prober = (async () => {
  while (probing) {
    const up = await Promise.all(replicas.map(async (r) => {
      if (r.leaving) return undefined;
      const failures = (await ready(r, PROBE_TIMEOUT_MS)) ? 0 : (probeFailures.get(r) ?? FAILURE_THRESHOLD) + 1;
      probeFailures.set(r, failures);
      return failures < FAILURE_THRESHOLD ? r : undefined;
    }));
    lb.setUpstreams(up.filter((r): r is Replica => r !== undefined).map((r) => ({ id: r.id, host: '127.0.0.1', port: r.port })));
    await sleep(200);
  }
})();
for (let i = 0; i < Number(args.replicas); i++) replicas.push(await startReplica(`matcher-${i}`));
await sleep(500);
log(`stack: PgBouncer :${pgbPort}, Redis :${redis.port}, ${replicas.length} matchers behind ${lbUrl}, provider ${fakeUrl}`);

// --- closed-loop users
const statuses = new Map<number, number>();
const accepted = new Set<string>();
const answered = new Set<string>();
const byPhase: Record<string, Record<number, number>> = {};
let current = 'warm-up';
/** The load balancer's 502s by phase and error code (NO_READY_REPLICA, UPSTREAM_FAILED). */
const badGateway = new Map<string, number>();
const count = (s: number) => {
  statuses.set(s, (statuses.get(s) ?? 0) + 1);
  const p = (byPhase[current] ??= {});
  p[s] = (p[s] ?? 0) + 1;
};
interface Body { data?: { id?: string } }
/**
 * One logical request. Every POST carries an Idempotency-Key, as a careful client's do: the
 * balancer may send it again to another replica when the first dies mid-request, and the
 * matcher answers a replay with the first answer. While the first attempt's claim is still held
 * (409 IDEMPOTENCY_KEY_IN_FLIGHT) the client waits Retry-After and asks again with the same key.
 */
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Body | null }> {
  const key = method === 'POST' ? randomUUID() : undefined;
  for (;;) {
    try {
      const res = await fetch(lbUrl + path, {
        method, headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(20_000),
      });
      count(res.status);
      const text = await res.text();
      if (res.status === 502) {
        const why = `${current}: ${/"code":"([A-Z_]+)"/.exec(text)?.[1] ?? 'no error code'}`;
        badGateway.set(why, (badGateway.get(why) ?? 0) + 1);
      }
      if (res.status === 409 && key) {
        await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
        continue;
      }
      return { status: res.status, json: text ? JSON.parse(text) as Body : null };
    } catch {
      count(0);
      return { status: 0, json: null };
    }
  }
}
async function follow(id: string): Promise<void> {
  for (;;) {
    const r = await call('GET', `/v1/analyses/${id}`);
    if (r.status === 200) { answered.add(id); return; }
    if (r.status === 410 && loading) { await call('POST', '/v1/analyses', pairs.get(id)); continue; }
    if (!loading && r.status !== 202 && r.status !== 503) return;
    await sleep(r.status === 202 ? 100 : 500);
  }
}
const pairs = new Map<string, { resumeId: string; jobId: string }>();
let loading = true;
let n = 0;
async function user(): Promise<void> {
  while (loading) {
    const i = ++n;
    const resume = await call('POST', '/v1/resumes', { candidateName: `C${i}`, headline: 'Engineer', content: `${i % 9} years of Go and PostgreSQL. ${randomBytes(4).toString('hex')}` });
    const job = await call('POST', '/v1/jobs', { title: `Go ${i}`, description: 'Requirements:\n- Go\n- PostgreSQL', requiredSkills: ['PostgreSQL'] });
    if (resume.status !== 201 || job.status !== 201) { await sleep(200); continue; }
    const pair = { resumeId: resume.json!.data!.id!, jobId: job.json!.data!.id! };
    const posted = await call('POST', '/v1/analyses', pair);
    if (posted.status === 202) {
      const id = posted.json!.data!.id!;
      accepted.add(id);
      pairs.set(id, pair);
      await follow(id);
    } else if (posted.status !== 200 && posted.status !== 201) await sleep(200);
  }
}
const users = Array.from({ length: Number(args.users) }, () => user());

// --- faults
const phases: { name: string; ms: number }[] = [];
async function phase(name: string, fn: () => Promise<void>): Promise<void> {
  const t = Date.now();
  current = name;
  log(name);
  await fn();
  phases.push({ name, ms: Date.now() - t });
}
await sleep(3000);
await phase(`PgBouncer restarted ${args['pgbouncer-restarts']} times`, async () => {
  for (let i = 0; i < Number(args['pgbouncer-restarts']); i++) { await pgbouncerDown(); await sleep(300); await pgbouncerUp(); await sleep(1500); }
});
await phase(`Redis restarted ${args['redis-restarts']} times`, async () => {
  for (let i = 0; i < Number(args['redis-restarts']); i++) { await redis.down('SIGTERM'); await sleep(300); await redis.up(); await sleep(1500); }
});
await phase('SIGTERM to each replica in turn', async () => {
  for (let i = 0; i < replicas.length; i++) {
    const r = replicas[i]!;
    r.expectedExit = true;
    r.leaving = true;
    await sleep(1000); // the preStop: endpoints drop the pod before it stops listening
    r.child.kill('SIGTERM');
    await new Promise((res) => r.child.once('exit', res));
    replicas[i] = await startReplica(r.id);
    await sleep(1000);
  }
});
await phase('kill -9 of a replica mid-job', async () => {
  const r = replicas[0]!;
  r.expectedExit = true;
  r.child.kill('SIGKILL');
  await new Promise((res) => r.child.once('exit', res));
  await sleep(1000);
  replicas[0] = await startReplica(r.id);
  await sleep(2000);
});
loading = false;
current = 'drain';
await Promise.all(users);
// Every accepted analysis: answered by now, or within the drain deadline.
const deadline = Date.now() + 60_000;
for (const id of accepted) {
  while (!answered.has(id) && Date.now() < deadline) await follow(id).then(() => sleep(answered.has(id) ? 0 : 200));
}

// --- figures
const rows = (await direct.query<{ id: string; n: string; version: string }>(
  'SELECT a.id, a.matcher_version AS version, (SELECT count(*) FROM interview_questions q WHERE q.analysis_result_id = a.id) AS n FROM analysis_results a')).rows;
const figures: Figures = tally({
  crashed, accepted: [...accepted], answered: [...answered], rows: rows.map((r) => ({ id: r.id, questionSets: Number(r.n), providerAnswer: r.version.includes(':') })),
  providerCalls: fake.stats.requests, statuses: Object.fromEntries(statuses), lbStats: { ...lb.stats(), statusesByPhase: byPhase }, phases,
});
writeFileSync(join(OUT, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
process.stdout.write(`\n${figures.table}\n${Object.entries(byPhase).map(([p, st]) => `  ${p}: ${JSON.stringify(st)}`).join('\n')}\n`);
if (badGateway.size > 0) process.stdout.write(`502s by phase and code: ${JSON.stringify(Object.fromEntries(badGateway))}\n`);
process.stdout.write(`\nJSON: ${join(OUT, 'figures.json')}\n`);

// --- teardown: only what this script started
probing = false;
await prober;
for (const r of replicas) { r.expectedExit = true; r.child.kill('SIGTERM'); }
await Promise.all(replicas.map((r) => new Promise((res) => (r.child.exitCode !== null ? res(undefined) : r.child.once('exit', res)))));
await lb.close();
await fake.close();
await redis.close();
await pgbouncerDown().catch(() => undefined);
await direct.end();
await withDirectClient(`${PG}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
rmSync(dir, { recursive: true, force: true });
process.exit(figures.pass ? 0 : 1);
