/**
 * A sampling loop on the run's clock, shared by the PgBouncer and provider samplers: one sample
 * every interval until stop(), never two at once (a slow answer delays the next sample instead
 * of piling requests up), and a failed sample is counted, not fatal.
 */
export interface SamplingResult<T> {
  samples: T[];
  failed: number;
  lastError?: string;
}

export function sampleEvery<T>(clock: () => number, intervalSeconds: number, take: (t: number) => Promise<T>): { stop(): Promise<SamplingResult<T>> } {
  const result: SamplingResult<T> = { samples: [], failed: 0 };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      const due = clock() + intervalSeconds;
      try {
        result.samples.push(await take(clock()));
      } catch (error) {
        result.failed++;
        result.lastError = (error as Error).message;
      }
      const waitMs = Math.max(0, (due - clock()) * 1000);
      if (!stopped) await new Promise<void>((resolve) => { wake = resolve; timer = setTimeout(resolve, waitMs); });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
      return result;
    },
  };
}
