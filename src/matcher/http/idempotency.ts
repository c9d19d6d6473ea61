import type { Request, RequestHandler, Response } from 'express';
import { PlimsollError } from '../../plimsoll/errors.js';
import { requestHash, type IdempotencyStore, type StoredResponse } from '../idempotency.js';
import type { Send } from './respond.js';

/** A POST handler's answer, returned rather than written, so it can be kept for replays. */
export type Outcome = StoredResponse;
export type CreateHandler = (req: Request) => Promise<Outcome>;

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency-Key on POST, with Stripe's semantics: the first request with a key runs and its
 * response is kept (with a hash of the request) for the key's lifetime; a retry with the same
 * request gets that response again (Idempotent-Replayed: true); the same key with another request
 * is 422; a retry while the first is still running is 409. A request that fails (validation, a
 * missing resume, a database error) keeps nothing: the key is free for the corrected retry.
 * Without the header the handler simply runs.
 */
export function makeIdempotent(store: IdempotencyStore, send: Send) {
  const reply = (res: Response, out: Outcome) => {
    for (const [name, value] of Object.entries(out.headers)) res.setHeader(name, value);
    send(res, out.status, out.body);
  };
  return (handler: CreateHandler): RequestHandler => async (req, res) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return reply(res, await handler(req));
    if (!KEY.test(key)) {
      throw new PlimsollError('VALIDATION_FAILED', 'invalid header: Idempotency-Key must be 1 to 255 printable ASCII characters',
        { problems: [{ path: 'header.Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters (a UUID is a good key)' }] });
    }
    const tenantId = req.principal!.tenantId;
    const claim = await store.claim(tenantId, key, requestHash(req.method, req.originalUrl, req.body));
    switch (claim.state) {
      case 'mismatch': throw new PlimsollError('IDEMPOTENCY_KEY_REUSED', `the Idempotency-Key ${JSON.stringify(key)} was used with a different request; use a new key for a new request`);
      case 'in-flight': throw Object.assign(new PlimsollError('IDEMPOTENCY_KEY_IN_FLIGHT', `a request with the Idempotency-Key ${JSON.stringify(key)} is still being processed; retry shortly`), { retryAfterSeconds: 1 });
      case 'done':
        res.setHeader('Idempotent-Replayed', 'true');
        return reply(res, claim.response);
      case 'owned': break;
    }
    let out: Outcome;
    try {
      out = await handler(req);
    } catch (error) {
      await store.release(tenantId, key, claim.claimId).catch((e: unknown) => req.log.warn({ err: e }, 'idempotency: releasing a failed request\'s key'));
      throw error;
    }
    // Kept before it is sent: a client that retries the moment it has the answer finds it stored.
    const kept = await store.complete(tenantId, key, claim.claimId, out).catch((e: unknown) => {
      req.log.error({ err: e, key }, 'idempotency: the response could not be kept; a retry after the lease will run the request again');
      return undefined;
    });
    if (kept === false) req.log.warn({ key }, 'idempotency: the claim was taken over before the response was kept (the request outlived its lease)');
    reply(res, out);
  };
}
export type Idempotent = ReturnType<typeof makeIdempotent>;
