import type { Request, Response } from 'express';
import type { Page, PageRequest } from '../repository.js';
import type { CursorCodec, CursorScope } from './cursor.js';
import { parse } from './parse.js';
import type { Send } from './respond.js';
import { listQuery } from './schemas.js';

export type ListKind = CursorScope['kind'];

/** List pages: `limit` with a cursor (keyset, the default) or an offset (bounded, for small jumps). */
export class Pagination {
  private readonly query;

  constructor(limits: { maxPageSize: number; maxOffset: number }, private readonly cursors: CursorCodec, private readonly send: Send) {
    this.query = listQuery(limits.maxPageSize, limits.maxOffset);
  }

  request(req: Request, kind: ListKind): PageRequest {
    const q = parse(this.query, req.query, 'query');
    const pr: PageRequest = { limit: q.limit };
    if (q.offset !== undefined) pr.offset = q.offset;
    if (q.cursor !== undefined) pr.afterSeq = this.cursors.decode(q.cursor, { kind, tenantId: req.principal!.tenantId });
    return pr;
  }

  respond<T>(req: Request, res: Response, kind: ListKind, pr: PageRequest, page: Page<T>, view: (row: T) => unknown): void {
    const pagination: Record<string, unknown> = { limit: pr.limit, hasMore: page.hasMore };
    if (pr.offset !== undefined) {
      pagination.offset = pr.offset;
      pagination.nextOffset = page.hasMore ? pr.offset + pr.limit : null;
    } else pagination.nextCursor = page.next ? this.cursors.encode({ kind, tenantId: req.principal!.tenantId }, page.next) : null;
    this.send(res, 200, { data: page.rows.map(view), pagination });
  }
}
