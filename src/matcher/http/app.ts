import express from 'express';
import type { MatcherConfig } from '../config.js';
import type { Logger } from '../../plimsoll/observability/logger.js';
import type { AnalysisService } from '../analysis-service.js';
import type { ApiKeyVerifier } from '../auth.js';
import type { Admission } from '../protection/admission.js';
import type { TenantRateLimiter } from '../protection/tenant-rate-limiter.js';
import type { MatcherMetrics } from '../metrics.js';
import type { IdempotencyStore } from '../idempotency.js';
import type { Repository } from '../repository.js';
import { serviceLevelMiddleware, type ServiceLevelSource } from '../../plimsoll/runtime-client/index.js';
import { analysesRouter } from './analyses.js';
import { jsonBody } from './body.js';
import type { RouteContext } from './collection.js';
import { SignedCursors, cursorKey } from './cursor.js';
import { errorMapper } from './error-mapper.js';
import { FailedAuthLimiter } from './failed-auth-limiter.js';
import { methodNotAllowed, routeNotFound } from './fallbacks.js';
import { makeIdempotent } from './idempotency.js';
import { admit, authenticate } from './guard.js';
import { jobsRouter } from './jobs.js';
import { apiKeyHolders, observabilityRouter, type HealthSource } from './observability.js';
import { Pagination } from './pagination.js';
import { requestContext } from './request-context.js';
import { makeSend } from './respond.js';
import { resumesRouter } from './resumes.js';

export interface AppDeps {
  config: Readonly<MatcherConfig>;
  logger: Logger;
  repo: Repository;
  keys: ApiKeyVerifier;
  metrics: MatcherMetrics;
  levels: ServiceLevelSource;
  /** /healthz, /readyz, /health/details, /metrics handlers (see server.ts). */
  health: HealthSource;
  isShuttingDown(): boolean;
  /** Analyses by service level (queues, providers, cache, or the local matcher inline). */
  analyses: AnalysisService;
  admission: Admission;
  tenantLimiter: TenantRateLimiter;
  /** Idempotency-Key storage (PostgreSQL, shared by the replicas). */
  idempotency: IdempotencyStore;
}

/** The matcher's HTTP application: the order of the layers is the order a request meets them. */
export function createApp(deps: AppDeps): express.Express {
  const { config, repo, levels } = deps;
  const send = makeSend(levels);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestContext(deps));
  // The runtime client's: X-Service-Level on every response; Maintenance refuses writes (503).
  app.use(serviceLevelMiddleware(levels, { onRefuse: () => deps.admission.rejections.inc({ reason: 'maintenance' }) }));
  app.use(observabilityRouter(deps.health, deps.isShuttingDown, send, apiKeyHolders(deps.keys)));
  app.use(jsonBody(config.http.bodyLimit));

  const cursors = new SignedCursors(cursorKey(config.http.cursorSecret, config.databaseUrl), config.http.cursorMaxAgeSeconds);
  const ctx: RouteContext = { send, pages: new Pagination(config.http, cursors, send), idempotent: makeIdempotent(deps.idempotency, send) };
  const api = express.Router();
  api.use(admit(deps.admission));
  api.use(authenticate({ ...deps, failures: new FailedAuthLimiter(config.auth.failureLimit, config.auth.failureWindowMs) }));
  api.use(resumesRouter(ctx, repo));
  api.use(jobsRouter(ctx, repo));
  api.use(analysesRouter(ctx, repo, deps.analyses));
  api.use(methodNotAllowed);
  app.use('/v1', api);

  app.use(routeNotFound);
  app.use(errorMapper(send));
  return app;
}
