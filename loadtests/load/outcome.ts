/**
 * What one request's answer means to the user who sent it:
 *   success — 2xx, degraded-but-valid answers included (a Basic-level local match is an answer),
 *             also counted by the service level the response names in X-Service-Level;
 *   shed    — 429 or 503 WITH Retry-After: the service refused deliberately and said when to
 *             come back (admission, tenant rate, queue full, Maintenance). Counted apart;
 *   error   — anything else: 5xx without Retry-After, other 4xx (a bug in the load generator or
 *             the service), timeouts, connection errors.
 */
import { isServiceLevel, SERVICE_LEVELS } from '../../src/plimsoll/contract/service-levels.js';

export type OutcomeClass = 'success' | 'shed' | 'error';
export type ErrorKind = 'server' | 'client' | 'timeout' | 'connection';
export { SERVICE_LEVELS };
export type LevelName = (typeof SERVICE_LEVELS)[number] | 'unknown';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The error code from a JSON error body ({error: {code}}), when there is one. */
  code?: string | undefined;
}

export type Failure = { failure: 'timeout' | 'connection'; message: string };

export interface Outcome {
  outcome: OutcomeClass;
  status: number;
  level: LevelName;
  errorKind?: ErrorKind;
  /** Why it was shed or failed: the service's error code, or the transport failure. */
  reason?: string;
}

export function header(headers: Answer['headers'], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export function levelOf(value: string | undefined): LevelName {
  return isServiceLevel(value) ? value : 'unknown';
}

export function classify(answer: Answer | Failure): Outcome {
  if ('failure' in answer) {
    return { outcome: 'error', status: 0, level: 'unknown', errorKind: answer.failure, reason: answer.failure };
  }
  const { status } = answer;
  const level = levelOf(header(answer.headers, 'x-service-level'));
  if (status >= 200 && status < 300) return { outcome: 'success', status, level };
  const retryAfter = header(answer.headers, 'retry-after');
  if ((status === 429 || status === 503) && retryAfter !== undefined && retryAfter.trim() !== '') {
    return { outcome: 'shed', status, level, reason: answer.code ?? `HTTP ${status}` };
  }
  return { outcome: 'error', status, level, errorKind: status >= 500 ? 'server' : 'client', reason: answer.code ?? `HTTP ${status}` };
}

/** The error code of a JSON error body, without trusting its shape. */
export function errorCode(body: string | undefined): string | undefined {
  if (!body || body[0] !== '{') return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
