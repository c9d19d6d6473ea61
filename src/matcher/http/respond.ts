import type { Response } from 'express';
import type { ServiceLevelSource } from '../../plimsoll/runtime-client/index.js';

/**
 * The one place a response body is written: every JSON body carries `serviceLevel`, every
 * response the X-Service-Level header (set by a middleware, so 204s and /metrics have it too).
 */
export function makeSend(levels: ServiceLevelSource) {
  return function send(res: Response, status: number, body: Record<string, unknown>): void {
    res.status(status).json({ ...body, serviceLevel: levels.current() });
  };
}
export type Send = ReturnType<typeof makeSend>;
