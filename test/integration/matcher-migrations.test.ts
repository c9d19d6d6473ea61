import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/matcher/cli/main.js';
import { isPlimsollError } from '../../src/plimsoll/errors.js';
import { defaultMigrationsDir, loadMigrations, migrateUp, migrationStatus, withDirectClient } from '../../src/matcher/db/migrations.js';
import { verifySchema } from '../../src/matcher/db/verify.js';
import { createTestDatabase, type TestDatabase } from '../support/matcher.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr });
  return { code, out, err };
}

let db: TestDatabase;
before(async () => { db = await createTestDatabase({ migrate: false }); });
after(async () => { await db?.drop(); });

describe('migrations', () => {
  it('apply from empty, then a re-run applies nothing', async () => {
    const first = await cli(['migrate', 'up', '--database-url', db.directUrl]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /applying 0001_init\.sql/);
    assert.match(first.out, /applying 0002_analysis_indexes\.sql \(no transaction\)/);
    const again = await cli(['migrate', 'up', '--database-url', db.directUrl]);
    assert.equal(again.code, 0);
    assert.match(again.out, new RegExp(`0 applied, ${loadMigrations().length} already applied`));
    const status = await cli(['migrate', 'status', '--database-url', db.directUrl, '--json']);
    const rows = JSON.parse(status.out) as { state: string }[];
    assert.ok(rows.every((r) => r.state === 'applied'));
    const verify = await cli(['migrate', 'verify', '--database-url', db.directUrl]);
    assert.equal(verify.code, 0, verify.out + verify.err);
    assert.match(verify.out, /schema OK/);
    const recorded = await withDirectClient(db.directUrl, (c) => c.query('SELECT version, checksum FROM schema_migrations ORDER BY version'));
    assert.deepEqual(recorded.rows.map((r) => r.checksum), loadMigrations().map((m) => m.checksum));
  });

  it('two migrators at once: the advisory lock serialises them', async () => {
    const other = await createTestDatabase({ migrate: false });
    try {
      const results = await Promise.all([1, 2, 3].map(() => withDirectClient(other.directUrl, (c) => migrateUp(c, loadMigrations()))));
      assert.equal(results.reduce((n, r) => n + r.applied.length, 0), loadMigrations().length, 'each migration applied exactly once');
    } finally {
      await other.drop();
    }
  });

  it('refuses an applied migration whose file changed, naming the file and both checksums', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-migrations-'));
    try {
      cpSync(defaultMigrationsDir(), dir, { recursive: true });
      const path = join(dir, '0001_init.sql');
      const original = loadMigrations(dir).find((m) => m.version === 1)!.checksum;
      writeFileSync(path, readFileSync(path, 'utf8') + '\n-- an innocent-looking edit\n');
      const changed = loadMigrations(dir).find((m) => m.version === 1)!.checksum;
      await assert.rejects(withDirectClient(db.directUrl, (c) => migrateUp(c, loadMigrations(dir))), (error: unknown) => {
        assert.ok(isPlimsollError(error));
        assert.equal(error.code, 'MIGRATION_CHECKSUM_MISMATCH');
        const text = error.describe();
        assert.match(text, /0001_init\.sql/);
        assert.ok(text.includes(original) && text.includes(changed), text);
        return true;
      });
      const r = await cli(['migrate', 'up', '--database-url', db.directUrl, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.err, /MIGRATION_CHECKSUM_MISMATCH/);
      const statuses = await withDirectClient(db.directUrl, (c) => migrationStatus(c, loadMigrations(dir)));
      assert.equal(statuses.find((s) => s.version === 1)?.state, 'changed');
      const v = await cli(['migrate', 'verify', '--database-url', db.directUrl, '--dir', dir]);
      assert.equal(v.code, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the API queries use their indexes (EXPLAIN)', async () => {
    await withDirectClient(db.directUrl, async (c) => {
      await c.query(`INSERT INTO tenants (id, name) SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 't' || g FROM generate_series(1, 20) g`);
      await c.query(`INSERT INTO resumes (tenant_id, candidate_name, content) SELECT ('00000000-0000-4000-8000-' || lpad((1 + g % 20)::text, 12, '0'))::uuid, 'n', 'c' FROM generate_series(1, 4000) g`);
      await c.query(`INSERT INTO job_descriptions (tenant_id, title, description) SELECT ('00000000-0000-4000-8000-' || lpad((1 + g % 20)::text, 12, '0'))::uuid, 't', 'd' FROM generate_series(1, 2000) g`);
      await c.query(`INSERT INTO analysis_results (tenant_id, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms)
                     SELECT r.tenant_id, r.id, (SELECT j.id FROM job_descriptions j WHERE j.tenant_id = r.tenant_id LIMIT 1), 50, '{}', 't', 'Full', 1 FROM resumes r`);
      await c.query('ANALYZE');
      const tenant = '00000000-0000-4000-8000-000000000003';
      const plan = async (sql: string, params: unknown[]) => (await c.query(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      const cases: [string, string, unknown[]][] = [
        ['idx_resumes_tenant_seq', 'SELECT id FROM resumes WHERE tenant_id = $1 AND resumes.seq < $2 ORDER BY resumes.seq DESC LIMIT 21', [tenant, 3000]],
        ['idx_job_descriptions_tenant_seq', 'SELECT id FROM job_descriptions WHERE tenant_id = $1 ORDER BY job_descriptions.seq DESC LIMIT 21', [tenant]],
        ['idx_analysis_results_tenant_seq', `SELECT a.id, r.candidate_name, j.title FROM analysis_results a JOIN resumes r ON r.id = a.resume_id
            JOIN job_descriptions j ON j.id = a.job_description_id WHERE a.tenant_id = $1 ORDER BY a.seq DESC LIMIT 21`, [tenant]],
        ['idx_analysis_results_resume', 'SELECT id FROM analysis_results WHERE resume_id = $1', ['00000000-0000-4000-8000-000000000001']],
      ];
      for (const [index, sql, params] of cases) {
        const p = await plan(sql, params);
        assert.ok(p.includes(index), `expected ${index} in:\n${p}`);
      }
    });
  });

  it('verify catches a planted orphan, a missing foreign key and a missing index, and drift', async () => {
    await withDirectClient(db.directUrl, async (c) => {
      await c.query('ALTER TABLE analysis_results DROP CONSTRAINT fk_analysis_results_resume');
      await c.query(`INSERT INTO analysis_results (tenant_id, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms)
                     SELECT tenant_id, gen_random_uuid(), id, 10, '{}', 't', 'Full', 1 FROM job_descriptions LIMIT 1`);
      await c.query('DROP INDEX idx_analysis_results_job');
      await c.query('ALTER TABLE resumes ALTER COLUMN headline TYPE varchar(300)');
      await c.query('ALTER TABLE job_descriptions ALTER COLUMN updated_at TYPE timestamp without time zone');
      const findings = await verifySchema(c, loadMigrations());
      const has = (kind: string, subject: RegExp) => findings.some((f) => f.kind === kind && f.severity === 'critical' && subject.test(f.subject));
      assert.ok(has('foreign-key', /analysis_results\.resume_id -> resumes/), JSON.stringify(findings));
      assert.ok(has('orphan', /analysis_results\.resume_id/), JSON.stringify(findings));
      assert.ok(has('index', /idx_analysis_results_job/), JSON.stringify(findings));
      assert.ok(has('drift', /job_descriptions\.updated_at/), JSON.stringify(findings));
      assert.ok(!findings.some((f) => f.subject === 'resumes.headline'), 'varchar is an accepted string type');
    });
    const r = await cli(['migrate', 'verify', '--database-url', db.directUrl]);
    assert.equal(r.code, 1);
    assert.match(r.out, /CRITICAL\s+orphan/);
    assert.match(r.err, /SCHEMA_VERIFY_FAILED/);
  });
});
