import { randomUUID } from 'node:crypto';
import { TextDecoder } from 'node:util';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { MatcherConfig } from '../config.js';
import { PlimsollError, isPlimsollError, type FieldProblem } from '../../plimsoll/errors.js';
import type { Logger } from '../../plimsoll/observability/logger.js';
import { extractSkills } from '../analysis/extract.js';
import { defaultTaxonomy } from '../analysis/taxonomy.js';
import type { AnalysisService } from '../analysis-service.js';
import type { ApiKeyVerifier, Principal } from '../auth.js';
import type { Admission } from '../protection/admission.js';
import type { TenantRateLimiter } from '../protection/tenant-rate-limiter.js';
import { translatePgError } from '../db/database.js';
import { answeredBy } from '../analysis/answered-by.js';
import type { MatcherMetrics } from '../metrics.js';
import type { AnalysisListRow, AnalysisRow, JobRow, Page, PageRequest, Repository, ResumeRow } from '../repository.js';
import { serviceLevelMiddleware, type ServiceLevelSource } from '../../plimsoll/runtime-client/index.js';
import { makeSend } from './respond.js';
import { analysisCreate, idParam, jobCreate, jobUpdate, listQuery, resumeCreate, resumeUpdate } from './schemas.js';

export interface AppDeps {
  config: Readonly<MatcherConfig>;
  logger: Logger;
  repo: Repository;
  keys: ApiKeyVerifier;
  metrics: MatcherMetrics;
  levels: ServiceLevelSource;
  /** /healthz, /readyz, /health/details, /metrics handlers (see server.ts). */
  health: { live(): boolean; ready(): Promise<{ ok: boolean; checks: Record<string, unknown> }>; details(): Promise<Record<string, unknown>>; metricsText(): Promise<{ contentType: string; body: string }> };
  isShuttingDown(): boolean;
  /** Analyses by service level (queues, providers, cache, or the local matcher inline). */
  analyses: AnalysisService;
  admission: Admission;
  tenantLimiter: TenantRateLimiter;
}

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
    principal?: Principal;
  }
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

