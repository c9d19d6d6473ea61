import type { Request, RequestHandler } from 'express';
import type { ServiceLevel } from '../contract/service-levels.js';
import { PlimsollError } from '../errors.js';

/** Whatever decides the level a response reports: the runtime client's, or a service's own refinement of it. */
export interface ServiceLevelSource {
  current(): ServiceLevel;
}

export interface ServiceLevelMiddlewareOptions {
  /** Retry-After on a write refused in Maintenance (default 30 s). */
  retryAfterSeconds?: number;
  /** Told of every refused write (count it, log it). */
  onRefuse?: (req: Request) => void;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every response carries `X-Service-Level`. In Maintenance the service is read-only: writes
 * (anything but GET, HEAD, OPTIONS) are answered 503 with Retry-After and the error catalogue's
 * MAINTENANCE code, `{error: {code, message, details}, serviceLevel}`; reads are served.
 */
export function serviceLevelMiddleware(levels: ServiceLevelSource, options: ServiceLevelMiddlewareOptions = {}): RequestHandler {
  const retryAfter = String(options.retryAfterSeconds ?? 30);
  return (req, res, next) => {
    const level = levels.current();
    res.setHeader('X-Service-Level', level);
    if (level !== 'Maintenance' || READS.has(req.method)) return next();
    options.onRefuse?.(req);
    const e = new PlimsollError('MAINTENANCE', 'the service is in Maintenance (read-only): writes are refused, reads are served');
    res.setHeader('Retry-After', retryAfter);
    res.status(e.httpStatus).json({ error: { code: e.code, message: e.message, details: e.problems }, serviceLevel: level });
  };
}
