import { z } from 'zod';

/**
 * The rows as the application reads them, one zod object per table. `migrate verify` compares
 * these with the live column types (information_schema), so a migration that changes a column
 * without the model (or the reverse) is caught before it reaches production.
 */
const json = z.unknown().meta({ pgType: 'jsonb' });
const text = z.string();
const ts = z.date();

export const rowModels = {
  tenants: z.object({ id: z.uuid(), name: text, created_at: ts }),
  api_keys: z.object({
    id: z.uuid(), tenant_id: z.uuid(), key_prefix: text, key_hash: z.instanceof(Buffer).meta({ pgType: 'bytea' }),
    label: text.nullable(), created_at: ts, revoked_at: ts.nullable(),
  }),
  skill_categories: z.object({ id: z.int(), slug: text, name: text, parent_id: z.int().nullable(), weight: z.string().meta({ pgType: 'numeric' }) }),
  skills: z.object({ id: z.int(), name: text, category_id: z.int().nullable(), aliases: json }),
  resumes: z.object({
    id: z.uuid(), seq: z.string().meta({ pgType: 'bigint' }), tenant_id: z.uuid(), candidate_name: text, headline: text.nullable(),
    content: text, skills: json, created_at: ts, updated_at: ts,
  }),
  job_descriptions: z.object({
    id: z.uuid(), seq: z.string().meta({ pgType: 'bigint' }), tenant_id: z.uuid(), title: text, company: text.nullable(),
    location: text.nullable(), description: text, required_skills: json, preferred_skills: json, created_at: ts, updated_at: ts,
  }),
  analysis_results: z.object({
    id: z.uuid(), seq: z.string().meta({ pgType: 'bigint' }), tenant_id: z.uuid(), resume_id: z.uuid(), job_description_id: z.uuid(),
    match_percentage: z.int().meta({ pgType: 'smallint' }), analysis_data: json, matcher_version: text, service_level: text,
    duration_ms: z.int(), created_at: ts,
  }),
  interview_questions: z.object({
    id: z.uuid(), tenant_id: z.uuid(), resume_id: z.uuid(), job_description_id: z.uuid(), analysis_result_id: z.uuid().nullable(),
    questions: json, created_at: ts,
  }),
} as const;

export type TableName = keyof typeof rowModels;

export interface ExpectedColumn {
  column: string;
  /** PostgreSQL type names (information_schema.columns.data_type) the field accepts. */
  pgTypes: string[];
  nullable: boolean;
}

/** What a zod field means in PostgreSQL: an explicit .meta({pgType}) wins, else the zod type. */
export function expectedColumns(table: TableName): ExpectedColumn[] {
  const shape = rowModels[table].shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([column, schema]) => {
    let inner = schema;
    let nullable = false;
    if (inner instanceof z.ZodNullable) {
      nullable = true;
      inner = inner.unwrap() as z.ZodType;
    }
    const meta = (inner.meta() ?? {}) as { pgType?: string };
    return { column, nullable, pgTypes: meta.pgType ? [pgTypeName(meta.pgType)] : zodToPg(inner) };
  });
}

function pgTypeName(short: string): string {
  return ({ bigint: 'bigint', smallint: 'smallint', numeric: 'numeric', jsonb: 'jsonb', bytea: 'bytea' } as Record<string, string>)[short] ?? short;
}

function zodToPg(schema: z.ZodType): string[] {
  const def = (schema as unknown as { _zod: { def: { type: string; format?: string } } })._zod.def;
  switch (def.type) {
    case 'string': return def.format === 'uuid' ? ['uuid'] : ['text', 'character varying'];
    case 'number': return def.format === 'safeint' || def.format === 'int32' ? ['integer'] : ['double precision', 'real', 'numeric'];
    case 'boolean': return ['boolean'];
    case 'date': return ['timestamp with time zone'];
    default: return ['jsonb', 'json'];
  }
}