export function createApp(deps: AppDeps): express.Express {
  const { config, repo, keys, metrics, levels } = deps;
  const send = makeSend(levels);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // Request id, logging, metrics.
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    req.log = deps.logger.child({ reqId: req.id });
    res.setHeader('X-Request-Id', req.id);
    if (deps.isShuttingDown()) res.setHeader('Connection', 'close');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      metrics.httpDuration.observe(labels, seconds);
      metrics.httpRequests.inc(labels);
      const line = { method: req.method, route, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10, tenant: req.principal?.tenantId };
      if (res.statusCode >= 500) req.log.error(line, 'request failed');
      else if (!route.startsWith('/health') && route !== '/metrics' && route !== '/healthz' && route !== '/readyz') req.log.info(line, 'request');
    });
    next();
  });
  // The runtime client's: X-Service-Level on every response; Maintenance refuses writes (503).
  app.use(serviceLevelMiddleware(levels, { onRefuse: () => deps.admission.rejections.inc({ reason: 'maintenance' }) }));

  // --- observability (no auth)
  app.get('/healthz', (_req, res) => send(res, deps.health.live() ? 200 : 503, { status: deps.health.live() ? 'ok' : 'failing' }));
  app.get('/readyz', async (_req, res) => {
    if (deps.isShuttingDown()) return send(res, 503, { status: 'shutting-down', checks: {} });
    const r = await deps.health.ready();
    send(res, r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not-ready', checks: r.checks });
  });
  app.get('/health/details', async (_req, res) => send(res, 200, await deps.health.details()));
  app.get('/metrics', async (_req, res) => {
    const m = await deps.health.metricsText();
    res.setHeader('Content-Type', m.contentType);
    res.status(200).send(m.body);
  });

  // --- body parsing: JSON only, size-limited, strict UTF-8
  app.use((req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is('application/json')) {
      return next(new PlimsollError('UNSUPPORTED_MEDIA_TYPE', `send the body as application/json (got ${req.get('content-type') ?? 'no Content-Type'})`));
    }
    next();
  });
  app.use(express.json({
    limit: config.http.bodyLimit,
    strict: true,
    type: 'application/json',
    verify: (_req, _res, buf) => {
      try {
        fatalUtf8.decode(buf);
      } catch {
        throw Object.assign(new Error('the request body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });
      }
    },
  }));

  // --- protection before any work: admission on heap, lag, queue depth
  const api = express.Router();
  api.use((req, _res, next) => {
    deps.admission.check(req.method === 'POST' && /^\/analyses\/?$/.test(req.path));
    next();
  });

  // --- authentication, then the tenant's rate limit
  api.use(async (req, _res, next) => {
    const header = req.get('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.get('x-api-key');
    const principal = await keys.verify(presented);
    if (!principal) throw new PlimsollError('UNAUTHENTICATED', presented ? 'the API key is not valid' : 'no API key: send Authorization: Bearer <key>');
    req.principal = principal;
    const r = await deps.tenantLimiter.take(principal.tenantId);
    if (!r.allowed) deps.admission.reject('tenant_rate', Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
    next();
  });

  const tenant = (req: Request) => req.principal!.tenantId;
  const page = (req: Request, kind: string): PageRequest => {
    const q = parse(listQuery(config.http.maxPageSize, config.http.maxOffset), req.query, 'query');
    const pr: PageRequest = { limit: q.limit };
    if (q.offset !== undefined) pr.offset = q.offset;
    if (q.cursor !== undefined) pr.afterSeq = decodeCursor(q.cursor, kind);
    return pr;
  };
  const paginated = <T>(res: Response, req: PageRequest, kind: string, p: { rows: T[]; hasMore: boolean; next: string | null }, map: (r: T) => unknown) => {
    const pagination: Record<string, unknown> = { limit: req.limit, hasMore: p.hasMore };
    if (req.offset !== undefined) {
      pagination.offset = req.offset;
      pagination.nextOffset = p.hasMore ? req.offset + req.limit : null;
    } else pagination.nextCursor = p.next ? encodeCursor(kind, p.next) : null;
    send(res, 200, { data: p.rows.map(map), pagination });
  };

  const resumeSkills = (r: { headline?: string | null | undefined; content: string }) =>
    [...extractSkills(`${r.headline ?? ''}\n${r.content}`, defaultTaxonomy()).keys()];

  /** GET (paginated), GET by id and DELETE of one tenant's collection; POST and PATCH differ per kind. */
  const collection = <R>(kind: 'resumes' | 'jobs', view: (row: R) => unknown, ops: {
    list(tenantId: string, req: PageRequest): Promise<Page<R>>;
    get(tenantId: string, id: string): Promise<R>;
    remove(tenantId: string, id: string): Promise<void>;
  }) => {
    const id = (req: Request) => parse(idParam, req.params, 'path').id;
    api.get(`/${kind}`, async (req, res) => {
      const pr = page(req, kind);
      paginated(res, pr, kind, await ops.list(tenant(req), pr), view);
    });
    api.get(`/${kind}/:id`, async (req, res) => send(res, 200, { data: view(await ops.get(tenant(req), id(req))) }));
    api.delete(`/${kind}/:id`, async (req, res) => {
      await ops.remove(tenant(req), id(req));
      res.status(204).end();
    });
  };

  // Resumes
  collection('resumes', resumeView, { list: (t, r) => repo.listResumes(t, r), get: (t, id) => repo.getResume(t, id), remove: (t, id) => repo.deleteResume(t, id) });
  api.post('/resumes', async (req, res) => {
    const body = parse(resumeCreate, req.body, 'body');
    send(res, 201, { data: resumeView(await repo.createResume(tenant(req), body, resumeSkills(body))) });
  });
  api.patch('/resumes/:id', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    const patch = parse(resumeUpdate, req.body, 'body');
    let skills: string[] | undefined;
    if (patch.content !== undefined || patch.headline !== undefined) {
      const current = patch.content !== undefined && patch.headline !== undefined ? null : await repo.getResume(tenant(req), id);
      skills = resumeSkills({ headline: patch.headline !== undefined ? patch.headline : current?.headline, content: patch.content ?? current!.content! });
    }
    send(res, 200, { data: resumeView(await repo.updateResume(tenant(req), id, patch, skills)) });
  });

  // Job descriptions
  collection('jobs', jobView, { list: (t, r) => repo.listJobs(t, r), get: (t, id) => repo.getJob(t, id), remove: (t, id) => repo.deleteJob(t, id) });
  api.post('/jobs', async (req, res) => {
    send(res, 201, { data: jobView(await repo.createJob(tenant(req), parse(jobCreate, req.body, 'body'))) });
  });
  api.patch('/jobs/:id', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path');
    send(res, 200, { data: jobView(await repo.updateJob(tenant(req), id, parse(jobUpdate, req.body, 'body'))) });
  });

  // Analyses: by service level (AnalysisService)
  api.post('/analyses', async (req, res) => {
    const body = parse(analysisCreate, req.body, 'body');
    const out = await deps.analyses.submit(tenant(req), body.resumeId, body.jobId);
    if (out.status === 202) {
      res.setHeader('Location', `/v1/analyses/${out.pending.id}`);
      res.setHeader('Retry-After', '1');
      return send(res, 202, { data: out.pending });
    }
    res.setHeader('Location', `/v1/analyses/${out.row.id}`);
    res.setHeader('X-Analysis-Source', out.source);
    send(res, out.status, { data: analysisView(out.row) });
  });
  api.get('/analyses', async (req, res) => {
    const pr = page(req, 'analyses');
    paginated(res, pr, 'analyses', await repo.listAnalyses(tenant(req), pr), analysisListView);
  });
  api.get('/analyses/:id', async (req, res) => {
    const out = await deps.analyses.get(tenant(req), parse(idParam, req.params, 'path').id);
    if (out.status === 202) {
      res.setHeader('Retry-After', '1');
      return send(res, 202, { data: out.pending });
    }
    send(res, 200, { data: analysisView(out.row) });
  });

  // Known paths, wrong method: 405 with Allow.
  const allowed: [RegExp, string][] = [
    [/^\/(resumes|jobs|analyses)\/?$/, 'GET, POST'],
    [/^\/(resumes|jobs)\/[^/]+\/?$/, 'GET, PATCH, DELETE'],
    [/^\/analyses\/[^/]+\/?$/, 'GET'],
  ];
  api.use((req, res, next) => {
    const hit = allowed.find(([re]) => re.test(req.path));
    if (!hit) return next();
    res.setHeader('Allow', hit[1]);
    throw new PlimsollError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${req.baseUrl}${req.path}; allowed: ${hit[1]}`);
  });
  app.use('/v1', api);

  app.use((req) => {
    throw new PlimsollError('ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.path}`);
  });

  // The error catalogue, as JSON: {error: {code, message, details}, serviceLevel}.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = toPlimsollError(error);
    if (e.code === 'INTERNAL' || e.httpStatus >= 500) req.log?.error({ err: error }, 'request error');
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    else if (e.code === 'DB_POOL_TIMEOUT' || e.code === 'DB_UNAVAILABLE' || e.code === 'DB_TIMEOUT' || e.code === 'SHUTTING_DOWN' || e.code === 'NOT_READY') {
      res.setHeader('Retry-After', '1');
    }
    if (res.headersSent) return;
    send(res, e.httpStatus, { error: { code: e.code, message: e.message, details: e.problems } });
  });
  return app;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
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

