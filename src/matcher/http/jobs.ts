import { Router } from 'express';
import type { Repository } from '../repository.js';
import { idOf, readAndDelete, tenantOf, type RouteContext } from './collection.js';
import { parse } from './parse.js';
import { jobCreate, jobUpdate } from './schemas.js';
import { jobView } from './views.js';

/** /jobs: job descriptions, stored as given. */
export function jobsRouter(ctx: RouteContext, repo: Repository): Router {
  const router = Router();
  readAndDelete(router, ctx, 'jobs', jobView, { list: (t, r) => repo.listJobs(t, r), get: (t, id) => repo.getJob(t, id), remove: (t, id) => repo.deleteJob(t, id) });
  router.post('/jobs', ctx.idempotent(async (req) => (
    { status: 201, headers: {}, body: { data: jobView(await repo.createJob(tenantOf(req), parse(jobCreate, req.body, 'body'))) } })));
  router.patch('/jobs/:id', async (req, res) => {
    const id = idOf(req);
    ctx.send(res, 200, { data: jobView(await repo.updateJob(tenantOf(req), id, parse(jobUpdate, req.body, 'body'))) });
  });
  return router;
}
