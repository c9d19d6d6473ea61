import { Router } from 'express';
import type { AnalysisService } from '../analysis-service.js';
import type { Repository } from '../repository.js';
import { idOf, tenantOf, type RouteContext } from './collection.js';
import type { Outcome } from './idempotency.js';
import { parse } from './parse.js';
import { analysisCreate } from './schemas.js';
import { analysisListView, analysisView } from './views.js';

/** /analyses: answered by service level (AnalysisService); 202 while a provider's job runs. */
export function analysesRouter(ctx: RouteContext, repo: Repository, analyses: AnalysisService): Router {
  const router = Router();
  router.post('/analyses', ctx.idempotent(async (req): Promise<Outcome> => {
    const body = parse(analysisCreate, req.body, 'body');
    const out = await analyses.submit(tenantOf(req), body.resumeId, body.jobId);
    if (out.status === 202) return { status: 202, headers: { Location: `/v1/analyses/${out.pending.id}`, 'Retry-After': '1' }, body: { data: out.pending } };
    return { status: out.status, headers: { Location: `/v1/analyses/${out.row.id}`, 'X-Analysis-Source': out.source }, body: { data: analysisView(out.row) } };
  }));
  router.get('/analyses', async (req, res) => {
    const pr = ctx.pages.request(req, 'analyses');
    ctx.pages.respond(req, res, 'analyses', pr, await repo.listAnalyses(tenantOf(req), pr), analysisListView);
  });
  router.get('/analyses/:id', async (req, res) => {
    const out = await analyses.get(tenantOf(req), idOf(req));
    if (out.status === 202) {
      res.setHeader('Retry-After', '1');
      return ctx.send(res, 202, { data: out.pending });
    }
    ctx.send(res, 200, { data: analysisView(out.row) });
  });
  return router;
}
