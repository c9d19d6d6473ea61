import { z } from 'zod';

/**
 * What a replica reports at the top level of its health document (`/health/details`), and how
 * the operator reads it. `runtimeGeneration` is the acknowledgement: a replica runs generation G
 * once it reports `runtimeGeneration >= G`; `null` means it has applied no document yet (its
 * start-up configuration is in force) and counts as not acknowledged.
 */
export const runtimeReportSchema = z.object({
  /** The generation applied (null: none yet). */
  generation: z.number().int().min(0).nullable(),
  /**
   * The lineage (publishing policy's uid) of the applied document: null when it had none;
   * absent from older replicas, which the operator then judges by generation alone.
   */
  lineage: z.string().nullable().optional(),
  policy: z.string().nullable(),
  appliedAt: z.string().nullable(),
  issuedAt: z.string().nullable(),
  /** Where documents come from, e.g. `configmap:ns/name` or `file:/path`. */
  source: z.string().nullable(),
  /** The last channel or document problem since the last good document (null when healthy). */
  lastError: z.string().nullable(),
  /** Documents with a generation below the applied one, ignored. */
  ignoredStale: z.number().int().min(0),
  /**
   * The pool limit this replica runs (null: it governs no pool). Below the document's `db.poolMax`
   * when the replica caps it at its own ceiling: the operator shows this one in status.
   */
  poolMax: z.number().int().min(1).nullable(),
});
export type RuntimeReport = z.infer<typeof runtimeReportSchema>;

export const runtimeHealthSchema = z.object({
  runtimeGeneration: runtimeReportSchema.shape.generation,
  runtime: runtimeReportSchema,
});
export type RuntimeHealth = z.infer<typeof runtimeHealthSchema>;

/** The acknowledgement field's name, checked against the schema. */
export const ACKNOWLEDGEMENT_FIELD = 'runtimeGeneration' satisfies keyof RuntimeHealth;

/** What the operator learns from one replica's health document. */
export interface AppliedRuntime {
  generation: number | null;
  /** The applied document's lineage; undefined when the replica does not report one (older replicas). */
  lineage?: string | null;
  /** The pool the replica runs, when it says (older replicas report only the generation). */
  poolMax: number | null;
}

/**
 * Reads a health document: 'absent' when it has no acknowledgement field at all (a replica
 * without a runtime client, which cannot hold scaling back); a field that is not a generation
 * counts as null (not acknowledged).
 */
export function readAppliedRuntime(health: unknown): AppliedRuntime | 'absent' {
  if (!health || typeof health !== 'object' || !(ACKNOWLEDGEMENT_FIELD in health)) return 'absent';
  const fields = health as Record<string, unknown>;
  const generation = runtimeHealthSchema.shape.runtimeGeneration.safeParse(fields[ACKNOWLEDGEMENT_FIELD]);
  const report = runtimeReportSchema.safeParse(fields.runtime);
  const applied: AppliedRuntime = { generation: generation.success ? generation.data : null, poolMax: report.success ? report.data.poolMax : null };
  if (report.success && report.data.lineage !== undefined) applied.lineage = report.data.lineage;
  return applied;
}

/**
 * Does a replica's report acknowledge document `doc`? It runs it or a later one of the same
 * lineage. A replica that reports no lineage (an older runtime client) is judged by generation.
 */
export function acknowledges(report: AppliedRuntime, doc: { lineage?: string | undefined; generation: number }): boolean {
  if (report.generation === null) return false;
  if (report.lineage !== undefined && (report.lineage ?? undefined) !== doc.lineage) return false;
  return report.generation >= doc.generation;
}
