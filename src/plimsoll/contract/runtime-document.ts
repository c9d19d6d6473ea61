import { z } from 'zod';
import { PlimsollError } from '../errors.js';
import { SERVICE_LEVELS } from './service-levels.js';

/**
 * The runtime document the operator publishes (ConfigMap key `runtime.json`, or a file outside a
 * cluster) and every replica applies live. One schema for both sides: the operator validates what
 * it reads back with it, as a replica does. Unknown fields are tolerated (stripped) so a newer
 * operator may add one without breaking older replicas; the known ones are validated strictly.
 *
 * `generation` grows by one exactly when the content (everything but `lineage`, `generation` and
 * `issuedAt`) changes, so a replica's applied generation says exactly which content it runs.
 * Generations are ordered within one `lineage` (the uid of the policy that publishes them): a
 * policy deleted and created again starts a new lineage, whose generations restart at 1.
 */
export const runtimeDocumentSchema = z.object({
  policy: z.string().min(1),
  /**
   * The publishing policy's uid. A replica applies a document of another lineage whatever its
   * generation, and reports the lineage with the generation; absent from older operators'
   * documents, which then order by generation alone.
   */
  lineage: z.string().min(1).optional(),
  generation: z.number().int().min(0),
  issuedAt: z.string().min(1),
  serviceLevel: z.enum(SERVICE_LEVELS),
  /** The replica count the pool was sized for (the decided one). */
  replicas: z.number().int().min(0),
  /** Absent when the policy sets no connection budget: the pool keeps its configured size. */
  db: z.object({ poolMax: z.number().int().min(1) }).optional(),
  /**
   * Per queue (AI provider): worker concurrency on each replica, the cluster-wide rate limit, and
   * the jobs the queue admits (what the provider answers within the deadline; beyond it, the next
   * provider with room or the local matcher answers at once). Absent maxWaiting: no limit.
   */
  queues: z.record(z.string(), z.object({
    concurrency: z.number().int().min(0),
    rateLimit: z.object({ max: z.number().int().min(1), durationMs: z.number().int().min(1) }).optional(),
    maxWaiting: z.number().int().min(0).optional(),
  })).default({}),
});
export type RuntimeDocument = z.infer<typeof runtimeDocumentSchema>;

/** What the operator decides; the document adds its identity (lineage, generation, issue time). */
export type RuntimeContent = Omit<RuntimeDocument, 'lineage' | 'generation' | 'issuedAt'>;

/** The knobs a document sets: every field but the policy it comes from and its identity. */
export type RuntimeKnob = Exclude<keyof RuntimeDocument, 'policy' | 'lineage' | 'generation' | 'issuedAt'>;

/**
 * Is `doc` newer than `applied`? Within one lineage, a higher generation; a document of another
 * lineage (the policy was re-created) always is. One rule for the replica that applies and the
 * operator that waits for the acknowledgement.
 */
export function supersedes(doc: { lineage?: string | null | undefined; generation: number }, applied: { lineage?: string | null | undefined; generation: number }): boolean {
  if ((doc.lineage ?? null) !== (applied.lineage ?? null)) return true;
  return doc.generation > applied.generation;
}

/**
 * A handler for every knob, optional ones included: a replica's table of these stops compiling
 * when a knob is added to the schema and nothing applies it.
 */
export type KnobHandlers<R> = { [K in RuntimeKnob]: (value: RuntimeDocument[K]) => R };

/**
 * The content with every field spelled out (an optional one as undefined): the operator builds
 * the document through this type, so a knob added to the schema and not decided fails to compile.
 */
export type CompleteContent = { [K in 'policy' | RuntimeKnob]: RuntimeContent[K] | undefined };

/** Parses and validates a document; RUNTIME_DOCUMENT_INVALID names every problem. */
export function parseRuntimeDocument(text: string): RuntimeDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (error) {
    throw new PlimsollError('RUNTIME_DOCUMENT_INVALID', `runtime document is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = runtimeDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
    throw new PlimsollError('RUNTIME_DOCUMENT_INVALID', `runtime document breaks the schema: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  }
  return parsed.data;
}
