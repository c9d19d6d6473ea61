import type { Database } from './db/database.js';
import { PlimsollError } from '../plimsoll/errors.js';
import type { AnalysisResult } from './analysis/analyse.js';
import type { ServiceLevel } from '../plimsoll/contract/service-levels.js';

/**
 * Every SQL statement the API runs. Each one filters on tenant_id, so an id from another tenant
 * is simply not found (404, never 403: the API does not confirm that the id exists).
 * Parameterised queries only; user text is data, never SQL.
 */
export interface Page<T> { rows: T[]; hasMore: boolean; next: string | null }
export interface PageRequest { limit: number; afterSeq?: string; offset?: number }

export interface ResumeRow { id: string; seq: string; candidate_name: string; headline: string | null; content?: string; skills: string[]; created_at: Date; updated_at: Date }
export interface JobRow {
  id: string; seq: string; title: string; company: string | null; location: string | null; description?: string;
  required_skills: string[]; preferred_skills: string[]; created_at: Date; updated_at: Date;
}
export interface AnalysisRow {
  id: string; seq: string; resume_id: string; job_description_id: string; match_percentage: number; analysis_data: AnalysisResult;
  matcher_version: string; service_level: ServiceLevel; duration_ms: number; created_at: Date;
}
export interface AnalysisListRow {
  id: string; seq: string; match_percentage: number; verdict: string; matcher_version: string; created_at: Date;
  resume_id: string; candidate_name: string; headline: string | null; job_id: string; title: string; company: string | null;
}

function pageOf<T extends { seq: string }>(rows: T[], req: PageRequest): Page<T> {
  const hasMore = rows.length > req.limit;
  const page = hasMore ? rows.slice(0, req.limit) : rows;
  return { rows: page, hasMore, next: hasMore ? page.at(-1)!.seq : null };
}

/** Keyset (seq < cursor) by default; OFFSET when asked for and cheap (bounded by config). */
/** `col` is the table's seq column, qualified: the output column `seq` is text and would sort as text. */
function window(req: PageRequest, firstParam: number, col: string): { sql: string; params: unknown[] } {
  if (req.offset !== undefined) return { sql: `ORDER BY ${col} DESC LIMIT $${firstParam} OFFSET $${firstParam + 1}`, params: [req.limit + 1, req.offset] };
  if (req.afterSeq !== undefined) return { sql: `AND ${col} < $${firstParam} ORDER BY ${col} DESC LIMIT $${firstParam + 1}`, params: [req.afterSeq, req.limit + 1] };
  return { sql: `ORDER BY ${col} DESC LIMIT $${firstParam}`, params: [req.limit + 1] };
}

const RESUME_SUMMARY = 'id, seq::text, candidate_name, headline, skills, created_at, updated_at';
const JOB_SUMMARY = 'id, seq::text, title, company, location, required_skills, preferred_skills, created_at, updated_at';

/** A tenant's collection: its table, the columns a list shows, the one a single read adds, its 404. */
interface Collection {
  table: string;
  /** Prefix of the operation names (metrics label): `resumes.get`, … */
  op: string;
  summary: string;
  body: string;
  notFound(id: string): PlimsollError;
}
const RESUMES: Collection = {
  table: 'resumes', op: 'resumes', summary: RESUME_SUMMARY, body: 'content',
  notFound: (id) => new PlimsollError('RESUME_NOT_FOUND', `resume ${id} not found`),
};
const JOBS: Collection = {
  table: 'job_descriptions', op: 'jobs', summary: JOB_SUMMARY, body: 'description',
  notFound: (id) => new PlimsollError('JOB_NOT_FOUND', `job description ${id} not found`),
};

export class Repository {
  constructor(private readonly db: Database) {}

  // --- resumes
  async createResume(tenantId: string, r: { candidateName: string; headline?: string | null; content: string }, skills: string[]): Promise<ResumeRow> {
    const { rows } = await this.db.query<ResumeRow>('fast', 'resumes.create',
      `INSERT INTO resumes (tenant_id, candidate_name, headline, content, skills) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${RESUME_SUMMARY}, content`, [tenantId, r.candidateName, r.headline ?? null, r.content, JSON.stringify(skills)]);
    return rows[0]!;
  }

  getResume(tenantId: string, id: string): Promise<ResumeRow> {
    return this.getOne(RESUMES, tenantId, id);
  }

  listResumes(tenantId: string, req: PageRequest): Promise<Page<ResumeRow>> {
    return this.listOf(RESUMES, tenantId, req);
  }

  async updateResume(tenantId: string, id: string, patch: { candidateName?: string; headline?: string | null; content?: string }, skills: string[] | undefined): Promise<ResumeRow> {
    const { rows } = await this.db.query<ResumeRow>('fast', 'resumes.update',
      `UPDATE resumes SET candidate_name = COALESCE($3, candidate_name),
              headline = CASE WHEN $4::boolean THEN $5 ELSE headline END,
              content = COALESCE($6, content), skills = COALESCE($7::jsonb, skills), updated_at = now()
        WHERE id = $1 AND tenant_id = $2 RETURNING ${RESUME_SUMMARY}, content`,
      [id, tenantId, patch.candidateName ?? null, 'headline' in patch, patch.headline ?? null, patch.content ?? null, skills ? JSON.stringify(skills) : null]);
    if (!rows[0]) throw RESUMES.notFound(id);
    return rows[0];
  }

