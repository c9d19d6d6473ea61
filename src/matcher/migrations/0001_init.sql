-- The matcher's schema: tenants and their API keys, the skill taxonomy, resumes, job
-- descriptions, analysis results and interview questions. Every tenant-owned row carries
-- tenant_id; every query filters on it. New, empty tables: plain CREATE INDEX is fine here;
-- indexes on tables that may already be large live in their own no-transaction migrations.

CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys: only a SHA-256 of the (high-entropy) key is stored; the prefix identifies a key in
-- logs and listings and is how a presented key is found before the constant-time comparison.
CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key_prefix    text NOT NULL UNIQUE CHECK (key_prefix ~ '^plm_[a-z0-9]{8}$'),
  key_hash      bytea NOT NULL CHECK (octet_length(key_hash) = 32),
  label         text CHECK (label IS NULL OR length(label) <= 200),
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
CREATE INDEX idx_api_keys_tenant ON api_keys (tenant_id);

-- The taxonomy (loaded by `plimsoll seed` from src/matcher/analysis/data/skills.json).
CREATE TABLE skill_categories (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]+$'),
  name        text NOT NULL,
  parent_id   integer REFERENCES skill_categories (id) ON DELETE CASCADE,
  weight      numeric(4, 2) NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 5),
  CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX idx_skill_categories_parent ON skill_categories (parent_id);

CREATE TABLE skills (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  category_id integer REFERENCES skill_categories (id) ON DELETE SET NULL,
  aliases     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(aliases) = 'array')
);
CREATE INDEX idx_skills_category ON skills (category_id, name);
CREATE INDEX idx_skills_aliases_gin ON skills USING gin (aliases jsonb_path_ops);

-- seq: a monotonic key (identity, so unique without a second index) for stable cursor
-- pagination: WHERE tenant_id = $1 AND seq < cursor ORDER BY seq DESC, served by (tenant_id, seq DESC).
CREATE TABLE resumes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  candidate_name  text NOT NULL CHECK (length(candidate_name) BETWEEN 1 AND 200),
  headline        text CHECK (headline IS NULL OR length(headline) <= 300),
  content         text NOT NULL CHECK (length(content) BETWEEN 1 AND 100000),
  skills          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(skills) = 'array'),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_resumes_tenant_seq ON resumes (tenant_id, seq DESC);

CREATE TABLE job_descriptions (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq               bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  company           text CHECK (company IS NULL OR length(company) <= 200),
  location          text CHECK (location IS NULL OR length(location) <= 200),
  description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 100000),
  required_skills   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(required_skills) = 'array'),
  preferred_skills  jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(preferred_skills) = 'array'),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_job_descriptions_tenant_seq ON job_descriptions (tenant_id, seq DESC);

-- Analysis results follow their resume and their job: deleting either deletes the result.
CREATE TABLE analysis_results (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq                 bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  resume_id           uuid NOT NULL,
  job_description_id  uuid NOT NULL,
  match_percentage    smallint NOT NULL CHECK (match_percentage BETWEEN 0 AND 100),
  analysis_data       jsonb NOT NULL CHECK (jsonb_typeof(analysis_data) = 'object'),
  matcher_version     text NOT NULL,
  service_level       text NOT NULL CHECK (service_level IN ('Full', 'Reduced', 'Basic', 'Maintenance')),
  duration_ms         integer NOT NULL CHECK (duration_ms >= 0),
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT fk_analysis_results_resume FOREIGN KEY (resume_id) REFERENCES resumes (id) ON DELETE CASCADE,
  CONSTRAINT fk_analysis_results_job FOREIGN KEY (job_description_id) REFERENCES job_descriptions (id) ON DELETE CASCADE
);

-- Interview questions belong to a resume/job pair; the analysis that suggested them is optional.
CREATE TABLE interview_questions (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  resume_id           uuid NOT NULL REFERENCES resumes (id) ON DELETE CASCADE,
  job_description_id  uuid NOT NULL REFERENCES job_descriptions (id) ON DELETE CASCADE,
  analysis_result_id  uuid REFERENCES analysis_results (id) ON DELETE SET NULL,
  questions           jsonb NOT NULL CHECK (jsonb_typeof(questions) = 'array'),
  created_at          timestamptz NOT NULL DEFAULT now()
);
