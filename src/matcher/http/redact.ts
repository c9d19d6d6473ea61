/**
 * Health answers are open to anyone who reaches the port (probes, the operator's health signal,
 * Prometheus). Their numbers and flags are for everyone; their free text is not: an error message
 * can carry a host, a database or user name, a file path. Every string under a key named `error`
 * or ending in `Error` (database.error, checks.redis.error, runtime.lastError) becomes REDACTED;
 * the shape stays, so `"error" in …` and the numeric fields read the same for every caller.
 */
export const REDACTED = 'redacted: send an API key to read it';

const isFreeText = (key: string, value: unknown) => typeof value === 'string' && (key === 'error' || key.endsWith('Error'));

export function redactFreeText<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactFreeText(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isFreeText(k, v) ? REDACTED : redactFreeText(v)])) as T;
}