  deleteResume(tenantId: string, id: string): Promise<void> {
    return this.deleteOne(RESUMES, tenantId, id);
  }

  // --- job descriptions
  async createJob(tenantId: string, j: { title: string; company?: string | null; location?: string | null; description: string; requiredSkills?: string[]; preferredSkills?: string[] }): Promise<JobRow> {
    const { rows } = await this.db.query<JobRow>('fast', 'jobs.create',
      `INSERT INTO job_descriptions (tenant_id, title, company, location, description, required_skills, preferred_skills)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${JOB_SUMMARY}, description`,
      [tenantId, j.title, j.company ?? null, j.location ?? null, j.description, JSON.stringify(j.requiredSkills ?? []), JSON.stringify(j.preferredSkills ?? [])]);
    return rows[0]!;
  }

  getJob(tenantId: string, id: string): Promise<JobRow> {
    return this.getOne(JOBS, tenantId, id);
  }

  listJobs(tenantId: string, req: PageRequest): Promise<Page<JobRow>> {
    return this.listOf(JOBS, tenantId, req);
  }

  async updateJob(tenantId: string, id: string, patch: Record<string, unknown>): Promise<JobRow> {
    const has = (k: string) => k in patch;
    const { rows } = await this.db.query<JobRow>('fast', 'jobs.update',
      `UPDATE job_descriptions SET title = COALESCE($3, title),
              company = CASE WHEN $4::boolean THEN $5 ELSE company END,
              location = CASE WHEN $6::boolean THEN $7 ELSE location END,
              description = COALESCE($8, description),
              required_skills = COALESCE($9::jsonb, required_skills),
              preferred_skills = COALESCE($10::jsonb, preferred_skills), updated_at = now()
        WHERE id = $1 AND tenant_id = $2 RETURNING ${JOB_SUMMARY}, description`,
      [id, tenantId, patch.title ?? null, has('company'), patch.company ?? null, has('location'), patch.location ?? null, patch.description ?? null,
        has('requiredSkills') ? JSON.stringify(patch.requiredSkills) : null, has('preferredSkills') ? JSON.stringify(patch.preferredSkills) : null]);
    if (!rows[0]) throw JOBS.notFound(id);
    return rows[0];
  }

  deleteJob(tenantId: string, id: string): Promise<void> {
    return this.deleteOne(JOBS, tenantId, id);
  }

