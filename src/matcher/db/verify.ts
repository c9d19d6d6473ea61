import type pg from 'pg';
import { compareMigrations, readApplied, type Migration } from './migrations.js';
import { expectedColumns, rowModels, type TableName } from './models.js';

/**
 * `matcher migrate verify`: compares the live database with what the code expects —
 * migrations (changed, pending, unknown), foreign keys and their delete rules, orphaned rows,
 * indexes (missing or left INVALID by a failed concurrent build), and the zod row models
 * against the live column types. Critical findings make the command exit non-zero.
 */
export type Severity = 'critical' | 'warning';

export interface Finding {
  severity: Severity;
  kind: 'migration' | 'foreign-key' | 'orphan' | 'index' | 'drift';
  subject: string;
  message: string;
}

export interface ExpectedForeignKey {
  table: TableName;
  column: string;
  references: TableName;
  onDelete: 'CASCADE' | 'SET NULL';
  why: string;
}

const fk = (table: TableName, column: string, references: TableName, onDelete: ExpectedForeignKey['onDelete'], why: string): ExpectedForeignKey =>
  ({ table, column, references, onDelete, why });

/** Tables whose rows belong to one tenant: each dies with its tenant (tenant isolation). */
const TENANT_OWNED: TableName[] = ['resumes', 'job_descriptions', 'analysis_results', 'interview_questions'];

export const expectedForeignKeys: ExpectedForeignKey[] = [
  fk('api_keys', 'tenant_id', 'tenants', 'CASCADE', 'keys die with their tenant'),
  ...TENANT_OWNED.map((table) => fk(table, 'tenant_id', 'tenants', 'CASCADE', 'tenant isolation')),
  fk('skill_categories', 'parent_id', 'skill_categories', 'CASCADE', 'sub-categories follow their parent'),
  fk('skills', 'category_id', 'skill_categories', 'SET NULL', 'a skill outlives its category'),
  // Results and questions follow their inputs, also under concurrent deletes (no orphans).
  fk('analysis_results', 'resume_id', 'resumes', 'CASCADE', 'no orphaned results under concurrent deletes'),
  fk('analysis_results', 'job_description_id', 'job_descriptions', 'CASCADE', 'no orphaned results under concurrent deletes'),
  fk('interview_questions', 'resume_id', 'resumes', 'CASCADE', 'questions follow their resume'),
  fk('interview_questions', 'job_description_id', 'job_descriptions', 'CASCADE', 'questions follow their job'),
  fk('interview_questions', 'analysis_result_id', 'analysis_results', 'SET NULL', 'questions outlive a re-run analysis'),
];

/** The indexes the API's queries rely on (each proven by an EXPLAIN test). */
export const expectedIndexes: { name: string; table: TableName; serves: string }[] = [
  { name: 'idx_api_keys_tenant', table: 'api_keys', serves: 'tenant key listing' },
  { name: 'idx_resumes_tenant_seq', table: 'resumes', serves: 'GET /v1/resumes (keyset pagination)' },
  { name: 'idx_job_descriptions_tenant_seq', table: 'job_descriptions', serves: 'GET /v1/jobs (keyset pagination)' },
  { name: 'idx_analysis_results_tenant_seq', table: 'analysis_results', serves: 'GET /v1/analyses (keyset pagination)' },
  { name: 'idx_analysis_results_resume', table: 'analysis_results', serves: 'cascading resume deletes' },
  { name: 'idx_analysis_results_job', table: 'analysis_results', serves: 'cascading job deletes' },
  { name: 'idx_interview_questions_resume_job', table: 'interview_questions', serves: 'questions for a resume/job pair' },
  { name: 'idx_interview_questions_job', table: 'interview_questions', serves: 'cascading job deletes' },
  { name: 'idx_interview_questions_analysis', table: 'interview_questions', serves: 'SET NULL on analysis deletes' },
  { name: 'idx_skill_categories_parent', table: 'skill_categories', serves: 'category tree' },
  { name: 'idx_skills_category', table: 'skills', serves: 'skills by category' },
  { name: 'idx_skills_aliases_gin', table: 'skills', serves: 'alias lookup (aliases @> ...)' },
];

