import type { ErrorRequestHandler } from 'express';
import { PlimsollError, isPlimsollError, type ErrorCode } from '../../plimsoll/errors.js';
import { translatePgError } from '../db/database.js';
import type { Send } from './respond.js';

/** Codes a client should simply retry shortly (when the error carries no Retry-After of its own). */
const RETRY_SOON = new Set<ErrorCode>(['DB_POOL_TIMEOUT', 'DB_UNAVAILABLE', 'DB_TIMEOUT', 'SHUTTING_DOWN', 'NOT_READY']);

/** Any thrown value as a catalogue error; what is not one (nor a known database failure) is INTERNAL. */
export function toPlimsollError(error: unknown): PlimsollError {
  if (isPlimsollError(error)) return error;
  const translated = translatePgError(error, 'request');
  if (isPlimsollError(translated)) return translated;
  return new PlimsollError('INTERNAL', 'an unexpected error occurred; the request id names it in the logs', { cause: error });
}

/** The one place errors become responses: {error: {code, message, details}, serviceLevel}, with Retry-After where it helps. */
export function errorMapper(send: Send): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const e = toPlimsollError(error);
    if (e.code === 'INTERNAL' || e.httpStatus >= 500) req.log?.error({ err: error }, 'request error');
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    else if (RETRY_SOON.has(e.code)) res.setHeader('Retry-After', '1');
    if (res.headersSent) return;
    send(res, e.httpStatus, { error: { code: e.code, message: e.message, details: e.problems } });
  };
}
