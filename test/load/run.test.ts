// A short real run: the load runner against a real matcher (PostgreSQL via PgBouncer, Redis,
// BullMQ) with two fake providers, scraped by the real Prometheus. The report's counts must
// agree with what the matcher itself counted (matcher_http_requests_total), its fault must have
// really hit the provider and been undone, PgBouncer's connections must have been sampled for
// the matcher's database, and its page must render in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { createTenant } from '../../src/matcher/auth.js';
import { SampleData } from '../../src/matcher/dev/sample-data.js';
import { loadScenario } from '../../src/plimsoll/simulator/scenario.js';
import { runLoadTest } from '../../loadtests/load/run.js';
import { summaryText } from '../../loadtests/load/summary-text.js';
import { api, PGBOUNCER_ADMIN_URL } from '../support/matcher.js';
import { providerHarness } from '../support/providers.js';
import { assertRenderedPage } from './support/page-checks.js';

const PROMETHEUS = process.env.TEST_PROMETHEUS_URL ?? 'http://127.0.0.1:19090';
const TARGETS = resolve('.local/prometheus/targets');

/**
 * matcher_http_requests_total for the API, as "METHOD route status" → count. Requests refused
 * before routing (tenant rate, admission) are labelled route="unmatched" by the matcher.
 */
