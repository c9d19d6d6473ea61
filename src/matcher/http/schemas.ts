import { z } from 'zod';

/** Request bodies and queries. Strict objects: an unknown field is an error, not silently dropped. */
const noNul = (s: string) => !s.includes('\u0000');
// JSON may spell a lone UTF-16 surrogate ("\ud800"); it has no UTF-8 form, so PostgreSQL's jsonb
// refuses it and a text column would get U+FFFD instead: refuse it here, by field.
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);
const checked = (s: z.ZodString) => s.refine(noNul, 'must not contain NUL characters').refine(wellFormed, 'must not contain lone UTF-16 surrogates (\\ud800-\\udfff)');
const text = (max: number) => checked(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));
const optionalText = (max: number) => checked(z.string().max(max, `must be at most ${max} characters`)).nullable().optional();
const skillList = z.array(text(100)).max(50, 'at most 50 skills');

export const resumeCreate = z.strictObject({
  candidateName: text(200),
  headline: optionalText(300),
  content: text(100_000),
});
export const resumeUpdate = resumeCreate.partial().refine((v) => Object.keys(v).length > 0, 'name at least one field to change');

export const jobCreate = z.strictObject({
  title: text(300),
  company: optionalText(200),
  location: optionalText(200),
  description: text(100_000),
  requiredSkills: skillList.optional(),
  preferredSkills: skillList.optional(),
});
export const jobUpdate = jobCreate.partial().refine((v) => Object.keys(v).length > 0, 'name at least one field to change');

export const analysisCreate = z.strictObject({
  resumeId: z.uuid('must be a UUID'),
  jobId: z.uuid('must be a UUID'),
});

export function listQuery(maxPageSize: number, maxOffset: number) {
  return z.strictObject({
    limit: z.coerce.number().int().min(1).max(maxPageSize).default(Math.min(20, maxPageSize)),
    cursor: z.string().max(200).optional(),
    offset: z.coerce.number().int().min(0).max(maxOffset, `offset pagination stops at ${maxOffset}; use the cursor beyond it`).optional(),
  }).refine((q) => !(q.cursor !== undefined && q.offset !== undefined), { message: 'use either cursor or offset, not both', path: ['offset'] });
}

export const idParam = z.strictObject({ id: z.uuid('must be a UUID') });
