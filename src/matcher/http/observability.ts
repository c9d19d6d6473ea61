import { Router, type Request } from 'express';
import type { ApiKeyVerifier } from '../auth.js';
import { redactFreeText } from './redact.js';
import type { Send } from './respond.js';

/** What server.ts measures; this module only answers with it. */
export interface HealthSource {
  live(): boolean;
  ready(): Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  details(): Promise<Record<string, unknown>>;
  metricsText(): Promise<{ contentType: string; body: string }>;
}

/** Whether the caller may read the error text of health answers. */
export type MayReadErrors = (req: Request) => Promise<boolean>;

/**
 * A caller presenting a valid API key (as the API takes it: Authorization: Bearer, or
 * X-API-Key). With the database down only a key verified in the last 30 s (the verifier's cache)
 * still counts: the others fail closed, to the redacted answer.
 */
export function apiKeyHolders(keys: Pick<ApiKeyVerifier, 'verify'>): MayReadErrors {
  return async (req) => {
    const header = req.get('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.get('x-api-key');
    if (!presented) return false;
    try {
      return Boolean(await keys.verify(presented));
    } catch {
      return false;
    }
  };
}

/**
 * /healthz, /readyz, /health/details and /metrics: no authentication, no admission control. The
 * numbers and flags are public (probes, the operator's health signal read them); error text is
 * redacted unless the caller holds an API key (redact.ts).
 */
export function observabilityRouter(health: HealthSource, isShuttingDown: () => boolean, send: Send, mayReadErrors: MayReadErrors): Router {
  const router = Router();
  const forCaller = async <T>(req: Request, body: T): Promise<T> => ((await mayReadErrors(req)) ? body : redactFreeText(body));
  router.get('/healthz', (_req, res) => send(res, health.live() ? 200 : 503, { status: health.live() ? 'ok' : 'failing' }));
  router.get('/readyz', async (req, res) => {
    if (isShuttingDown()) return send(res, 503, { status: 'shutting-down', checks: {} });
    const r = await health.ready();
    send(res, r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not-ready', checks: await forCaller(req, r.checks) });
  });
  router.get('/health/details', async (req, res) => send(res, 200, await forCaller(req, await health.details())));
  router.get('/metrics', async (_req, res) => {
    const m = await health.metricsText();
    res.setHeader('Content-Type', m.contentType);
    res.status(200).send(m.body);
  });
  return router;
}