export async function verifySchema(client: pg.ClientBase, files: Migration[]): Promise<Finding[]> {
  const findings: Finding[] = [];

  // Migrations
  for (const s of compareMigrations(files, await readApplied(client))) {
    if (s.state === 'changed') {
      findings.push({ severity: 'critical', kind: 'migration', subject: `${String(s.version).padStart(4, '0')}_${s.name}`, message: `applied with sha256 ${s.appliedChecksum}, file now ${s.fileChecksum}` });
    } else if (s.state === 'pending') {
      findings.push({ severity: 'critical', kind: 'migration', subject: `${String(s.version).padStart(4, '0')}_${s.name}`, message: 'not applied (run `matcher migrate up`)' });
    } else if (s.state === 'missing-file') {
      findings.push({ severity: 'warning', kind: 'migration', subject: `${s.version}_${s.name}`, message: 'applied in the database but no file in src/matcher/migrations/ (database ahead of this code?)' });
    }
  }

  // Foreign keys, with their delete rules
  const { rows: fks } = await client.query<{ table_name: string; column_name: string; ref_table: string; delete_rule: string; constraint_name: string }>(`
    SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name, c.confrelid::regclass::text AS ref_table,
           CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS delete_rule,
           c.conname AS constraint_name
      FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace AND array_length(c.conkey, 1) = 1`);
  const existingTables = new Set((await client.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()`)).rows.map((r) => r.t));
  for (const fk of expectedForeignKeys) {
    if (!existingTables.has(fk.table) || !existingTables.has(fk.references)) continue; // reported as drift below
    const found = fks.find((f) => f.table_name === fk.table && f.column_name === fk.column && f.ref_table === fk.references);
    const subject = `${fk.table}.${fk.column} -> ${fk.references}(id)`;
    if (!found) {
      findings.push({ severity: 'critical', kind: 'foreign-key', subject, message: `missing foreign key (ON DELETE ${fk.onDelete}: ${fk.why})` });
    } else if (found.delete_rule !== fk.onDelete) {
      findings.push({ severity: 'critical', kind: 'foreign-key', subject, message: `${found.constraint_name} is ON DELETE ${found.delete_rule}, expected ${fk.onDelete} (${fk.why})` });
    }
    // Orphans: rows pointing at nothing (only possible where the constraint is missing or NOT VALID).
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${fk.table} child
        WHERE child.${fk.column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ${fk.references} parent WHERE parent.id = child.${fk.column})`);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) {
      findings.push({ severity: 'critical', kind: 'orphan', subject, message: `${n} orphaned row(s) in ${fk.table} (${fk.onDelete === 'CASCADE' ? 'delete them' : 'set the column to NULL'} before adding the constraint)` });
    }
  }

  // Indexes
  const { rows: indexes } = await client.query<{ name: string; table_name: string; valid: boolean }>(`
    SELECT i.relname AS name, t.relname AS table_name, x.indisvalid AS valid
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     WHERE t.relnamespace = current_schema()::regnamespace`);
  for (const idx of expectedIndexes) {
    if (!existingTables.has(idx.table)) continue;
    const found = indexes.find((i) => i.name === idx.name);
    if (!found) findings.push({ severity: 'critical', kind: 'index', subject: idx.name, message: `missing index on ${idx.table} (serves ${idx.serves})` });
  }
  for (const idx of indexes.filter((i) => !i.valid)) {
    findings.push({ severity: 'critical', kind: 'index', subject: idx.name, message: `INVALID index on ${idx.table_name} (a failed CREATE INDEX CONCURRENTLY): DROP INDEX CONCURRENTLY ${idx.name} and re-run the migration` });
  }

  // zod models vs live columns
  const { rows: columns } = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: 'YES' | 'NO' }>(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()`);
  for (const table of Object.keys(rowModels) as TableName[]) {
    if (!existingTables.has(table)) {
      findings.push({ severity: 'critical', kind: 'drift', subject: table, message: 'table is missing' });
      continue;
    }
    const live = columns.filter((c) => c.table_name === table);
    for (const expected of expectedColumns(table)) {
      const col = live.find((c) => c.column_name === expected.column);
      const subject = `${table}.${expected.column}`;
      if (!col) {
        findings.push({ severity: 'critical', kind: 'drift', subject, message: `the model has ${expected.column} (${expected.pgTypes[0]}) but the table has no such column` });
        continue;
      }
      if (!expected.pgTypes.includes(col.data_type)) {
        findings.push({ severity: 'critical', kind: 'drift', subject, message: `column is ${col.data_type}, the model expects ${expected.pgTypes.join(' or ')}` });
      }
      if ((col.is_nullable === 'YES') !== expected.nullable) {
        findings.push({ severity: expected.nullable ? 'warning' : 'critical', kind: 'drift', subject, message: `column is ${col.is_nullable === 'YES' ? 'nullable' : 'NOT NULL'}, the model says ${expected.nullable ? 'nullable' : 'required'}` });
      }
    }
    const modelled = new Set(expectedColumns(table).map((c) => c.column));
    for (const col of live.filter((c) => !modelled.has(c.column_name))) {
      findings.push({ severity: 'warning', kind: 'drift', subject: `${table}.${col.column_name}`, message: `column (${col.data_type}) is not in the zod model` });
    }
  }
  return findings;
}
