import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { IdempotencyStore, requestHash } from '../../src/matcher/idempotency.js';
import { api, startTestMatcher, type TestMatcher } from '../support/matcher.js';

/** Idempotency-Key on every POST, against the real matcher, PostgreSQL and PgBouncer. */
let t: TestMatcher;
let keyA: string;
let tenantA: string;
const RESUME = { candidateName: 'Ada', content: 'Go, PostgreSQL and Kubernetes for 6 years' };
const JOB = { title: 'Go Engineer', description: 'Requirements: Go, PostgreSQL' };
const rowsOf = async (table: string, tenantId: string) =>
  Number((await t.sql<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]))[0]!.n);
const post = (path: string, body: unknown, idempotencyKey?: string, key = keyA) =>
  api(t.url, 'POST', path, { key, body, headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey } });

before(async () => {
  // The body carries serviceLevel and this file compares bodies byte for byte: the test matcher's
  // defaults keep the replica's own emergency level from moving on a busy machine's lag.
  t = await startTestMatcher();
  keyA = t.tenants[0]!.key;
  tenantA = t.tenants[0]!.id;
});
after(async () => { await t?.close(); });

describe('Idempotency-Key', () => {
  for (const [path, table, body] of [['/v1/resumes', 'resumes', RESUME], ['/v1/jobs', 'job_descriptions', JOB]] as const) {
    it(`200 concurrent identical POST ${path} with one key create exactly one row; each answers that row or 409`, async () => {
      const before = await rowsOf(table, tenantA);
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 200 }, () => post(path, body, key)));
      assert.equal(await rowsOf(table, tenantA), before + 1, 'exactly one row');
      const created = answers.filter((a) => a.status === 201);
      const inFlight = answers.filter((a) => a.status === 409);
      assert.equal(created.length + inFlight.length, 200, JSON.stringify(answers.find((a) => a.status !== 201 && a.status !== 409)?.body));
      assert.ok(created.length >= 1);
      const first = JSON.stringify(created[0]!.body);
      for (const a of created) assert.equal(JSON.stringify(a.body), first, 'every 201 is the same body, byte for byte');
      for (const a of inFlight) {
        assert.equal(a.body.error.code, 'IDEMPOTENCY_KEY_IN_FLIGHT');
        assert.equal(a.headers.get('retry-after'), '1');
      }
      // A retry now replays the stored answer.
      const replay = await post(path, body, key);
      assert.equal(replay.status, 201);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(JSON.stringify(replay.body), first);
      assert.equal(await rowsOf(table, tenantA), before + 1);
    });
  }

  it('a replay returns the stored response, headers included, even when a fresh request would answer differently', async () => {
    const resume = (await post('/v1/resumes', RESUME)).body.data.id;
    const job = (await post('/v1/jobs', JOB)).body.data.id;
    const key = randomUUID();
    const first = await post('/v1/analyses', { resumeId: resume, jobId: job }, key);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.headers.get('idempotent-replayed'), null);
    // Without the key the same analysis is now 200 from the database; with it, the first answer again.
    assert.equal((await post('/v1/analyses', { resumeId: resume, jobId: job })).status, 200);
    const replay = await post('/v1/analyses', { resumeId: resume, jobId: job }, key);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.headers.get('location'), first.headers.get('location'));
    assert.equal(replay.headers.get('x-analysis-source'), first.headers.get('x-analysis-source'));
    assert.deepEqual(replay.body, first.body);
    // Whitespace is not part of the request: the same JSON spelled differently replays too.
    const spaced = await api(t.url, 'POST', '/v1/analyses', { key: keyA, raw: JSON.stringify({ resumeId: resume, jobId: job }, null, 2), headers: { 'idempotency-key': key } });
    assert.equal(spaced.headers.get('idempotent-replayed'), 'true');
  });

  it('the same key with another body or another endpoint is 422 IDEMPOTENCY_KEY_REUSED, and writes nothing', async () => {
    const key = randomUUID();
    assert.equal((await post('/v1/resumes', RESUME, key)).status, 201);
    const before = await rowsOf('resumes', tenantA);
    const jobs = await rowsOf('job_descriptions', tenantA);
    for (const [path, body] of [['/v1/resumes', { ...RESUME, candidateName: 'Someone else' }], ['/v1/jobs', JOB]] as const) {
      const r = await post(path, body, key);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    }
    assert.equal(await rowsOf('resumes', tenantA), before);
    assert.equal(await rowsOf('job_descriptions', tenantA), jobs);
  });

  it('keys belong to a tenant: the same key replays for its tenant, and is a new request for another', async () => {
    const key = randomUUID();
    const a = await post('/v1/resumes', RESUME, key);
    assert.equal((await post('/v1/resumes', RESUME, key)).headers.get('idempotent-replayed'), 'true');
    const b = await post('/v1/resumes', RESUME, key, t.tenants[1]!.key);
    assert.equal(b.status, 201);
    assert.equal(b.headers.get('idempotent-replayed'), null);
    assert.notEqual(b.body.data.id, a.body.data.id);
  });

  it('a request still in flight answers 409; one abandoned past its lease (a crashed replica) is taken over', async () => {
    const key = randomUUID();
    const hash = requestHash('POST', '/v1/resumes', RESUME);
    // Another replica's claim, as it stands while its request runs.
    await t.sql(`INSERT INTO idempotency_keys (tenant_id, idempotency_key, request_hash, claim_id, expires_at)
                 VALUES ($1, $2, $3, gen_random_uuid(), now() + interval '1 day')`, [tenantA, key, hash]);
    const r = await post('/v1/resumes', RESUME, key);
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'IDEMPOTENCY_KEY_IN_FLIGHT');
    assert.equal(r.headers.get('retry-after'), '1');
    // Its replica died: no response after the lease (MATCHER_REQUEST_TIMEOUT_MS, 30 s by default).
    await t.sql("UPDATE idempotency_keys SET created_at = now() - interval '1 hour' WHERE tenant_id = $1 AND idempotency_key = $2", [tenantA, key]);
    const taken = await post('/v1/resumes', RESUME, key);
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
    assert.equal((await post('/v1/resumes', RESUME, key)).headers.get('idempotent-replayed'), 'true');
  });

  it('a failed request keeps nothing: the key serves the corrected retry; a malformed key is 400', async () => {
    const key = randomUUID();
    const bad = await post('/v1/resumes', { ...RESUME, content: '' }, key);
    assert.equal(bad.status, 400);
    assert.equal((await t.sql('SELECT 1 FROM idempotency_keys WHERE idempotency_key = $1', [key])).length, 0);
    assert.equal((await post('/v1/resumes', RESUME, key)).status, 201);
    for (const malformed of ['x'.repeat(256), 'has space']) {
      const r = await post('/v1/resumes', RESUME, malformed);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
      assert.match(JSON.stringify(r.body.error.details), /Idempotency-Key/);
    }
  });

  it('keys live 24 h; an expired key counts as absent, and the cleanup deletes expired keys', async () => {
    const key = randomUUID();
    const first = await post('/v1/resumes', RESUME, key);
    const [row] = await t.sql<{ ttl: number }>(`SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM idempotency_keys
                                                  WHERE tenant_id = $1 AND idempotency_key = $2`, [tenantA, key]);
    assert.equal(row!.ttl, 86_400);
    // A day later (the clock is the database's: move the key's expiry instead of waiting).
    await t.sql("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND idempotency_key = $2", [tenantA, key]);
    const before = await rowsOf('resumes', tenantA);
    const again = await post('/v1/resumes', { ...RESUME, candidateName: 'A new request' }, key);
    assert.equal(again.status, 201, 'a different body is no conflict once the key expired');
    assert.equal(again.headers.get('idempotent-replayed'), null);
    assert.notEqual(again.body.data.id, first.body.data.id);
    assert.equal(await rowsOf('resumes', tenantA), before + 1);

    const live = await t.sql<{ n: string }>("SELECT count(*)::text AS n FROM idempotency_keys WHERE expires_at > now()");
    await t.sql("UPDATE idempotency_keys SET expires_at = now() - interval '1 minute' WHERE idempotency_key = $1", [key]);
    const store = new IdempotencyStore(t.matcher.db, { ttlSeconds: 86_400, leaseMs: 30_000 });
    assert.equal(await store.purgeExpired(), 1);
    assert.equal(await store.purgeExpired(), 0);
    assert.equal((await t.sql('SELECT 1 FROM idempotency_keys WHERE idempotency_key = $1', [key])).length, 0);
    assert.equal((await t.sql<{ n: string }>("SELECT count(*)::text AS n FROM idempotency_keys WHERE expires_at > now()"))[0]!.n, String(Number(live[0]!.n) - 1), 'only expired keys deleted');
  });
});
