/**
 * Signal errors end up in the policy's status and Events, which anyone who may read the policy
 * reads: they name the source, the code and the HTTP status, never text a server sent. A fetched
 * value is shown only when it is a number as such (NaN and ±Inf included) or null; anything else
 * by its kind and length.
 */
const NUMERIC = /^[+-]?(?:Inf|Infinity|NaN|[0-9][0-9.eE+-]{0,31})$/;

export function shownValue(raw: unknown): string {
  if (raw === null || raw === undefined || typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (typeof raw === 'string') return NUMERIC.test(raw) ? JSON.stringify(raw) : `text (${raw.length} characters)`;
  return Array.isArray(raw) ? 'an array' : `a value of type ${typeof raw}`;
}

/** A short machine word from an answer (Prometheus's errorType, resultType), or undefined. */
export function shownWord(raw: unknown): string | undefined {
  return typeof raw === 'string' && /^[a-z_]{1,32}$/.test(raw) ? raw : undefined;
}

/** An error the server sent over the PostgreSQL protocol: by its SQLSTATE, not its text. */
export function serverErrorCode(err: unknown): string | undefined {
  const e = err as { severity?: unknown; code?: unknown };
  if (!(err instanceof Error) || typeof e.severity !== 'string' || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return undefined;
  return `the server answered SQLSTATE ${e.code}`;
}
