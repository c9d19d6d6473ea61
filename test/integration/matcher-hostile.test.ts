import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { api, startTestMatcher, type TestMatcher } from '../support/matcher.js';

/** Hostile input: each case once answered 500 (or was accepted); each must be a 4xx with its catalogue code. */
let t: TestMatcher;
let keyA: string;
let keyB: string;
const count = async (table: string) => Number((await t.sql<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);
const expect = (r: { status: number; body: { error?: { code: string } } | null }, status: number, code: string, what: string) => {
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body?.error?.code, code, what);
};
const JOB = '{"title":"t","description":"Go and PostgreSQL","requiredSkills":["Go"]}';

before(async () => {
  t = await startTestMatcher({ env: { MATCHER_BODY_LIMIT: '64kb', MATCHER_AUTH_FAILURE_LIMIT: '8', MATCHER_AUTH_FAILURE_WINDOW_MS: '60000' } });
  keyA = t.tenants[0]!.key;
  keyB = t.tenants[1]!.key;
});
after(async () => { await t?.close(); });

describe('hostile input', () => {
  it('a lone UTF-16 surrogate in any text field is 400 VALIDATION_FAILED naming the field, and nothing is stored', async () => {
    const jobs = await count('job_descriptions');
    const resumes = await count('resumes');
    expect(await api(t.url, 'POST', '/v1/jobs', { key: keyA, raw: JOB.replace('["Go"]', '["\\ud800"]') }), 400, 'VALIDATION_FAILED', 'requiredSkills');
    expect(await api(t.url, 'POST', '/v1/jobs', { key: keyA, raw: JOB.replace('"t"', '"a\\udfffb"') }), 400, 'VALIDATION_FAILED', 'title (low surrogate)');
    const r = await api(t.url, 'POST', '/v1/resumes', { key: keyA, raw: '{"candidateName":"x","content":"Go \\ud83d and more"}' });
    expect(r, 400, 'VALIDATION_FAILED', 'resume content');
    assert.match(JSON.stringify(r.body.error.details), /body\.content/);
    assert.equal(await count('job_descriptions'), jobs);
    assert.equal(await count('resumes'), resumes);
    // A surrogate *pair* is a real character: stored and read back intact.
    const ok = await api(t.url, 'POST', '/v1/jobs', { key: keyA, raw: JOB.replace('["Go"]', '["\\ud83d\\ude80 rockets"]') });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.data.requiredSkills, ['🚀 rockets']);
  });

  it('cursors are signed: forged (overflowing bigint), altered, foreign-tenant and other-list cursors are 400 INVALID_CURSOR', async () => {
    for (let i = 0; i < 3; i++) {
      await api(t.url, 'POST', '/v1/resumes', { key: keyA, body: { candidateName: `A${i}`, content: 'Go' } });
      await api(t.url, 'POST', '/v1/resumes', { key: keyB, body: { candidateName: `B${i}`, content: 'Go' } });
    }
    const forged = Buffer.from('resumes:9999999999999999999').toString('base64url');
    expect(await api(t.url, 'GET', `/v1/resumes?cursor=${forged}`, { key: keyA }), 400, 'INVALID_CURSOR', 'overflowing forged cursor');
    expect(await api(t.url, 'GET', `/v1/resumes?cursor=${Buffer.from('resumes:1').toString('base64url')}`, { key: keyA }), 400, 'INVALID_CURSOR', 'forged cursor in the old format');
    const pageB = await api(t.url, 'GET', '/v1/resumes?limit=1', { key: keyB });
    const cursorB: string = pageB.body.pagination.nextCursor;
    assert.ok(cursorB);
    expect(await api(t.url, 'GET', `/v1/resumes?limit=1&cursor=${cursorB}`, { key: keyA }), 400, 'INVALID_CURSOR', "another tenant's cursor");
    expect(await api(t.url, 'GET', `/v1/jobs?limit=1&cursor=${cursorB}`, { key: keyB }), 400, 'INVALID_CURSOR', "another list's cursor");
    const altered = Buffer.from(cursorB, 'base64url');
    altered[9]! ^= 0x01;
    expect(await api(t.url, 'GET', `/v1/resumes?cursor=${altered.toString('base64url')}`, { key: keyB }), 400, 'INVALID_CURSOR', 'altered cursor');
    // The tenant's own cursor goes on.
    const next = await api(t.url, 'GET', `/v1/resumes?limit=1&cursor=${cursorB}`, { key: keyB });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.notEqual(next.body.data[0].id, pageB.body.data[0].id);
  });

  it('a body that does not decode with its Content-Encoding is 400 INVALID_CONTENT_ENCODING; a real one is accepted; a bomb is 413', async () => {
    const resumes = await count('resumes');
    const json = '{"candidateName":"Zip","content":"Go"}';
    const post = (raw: string | Buffer, encoding: string) => api(t.url, 'POST', '/v1/resumes', { key: keyA, raw, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
    expect(await post(json, 'gzip'), 400, 'INVALID_CONTENT_ENCODING', 'plain JSON labelled gzip');
    expect(await post(gzipSync(json).subarray(0, 15), 'gzip'), 400, 'INVALID_CONTENT_ENCODING', 'truncated gzip');
    expect(await post(json, 'deflate'), 400, 'INVALID_CONTENT_ENCODING', 'plain JSON labelled deflate');
    expect(await post(json, 'br'), 400, 'INVALID_CONTENT_ENCODING', 'plain JSON labelled br');
    expect(await post(gzipSync(`{"candidateName":"x","content":"${'x'.repeat(5_000_000)}"}`), 'gzip'), 413, 'PAYLOAD_TOO_LARGE', 'gzip bomb (5 MB inflated, 64 kB limit)');
    assert.equal(await count('resumes'), resumes);
    assert.equal((await post(gzipSync(json), 'gzip')).status, 201);
    assert.equal((await post(brotliCompressSync(json), 'br')).status, 201);
    assert.equal(await count('resumes'), resumes + 2);
  });
});

/** GET with an API key from a chosen loopback address (the client the failure limit counts). */
function getFrom(localAddress: string, path: string, key: string): Promise<{ status: number; retryAfter: string | undefined; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}${path}`, { localAddress, headers: { authorization: `Bearer ${key}` } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, code: (JSON.parse(text) as { error?: { code: string } }).error?.code }));
    });
    req.on('error', reject);
    req.end();
  });
}
const keyLookups = async () => (await t.matcher.metrics.dbQueryDuration.get()).values
  .filter((v) => v.metricName?.endsWith('_count') && v.labels.operation === 'auth.key').reduce((n, v) => n + v.value, 0);
const randomKey = () => `plm_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;

describe('failed authentication', () => {
  it('an unknown key costs one database round trip, not one per request (negative cache)', async () => {
    const unknown = randomKey();
    const before = await keyLookups();
    for (let i = 0; i < 5; i++) assert.equal((await getFrom('127.0.0.3', '/v1/resumes', unknown)).code, 'UNAUTHENTICATED');
    assert.equal(await keyLookups(), before + 1);
  });

  it('a client past its failure limit gets 429 AUTH_RATE_LIMITED without database round trips; known keys and other clients are unaffected', async () => {
    assert.equal((await getFrom('127.0.0.1', '/v1/resumes', keyA)).status, 200, 'keyA known to this replica');
    for (let i = 0; i < 8; i++) assert.equal((await getFrom('127.0.0.1', '/v1/resumes', randomKey())).code, 'UNAUTHENTICATED', `failure ${i + 1}`);
    const before = await keyLookups();
    for (let i = 0; i < 20; i++) {
      const r = await getFrom('127.0.0.1', '/v1/resumes', randomKey());
      assert.equal(r.status, 429);
      assert.equal(r.code, 'AUTH_RATE_LIMITED');
      assert.ok(Number(r.retryAfter) >= 1 && Number(r.retryAfter) <= 60, r.retryAfter);
    }
    assert.equal(await keyLookups(), before, 'no database round trip for a limited client');
    assert.equal((await getFrom('127.0.0.1', '/v1/resumes', keyA)).status, 200, 'a key this replica knows still works');
    assert.equal((await getFrom('127.0.0.2', '/v1/resumes', randomKey())).code, 'UNAUTHENTICATED', 'another client is not limited');
  });
});
