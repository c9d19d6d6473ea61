import type { RequestHandler } from 'express';
import { PlimsollError } from '../../plimsoll/errors.js';
import type { ApiKeyVerifier } from '../auth.js';
import { withRetry, type Admission } from '../protection/admission.js';
import type { TenantRateLimiter } from '../protection/tenant-rate-limiter.js';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';

/** Admission control before any work: heap, event-loop lag, and (new analyses only) queue depth. */
export function admit(admission: Admission): RequestHandler {
  return (req, _res, next) => {
    admission.check(req.method === 'POST' && /^\/analyses\/?$/.test(req.path));
    next();
  };
}

/**
 * The API key (Authorization: Bearer, or X-API-Key) names the tenant; then the tenant's rate
 * limit. A client (address) past its failed-authentication limit gets 429 for anything but a
 * key this replica already knows, and no database round trip.
 */
export function authenticate(deps: { keys: ApiKeyVerifier; tenantLimiter: TenantRateLimiter; admission: Admission; failures: FailedAuthLimiter }): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.get('x-api-key');
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const waitMs = deps.failures.retryAfterMs(client);
    const principal = await deps.keys.verify(presented, { cacheOnly: waitMs > 0 });
    if (!principal) {
      if (waitMs > 0) throw withRetry(new PlimsollError('AUTH_RATE_LIMITED', 'too many invalid API keys from this client; retry later'), Math.max(1, Math.ceil(waitMs / 1000)));
      if (presented) deps.failures.fail(client);
      throw new PlimsollError('UNAUTHENTICATED', presented ? 'the API key is not valid' : 'no API key: send Authorization: Bearer <key>');
    }
    req.principal = principal;
    const r = await deps.tenantLimiter.take(principal.tenantId);
    if (!r.allowed) deps.admission.reject('tenant_rate', Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
    next();
  };
}