async function apiRequestCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^matcher_http_requests_total\{(.*)\} (\d+(?:\.\d+)?)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (!labels.route?.startsWith('/v1/') && labels.route !== 'unmatched') continue;
    out[`${labels.method} ${labels.route} ${labels.status_code}`] = Number(m[2]);
  }
  return out;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('a 24 s run: counts agree with the matcher\'s own metrics, the fault is real and undone, the page renders', { timeout: 240_000 }, async (t) => {
  const h = await providerHarness([
    { name: 'groq', accuracy: 0.6, settings: { latencyMs: 150, distribution: 'fixed' } },
    { name: 'openai', accuracy: 0.9, settings: { latencyMs: 300, distribution: 'fixed' } },
  ]);
  t.after(() => h.close());
  // A tenant rate low enough that some requests are shed (429 + Retry-After, before routing).
  const matcher = await h.start({ MATCHER_TENANT_RATE_LIMIT: '55', MATCHER_TENANT_RATE_WINDOW_MS: '10000' });
  const url = matcher.url;
  const adminUrl = (name: string) => (JSON.parse(h.providersEnv) as Array<{ name: string; baseUrl: string }>).find((p) => p.name === name)!.baseUrl.replace(/\/v1$/, '');

  // Two tenants with sample resumes and jobs, created through the API (before the baseline).
  const direct = new pg.Client({ connectionString: h.db.directUrl });
  await direct.connect();
  const second = await createTenant(direct, 'second tenant').finally(() => direct.end());
  const keys = [h.tenant.key, second.apiKey];
  const data = new SampleData(11);
  for (const key of keys) {
    for (let i = 0; i < 12; i++) assert.equal((await api(url, 'POST', '/v1/resumes', { key, body: data.resume() })).status, 201);
    for (let i = 0; i < 6; i++) assert.equal((await api(url, 'POST', '/v1/jobs', { key, body: data.job() })).status, 201);
  }

  // The real Prometheus scrapes this matcher under its own job, so the stack's job="matcher" is untouched.
  const id = randomBytes(4).toString('hex');
  const targetFile = join(TARGETS, `matcher-loadtest-${id}.json`);
  writeFileSync(`${targetFile}.tmp`, JSON.stringify([{ targets: [new URL(url).host], labels: { job: 'plimsoll-loadtest', loadtest: id } }]));
  renameSync(`${targetFile}.tmp`, targetFile);
  t.after(() => rmSync(targetFile, { force: true }));
  const selector = `job="plimsoll-loadtest",loadtest="${id}"`;
  await waitFor('Prometheus to scrape the test matcher', async () => {
    const body = await (await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(`up{${selector}} == 1`)}`)).json() as { data: { result: unknown[] } };
    return body.data.result.length === 1;
  }, 45_000);

  const dir = mkdtempSync(join(tmpdir(), 'load-run-'));
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ tenants: keys.map((apiKey) => ({ apiKey })) }));
  // A tiny scenario (48 s, run at time scale 0.5): a ramp, a hold with an openai outage, a tail;
  // plus a database slowdown the local stack cannot apply (reported as skipped).
  const scenarioFile = join(dir, 'tiny.yaml');
  writeFileSync(scenarioFile, stringify({
    name: 'tiny', policy: resolve('examples/matcher.yaml'), seed: 3,
    load: {
      thinkTimeSeconds: 0.5, analysisShare: 0.3, cacheHitRatio: 0.5,
      phases: [{ name: 'ramp', durationSeconds: 12, users: { from: 1, to: 8 } }, { name: 'hold', durationSeconds: 24, users: 8 }, { name: 'tail', durationSeconds: 12, users: { from: 8, to: 2 } }],
    },
    events: [{ type: 'providerOutage', provider: 'openai', at: 14, durationSeconds: 20 }, { type: 'databaseSlowdown', factor: 10, at: 20, durationSeconds: 10 }],
  }));
  const openaiErrorsBefore = h.fakes.get('openai')!.stats.errors;
  const before = await apiRequestCounts(url);
  const lines: string[] = [];
  const started = Date.now();
  const { report, dir: runDir } = await runLoadTest({
    scenario: scenarioFile, timeScale: 0.5, target: url, prometheus: PROMETHEUS,
    selectors: { matcher: selector, operator: `job="plimsoll-loadtest-operator-${id}"` },
    providers: { groq: adminUrl('groq'), openai: adminUrl('openai') }, keysFile, outDir: dir, runDir: join(dir, 'run'),
    timeoutSeconds: 10, stepSeconds: 5, progressSeconds: 5, resultReadShare: 0.5, maxStoredAnalyses: 1000, log: (l) => lines.push(l),
    // The tests' PgBouncer, the one this matcher's database is served by.
    pgbouncer: { url: PGBOUNCER_ADMIN_URL, database: h.db.name, intervalSeconds: 1 },
  });
  const after = await apiRequestCounts(url);
  t.diagnostic(`run took ${((Date.now() - started) / 1000).toFixed(1)} s; ${report.summary.total} requests, ${report.summary.throughputPerSecond.toFixed(1)} req/s`);

  // 1. Every answer the load generator counted, the matcher counted too — route by route, status
  // by status — once the listings read before the load (the catalog) are set apart.
  const s = report.summary;
  assert.ok(s.total > 100, `a real run sends requests (${s.total})`);
  const discovery = report.catalog.discoveryRequests;
  assert.deepEqual(discovery, { 'GET /v1/resumes 200': 2, 'GET /v1/jobs 200': 2, 'GET /v1/analyses 200': 2 }, 'one page of each listing per tenant');
  const counted = { ...s.byRouteStatus };
  for (const [route, n] of Object.entries(discovery)) counted[route] = (counted[route] ?? 0) + n;
  const matcherCounted = delta(after, before);
  // Answers that reached a route: equal route by route; all answers: equal by method and status.
  const routed = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.includes(' unmatched ') && / 2\d\d$/.test(k)));
  assert.deepEqual(routed(counted), routed(matcherCounted));
  const byMethodStatus = (m: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(m)) {
      const [method, , status] = k.split(' ');
      out[`${method} ${status}`] = (out[`${method} ${status}`] ?? 0) + n;
    }
    return out;
  };
  assert.deepEqual(byMethodStatus(counted), byMethodStatus(matcherCounted));
  const transportFailures = (s.byStatus.timeout ?? 0) + (s.byStatus.connection ?? 0);
  assert.equal(Object.values(s.byRouteStatus).reduce((a, b) => a + b, 0) + transportFailures, s.total);
  assert.equal(s.success + s.shed + s.errors, s.total);
  assert.ok(s.shed > 0, 'the tenant rate limit shed some requests');
  assert.equal(s.shedReasons.TENANT_RATE_LIMITED, (matcherCounted['GET unmatched 429'] ?? 0) + (matcherCounted['POST unmatched 429'] ?? 0), 'shed as the matcher counted it');
  // autocannon's own counters agree with ours.
  assert.equal(report.autocannon!['2xx'] + report.autocannon!.non2xx, s.total - transportFailures);
  assert.equal(report.autocannon!.timeouts, s.byStatus.timeout ?? 0);
  const kinds = Object.values(report.kinds);
  assert.equal(kinds.reduce((n, k) => n + k.total, 0), s.total);
  assert.ok(report.kinds['analysis-new'].total > 0 && report.kinds['list-jobs'].total > 0 && report.kinds['result-poll'].total > 0, 'the mix reached analyses, listings and polls');

  // Every POST /v1/analyses is a requested analysis with exactly one outcome; the providers were sampled.
  assert.equal(s.analyses.requested, report.kinds['analysis-new'].total + report.kinds['analysis-repeat'].total);
  assert.equal(Object.values(s.analyses.outcomes).reduce((a, b) => a + b, 0), s.analyses.requested);
  assert.ok(s.analyses.aiAnswerShare !== null && s.analyses.aiAnswerShare >= 0 && s.analyses.aiAnswerShare <= 1);
  const p = report.providers!;
  assert.deepEqual(Object.keys(p.providers), ['groq', 'openai']);
  assert.equal(p.failedSamples, 0);
  assert.ok(p.samples >= 3 && p.sampledSeconds > 0, `provider samples ${p.samples} over ${p.sampledSeconds} s`);
  assert.ok(p.providers.groq!.ok + p.providers.openai!.ok > 0, 'the providers answered some analyses');
  assert.match(summaryText(report), /score: success [\d.]+% · AI answers [\d.]+% of analyses · provider utilisation /);

  // 2. Closed loop: at most users / think time, and not far below it (latency is small here).
  const offered = report.timeline.buckets.reduce((a, b) => a + b.users, 0) / report.timeline.buckets.length / 0.5;
  assert.ok(s.throughputPerSecond <= offered * 1.1, `throughput ${s.throughputPerSecond.toFixed(1)} ≤ offered ${offered.toFixed(1)} req/s`);
  assert.ok(s.throughputPerSecond >= offered * 0.6, `throughput ${s.throughputPerSecond.toFixed(1)} ≥ 0.6 × offered ${offered.toFixed(1)} req/s`);
  assert.equal(Math.max(...report.timeline.series.find((x) => x.id === 'users')!.points.map(([, v]) => v)), 8);

  // 3. The outage was applied for real (the provider refused calls), restored, and reported; the slowdown skipped.
  const outage = report.faults.find((f) => f.type === 'providerOutage')!;
  assert.deepEqual([outage.status, outage.appliedAt !== undefined, outage.restoredAt !== undefined], ['restored', true, true]);
  assert.ok(h.fakes.get('openai')!.stats.errors > openaiErrorsBefore, 'calls to openai failed during the outage');
  assert.equal(h.fakes.get('openai')!.settings.mode, 'normal');
  assert.equal(report.faults.find((f) => f.type === 'databaseSlowdown')!.status, 'skipped');
  assert.ok(report.warnings.some((w) => /databaseSlowdown/.test(w)));

  // 4. The timeline from Prometheus is this matcher's: one replica up, its pool limit.
  const series = (sid: string) => report.timeline.series.find((x) => x.id === sid)!;
  assert.ok(series('replicas-up').points.length >= 3, 'replicas over the run');
  assert.ok(series('replicas-up').points.every(([, v]) => v === 1));
  assert.ok(series('pool-max').points.every(([, v]) => v === matcher.pool.max), `pool max ${matcher.pool.max}`);
  assert.ok(series('request-rate').points.some(([, v]) => v > 0));
  assert.ok(series('replicas-desired').missing, 'no operator here: the series is marked missing, not dropped');
  // The matcher's own event-loop histogram, summed over the run: its timer fires 50 times a second.
  const delay = report.eventLoopRun!;
  assert.ok(delay && delay.samples >= 20 * 24, `timer firings over the run: ${delay?.samples}`);
  assert.ok(delay.p99ByLevelMs.Full !== undefined && delay.p99Ms > 0, JSON.stringify(delay));
  assert.match(summaryText(report), /event-loop delay over the run: p99 [\d.]+ ms over \d+ timer firings \(Full /);

  // 5. The simulator ran on the same scaled scenario; the gap is filled where both sides exist.
  const scaled = await loadScenario(report.scenario.scaledFile);
  assert.equal(scaled.scenario.load.phases.reduce((n, p) => n + p.durationSeconds, 0), 24);
  assert.ok(!('error' in report.prediction), JSON.stringify(report.prediction));
  const gap = report.gap.find((g) => g.metric === 'successRate')!;
  assert.ok(gap.measured !== null && gap.predicted !== null && gap.gap === gap.measured - gap.predicted);
  assert.equal(report.gap.find((g) => g.metric === 'peakReplicas')!.measured, 1);

  // 6. PgBouncer was sampled through the run for this matcher's database: the matcher is its only
  // client, so its clients never exceed the pool's limit; the tests' instance is not the policy's
  // budget (1000 against 100), which the report says; no connection was refused.
  const c = report.connections!;
  assert.equal(c.database, h.db.name);
  assert.equal(c.failedSamples, 0);
  assert.ok(c.samples > 0);
  const clientsSeries = series('pgb-clients').points;
  assert.equal(clientsSeries.length, c.samples);
  assert.ok(clientsSeries.every(([t], i) => t >= 0 && (i === 0 || t > clientsSeries[i - 1]![0])), 'samples on the run\'s clock, in order');
  assert.ok(c.peak!.clients >= 1 && c.peak!.clients <= matcher.pool.max, `peak clients ${c.peak!.clients}: the matcher's pool (max ${matcher.pool.max}) held connections`);
  assert.ok(clientsSeries.every(([, v]) => v <= matcher.pool.max));
  assert.ok(c.peak!.servers >= 1 && c.peak!.servers <= c.limits.maxDbConnections);
  assert.ok(c.peak!.clientsAll > c.peak!.clients, 'all of PgBouncer\'s clients include the sampler\'s console');
  // The tests' auto-database is read from its SHOW DATABASES row, or from the instance's defaults
  // when PgBouncer serves it unlisted (connections.ts limitsFrom): the same figures here.
  const { source, ...figures } = c.limits;
  assert.deepEqual(figures, { maxClientConn: 1000, maxDbConnections: 25, poolSize: 20, reservePool: 5, poolMode: 'transaction' });
  assert.ok(source === 'database' || report.warnings.some((w) => /served database "matcher_test_\w+" \(SHOW POOLS\) without listing it/.test(w)), `${source}: ${report.warnings.join('\n')}`);
  assert.deepEqual(c.budget, { maxConnections: 100, reserved: 15, pools: 85, source: 'policy' });
  assert.deepEqual([c.secondsOverBudget, c.secondsAtCeiling], [0, 0]);
  assert.deepEqual(c.matcherErrors, { total: 0, byReason: { client_limit: 0, timeout: 0, unreachable: 0, auth: 0, other: 0 } });
  assert.ok(report.warnings.some((w) => /budget \(100\) is not PgBouncer's max_client_conn \(1000\)/.test(w)), report.warnings.join('\n'));
  assert.ok(!JSON.stringify(report).includes('pgbouncer-admin-dev'), 'the console password stays out of the report');
  assert.deepEqual(series('limit-pools').points.map(([, v]) => v), [85, 85]);
  assert.equal(report.gap.find((g) => g.metric === 'secondsOverBudget')!.measured, 0);
  assert.match(summaryText(report), /connections \(PgBouncer, database matcher_test_\w+, \d+ samples every 1 s\): peak \d+ clients against a pools' budget of 85/);

  // 7. Progress was printed while it ran; both files were written; the page renders.
  assert.ok(lines.filter((l) => /users +\d+ · +[\d.]+ req\/s/.test(l)).length >= 3, lines.join('\n'));
  for (const f of ['report.json', 'report.html', 'scenario.scaled.yaml']) assert.ok(existsSync(join(runDir, f)), f);
  await assertRenderedPage(join(runDir, 'report.html'), runDir, report);
  t.diagnostic(`report: ${runDir}/report.html, screenshot ${runDir}/report.png`);
});
