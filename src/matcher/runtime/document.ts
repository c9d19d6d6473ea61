import { z } from 'zod';
import { PlimsollError } from '../../errors.js';
import { SERVICE_LEVELS } from '../service-level.js';

/**
 * The runtime document the operator server-side-applies into ConfigMap `<policy>-runtime`, key
 * `runtime.json` (or a file outside a cluster). The contract with the operator: see
 * /work/shared/BRIEF.md. Unknown fields are tolerated (a newer operator may add some); the known
 * ones are validated strictly.
 */
export const runtimeDocumentSchema = z.object({
  policy: z.string().min(1),
  generation: z.number().int().min(0),
  issuedAt: z.string().min(1),
  serviceLevel: z.enum(SERVICE_LEVELS),
  replicas: z.number().int().min(0),
  /** Absent when the policy sets no connection budget: the pool keeps its configured size. */
  db: z.object({ poolMax: z.number().int().min(1) }).optional(),
  queues: z.record(z.string(), z.object({
    concurrency: z.number().int().min(0),
    rateLimit: z.object({ max: z.number().int().min(1), durationMs: z.number().int().min(1) }).optional(),
  })).default({}),
});
export type RuntimeDocument = z.infer<typeof runtimeDocumentSchema>;

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

/** Where a document came from, for health and logs. */
export interface RuntimeUpdate {
  source: string;
  /** The raw text, or an error when the channel failed (missing file, API error). */
  text?: string;
  error?: Error;
}

/** A channel delivering runtime documents: a file, a ConfigMap. */
export interface RuntimeSource {
  readonly description: string;
  start(onUpdate: (update: RuntimeUpdate) => void): Promise<void>;
  stop(): Promise<void>;
}