function toPlimsollError(error: unknown): PlimsollError {
  if (isPlimsollError(error)) return error;
  const e = error as { type?: string; status?: number; message?: string; limit?: number };
  switch (e.type) {
    case 'entity.parse.failed': return new PlimsollError('MALFORMED_JSON', `the body is not valid JSON: ${e.message}`);
    case 'entity.too.large': return new PlimsollError('PAYLOAD_TOO_LARGE', `the body exceeds the ${e.limit ?? ''} byte limit`.replace('  ', ' '));
    case 'encoding.invalid': return new PlimsollError('INVALID_ENCODING', e.message ?? 'the body is not valid UTF-8');
    case 'charset.unsupported':
    case 'encoding.unsupported': return new PlimsollError('UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported charset');
    case 'request.aborted': return new PlimsollError('MALFORMED_JSON', 'the request body was cut off');
    default: break;
  }
  const translated = translatePgError(error, 'request');
  if (isPlimsollError(translated)) return translated;
  return new PlimsollError('INTERNAL', 'an unexpected error occurred; the request id names it in the logs', { cause: error });
}

export function encodeCursor(kind: string, seq: string): string {
  return Buffer.from(`${kind}:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, kind: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^([a-z]+):(\d{1,19})$/.exec(decoded);
  if (!m || m[1] !== kind) throw new PlimsollError('INVALID_CURSOR', `the cursor is malformed or belongs to another list than ${kind}`);
  return m[2]!;
}

function resumeView(r: ResumeRow) {
  return {
    id: r.id, candidateName: r.candidate_name, headline: r.headline, skills: r.skills,
    ...(r.content !== undefined ? { content: r.content } : {}), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

function jobView(j: JobRow) {
  return {
    id: j.id, title: j.title, company: j.company, location: j.location, requiredSkills: j.required_skills, preferredSkills: j.preferred_skills,
    ...(j.description !== undefined ? { description: j.description } : {}), createdAt: j.created_at, updatedAt: j.updated_at,
  };
}

function analysisView(a: AnalysisRow) {
  return {
    id: a.id, resumeId: a.resume_id, jobId: a.job_description_id, matchPercentage: a.match_percentage,
    analysedAt: a.created_at, analysedAtServiceLevel: a.service_level, matcherVersion: a.matcher_version,
    answeredBy: answeredBy(a.matcher_version), durationMs: a.duration_ms,
    result: a.analysis_data,
  };
}

function analysisListView(a: AnalysisListRow) {
  return {
    id: a.id, matchPercentage: a.match_percentage, verdict: a.verdict, matcherVersion: a.matcher_version, answeredBy: answeredBy(a.matcher_version), analysedAt: a.created_at,
    resume: { id: a.resume_id, candidateName: a.candidate_name, headline: a.headline },
    job: { id: a.job_id, title: a.title, company: a.company },
  };
}

