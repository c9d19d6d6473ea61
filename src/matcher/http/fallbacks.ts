import type { RequestHandler } from 'express';
import { PlimsollError } from '../../plimsoll/errors.js';

/** Known paths (under /v1) and the methods they take. */
const ALLOWED: [RegExp, string][] = [
  [/^\/(resumes|jobs|analyses)\/?$/, 'GET, POST'],
  [/^\/(resumes|jobs)\/[^/]+\/?$/, 'GET, PATCH, DELETE'],
  [/^\/analyses\/[^/]+\/?$/, 'GET'],
];

/** A known path with the wrong method: 405 with Allow. */
export const methodNotAllowed: RequestHandler = (req, res, next) => {
  const hit = ALLOWED.find(([re]) => re.test(req.path));
  if (!hit) return next();
  res.setHeader('Allow', hit[1]);
  throw new PlimsollError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${req.baseUrl}${req.path}; allowed: ${hit[1]}`);
};

export const routeNotFound: RequestHandler = (req) => {
  throw new PlimsollError('ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.path}`);
};
