import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCatalogue } from '../../src/plimsoll/errors.js';
import { api, startTestMatcher, type TestMatcher } from '../support/matcher.js';

const RESUME = {
  candidateName: 'Maria Chen',
  headline: 'Senior Backend Engineer',
  content: 'Backend engineer with 7 years of experience in Go, PostgreSQL, Kubernetes and Redis. Built gRPC services.',
};
const JOB = {
  title: 'Senior Go Engineer',
  company: 'Kestrel Pay',
  description: 'Requirements:\n- 5+ years of experience\n- Go, PostgreSQL, Kafka\n\nNice to have\n- Redis, Terraform',
};

let t: TestMatcher;
let keyA: string;
let keyB: string;
const seen = new Set<string>();
const call = async (method: string, path: string, options: Parameters<typeof api>[3] = {}) => {
  const r = await api(t.url, method, path, options);
  assert.equal(r.headers.get('x-service-level'), 'Full', `${method} ${path}: X-Service-Level`);
  if (r.body && typeof r.body === 'object') {
    assert.equal((r.body as { serviceLevel?: string }).serviceLevel, 'Full', `${method} ${path}: serviceLevel field`);
    const code = (r.body as { error?: { code: string } }).error?.code;
    if (code) seen.add(code);
  }
  return r;
};
const count = async (table: string) => Number((await t.sql<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);

before(async () => {
  t = await startTestMatcher({ env: { MATCHER_BODY_LIMIT: '64kb', MATCHER_MAX_OFFSET: '50' } });
  keyA = t.tenants[0]!.key;
  keyB = t.tenants[1]!.key;
});
after(async () => { await t?.close(); });

describe('matcher API', () => {
  it('creates, reads, updates, lists and deletes resumes', async () => {
    const created = await call('POST', '/v1/resumes', { key: keyA, body: RESUME });
    assert.equal(created.status, 201);
    const id = created.body.data.id as string;
    assert.deepEqual(created.body.data.skills.slice().sort(), ['Go', 'Kubernetes', 'PostgreSQL', 'Redis', 'gRPC', 'Backend Development'].sort());
    const got = await call('GET', `/v1/resumes/${id}`, { key: keyA });
    assert.equal(got.status, 200);
    assert.equal(got.body.data.content, RESUME.content);
    const patched = await call('PATCH', `/v1/resumes/${id}`, { key: keyA, body: { content: 'Python and Django developer.' } });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.data.skills.slice().sort(), ['Backend Development', 'Django', 'Python'], 'content re-extracted, headline kept');
    assert.equal(patched.body.data.candidateName, RESUME.candidateName);
    const list = await call('GET', '/v1/resumes', { key: keyA });
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(list.body.data));
    assert.equal(list.body.pagination.hasMore, false);
    const del = await call('DELETE', `/v1/resumes/${id}`, { key: keyA });
    assert.equal(del.status, 204);
    assert.equal(del.headers.get('x-service-level'), 'Full');
    assert.equal((await call('GET', `/v1/resumes/${id}`, { key: keyA })).status, 404);
    assert.equal((await call('DELETE', `/v1/resumes/${id}`, { key: keyA })).body.error.code, 'RESUME_NOT_FOUND');
  });

  it('creates, reads, updates, lists and deletes job descriptions', async () => {
    const created = await call('POST', '/v1/jobs', { key: keyA, body: { ...JOB, requiredSkills: ['Kafka'], preferredSkills: ['Rust'] } });
    assert.equal(created.status, 201);
    const id = created.body.data.id as string;
    assert.deepEqual(created.body.data.requiredSkills, ['Kafka']);
    const patched = await call('PATCH', `/v1/jobs/${id}`, { key: keyA, body: { company: null, location: 'Lisbon' } });
    assert.equal(patched.body.data.company, null);
    assert.equal(patched.body.data.location, 'Lisbon');
    assert.equal(patched.body.data.title, JOB.title);
    assert.equal((await call('GET', `/v1/jobs/${id}`, { key: keyA })).body.data.description, JOB.description);
    assert.equal((await call('GET', '/v1/jobs?limit=5', { key: keyA })).body.data.length, 1);
    assert.equal((await call('DELETE', `/v1/jobs/${id}`, { key: keyA })).status, 204);
    assert.equal((await call('GET', `/v1/jobs/${id}`, { key: keyA })).body.error.code, 'JOB_NOT_FOUND');
  });

  it('analyses a resume against a job, stores it, and lists it with its context', async () => {
    const resume = (await call('POST', '/v1/resumes', { key: keyA, body: RESUME })).body.data;
    const job = (await call('POST', '/v1/jobs', { key: keyA, body: JOB })).body.data;
    const created = await call('POST', '/v1/analyses', { key: keyA, body: { resumeId: resume.id, jobId: job.id } });
    assert.equal(created.status, 201);
    const a = created.body.data;
    assert.equal(created.headers.get('location'), `/v1/analyses/${a.id}`);
    assert.ok(a.matchPercentage >= 50 && a.matchPercentage <= 100, `match ${a.matchPercentage}`);
    const common = a.result.commonSkills.map((s: { name: string }) => s.name);
    const missing = a.result.missingSkills.map((s: { name: string }) => s.name);
    assert.ok(common.includes('Go') && common.includes('PostgreSQL') && common.includes('Redis'), common.join());
    assert.ok(missing.includes('Apache Kafka') && missing.includes('Terraform'), missing.join());
    const got = await call('GET', `/v1/analyses/${a.id}`, { key: keyA });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.data.result, a.result);
    const list = await call('GET', '/v1/analyses', { key: keyA });
    const item = list.body.data.find((x: { id: string }) => x.id === a.id);
    assert.equal(item.resume.candidateName, RESUME.candidateName);
    assert.equal(item.job.title, JOB.title);
    assert.equal((await t.sql('SELECT 1 FROM interview_questions WHERE analysis_result_id = $1', [a.id])).length, 1);
  });

  it('isolates tenants: another tenant\'s ids are 404, lists are disjoint, analyses cannot cross', async () => {
    const resume = (await call('POST', '/v1/resumes', { key: keyA, body: RESUME })).body.data;
    const job = (await call('POST', '/v1/jobs', { key: keyA, body: JOB })).body.data;
    const jobB = (await call('POST', '/v1/jobs', { key: keyB, body: JOB })).body.data;
    const analysis = (await call('POST', '/v1/analyses', { key: keyA, body: { resumeId: resume.id, jobId: job.id } })).body.data;
    for (const [method, path] of [['GET', `/v1/resumes/${resume.id}`], ['DELETE', `/v1/resumes/${resume.id}`], ['GET', `/v1/jobs/${job.id}`],
      ['DELETE', `/v1/jobs/${job.id}`], ['GET', `/v1/analyses/${analysis.id}`]] as const) {
      const r = await call(method, path, { key: keyB });
      assert.equal(r.status, 404, `${method} ${path} as tenant B`);
    }
    assert.equal((await call('PATCH', `/v1/resumes/${resume.id}`, { key: keyB, body: { candidateName: 'hijack' } })).status, 404);
    const cross = await call('POST', '/v1/analyses', { key: keyB, body: { resumeId: resume.id, jobId: jobB.id } });
    assert.equal(cross.body.error.code, 'RESUME_NOT_FOUND');
    const mixed = await call('POST', '/v1/analyses', { key: keyA, body: { resumeId: resume.id, jobId: jobB.id } });
    assert.equal(mixed.body.error.code, 'JOB_NOT_FOUND');
    const listB = await call('GET', '/v1/resumes?limit=100', { key: keyB });
    assert.ok(!listB.body.data.some((r: { id: string }) => r.id === resume.id));
    assert.equal((await call('GET', `/v1/resumes/${resume.id}`, { key: keyA })).body.data.candidateName, RESUME.candidateName);
  });

  it('rejects bad input with a 4xx that names the problem, and writes nothing', async () => {
    const before = await count('resumes');
    const cases: { name: string; options: Parameters<typeof api>[3]; status: number; code: string; mention?: RegExp }[] = [
      { name: 'malformed JSON', options: { raw: '{"candidateName": "x",' }, status: 400, code: 'MALFORMED_JSON' },
      { name: 'wrong types', options: { body: { candidateName: 42, content: ['x'] } }, status: 400, code: 'VALIDATION_FAILED', mention: /candidateName/ },
      { name: 'unknown field', options: { body: { ...RESUME, isAdmin: true } }, status: 400, code: 'VALIDATION_FAILED', mention: /isAdmin/ },
      { name: 'empty content', options: { body: { ...RESUME, content: '' } }, status: 400, code: 'VALIDATION_FAILED', mention: /content/ },
      { name: 'NUL character', options: { body: { ...RESUME, content: 'a\u0000b' } }, status: 400, code: 'VALIDATION_FAILED', mention: /NUL/ },
      { name: 'JSON array body', options: { body: [RESUME] }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'no body', options: {}, status: 400, code: 'VALIDATION_FAILED', mention: /body/ },
      { name: 'oversize body', options: { body: { ...RESUME, content: 'x'.repeat(70_000) } }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { name: 'invalid UTF-8', options: { raw: Buffer.concat([Buffer.from('{"candidateName":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","content":"x"}')]) }, status: 400, code: 'INVALID_ENCODING' },
      { name: 'not JSON content type', options: { raw: 'candidateName=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    ];
    for (const c of cases) {
      const r = await call('POST', '/v1/resumes', { key: keyA, ...c.options });
      assert.equal(r.status, c.status, `${c.name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, c.code, c.name);
      assert.equal(typeof r.body.error.message, 'string');
      assert.ok(Array.isArray(r.body.error.details));
      if (c.mention) assert.match(JSON.stringify(r.body.error), c.mention, c.name);
    }
    assert.equal(await count('resumes'), before, 'nothing written');
    // SQL-looking text is data: stored verbatim, harmless.
    const evil = "Robert'); DROP TABLE resumes; -- \" OR 1=1; SELECT pg_sleep(10);";
    const stored = await call('POST', '/v1/resumes', { key: keyA, body: { candidateName: evil, content: evil } });
    assert.equal(stored.status, 201);
    assert.equal((await call('GET', `/v1/resumes/${stored.body.data.id}`, { key: keyA })).body.data.candidateName, evil);
    assert.equal(await count('resumes'), before + 1);
  });

  it('answers every other error code', async () => {
    assert.equal((await call('GET', '/v1/resumes')).body.error.code, 'UNAUTHENTICATED');
    assert.equal((await call('GET', '/v1/resumes', { key: 'plm_abcdefgh_' + 'x'.repeat(43) })).status, 401);
    assert.equal((await call('GET', '/v1/resumes', { key: keyA.slice(0, -1) + (keyA.endsWith('A') ? 'B' : 'A') })).status, 401);
    assert.equal((await call('GET', '/v1/resumes', { headers: { 'x-api-key': keyA } })).status, 200);
    assert.equal((await call('GET', '/v1/nothing-here', { key: keyA })).body.error.code, 'ROUTE_NOT_FOUND');
    const m = await call('PUT', '/v1/analyses', { key: keyA, body: {} });
    assert.equal(m.status, 405);
    assert.equal(m.body.error.code, 'METHOD_NOT_ALLOWED');
    assert.equal(m.headers.get('allow'), 'GET, POST');
    assert.equal((await call('GET', '/v1/resumes?cursor=bm9wZQ', { key: keyA })).body.error.code, 'INVALID_CURSOR');
    const jobsCursor = Buffer.from('jobs:5').toString('base64url');
    assert.equal((await call('GET', `/v1/resumes?cursor=${jobsCursor}`, { key: keyA })).body.error.code, 'INVALID_CURSOR');
    assert.match((await call('GET', '/v1/resumes?limit=0', { key: keyA })).body.error.message, /limit/);
    assert.match((await call('GET', '/v1/resumes?offset=51', { key: keyA })).body.error.message, /offset/);
    assert.match((await call('GET', '/v1/resumes?sort=name', { key: keyA })).body.error.message, /sort/);
    assert.equal((await call('GET', '/v1/resumes/not-a-uuid', { key: keyA })).body.error.code, 'VALIDATION_FAILED');
    assert.equal((await call('GET', '/v1/analyses/00000000-0000-4000-8000-000000000000', { key: keyA })).body.error.code, 'ANALYSIS_NOT_FOUND');
    assert.equal((await call('POST', '/v1/analyses', { key: keyA, body: { resumeId: 'x', jobId: 'y' } })).body.error.code, 'VALIDATION_FAILED');
    for (const code of ['VALIDATION_FAILED', 'MALFORMED_JSON', 'INVALID_ENCODING', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'INVALID_CURSOR', 'UNAUTHENTICATED',
      'ROUTE_NOT_FOUND', 'METHOD_NOT_ALLOWED', 'RESUME_NOT_FOUND', 'JOB_NOT_FOUND', 'ANALYSIS_NOT_FOUND'] as const) {
      assert.ok(seen.has(code), `error code ${code} exercised`);
      assert.ok(code in errorCatalogue);
    }
  });

  it('paginates with a stable cursor while rows are inserted concurrently', async () => {
    const { key } = t.tenants[1]!;
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) ids.push((await call('POST', '/v1/resumes', { key, body: { candidateName: `P${i}`, content: `Python ${i}` } })).body.data.id);
    const existing = new Set((await t.sql<{ id: string }>('SELECT id FROM resumes WHERE tenant_id = $1', [t.tenants[1]!.id])).map((r) => r.id));
    const seenIds: string[] = [];
    let cursor: string | null = null;
    let inserts = 0;
    do {
      const q: string = cursor ? `?limit=7&cursor=${cursor}` : '?limit=7';
      const [page] = await Promise.all([
        call('GET', `/v1/resumes${q}`, { key }),
        // Concurrent inserts while we page.
        ...Array.from({ length: 3 }, () => call('POST', '/v1/resumes', { key, body: { candidateName: `N${inserts++}`, content: 'Go' } })),
      ]);
      assert.equal(page.status, 200);
      seenIds.push(...page.body.data.map((r: { id: string }) => r.id));
      cursor = page.body.pagination.nextCursor;
    } while (cursor);
    assert.equal(new Set(seenIds).size, seenIds.length, 'no row twice');
    for (const id of existing) assert.ok(seenIds.includes(id), `row ${id} present before paging was not skipped`);
    // Offset pagination where cheap.
    const off = await call('GET', '/v1/resumes?limit=5&offset=5', { key });
    assert.equal(off.body.data.length, 5);
    assert.equal(off.body.pagination.nextOffset, 10);
  });

  it('cascades: deleting a resume or a job removes its analyses and questions; a tenant takes everything', async () => {
    const resume = (await call('POST', '/v1/resumes', { key: keyA, body: RESUME })).body.data;
    const job = (await call('POST', '/v1/jobs', { key: keyA, body: JOB })).body.data;
    const job2 = (await call('POST', '/v1/jobs', { key: keyA, body: JOB })).body.data;
    const a1 = (await call('POST', '/v1/analyses', { key: keyA, body: { resumeId: resume.id, jobId: job.id } })).body.data;
    const a2 = (await call('POST', '/v1/analyses', { key: keyA, body: { resumeId: resume.id, jobId: job2.id } })).body.data;
    await call('DELETE', `/v1/jobs/${job.id}`, { key: keyA });
    assert.equal((await t.sql('SELECT 1 FROM analysis_results WHERE id = $1', [a1.id])).length, 0);
    assert.equal((await t.sql('SELECT 1 FROM interview_questions WHERE job_description_id = $1', [job.id])).length, 0);
    assert.equal((await t.sql('SELECT 1 FROM analysis_results WHERE id = $1', [a2.id])).length, 1);
    await call('DELETE', `/v1/resumes/${resume.id}`, { key: keyA });
    assert.equal((await t.sql('SELECT 1 FROM analysis_results WHERE id = $1', [a2.id])).length, 0);
    // Questions outlive a deleted analysis (SET NULL), taxonomy skills outlive their category.
    const r2 = (await call('POST', '/v1/resumes', { key: keyA, body: RESUME })).body.data;
    const a3 = (await call('POST', '/v1/analyses', { key: keyA, body: { resumeId: r2.id, jobId: job2.id } })).body.data;
    await t.sql('DELETE FROM analysis_results WHERE id = $1', [a3.id]);
    const q = await t.sql<{ analysis_result_id: string | null }>('SELECT analysis_result_id FROM interview_questions WHERE resume_id = $1', [r2.id]);
    assert.equal(q.length, 1);
    assert.equal(q[0]!.analysis_result_id, null);
    await t.sql(`INSERT INTO skill_categories (slug, name) VALUES ('t-parent', 'P')`);
    await t.sql(`INSERT INTO skill_categories (slug, name, parent_id) SELECT 't-child', 'C', id FROM skill_categories WHERE slug = 't-parent'`);
    await t.sql(`INSERT INTO skills (name, category_id) SELECT 't-skill', id FROM skill_categories WHERE slug = 't-child'`);
    await t.sql(`DELETE FROM skill_categories WHERE slug = 't-parent'`);
    assert.equal((await t.sql(`SELECT 1 FROM skill_categories WHERE slug = 't-child'`)).length, 0, 'child category cascades');
    assert.equal((await t.sql<{ category_id: null }>(`SELECT category_id FROM skills WHERE name = 't-skill'`))[0]!.category_id, null, 'skill kept, category SET NULL');
    // CHECK constraints hold even for direct writes.
    await assert.rejects(t.sql(`UPDATE analysis_results SET match_percentage = 101`).then(async () => {
      await t.sql(`INSERT INTO analysis_results (tenant_id, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms)
                   VALUES ($1, $2, $3, 101, '{}', 'x', 'Full', 0)`, [t.tenants[0]!.id, r2.id, job2.id]);
    }), /check constraint/);
  });

  it('leaves no orphan result when a resume is deleted while its analysis is written', async () => {
    const job = (await call('POST', '/v1/jobs', { key: keyA, body: JOB })).body.data;
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const resume = (await call('POST', '/v1/resumes', { key: keyA, body: RESUME })).body.data;
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => call('POST', '/v1/analyses', { key: keyA, body: { resumeId: resume.id, jobId: job.id } })),
        call('DELETE', `/v1/resumes/${resume.id}`, { key: keyA }),
      ]);
      statuses.push(...results.slice(0, 4).map((r) => r.status));
      assert.equal((await t.sql('SELECT 1 FROM analysis_results WHERE resume_id = $1', [resume.id])).length, 0, 'no result outlives its resume');
    }
    // Concurrent identical requests share one deterministic id: one writes (201), the others get its row (200).
    for (const s of statuses) assert.ok(s === 201 || s === 200 || s === 404, `status ${s}`);
    assert.equal((await t.sql('SELECT 1 FROM analysis_results a WHERE NOT EXISTS (SELECT 1 FROM resumes r WHERE r.id = a.resume_id)')).length, 0);
  });
});
