import { TextDecoder } from 'node:util';
import express, { type RequestHandler } from 'express';
import { PlimsollError } from '../../plimsoll/errors.js';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const WRITES = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Request bodies: JSON only, size-limited (after decompression: body-parser counts inflated
 * bytes), strict UTF-8. Every failure leaves here as a PlimsollError with its catalogue code.
 */
export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && WRITES.has(req.method) && !req.is('application/json')) {
      return next(new PlimsollError('UNSUPPORTED_MEDIA_TYPE', `send the body as application/json (got ${req.get('content-type') ?? 'no Content-Type'})`));
    }
    next();
  };
  const json = express.json({
    limit,
    strict: true,
    type: 'application/json',
    verify: (_req, _res, buf) => {
      try {
        fatalUtf8.decode(buf);
      } catch {
        throw new PlimsollError('INVALID_ENCODING', 'the request body is not valid UTF-8');
      }
    },
  });
  const parseJson: RequestHandler = (req, res, next) => json(req, res, (error?: unknown) => {
    if (error === undefined) return next();
    const encoding = req.get('content-encoding') ?? 'identity';
    // The decompression stream's own error (zlib's, no `type`): the body is not what its header says.
    if ((error as { type?: string }).type === undefined && !(error instanceof PlimsollError) && encoding.toLowerCase() !== 'identity') {
      return next(new PlimsollError('INVALID_CONTENT_ENCODING', `the body does not decode as Content-Encoding: ${encoding} (${(error as Error).message})`));
    }
    next(bodyError(error));
  });
  return [requireJson, parseJson];
}

/** body-parser's errors (http-errors with a `type`) as catalogue errors. */
function bodyError(error: unknown): unknown {
  const e = error as { type?: string; message?: string; limit?: number; cause?: unknown };
  // verify() throws a PlimsollError; body-parser wraps it (403, entity.verify.failed) keeping the object.
  if (error instanceof PlimsollError) return error;
  switch (e.type) {
    case 'entity.parse.failed': return new PlimsollError('MALFORMED_JSON', `the body is not valid JSON: ${e.message}`);
    case 'entity.too.large': return new PlimsollError('PAYLOAD_TOO_LARGE', `the body exceeds the ${e.limit ?? ''} byte limit`.replace('  ', ' '));
    case 'charset.unsupported':
    case 'encoding.unsupported': return new PlimsollError('UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported charset');
    case 'request.aborted': return new PlimsollError('MALFORMED_JSON', 'the request body was cut off');
    default: return error;
  }
}
