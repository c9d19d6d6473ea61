import type { z } from 'zod';
import { PlimsollError, type FieldProblem } from '../../plimsoll/errors.js';

/** Validates a body, query or path against its schema; VALIDATION_FAILED names every bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const problems: FieldProblem[] = result.error.issues.map((i) => {
    const keys = (i as { keys?: string[] }).keys;
    const path = [where, ...i.path.map(String)].join('.');
    if (i.code === 'unrecognized_keys' && keys) return { path, message: `unknown field(s): ${keys.join(', ')}` };
    return { path, message: i.message };
  });
  if (value === undefined && where === 'body') problems.splice(0, problems.length, { path: 'body', message: 'a JSON object body is required' });
  throw new PlimsollError('VALIDATION_FAILED', `invalid ${where}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
}
