import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { matcherMetrics } from '../plimsoll/contract/metrics.js';
import type { AnalysisRow } from './repository.js';

/**
 * Analysis results in Redis under `<prefix>:cache:<promptVersion>:<provider>:<tenant>:<resume>:<job>:<digest>`,
 * shared by every replica. Redis down is a miss, never an error: the database has the answer.
 */
export class AnalysisCache {
  readonly requests: Counter<'result'>;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly promptVersion: string, readonly ttlSeconds: number, registry: Registry) {
    this.requests = new Counter({
      name: matcherMetrics.cacheRequests, help: 'Analysis cache lookups by result (hit, miss, error).',
      labelNames: ['result'], registers: [registry],
    });
  }

  key(tenantId: string, resumeId: string, jobId: string, digest: string, provider: string): string {
    return `${this.prefix}:cache:${this.promptVersion}:${provider}:${tenantId}:${resumeId}:${jobId}:${digest}`;
  }

  /** The first of these keys that holds a result. */
  async get(keys: string[]): Promise<AnalysisRow | undefined> {
    if (keys.length === 0) return undefined;
    try {
      const values = await this.redis.mget(...keys);
      const hit = values.find((v) => v !== null);
      this.requests.inc({ result: hit ? 'hit' : 'miss' });
      return hit ? (JSON.parse(hit) as AnalysisRow) : undefined;
    } catch {
      this.requests.inc({ result: 'error' });
      return undefined;
    }
  }

  async set(key: string, row: AnalysisRow, ttlSeconds = this.ttlSeconds): Promise<void> {
    await this.redis.set(key, JSON.stringify(row), 'EX', ttlSeconds).catch(() => undefined);
  }
}
