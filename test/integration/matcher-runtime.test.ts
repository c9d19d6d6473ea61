import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api, startTestMatcher, type TestMatcher } from '../support/matcher.js';

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-runtime-'));
const file = join(dir, 'runtime.json');
let t: TestMatcher;

function doc(generation: number, serviceLevel: string, poolMax = 8, extra: Record<string, unknown> = {}) {
  return { policy: 'matcher', generation, issuedAt: new Date().toISOString(), serviceLevel, replicas: 2, db: { poolMax }, queues: {}, ...extra };
}
/** Atomic write (rename into place), as kubelet's ConfigMap projection and careful writers do. */
function write(value: unknown): void {
  const tmp = `${file}.tmp-${process.hrtime.bigint()}`;
  writeFileSync(tmp, typeof value === 'string' ? value : JSON.stringify(value));
  renameSync(tmp, file);
}
async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

before(async () => {
  write(doc(1, 'Full'));
  t = await startTestMatcher({ tenants: 1, env: { MATCHER_RUNTIME_FILE: file, MATCHER_RUNTIME_POLL_MS: '200' } });
});
after(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runtime document (file source)', () => {
  it('is applied at start-up and reported in /health/details and metrics', async () => {
    const d = await api(t.url, 'GET', '/health/details');
    assert.equal(d.body.runtimeGeneration, 1);
    assert.equal(d.body.runtime.source, `file:${file}`);
    assert.equal(d.body.runtime.lastError, null);
    const m = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(m, /matcher_runtime_generation 1/);
  });

  it('applies a service-level and pool change live, each within 1 s', async () => {
    const latencies: number[] = [];
    for (let g = 2; g < 22; g++) {
      const level = ['Reduced', 'Basic', 'Full'][g % 3]!;
      const started = performance.now();
      write(doc(g, level, 4 + (g % 5)));
      await until(() => (t.matcher.levels.current() === level && t.matcher.runtime.status().generation === g ? true : undefined));
      latencies.push(performance.now() - started);
      assert.equal(t.matcher.pool.max, 4 + (g % 5));
    }
    latencies.sort((a, b) => a - b);
    assert.ok(latencies.at(-1)! < 1000, `slowest ${latencies.at(-1)} ms`);
    const r = await api(t.url, 'GET', '/healthz');
    assert.equal(r.headers.get('x-service-level'), t.matcher.levels.current());
  });

  it('ignores a broken document and a stale generation, keeps the last applied one and says so', async () => {
    write(doc(30, 'Reduced'));
    await until(() => (t.matcher.runtime.status().generation === 30 ? true : undefined));
    write('{"policy": "matcher", "generation": 31, "serviceLevel": "Turbo"');
    const broken = await until(async () => {
      // The error text is for API key holders (unauthenticated callers read it redacted).
      const d = await api(t.url, 'GET', '/health/details', { key: t.tenants[0]!.key });
      return d.body.runtime.lastError ? d.body : undefined;
    });
    assert.equal(broken.runtimeGeneration, 30);
    assert.match(broken.runtime.lastError, /not JSON/);
    assert.equal(t.matcher.levels.current(), 'Reduced');
    write(doc(31, 'Basic', 8, { serviceLevel: 'Turbo' }));
    await until(async () => ((await api(t.url, 'GET', '/health/details', { key: t.tenants[0]!.key })).body.runtime.lastError?.includes('serviceLevel') ? true : undefined));
    assert.equal(t.matcher.levels.current(), 'Reduced');
    write(doc(12, 'Basic'));
    await until(() => (t.matcher.runtime.status().ignoredStale > 0 ? true : undefined));
    assert.equal(t.matcher.runtime.status().generation, 30);
    assert.equal(t.matcher.levels.current(), 'Reduced');
    rmSync(file);
    await until(() => (t.matcher.runtime.status().lastError?.includes('ENOENT') ? true : undefined));
    assert.equal(t.matcher.runtime.status().generation, 30);
    write(doc(32, 'Full'));
    await until(() => (t.matcher.runtime.status().generation === 32 ? true : undefined));
    assert.equal(t.matcher.runtime.status().lastError, null);
  });

  it('Maintenance rejects writes with 503 and Retry-After and serves reads', async () => {
    const key = t.tenants[0]!.key;
    const resume = (await api(t.url, 'POST', '/v1/resumes', { key, body: { candidateName: 'A', content: 'Go and PostgreSQL' } })).body.data;
    const job = (await api(t.url, 'POST', '/v1/jobs', { key, body: { title: 'Go dev', description: 'Requirements: Go' } })).body.data;
    const analysis = await api(t.url, 'POST', '/v1/analyses', { key, body: { resumeId: resume.id, jobId: job.id } });
    assert.equal(analysis.status, 201);
    write(doc(40, 'Maintenance'));
    await until(() => (t.matcher.levels.current() === 'Maintenance' ? true : undefined));
    for (const [method, path, body] of [['POST', '/v1/resumes', { candidateName: 'B', content: 'x' }], ['PATCH', `/v1/resumes/${resume.id}`, { candidateName: 'C' }],
      ['DELETE', `/v1/jobs/${job.id}`, undefined], ['POST', '/v1/analyses', { resumeId: resume.id, jobId: job.id }]] as const) {
      const r = await api(t.url, method, path, { key, body });
      assert.equal(r.status, 503, `${method} ${path}`);
      assert.equal(r.body.error.code, 'MAINTENANCE');
      assert.equal(r.body.serviceLevel, 'Maintenance');
      assert.equal(r.headers.get('x-service-level'), 'Maintenance');
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    }
    const read = await api(t.url, 'GET', `/v1/analyses/${analysis.body.data.id}`, { key });
    assert.equal(read.status, 200);
    assert.equal(read.body.serviceLevel, 'Maintenance');
    assert.equal((await api(t.url, 'GET', '/v1/resumes', { key })).status, 200);
    const m = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(m, /matcher_admission_rejections_total\{reason="maintenance"\} 4/);
    assert.match(m, /matcher_service_level 3/);
    write(doc(41, 'Full'));
    await until(() => (t.matcher.levels.current() === 'Full' ? true : undefined));
    assert.equal((await api(t.url, 'POST', '/v1/resumes', { key, body: { candidateName: 'B', content: 'x' } })).status, 201);
  });
});
