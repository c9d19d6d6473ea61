import { Router } from 'express';
import { extractSkills } from '../analysis/extract.js';
import { defaultTaxonomy } from '../analysis/taxonomy.js';
import type { Repository } from '../repository.js';
import { idOf, readAndDelete, tenantOf, type RouteContext } from './collection.js';
import { parse } from './parse.js';
import { resumeCreate, resumeUpdate } from './schemas.js';
import { resumeView } from './views.js';

const skillsOf = (r: { headline?: string | null | undefined; content: string }) =>
  [...extractSkills(`${r.headline ?? ''}\n${r.content}`, defaultTaxonomy()).keys()];

/** /resumes: skills are extracted on every write that changes the headline or the content. */
export function resumesRouter(ctx: RouteContext, repo: Repository): Router {
  const router = Router();
  readAndDelete(router, ctx, 'resumes', resumeView, { list: (t, r) => repo.listResumes(t, r), get: (t, id) => repo.getResume(t, id), remove: (t, id) => repo.deleteResume(t, id) });
  router.post('/resumes', ctx.idempotent(async (req) => {
    const body = parse(resumeCreate, req.body, 'body');
    return { status: 201, headers: {}, body: { data: resumeView(await repo.createResume(tenantOf(req), body, skillsOf(body))) } };
  }));
  router.patch('/resumes/:id', async (req, res) => {
    const id = idOf(req);
    const patch = parse(resumeUpdate, req.body, 'body');
    let skills: string[] | undefined;
    if (patch.content !== undefined || patch.headline !== undefined) {
      const current = patch.content !== undefined && patch.headline !== undefined ? null : await repo.getResume(tenantOf(req), id);
      skills = skillsOf({ headline: patch.headline !== undefined ? patch.headline : current?.headline, content: patch.content ?? current!.content! });
    }
    ctx.send(res, 200, { data: resumeView(await repo.updateResume(tenantOf(req), id, patch, skills)) });
  });
  return router;
}
