import type { Request, Router } from 'express';
import type { Page, PageRequest } from '../repository.js';
import type { Idempotent } from './idempotency.js';
import type { ListKind, Pagination } from './pagination.js';
import { parse } from './parse.js';
import type { Send } from './respond.js';
import { idParam } from './schemas.js';

export const tenantOf = (req: Request): string => req.principal!.tenantId;
export const idOf = (req: Request): string => parse(idParam, req.params, 'path').id;

/** What every router gets. */
export interface RouteContext {
  send: Send;
  pages: Pagination;
  /** Wraps every POST: Idempotency-Key support (the handler returns its answer). */
  idempotent: Idempotent;
}

/** GET (paginated), GET by id and DELETE of one tenant's collection; POST and PATCH differ per kind. */
export function readAndDelete<R>(router: Router, ctx: RouteContext, kind: Exclude<ListKind, 'analyses'>, view: (row: R) => unknown, ops: {
  list(tenantId: string, req: PageRequest): Promise<Page<R>>;
  get(tenantId: string, id: string): Promise<R>;
  remove(tenantId: string, id: string): Promise<void>;
}): void {
  router.get(`/${kind}`, async (req, res) => {
    const pr = ctx.pages.request(req, kind);
    ctx.pages.respond(req, res, kind, pr, await ops.list(tenantOf(req), pr), view);
  });
  router.get(`/${kind}/:id`, async (req, res) => ctx.send(res, 200, { data: view(await ops.get(tenantOf(req), idOf(req))) }));
  router.delete(`/${kind}/:id`, async (req, res) => {
    await ops.remove(tenantOf(req), idOf(req));
    res.status(204).end();
  });
}
