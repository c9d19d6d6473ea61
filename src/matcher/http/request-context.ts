import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../plimsoll/observability/logger.js';
import type { Principal } from '../auth.js';
import type { MatcherMetrics } from '../metrics.js';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
    principal?: Principal;
  }
}

const QUIET_ROUTES = new Set(['/metrics', '/healthz', '/readyz']);

/**
 * Every request: an id (the caller's X-Request-Id when it is safe to echo), a child logger, and
 * on finish the duration and count by route template and status, plus one log line (errors
 * always; health and metrics scrapes not at all); and the count of requests in flight.
 */
export function requestContext(deps: { logger: Logger; metrics: MatcherMetrics; isShuttingDown(): boolean }): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    req.log = deps.logger.child({ reqId: req.id });
    res.setHeader('X-Request-Id', req.id);
    if (deps.isShuttingDown()) res.setHeader('Connection', 'close');
    const started = process.hrtime.bigint();
    // In flight until answered or abandoned ('close' follows 'finish', and comes alone when the
    // client goes away first): exactly one decrement per request. Probes and scrapes are not load
    // (the operator's own health read would count itself).
    if (!req.path.startsWith('/health') && !QUIET_ROUTES.has(req.path)) {
      deps.metrics.httpInFlight++;
      res.once('close', () => deps.metrics.httpInFlight--);
    }
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      deps.metrics.httpDuration.observe(labels, seconds);
      deps.metrics.httpRequests.inc(labels);
      const line = { method: req.method, route, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10, tenant: req.principal?.tenantId };
      if (res.statusCode >= 500) req.log.error(line, 'request failed');
      else if (!route.startsWith('/health') && !QUIET_ROUTES.has(route)) req.log.info(line, 'request');
    });
    next();
  };
}
