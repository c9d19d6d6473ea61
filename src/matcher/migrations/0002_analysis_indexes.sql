-- plimsoll:no-transaction
-- Indexes on the tables that grow fastest, built without blocking writes. CREATE INDEX
-- CONCURRENTLY cannot run inside a transaction, so this file runs statement by statement
-- (the marker above); IF NOT EXISTS makes a re-run after a partial failure safe, and
-- `plimsoll migrate verify` flags any index a failed build left INVALID.

-- A tenant's analyses, newest first (keyset pagination), covering the listing's join keys.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_analysis_results_tenant_seq
  ON analysis_results (tenant_id, seq DESC) INCLUDE (resume_id, job_description_id, match_percentage);

-- Foreign-key sides: without them every resume/job delete scans analysis_results to cascade.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_analysis_results_resume
  ON analysis_results (resume_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_analysis_results_job
  ON analysis_results (job_description_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_interview_questions_resume_job
  ON interview_questions (resume_id, job_description_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_interview_questions_job
  ON interview_questions (job_description_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_interview_questions_analysis
  ON interview_questions (analysis_result_id);
