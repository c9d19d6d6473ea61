import { z } from 'zod';
import { PlimsollError } from '../errors.js';

/** The process environment, or a test's stand-in for it. */
export type Env = Record<string, string | undefined>;

/**
 * Reads one process's variables: an unset or empty variable falls back to its documented
 * default, so the defaults table is the one list of what a process reads.
 */
export function envReader<K extends string>(defaults: Readonly<Record<K, string>>, environment: Env, overrides: Env = {}) {
  const env: Env = { ...environment, ...overrides };
  return (name: K): string => {
    const value = env[name];
    return value === undefined || value === '' ? defaults[name] : value;
  };
}

/** An integer variable within bounds (environment values are strings: coerced). */
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** What every long-running process is configured with: how much it logs, how long it drains. */
export const processFields = {
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  shutdownGraceMs: int(0, 600_000),
};

/**
 * Validates a process's raw configuration once, at start-up: CONFIG_INVALID names every bad
 * field; the result is frozen all the way down, so no part of the process can change what
 * another part was configured with.
 */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, what: string): Readonly<z.infer<S>> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PlimsollError('CONFIG_INVALID', `the ${what} configuration is invalid`, {
      problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return deepFreeze(parsed.data);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
