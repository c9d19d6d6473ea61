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