  // --- one tenant's row of a collection, a page of it, deleting it
  private async getOne<T extends object>(c: Collection, tenantId: string, id: string): Promise<T> {
    const { rows } = await this.db.query<T>('fast', `${c.op}.get`,
      `SELECT ${c.summary}, ${c.body} FROM ${c.table} WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    if (!rows[0]) throw c.notFound(id);
    return rows[0];
  }

  private async listOf<T extends { seq: string }>(c: Collection, tenantId: string, req: PageRequest): Promise<Page<T>> {
    const w = window(req, 2, `${c.table}.seq`);
    const { rows } = await this.db.query<T>('fast', `${c.op}.list`,
      `SELECT ${c.summary} FROM ${c.table} WHERE tenant_id = $1 ${w.sql}`, [tenantId, ...w.params]);
    return pageOf(rows, req);
  }

  private async deleteOne(c: Collection, tenantId: string, id: string): Promise<void> {
    const { rowCount } = await this.db.query('fast', `${c.op}.delete`, `DELETE FROM ${c.table} WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    if (!rowCount) throw c.notFound(id);
  }

  // --- analyses
  /** Both inputs of an analysis, in one round trip. */
  async loadPair(tenantId: string, resumeId: string, jobId: string): Promise<{ resume: ResumeRow; job: JobRow }> {
    const { rows } = await this.db.query<{ resume: ResumeRow | null; job: JobRow | null }>('fast', 'analyses.load',
      `SELECT (SELECT to_jsonb(r) FROM (SELECT id, candidate_name, headline, content, skills FROM resumes WHERE id = $2 AND tenant_id = $1) r) AS resume,
              (SELECT to_jsonb(j) FROM (SELECT id, title, company, description, required_skills, preferred_skills FROM job_descriptions WHERE id = $3 AND tenant_id = $1) j) AS job`,
      [tenantId, resumeId, jobId]);
    const row = rows[0]!;
    if (!row.resume) throw new PlimsollError('RESUME_NOT_FOUND', `resume ${resumeId} not found`);
    if (!row.job) throw new PlimsollError('JOB_NOT_FOUND', `job description ${jobId} not found`);
    return { resume: row.resume, job: row.job };
  }

  /**
   * Stores a result under a deterministic id (derived from tenant, resume, job, inputs, provider
   * and prompt version): INSERT … ON CONFLICT (id) DO NOTHING, so a retried or duplicated job
   * never writes two results; the second writer gets the first one's row (created false). Only
   * if its resume and job still exist for this tenant: a resume deleted meanwhile either makes the
   * INSERT find nothing, or (deleted between check and insert) fails the foreign key, whose ON
   * DELETE CASCADE removes results committed before the delete. No result outlives its resume.
   *
   * One exception to "the first writer wins": a provider's answer replaces the local matcher's
   * fallback stored under the same (provider's) id, so a fallback written while the provider was
   * down does not shadow the provider's answer once it recovers. A fallback never replaces a
   * provider's answer. (A local answer's matcher version has no `<provider>:` prefix.)
   */
  async storeAnalysis(id: string, tenantId: string, resumeId: string, jobId: string, result: AnalysisResult, level: ServiceLevel, durationMs: number): Promise<{ row: AnalysisRow; created: boolean }> {
    try {
      return await this.db.tx('analysis', 'analyses.store', async (q) => {
        const { rows } = await q.query<AnalysisRow>(
          `INSERT INTO analysis_results (id, tenant_id, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms)
           SELECT $9, $1, r.id, j.id, $4, $5, $6, $7, $8
             FROM resumes r, job_descriptions j
            WHERE r.id = $2 AND r.tenant_id = $1 AND j.id = $3 AND j.tenant_id = $1
           ON CONFLICT (id) DO UPDATE SET match_percentage = EXCLUDED.match_percentage, analysis_data = EXCLUDED.analysis_data,
                  matcher_version = EXCLUDED.matcher_version, service_level = EXCLUDED.service_level, duration_ms = EXCLUDED.duration_ms
            WHERE position(':' in EXCLUDED.matcher_version) > 0 AND position(':' in analysis_results.matcher_version) = 0
           RETURNING id, seq::text, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms, created_at,
                     (xmax::text <> '0') AS replaced`,
          [tenantId, resumeId, jobId, result.matchPercentage, JSON.stringify(result), result.matcherVersion, level, Math.round(durationMs), id]);
        const row = rows[0];
        if (!row) {
          const existing = await q.query<AnalysisRow>(
            `SELECT id, seq::text, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms, created_at
               FROM analysis_results WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
          if (existing.rows[0]) return { row: existing.rows[0], created: false };
          throw new PlimsollError('RESUME_NOT_FOUND', `resume ${resumeId} or job ${jobId} was deleted during the analysis`);
        }
        const replaced = (row as AnalysisRow & { replaced?: boolean }).replaced === true;
        delete (row as AnalysisRow & { replaced?: boolean }).replaced;
        // The replaced fallback's questions go with it: one set of questions per result.
        if (replaced) await q.query('DELETE FROM interview_questions WHERE analysis_result_id = $1 AND tenant_id = $2', [row.id, tenantId]);
        if (result.interviewQuestions.length > 0) {
          await q.query(`INSERT INTO interview_questions (tenant_id, resume_id, job_description_id, analysis_result_id, questions) VALUES ($1, $2, $3, $4, $5)`,
            [tenantId, resumeId, jobId, row.id, JSON.stringify(result.interviewQuestions)]);
        }
        return { row, created: true };
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23503') {
        throw new PlimsollError('RESUME_NOT_FOUND', `resume ${resumeId} or job ${jobId} was deleted during the analysis`, { cause: error });
      }
      throw error;
    }
  }

  async findAnalysis(tenantId: string, id: string): Promise<AnalysisRow | undefined> {
    const { rows } = await this.db.query<AnalysisRow>('fast', 'analyses.get',
      `SELECT id, seq::text, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms, created_at
         FROM analysis_results WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    return rows[0];
  }

  async getAnalysis(tenantId: string, id: string): Promise<AnalysisRow> {
    const { rows } = await this.db.query<AnalysisRow>('fast', 'analyses.get',
      `SELECT id, seq::text, resume_id, job_description_id, match_percentage, analysis_data, matcher_version, service_level, duration_ms, created_at
         FROM analysis_results WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    if (!rows[0]) throw new PlimsollError('ANALYSIS_NOT_FOUND', `analysis ${id} not found`);
    return rows[0];
  }

  /** A tenant's analyses with their resume and job, one query (no N+1). */
  async listAnalyses(tenantId: string, req: PageRequest): Promise<Page<AnalysisListRow>> {
    const w = window(req, 2, 'a.seq');
    const { rows } = await this.db.query<AnalysisListRow>('fast', 'analyses.list',
      `SELECT a.id, a.seq::text AS seq, a.match_percentage, a.analysis_data->>'verdict' AS verdict, a.matcher_version, a.created_at,
              r.id AS resume_id, r.candidate_name, r.headline, j.id AS job_id, j.title, j.company
         FROM analysis_results a
         JOIN resumes r ON r.id = a.resume_id
         JOIN job_descriptions j ON j.id = a.job_description_id
        WHERE a.tenant_id = $1 ${w.sql}`, [tenantId, ...w.params]);
    return pageOf(rows, req);
  }
}
