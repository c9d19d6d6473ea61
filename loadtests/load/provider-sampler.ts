/**
 * Samples each fake AI provider's counters and rate limit (GET <admin URL>/admin/stats) through a
 * run, on the run's clock, for utilisation.ts. The providers are read together; one that does
 * not answer is recorded as missing in that sample (counted in the report), never fatal.
 */
import { sampleEvery } from './periodic.js';
import type { ProviderReading, ProviderSample } from './utilisation.js';

export interface ProviderSampling {
  samples: ProviderSample[];
  lastError?: string;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The fields utilisation needs from an /admin/stats body; throws on any other shape. */
export function readingFrom(body: unknown): ProviderReading {
  const { settings, stats } = (body ?? {}) as { settings?: Record<string, unknown>; stats?: Record<string, unknown> };
  const reading = { ok: stats?.ok, rateLimited: stats?.rateLimited, rateLimit: settings?.rateLimit, rateWindowMs: settings?.rateWindowMs };
  const wrong = Object.entries(reading).filter(([, v]) => !isCount(v)).map(([k]) => k);
  if (wrong.length > 0) throw new Error(`/admin/stats lacks ${wrong.join(', ')}`);
  return reading as ProviderReading;
}

export class ProviderSampler {
  private lastError: string | undefined;

  constructor(private readonly providers: Record<string, string>, private readonly http: typeof fetch = fetch) {}

  private async reading(name: string): Promise<ProviderReading | null> {
    const url = `${this.providers[name]}/admin/stats`;
    try {
      const res = await this.http(url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return readingFrom(await res.json());
    } catch (error) {
      this.lastError = `GET ${url}: ${(error as Error).message}`;
      return null;
    }
  }

  async sample(t: number): Promise<ProviderSample> {
    const names = Object.keys(this.providers);
    const readings = await Promise.all(names.map((name) => this.reading(name)));
    return { t, providers: Object.fromEntries(names.map((name, i) => [name, readings[i]!])) };
  }

  /** Samples every intervalSeconds until stop(), which takes one last sample so the run's end counts. */
  start(clock: () => number, intervalSeconds: number): { stop(): Promise<ProviderSampling> } {
    const loop = sampleEvery(clock, intervalSeconds, (t) => this.sample(t));
    return {
      stop: async () => {
        const { samples } = await loop.stop();
        samples.push(await this.sample(clock()));
        return { samples, ...(this.lastError ? { lastError: this.lastError } : {}) };
      },
    };
  }
}
